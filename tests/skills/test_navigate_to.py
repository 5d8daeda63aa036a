"""navigate_to: directions from the kiosk, steps and ramps, buildings, and the map route payload."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.outbox import Outbox
from assistant.shared.config import Settings
from assistant.skill_runtime import context
from community_services.client import ServicesClient
from skills.navigate_to import actions as nav

SKILL = Path(__file__).resolve().parents[2] / "skills" / "navigate_to" / "skill.yml"
SPEC = yaml.safe_load(SKILL.read_text("utf-8"))
DOMAIN: dict[str, Any] = {"forms": SPEC["forms"], "slots": SPEC["slots"], "responses": SPEC["responses"]}
BAD_INPUTS = ["", "   ", "x" * 20_000, "😀🙏🎉", "\x00\x07\x1b[2J", "\u202e\u2066"]


def make_tracker(slots: dict[str, Any] | None = None, *, text: str = "", requested_slot: str | None = None,
                 candidates: dict[str, Any] | None = None) -> Tracker:
    all_slots: dict[str, Any] = {nav.SLOT: None, **(slots or {}), "requested_slot": requested_slot}
    events: list[dict[str, Any]] = [{"event": "user", "timestamp": 1700000000.0, "text": text}]
    if candidates:
        events.append({"event": "action", "name": "navigate_form"})
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        all_slots.update(candidates)
    message = {"text": text, "intent": {"name": "navigate_to", "confidence": 1.0}, "entities": []}
    return Tracker("tester", all_slots, message, events, False, None, {"name": "navigate_form"}, "action_listen")


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(nav.ValidateNavigateForm().run(dispatcher, make_tracker(**kw), DOMAIN))
    return ({e["name"]: e["value"] for e in events if e["event"] == "slot"},
            " ".join(m.get("text") or "" for m in dispatcher.messages))


def directions(value: str | None) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = nav.ActionNavigateTo().run(dispatcher, make_tracker({nav.SLOT: value}), DOMAIN)
    return (events, [m["text"] for m in dispatcher.messages if m.get("text")],
            [m["custom"] for m in dispatcher.messages if m.get("custom")])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def down_context(tmp_path: Path) -> Iterator[context.SkillContext]:
    client = ServicesClient(f"http://127.0.0.1:{free_port()}", "token", timeout=1.0)
    ctx = context.SkillContext(settings=Settings(), services=client, outbox=Outbox(tmp_path / "outbox.db", client))
    context.configure(ctx)
    yield ctx
    context.configure(None)
    client.close()


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


def test_services_down(down_context: context.SkillContext) -> None:
    _, lines, customs = directions("clinic")
    assert lines == [nav.SERVICES_DOWN] and customs == []
