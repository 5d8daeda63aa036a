"""facility_hours: hours from the services' facility list, spoken as sentences."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import datetime
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
from skills.facility_hours import actions as hours

SKILL = Path(__file__).resolve().parents[2] / "skills" / "facility_hours" / "skill.yml"
SPEC = yaml.safe_load(SKILL.read_text("utf-8"))
DOMAIN: dict[str, Any] = {"forms": SPEC["forms"], "slots": SPEC["slots"], "responses": SPEC["responses"]}
BAD_INPUTS = ["", "   ", "x" * 20_000, "😀🙏🎉", "\x00\x07\x1b[2J", "\u202e\u2066"]


def make_tracker(slots: dict[str, Any] | None = None, *, text: str = "", requested_slot: str | None = None,
                 candidates: dict[str, Any] | None = None) -> Tracker:
    all_slots: dict[str, Any] = {hours.SLOT: None, **(slots or {}), "requested_slot": requested_slot}
    events: list[dict[str, Any]] = [{"event": "user", "timestamp": 1700000000.0, "text": text}]
    if candidates:
        events.append({"event": "action", "name": "facility_hours_form"})
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        all_slots.update(candidates)
    message = {"text": text, "intent": {"name": "facility_hours", "confidence": 1.0}, "entities": []}
    return Tracker("tester", all_slots, message, events, False, None, {"name": "facility_hours_form"},
                   "action_listen")


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(hours.ValidateFacilityHoursForm().run(dispatcher, make_tracker(**kw), DOMAIN))
    return ({e["name"]: e["value"] for e in events if e["event"] == "slot"},
            " ".join(m.get("text") or "" for m in dispatcher.messages))


def answer(value: str | None, text: str = "") -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = hours.ActionFacilityHours().run(dispatcher, make_tracker({hours.SLOT: value}, text=text), DOMAIN)
    return events, [m["text"] for m in dispatcher.messages]


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


@pytest.mark.parametrize(("value", "sentence"), [
    ("library", "The Library and Reading Room is open Tuesday to Sunday, 9 am to 8 pm. Closed on Mondays."),
    ("clinic", "The Community Clinic is open Monday to Friday, 8 am to 5 pm; Saturday, 8 am to 12 noon. "
               "Closed on Sundays."),
    ("property office", "The Property Management Office is open every day, 8 am to 6 pm. "
                        "The repair hotline is open 24 hours."),
    ("canteen", "At the Community Canteen for Seniors: lunch 11 am to 1 pm, dinner 5 pm to 6:30 pm."),
    ("parcel-lockers", "The Parcel Lockers are open 24 hours."),
    ("fitness corner", "The Fitness Corner is in the open air, lit until 10 pm."),
    ("Building 7", "Building 7 is a residential building, with no public opening hours."),
])
def test_hours_are_spoken(skill_context: context.SkillContext, value: str, sentence: str) -> None:
    events, lines = answer(value)
    assert lines == [sentence]
    assert events == [{"event": "slot", "timestamp": None, "name": hours.SLOT, "value": None}]


def test_open_now_is_added_when_asked(skill_context: context.SkillContext) -> None:
    _, lines = answer("police office", text="is the police office open now")
    assert lines[-1] == "It is open now, day and night."


def test_open_now_sentences() -> None:
    library = next(f for f in _facilities() if f.slug == "library")
    assert hours.open_now_sentence(library, datetime(2026, 11, 23, 10, 0)) == "It is closed today."  # a Monday
    assert hours.open_now_sentence(library, datetime(2026, 11, 24, 10, 0)) == "It is open now, until 8 pm."
    assert hours.open_now_sentence(library, datetime(2026, 11, 24, 8, 0)) == (
        "It is closed right now. It opens today at 9 am.")
    assert hours.open_now_sentence(library, datetime(2026, 11, 24, 21, 0)) == "It has closed for today."


def _facilities() -> list[Any]:
    from community_services.schemas import Facility
    from community_services.seed import facility_rows
    return [Facility.model_validate(row) for row in facility_rows()]


def test_a_place_named_in_the_question_is_used(skill_context: context.SkillContext) -> None:
    assert validate(text="what time does the library open")[0] == {hours.SLOT: "library"}
    assert validate(text="opening hours")[0] == {}
    assert validate(text="what time does it open")[0] == {}


def test_the_answer_to_which_place(skill_context: context.SkillContext) -> None:
    result, said = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: "the clinic please"})
    assert result[hours.SLOT] == "community-clinic" and said == ""
    result, said = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: "the swimming pool"})
    assert result[hours.SLOT] is None
    assert "do not know a place called the swimming pool" in said and "Library" in said


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input(skill_context: context.SkillContext, bad: str) -> None:
    result, _ = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: bad})
    assert result[hours.SLOT] is None or len(result[hours.SLOT]) <= 200
    _, lines = answer(bad)
    assert lines


def test_services_down(down_context: context.SkillContext) -> None:
    result, said = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: "library"})
    assert result[hours.SLOT] == "library" and said == ""
    _, lines = answer("library")
    assert lines == [hours.SERVICES_DOWN]
