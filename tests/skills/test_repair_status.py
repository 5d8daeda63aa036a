"""repair_status: finding the repair number in what residents say, and the status in words."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import date
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
from community_services.schemas import TicketCreate
from skills.repair_status import actions as status

SKILL = Path(__file__).resolve().parents[2] / "skills" / "repair_status" / "skill.yml"
SPEC = yaml.safe_load(SKILL.read_text("utf-8"))
DOMAIN: dict[str, Any] = {"forms": SPEC["forms"], "slots": SPEC["slots"], "responses": SPEC["responses"]}
BAD_INPUTS = ["", "   ", "x" * 20_000, "😀🙏🎉", "\x00\x07\x1b[2J", "\u202e\u2066"]


def make_tracker(slots: dict[str, Any] | None = None, *, text: str = "", requested_slot: str | None = None,
                 candidates: dict[str, Any] | None = None) -> Tracker:
    all_slots: dict[str, Any] = {status.SLOT: None, **(slots or {}), "requested_slot": requested_slot}
    events: list[dict[str, Any]] = [{"event": "user", "timestamp": 1700000000.0, "text": text}]
    if candidates:
        events.append({"event": "action", "name": "repair_status_form"})
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        all_slots.update(candidates)
    message = {"text": text, "intent": {"name": "repair_status", "confidence": 1.0}, "entities": []}
    return Tracker("tester", all_slots, message, events, False, None, {"name": "repair_status_form"},
                   "action_listen")


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(status.ValidateRepairStatusForm().run(dispatcher, make_tracker(**kw), DOMAIN))
    return ({e["name"]: e["value"] for e in events if e["event"] == "slot"},
            " ".join(m.get("text") or "" for m in dispatcher.messages))


def answer(number: str | None) -> tuple[list[dict[str, Any]], str]:
    dispatcher = CollectingDispatcher()
    events = status.ActionRepairStatus().run(dispatcher, make_tracker({status.SLOT: number}), DOMAIN)
    return events, " ".join(m.get("text") or "" for m in dispatcher.messages)


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


@pytest.fixture
def ticket_number(skill_context: context.SkillContext) -> str:
    ticket = skill_context.services.create_ticket(TicketCreate(
        problem_type="plumbing", place="Building 5, flat 302", description="the kitchen tap leaks",
        phone="13800138000"))
    return ticket.number


@pytest.mark.parametrize(("text", "number"), [
    ("is someone coming about ticket R1003", "R1003"),
    ("check on repair R 1005", "R1005"),
    ("what is the status of ticket number one zero zero two", "R1002"),
    ("what happened to my repair", None),
    ("I reported my broken light three days ago", None),
    ("my flat 302 repair", None),
    ('/repair_status{"x": 1}', None),
])
def test_a_number_said_with_the_question(text: str, number: str | None) -> None:
    assert status.reference_in_first_sentence(text) == number


def test_start_uses_a_number_in_the_question_and_forgets_an_old_one() -> None:
    assert validate(text="is someone coming about ticket R1003")[0] == {status.SLOT: "R1003"}
    assert validate(slots={status.SLOT: "R1001"}, text="what happened to my repair")[0] == {status.SLOT: None}


@pytest.mark.parametrize(("said", "number"), [
    ("R1002", "R1002"), ("r 1002", "R1002"), ("one zero zero two", "R1002"), ("it is R-1004 I think", "R1004"),
    ("I don't remember it", None),
])
def test_the_answer_to_the_question(said: str, number: str | None) -> None:
    result, message = validate(requested_slot=status.SLOT, candidates={status.SLOT: said})
    assert result[status.SLOT] == number
    assert ("starts with R" in message) == (number is None)


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input_is_asked_again(bad: str) -> None:
    result, _ = validate(requested_slot=status.SLOT, candidates={status.SLOT: bad})
    assert result[status.SLOT] is None


def test_open_ticket_is_waiting_for_a_worker(ticket_number: str) -> None:
    events, said = answer(ticket_number)
    assert said == (f"Repair {ticket_number}, for plumbing, has been received and is waiting for a worker. "
                    "It was reported today.")
    assert events == [{"event": "slot", "timestamp": None, "name": status.SLOT, "value": None}]


@pytest.mark.parametrize(("new_status", "words"), [
    ("in_progress", "is being worked on"), ("resolved", "has been finished"),
    ("cancelled", "was cancelled. It was reported today. If the problem is still there"),
])
def test_status_in_words(ticket_number: str, services_server: Any, new_status: str, words: str) -> None:
    with services_server.staff() as staff:
        staff._request("PATCH", f"/tickets/{ticket_number}", json={"status": new_status})
    _, said = answer(ticket_number.lower())
    assert words in said


def test_unknown_number_offers_a_new_report(skill_context: context.SkillContext) -> None:
    events, said = answer("R987654")
    assert "could not find repair number R987654" in said
    assert {"event": "followup", "timestamp": None, "name": "utter_offer_new_repair"} in events


def test_no_number_asks_for_it(skill_context: context.SkillContext) -> None:
    _, said = answer(None)
    assert "starts with R" in said


def test_services_down(down_context: context.SkillContext) -> None:
    events, said = answer("R1001")
    assert said == status.SERVICES_DOWN
    assert events[0]["value"] is None


def test_status_sentence_days() -> None:
    today = date(2026, 11, 23)
    assert status.status_sentence("R1001", "open", "lift", date(2026, 11, 19), today) == (
        "Repair R1001, for the lift, has been received and is waiting for a worker. "
        "It was reported on Thursday 19 November.")
