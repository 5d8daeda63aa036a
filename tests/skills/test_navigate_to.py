"""navigate_to: directions from the kiosk, steps and ramps, buildings, and the map route payload."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context
from skills.navigate_to import actions as nav

DOMAIN = skill_domain("navigate_to")


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker("navigate_form", [nav.SLOT], slots, intent="navigate_to", **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(nav.ValidateNavigateForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def directions(value: str | None) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    events, dispatcher = perform(nav.ActionNavigateTo(), make_tracker({nav.SLOT: value}), DOMAIN)
    return (events, [m["text"] for m in dispatcher.messages if m.get("text")],
            [m["custom"] for m in dispatcher.messages if m.get("custom")])


def test_the_clinic(skill_context: context.SkillContext) -> None:
    events, lines, customs = directions("clinic")
    assert lines[0] == "The Community Clinic is on the west side of Garden Lane, next to Building 2."
    assert "walk south along Garden Lane" in lines[1] and "on your right" in lines[1]
    assert customs == [{"route": {"to": "community-clinic"}}]
    assert events == [{"event": "slot", "timestamp": None, "name": nav.SLOT, "value": None}]


def test_a_building_says_its_side_and_lift(skill_context: context.SkillContext) -> None:
    _, lines, customs = directions("Building 7")
    assert lines[0] == "Building 7 is on the east side of Garden Lane."
    assert "on your left" in lines[1]
    assert lines[2] == "It has six floors and a lift."
    assert customs == [{"route": {"to": "building-7"}}]
    _, lines, _ = directions("building ten")
    assert "no lift" in lines[2] and "Garbage Station is behind it" in lines[2]


def test_steps_and_ramps(skill_context: context.SkillContext) -> None:
    _, lines, _ = directions("fitness corner")
    assert nav.STEPS_AND_RAMP in lines
    _, lines, _ = directions("central garden")
    said = " ".join(lines)
    assert "ramp on the east side" in said and "three steps on the west side" in said
    assert nav.STEPS_AND_RAMP not in lines  # the directions already say it
    _, lines, _ = directions("library")
    assert "stairs or the Service Centre lift" in " ".join(lines)


def test_plural_places(skill_context: context.SkillContext) -> None:
    _, lines, _ = directions("parcel lockers")
    assert lines[0] == "The Parcel Lockers are by the North Gate and by the South Gate."


def test_a_place_named_in_the_question_is_used(skill_context: context.SkillContext) -> None:
    assert validate(text="how do I get to the garbage station")[0] == {nav.SLOT: "garbage-station"}
    assert validate(text="show me the way please")[0] == {}


def test_a_building_that_does_not_exist(skill_context: context.SkillContext) -> None:
    result, said = validate(requested_slot=nav.SLOT, candidates={nav.SLOT: "Building 15"})
    assert result[nav.SLOT] is None and "There is no Building 15 here" in said
    result, said = validate(text="where is building 40")
    assert result[nav.SLOT] is None and "There is no Building 40 here" in said


def test_an_unknown_place(skill_context: context.SkillContext) -> None:
    result, said = validate(requested_slot=nav.SLOT, candidates={nav.SLOT: "the swimming pool"})
    assert result[nav.SLOT] is None and "do not know a place called the swimming pool" in said


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input(skill_context: context.SkillContext, bad: str) -> None:
    result, _ = validate(requested_slot=nav.SLOT, candidates={nav.SLOT: bad})
    assert result[nav.SLOT] is None or len(result[nav.SLOT]) <= 200
    _, lines, _ = directions(bad)
    assert lines


def test_services_down(services_down: context.SkillContext) -> None:
    _, lines, customs = directions("clinic")
    assert lines == [nav.SERVICES_DOWN] and customs == []
