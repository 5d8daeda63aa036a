"""report_repair: understanding the report, the form's validation, the read-back and the ticket."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, said, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context
from skills.report_repair import actions as repair
from skills.report_repair.repair_text import (
    description_from_first_sentence,
    normalise_problem_type,
    parse_place,
    place_from_first_sentence,
)

DOMAIN = skill_domain("report_repair")
FULL = {"problem_type": "plumbing", "place": "Building 5, flat 302", "description": "the kitchen tap leaks",
        "phone": "13800138000"}


def make_tracker(slots: dict[str, Any] | None = None, *, intent: str = "report_repair", **kw: Any) -> Tracker:
    return form_tracker(repair.FORM, repair.SLOTS, slots, intent=intent, **kw)


def validate(slots: dict[str, Any] | None = None, candidates: dict[str, Any] | None = None, **kw: Any
             ) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(repair.ValidateRepairForm(), make_tracker(slots, candidates=candidates, **kw),
                                      DOMAIN)
    return result, " ".join(messages)


def run_action(action: Any, slots: dict[str, Any] | None = None, **kw: Any) -> tuple[list[dict[str, Any]], str]:
    events, dispatcher = perform(action, make_tracker(slots, **kw), DOMAIN)
    return events, said(dispatcher)


def staff_ticket(services_server: Any, number: str) -> dict[str, Any]:
    with services_server.staff() as staff:
        return dict(staff._request("GET", f"/tickets/{number}").json())


def ticket_count(services_server: Any) -> int:
    with services_server.staff() as staff:
        return len(staff._request("GET", "/tickets", params={"limit": 1000}).json())


# --- understanding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("my kitchen tap is leaking", "plumbing"), ("the toilet is blocked", "plumbing"),
    ("the water heater gives no hot water", "plumbing"), ("the light in the hall flickers", "electrical"),
    ("no power in my flat", "electrical"), ("the lift is stuck", "lift"), ("the elevator", "lift"),
    ("my front door lock", "door_or_lock"), ("door or lock", "door_or_lock"), ("the radiator is cold", "heating"),
    ("I smell gas", "gas"), ("the window will not close", "window"), ("door_or_lock", "door_or_lock"),
    ("a crack in the wall", "other"), ("something else", "other"), ("", None), ("?!", None), ("😀", None),
])
def test_problem_type_is_normalised(text: str, expected: str | None) -> None:
    assert normalise_problem_type(text) == expected


@pytest.mark.parametrize(("text", "place"), [
    ("Building 5, flat 302", "Building 5, flat 302"),
    ("5-302", "Building 5, flat 302"),
    ("building five flat three oh two", "Building 5, flat 302"),
    ("Building five, three oh two", "Building 5, flat 302"),
    ("I live in Block 11, apartment 601", "Building 11, flat 601"),
    ("5号楼302", "Building 5, flat 302"),
    ("the lift in building 3", "the lift in Building 3"),
    ("Building 7", "Building 7"),
    ("the central garden", "the Central Garden"),
    ("the bench near the pavilion by the pond", "the bench near the pavilion by the pond"),
])
def test_places_are_understood(text: str, place: str) -> None:
    assert parse_place(text).place == place


@pytest.mark.parametrize(("text", "problem"), [
    ("Building 13, flat 302", "only Buildings 1 to 12"),
    ("Building 5, flat 702", "six floors"),
    ("flat 302", "Which building"),
    ("my home", "for example Building 5, flat 302"),
    ("", "for example Building 5, flat 302"),
])
def test_unusable_places_say_why(text: str, problem: str) -> None:
    result = parse_place(text)
    assert result.place is None
    assert problem in (result.problem or "")


def test_the_first_sentence_can_hold_the_description_and_place() -> None:
    assert description_from_first_sentence("my kitchen tap is leaking") == "my kitchen tap is leaking"
    assert description_from_first_sentence("hello, um, the toilet keeps running") == "the toilet keeps running"
    assert description_from_first_sentence("I need to report a repair") is None
    assert description_from_first_sentence("broken tap") is None
    assert description_from_first_sentence('/report_repair{"problem_type": "lift"}') is None
    assert place_from_first_sentence("the lift in Building 3 is broken again") == "the lift in Building 3"
    assert place_from_first_sentence("my tap in 5-302 leaks") == "Building 5, flat 302"
    assert place_from_first_sentence("my garden hose tap leaks") is None


# --- the form ---------------------------------------------------------------------------------------


def test_start_keeps_what_the_first_sentence_says_and_forgets_old_answers() -> None:
    result, said = validate({"phone": "13911112222", "confirm": True, "place": "Building 1, flat 101"},
                            text="my kitchen tap is leaking")
    assert result["problem_type"] == "plumbing"
    assert result["description"] == "my kitchen tap is leaking"
    assert result["place"] is None and result["phone"] is None and result["confirm"] is None
    assert said == ""


def test_start_from_a_button_uses_the_entity_and_warns_about_gas() -> None:
    result, said = validate(text='/report_repair{"problem_type": "gas"}',
                            entities=[{"entity": "problem_type", "value": "gas"}])
    assert result["problem_type"] == "gas"
    assert result["description"] is None
    assert "open the windows" in said and "leave the flat" in said


def test_a_full_answer_to_what_is_broken_also_fills_the_description() -> None:
    result, _ = validate(requested_slot="problem_type", text="the toilet is blocked again",
                         candidates={"problem_type": "the toilet is blocked again"})
    assert result == {"problem_type": "plumbing", "description": "the toilet is blocked again"}


def test_a_place_that_does_not_exist_is_asked_again() -> None:
    result, said = validate(requested_slot="place", text="Building 15, flat 302",
                            candidates={"place": "Building 15, flat 302"})
    assert result["place"] is None
    assert "only Buildings 1 to 12" in said


def test_description_limits() -> None:
    result, said = validate(requested_slot="description", candidates={"description": "ok"})
    assert result["description"] is None and "a little more" in said
    long_text = "The tap drips. " * 200
    result, said = validate(requested_slot="description", candidates={"description": long_text})
    assert len(result["description"]) == 1000 and "first 1000 characters" in said


@pytest.mark.parametrize(("answer", "phone"), [
    ("138 0013 8000", "13800138000"), ("one three eight double zero one three eight zero zero zero", "13800138000"),
    ("my number is 6258 1234", "62581234"), ("12345", None), ("I don't have one", None),
])
def test_phone_numbers(answer: str, phone: str | None) -> None:
    result, said = validate(requested_slot="phone", candidates={"phone": answer})
    assert result["phone"] == phone
    assert ("for example 138 0013 8000" in said) == (phone is None)


@pytest.mark.parametrize(("answer", "confirm"), [
    (True, True), (False, False), ("yes please send it", True), ("no", False), ("don't send it", False),
    ("maybe later", None), ("no problem, send it", None),
])
def test_confirmation(answer: Any, confirm: bool | None) -> None:
    result, said = validate(requested_slot="confirm", candidates={"confirm": answer})
    assert result["confirm"] is confirm
    assert ("say yes" in said) == (confirm is None)


@pytest.mark.parametrize("bad", BAD_INPUTS)
@pytest.mark.parametrize("slot", ["problem_type", "place", "description", "phone", "confirm"])
def test_bad_input_is_asked_again_or_trimmed_never_raises(slot: str, bad: str) -> None:
    result, _ = validate(requested_slot=slot, candidates={slot: bad})
    value = result[slot]
    if value is not None:
        assert isinstance(value, str) and "\x00" not in value and "\u202e" not in value
        assert len(value) <= 1000


def test_read_back_before_sending() -> None:
    _, said = run_action(repair.ActionAskRepairFormConfirm(), FULL)
    assert said == ("I will report: plumbing, at Building 5, flat 302: the kitchen tap leaks. "
                    "Phone ending in 8 0 0 0. Shall I send it?")


# --- sending ---------------------------------------------------------------------------------------


def test_confirmed_report_creates_a_ticket(skill_context: context.SkillContext, services_server: Any) -> None:
    events, said = run_action(repair.ActionSubmitRepair(), {**FULL, "confirm": True})
    number = re.search(r"repair number is (R[2-9A-HJ-NP-Z]{8})", said)
    assert number, said
    ticket = staff_ticket(services_server, number.group(1))
    assert {k: ticket[k] for k in FULL} == FULL
    assert ticket["status"] == "open"
    assert {e["name"]: e["value"] for e in events} == dict.fromkeys(repair.SLOTS)


def test_no_sends_nothing(skill_context: context.SkillContext, services_server: Any) -> None:
    before = ticket_count(services_server)
    events, said = run_action(repair.ActionSubmitRepair(), {**FULL, "confirm": False})
    assert "not sent" in said and "Nothing was reported" in said
    assert ticket_count(services_server) == before
    assert all(e["value"] is None for e in events)


def test_gas_report_repeats_the_safety_advice(skill_context: context.SkillContext) -> None:
    _, said = run_action(repair.ActionSubmitRepair(), {**FULL, "problem_type": "gas", "confirm": True})
    assert "repair number is R" in said and "open the windows" in said


def test_missing_details_send_nothing(skill_context: context.SkillContext, services_server: Any) -> None:
    before = ticket_count(services_server)
    _, said = run_action(repair.ActionSubmitRepair(), {**FULL, "phone": None, "confirm": True})
    assert "nothing was sent" in said
    assert ticket_count(services_server) == before


def test_services_down_saves_the_ticket_with_a_reference(services_down: context.SkillContext) -> None:
    _, said = run_action(repair.ActionSubmitRepair(), {**FULL, "confirm": True})
    assert "saved" in said and "will be sent when the system is back" in said
    reference = re.search(r"reference is (Q\d{5})", said)
    assert reference, said
    item = services_down.outbox.get(reference.group(1))
    assert item is not None and item.kind == "ticket" and item.status == "pending"
    assert item.payload == FULL
