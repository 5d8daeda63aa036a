"""repair_status: finding the repair number in what residents say, and the status in words."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import yaml
from helpers import BAD_INPUTS, SKILLS, form_tracker, household, perform, run_validation, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context, verification
from community_services.schemas import TicketAssign, TicketCreate, TicketStatusChange
from skills.repair_status import actions as status

DOMAIN = skill_domain("repair_status")
DEMO_PHONE = "13800138000"
"""The seeded demo household's phone (PIN 2468); the tickets here are reported with it."""
SLOT_NAMES = [status.SLOT, *verification.SLOTS, verification.TOKEN, verification.UNTIL]


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker("repair_status_form", SLOT_NAMES, slots, intent="repair_status", **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(status.ValidateRepairStatusForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def answer(number: str | None, login: str = DEMO_PHONE, pin: str = "2468", text: str = ""
           ) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
    """The events, and what was said: each message as its response name and the values that fill it."""
    slots = {status.SLOT: number, "resident_login": login, "resident_pin": pin}
    events, dispatcher = perform(status.ActionRepairStatus(), make_tracker(slots, text=text), DOMAIN)
    said = [(m.get("response") or "", {k: v for k, v in m.items() if k not in RASA_KEYS}) for m in dispatcher.messages]
    return events, said


RASA_KEYS = {"response", "text", "buttons", "elements", "custom", "template", "image", "attachment", "json_message"}


def names(said: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in said]


@pytest.fixture
def ticket_number(skill_context: context.SkillContext) -> str:
    ticket = skill_context.services.create_ticket(TicketCreate(
        problem_type="plumbing", place="Building 5, flat 302", description="the kitchen tap leaks",
        phone=DEMO_PHONE))
    return ticket.number


@pytest.mark.parametrize(("text", "number"), [
    ("is someone coming about ticket R1003", "R1003"),
    ("check on repair R 1005", "R1005"),
    ("what is the status of ticket number one zero zero two", "R1002"),
    ("what happened to my repair", None),
    ("I reported my broken light three days ago", None),
    ("my flat 302 repair", None),
    ('/repair_status{"x": 1}', None),
    ("单号R1003的修理有人来吗", "R1003"),
    ("我報的修怎麼樣了，單號Ｒ１００１", "R1001"),
    ("单号是幺零零二，现在什么情况", "R1002"),
    ("我报的修怎么样了", None),
])
def test_a_number_said_with_the_question(text: str, number: str | None) -> None:
    assert status.reference_in_first_sentence(text) == number


def test_start_uses_a_number_in_the_question_and_forgets_an_old_one() -> None:
    assert validate(text="is someone coming about ticket R1003")[0] == {status.SLOT: "R1003"}
    assert validate(slots={status.SLOT: "R1001"}, text="what happened to my repair")[0] == {status.SLOT: None}


@pytest.mark.parametrize(("said", "number"), [
    ("R1002", "R1002"), ("r 1002", "R1002"), ("one zero zero two", "R1002"), ("it is R-1004 I think", "R1004"),
    ("I don't remember it", None), ("Ｒ１００２", "R1002"), ("幺零零二", "R1002"), ("我记不得了", None),
])
def test_the_answer_to_the_question(said: str, number: str | None) -> None:
    result, message = validate(requested_slot=status.SLOT, candidates={status.SLOT: said})
    assert result[status.SLOT] == number
    assert (message == "utter_repair_status_number_sorry") == (number is None)


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input_is_asked_again(bad: str) -> None:
    result, _ = validate(requested_slot=status.SLOT, candidates={status.SLOT: bad})
    assert result[status.SLOT] is None


def test_open_ticket_is_waiting_for_a_worker(ticket_number: str) -> None:
    events, said = answer(ticket_number)
    assert said == [("utter_repair_status_open", {"number": ticket_number, "problem": "plumbing"}),
                    ("utter_repair_status_reported_today", {})]
    assert {"event": "slot", "timestamp": None, "name": status.SLOT, "value": None} in events
    assert any(e["name"] == verification.TOKEN and e["value"] for e in events)  # kept for the visit


def test_in_a_chinese_conversation_the_problem_is_said_in_chinese(ticket_number: str) -> None:
    _, said = answer(ticket_number, text="二四六八")
    assert said[0] == ("utter_repair_status_open", {"number": ticket_number, "problem": "水管水龙头"})


def test_another_households_ticket_gives_only_where_it_stands(ticket_number: str, services_server: Any) -> None:
    phone, _ = household(services_server.db_path)
    with services_server.staff() as staff:
        staff.change_ticket_status(ticket_number, TicketStatusChange(
            status="in_progress", staff_name="Li", public_note="A plumber comes to flat 302 on Thursday."))
    _, said = answer(ticket_number, login=phone)
    assert names(said) == ["utter_repair_status_in_progress", "utter_repair_status_reported_today",
                           "utter_repair_status_not_yours"]


def test_a_wrong_pin_is_asked_once_more_keeping_the_number(ticket_number: str) -> None:
    events, said = answer(ticket_number, pin="9753")
    assert names(said) == [verification.TRY_AGAIN]
    assert {"event": "followup", "timestamp": None, "name": status.FORM} in events
    assert all(e.get("name") != status.SLOT for e in events)


@pytest.mark.parametrize(("new_status", "responses"), [
    ("in_progress", ["utter_repair_status_in_progress", "utter_repair_status_reported_today"]),
    ("resolved", ["utter_repair_status_resolved", "utter_repair_status_reported_today"]),
    ("cancelled", ["utter_repair_status_cancelled", "utter_repair_status_reported_today",
                   "utter_repair_status_report_again"]),
])
def test_status_in_words(ticket_number: str, services_server: Any, new_status: str, responses: list[str]) -> None:
    with services_server.staff() as staff:
        staff._request("PATCH", f"/tickets/{ticket_number}", json={"status": new_status})
    _, said = answer(ticket_number.lower())
    assert names(said) == responses


def test_unknown_number_offers_a_new_report(skill_context: context.SkillContext) -> None:
    events, said = answer("R987654")
    assert said == [("utter_repair_status_not_found", {"number": "R987654"})]
    assert {"event": "followup", "timestamp": None, "name": "utter_offer_new_repair"} in events


def test_no_number_asks_for_it(skill_context: context.SkillContext) -> None:
    _, said = answer(None)
    assert names(said) == ["utter_repair_status_number_needed"]


def test_services_down(services_down: context.SkillContext) -> None:
    events, said = answer("R1001")
    assert names(said) == [verification.DOWN]  # the household cannot be checked either
    assert events[-1]["value"] is None


def test_status_answer_days() -> None:
    today = date(2026, 11, 23)
    assert status.status_answer("R1001", "open", "lift", date(2026, 11, 19), today) == [
        ("utter_repair_status_open", {"number": "R1001", "problem": "the lift"}),
        ("utter_repair_status_reported_on", {"day": "Thursday 19 November"})]
    assert status.status_answer("R1001", "open", "lift", date(2026, 11, 19), today, language="zh-CN") == [
        ("utter_repair_status_open", {"number": "R1001", "problem": "电梯"}),
        ("utter_repair_status_reported_on", {"day": "十一月19号，星期四"})]
    assert status.status_answer("R1001", "strange", "nonsense", None, today)[0] == (
        "utter_repair_status_handled", {"number": "R1001", "problem": "a repair"})


def test_the_latest_public_note_is_read(ticket_number: str, services_server: Any) -> None:
    with services_server.staff() as staff:
        staff.change_ticket_status(ticket_number, TicketStatusChange(
            status="in_progress", staff_name="Li", public_note="A plumber comes on Thursday morning.",
            internal_note="the resident prefers mornings"))
    _, said = answer(ticket_number)
    assert said[2] == ("utter_repair_status_note_today", {"note": "A plumber comes on Thursday morning."})
    assert "prefers" not in str(said)


def test_an_assigned_ticket_with_a_note(ticket_number: str, services_server: Any) -> None:
    with services_server.staff() as staff:
        staff.assign_ticket(ticket_number, TicketAssign(assignee="Wang", staff_name="Li",
                                                        public_note="Wang the plumber comes tomorrow 😀"))
    _, said = answer(ticket_number)
    assert names(said) == ["utter_repair_status_assigned", "utter_repair_status_reported_today",
                           "utter_repair_status_note_today"]
    assert said[2][1]["note"].startswith("Wang the plumber comes tomorrow")


def test_status_answer_with_notes() -> None:
    today = date(2026, 11, 23)
    monday = datetime(2026, 11, 16, 9, 0)
    assert status.status_answer("R1001", "waiting", "lift", date(2026, 11, 16), today, "Parts come on Friday.",
                                monday, monday) == [
        ("utter_repair_status_waiting", {"number": "R1001", "problem": "the lift"}),
        ("utter_repair_status_reported_on", {"day": "Monday 16 November"}),
        ("utter_repair_status_note_on", {"note": "Parts come on Friday.", "day": "Monday 16 November"})]
    # a note from before the repair was finished would mislead
    finished = status.status_answer("R1001", "resolved", "lift", None, today, "A worker comes on Friday.",
                                    monday, monday + timedelta(days=2))
    assert [name for name, _ in finished] == ["utter_repair_status_resolved"]
    # the note that came with the finishing change is read
    assert status.status_answer("R1001", "resolved", "lift", None, today, "Fixed, thank you for waiting.",
                                monday, monday)[-1] == (
        "utter_repair_status_note_on", {"note": "Fixed, thank you for waiting.", "day": "Monday 16 November"})
    long_note = "word " * 100
    assert status.status_answer("R1001", "open", "lift", None, today, long_note)[-1][1]["note"].endswith("...")


def test_every_response_the_action_names_is_written_in_both_languages() -> None:
    source = (SKILLS / "repair_status" / "actions.py").read_text("utf-8")
    named = {f"utter_repair_status_{s}" for s in status.STATUSES} | set(
        re.findall(r'"(utter_repair_status_[a-z_]+)"', source))
    chinese = yaml.safe_load((SKILLS / "repair_status" / "locale" / "zh-CN.yml").read_text("utf-8"))["responses"]
    assert named <= set(DOMAIN["responses"]) and set(DOMAIN["responses"]) <= set(chinese)
