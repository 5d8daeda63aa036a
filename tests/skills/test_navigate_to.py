"""navigate_to: directions from the kiosk, steps and ramps, buildings, and the map route payload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker

from assistant.places.community import default_map_path, load_keys
from assistant.skill_runtime import context
from assistant.skill_runtime.wayfinding import wants_step_free
from skills.navigate_to import actions as nav
from wayfinding.guide_links import parse_guide_url
from wayfinding.route import Route

DOMAIN = skill_domain("navigate_to")
DEMO_MAP = default_map_path()


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker("navigate_form", [nav.SLOT], slots, intent="navigate_to", **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(nav.ValidateNavigateForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def directions(value: str | None, text: str = "", entities: list[dict[str, Any]] | None = None,
               ) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    tracker = make_tracker({nav.SLOT: value}, text=text, entities=entities)
    events, dispatcher = perform(nav.ActionNavigateTo(), tracker, DOMAIN)
    return (events, [m["text"] for m in dispatcher.messages if m.get("text")],
            [m["custom"] for m in dispatcher.messages if m.get("custom")])


def buttons(value: str, text: str = "") -> list[dict[str, Any]]:
    _, dispatcher = perform(nav.ActionNavigateTo(), make_tracker({nav.SLOT: value}, text=text), DOMAIN)
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


def test_the_clinic(skill_context: context.SkillContext) -> None:
    events, lines, customs = directions("clinic")
    assert lines[0] == "The Community Clinic is on the west side of Garden Lane, next to Building 2."
    assert lines[1] == ("Leave the Service Centre by the main door. Walk south along Garden Lane for about "
                        "110 metres. The Community Clinic is on your right.")
    route = customs[0]["route"]
    assert route["to"] == "community-clinic" and route["start"] == "kiosk" and route["goal"] == "community-clinic"
    assert route["points"][0] == [-12.0, -14.0] and route["points"][-1] == [-25.0, -120.0]
    assert not route["uses_stairs"] and [s["text"] for s in route["steps"]][-1].endswith("on your right.")
    assert Route.from_dict(route).text() == lines[1]
    link = parse_guide_url(route["guide_url"], load_keys(skill_context.settings.var_dir), community="sunny-garden")
    assert (link.at, link.to, link.step_free) == ("kiosk", "community-clinic", False)
    assert events == [{"event": "slot", "timestamp": None, "name": nav.SLOT, "value": None}]


def test_a_building_says_its_side_and_lift(skill_context: context.SkillContext) -> None:
    _, lines, customs = directions("Building 7")
    assert lines[0] == "Building 7 is on the east side of Garden Lane."
    assert lines[1].endswith("Building 7 is on your left.")
    assert lines[2] == "It has six floors and a lift."
    assert customs[0]["route"]["goal"] == "building-7"
    _, lines, _ = directions("building ten")
    assert "no lift" in lines[2] and "Garbage Station is behind it" in lines[2]


def test_stairs_come_with_the_offer_of_a_way_without_them(skill_context: context.SkillContext) -> None:
    _, lines, customs = directions("fitness corner")
    assert "Go up the three steps onto the square." in lines[1] and lines[-1] == nav.STEP_FREE_OFFER
    assert customs[0]["route"]["uses_stairs"]
    assert buttons("fitness corner") == [
        {"title": nav.STEP_FREE_BUTTON, "payload": '/navigate_to{"facility": "fitness-corner", "access": "step-free"}'}]
    _, lines, _ = directions("library")
    assert "stairs up to the first floor" in lines[1] and nav.STEP_FREE_OFFER in lines


@pytest.mark.parametrize("asked", [
    {"text": "I use a wheelchair, how do I get to the central garden"},
    {"text": "is there a way without stairs"},
    {"text": "我坐轮椅"},
    {"entities": [{"entity": "access", "value": "step-free"}]},  # the "Way without steps" button
])
def test_a_way_without_steps(skill_context: context.SkillContext, asked: dict[str, Any]) -> None:
    _, lines, customs = directions("central garden", **asked)
    said = " ".join(lines)
    assert "ramp" in said and "three steps" not in said and lines[-1] == nav.STEP_FREE_SAID
    route = customs[0]["route"]
    assert route["step_free"] and not route["uses_stairs"]
    assert route["length_m"] > directions("central garden")[2][0]["route"]["length_m"]  # the ramp is a detour
    assert "step-free" in route["guide_url"] or "sf=1" in route["guide_url"]
    _, lines, _ = directions("library", **asked)
    assert "lift" in lines[1]


def test_wants_step_free_is_not_fooled_by_other_words() -> None:
    assert not wants_step_free("where are the steps to the library")
    assert not wants_step_free("I want to walk")
    assert wants_step_free("my husband has a walker") and wants_step_free("I can't climb stairs")


def test_no_usable_map_falls_back_to_the_office_directions(
        skill_context: context.SkillContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("community: [unclosed\n", "utf-8")
    monkeypatch.setenv("LINLI_MAP", str(broken))
    _, lines, customs = directions("clinic")
    assert "walk south along Garden Lane" in lines[1] and "on your right" in lines[1]
    assert customs == [{"route": {"to": "community-clinic"}}]


def test_no_step_free_way_is_said_plainly(
        skill_context: context.SkillContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stairs_only = tmp_path / "stairs.yml"
    data = yaml.safe_load(DEMO_MAP.read_text("utf-8"))
    # the ramp is taken out: the square is then only reached by its three steps
    data["paths"] = [p for p in data["paths"] if p.get("access") != "ramp"]
    stairs_only.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    monkeypatch.setenv("LINLI_MAP", str(stairs_only))
    _, lines, customs = directions("central garden", text="I use a wheelchair")
    assert lines[-1] == nav.NO_STEP_FREE_WAY and customs == []


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


def test_services_down_the_map_still_shows_the_way(services_down: context.SkillContext) -> None:
    _, lines, customs = directions("clinic")
    assert lines[0].startswith("Leave the Service Centre") and customs[0]["route"]["to"] == "community-clinic"
    _, lines, customs = directions("the swimming pool")
    assert lines == [nav.SERVICES_DOWN] and customs == []
