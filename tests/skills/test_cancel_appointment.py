"""cancel_appointment: reference and phone validation, and cancelling through the real services API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, said, skill_domain
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime import context
from community_services.schemas import AppointmentCreate
from skills.cancel_appointment import actions as cancel

DOMAIN = skill_domain("cancel_appointment")
PHONE = "13712345678"


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker(cancel.FORM, cancel.FORM_SLOTS, slots, active=False, **kw)


def validate(slots: dict[str, Any] | None = None, candidates: dict[str, Any] | None = None, **kw: Any
             ) -> tuple[dict[str, Any], list[str]]:
    return run_validation(cancel.ValidateCancelAppointmentForm(), make_tracker(slots, candidates=candidates, **kw),
                          DOMAIN)


def submit(slots: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    events, dispatcher = perform(cancel.ActionSubmitCancelAppointment(), make_tracker(slots), DOMAIN)
    return events, said(dispatcher)


@pytest.fixture
def booking(skill_context: context.SkillContext, services_server: Any) -> dict[str, Any]:
    """A fresh Eye appointment made through the API, as if booked earlier at the kiosk."""
    with services_server.kiosk() as kiosk:
        slot = next(s for s in kiosk.list_free_slots("Eye") if s.start > datetime.now())
        appointment = kiosk.book_appointment(AppointmentCreate(slot_id=slot.id, patient_name="Zhao Min", phone=PHONE))
    return {"reference": appointment.reference, "slot_id": slot.id, "start": slot.start}


def _status(services_server: Any, reference: str) -> str:
    with services_server.staff() as staff:
        records = staff._request("GET", "/clinic/appointments").json()
    return str(next(r["status"] for r in records if r["reference"] == reference))


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("said", "reference"), [
    ("A1001", "A1001"), ("a 1001", "A1001"), ("it's A-1002", "A1002"), ("A one zero zero three", "A1003"),
    ("1004", "A1004"), ("the number on my slip is a1005", "A1005"),
])
def test_reference_understood(skill_context: context.SkillContext, said: str, reference: str) -> None:
    slots, messages = validate(candidates={"appointment_reference": said}, requested_slot="appointment_reference")
    assert slots["appointment_reference"] == reference
    assert messages == []


@pytest.mark.parametrize("said", [*BAD_INPUTS, "I don't know", "138 0013 8000", "12"])
def test_reference_asked_again(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"appointment_reference": said}, requested_slot="appointment_reference")
    assert slots["appointment_reference"] is None
    assert "starts with A" in messages[0]


def test_reference_from_the_first_sentence(skill_context: context.SkillContext) -> None:
    slots, _ = validate(text="please cancel my appointment A 1 0 0 7", intent="cancel_appointment")
    assert slots["appointment_reference"] == "A1007"
    slots, _ = validate(text="cancel my 2 o'clock appointment", intent="cancel_appointment")
    assert slots.get("appointment_reference") is None


@pytest.mark.parametrize("said", [*BAD_INPUTS, "my phone", "123"])
def test_phone_asked_again(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"phone": said}, requested_slot="phone")
    assert slots["phone"] is None
    assert "138 0013 8000" in messages[0]


def test_confirm_question_masks_the_phone(skill_context: context.SkillContext) -> None:
    dispatcher = CollectingDispatcher()
    cancel.ActionAskCancelAppointmentFormConfirm().run(
        dispatcher, make_tracker({"appointment_reference": "A1001", "phone": PHONE}), DOMAIN)
    text = dispatcher.messages[0]["text"]
    assert "cancel appointment A1001" in text and "ending in 5 6 7 8" in text
    assert PHONE not in text


# --- cancelling -------------------------------------------------------------------------------


def test_cancel_happy_path(booking: dict[str, Any], services_server: Any) -> None:
    events, text = submit({"appointment_reference": booking["reference"], "phone": PHONE, "confirm": True})
    assert text.startswith("Your Eye appointment with Dr. Zhao on ")
    assert f"is cancelled. The reference was {booking['reference']}." in text
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]
    assert _status(services_server, booking["reference"]) == "cancelled"
    with services_server.kiosk() as kiosk:  # the time is free again for somebody else
        assert booking["slot_id"] in [s.id for s in kiosk.list_free_slots("Eye", booking["start"].date())]


def test_deny_cancels_nothing(booking: dict[str, Any], services_server: Any) -> None:
    events, text = submit({"appointment_reference": booking["reference"], "phone": PHONE, "confirm": False})
    assert "not cancelled anything" in text
    assert _status(services_server, booking["reference"]) == "booked"
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]


def test_wrong_phone_is_asked_once_more(booking: dict[str, Any], services_server: Any) -> None:
    slots = {"appointment_reference": booking["reference"], "phone": "13900000000", "confirm": True}
    events, text = submit(slots)
    assert f"does not match appointment {booking['reference']}" in text
    assert events == [SlotSet("phone", None), SlotSet("cancel_attempts", 1), FollowupAction(cancel.FORM)]
    assert _status(services_server, booking["reference"]) == "booked"
    # second wrong number: sent to reception, nothing cancelled
    events, text = submit({**slots, "cancel_attempts": 1})
    assert "still does not match" in text and "clinic reception" in text
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]
    assert _status(services_server, booking["reference"]) == "booked"
    # right number on the retry: cancelled
    _, text = submit({**slots, "phone": PHONE, "cancel_attempts": 1})
    assert "is cancelled" in text
    assert _status(services_server, booking["reference"]) == "cancelled"


def test_unknown_reference(skill_context: context.SkillContext) -> None:
    events, text = submit({"appointment_reference": "A99999", "phone": PHONE, "confirm": True})
    assert "cannot find an appointment with reference A99999" in text
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]


def test_form_stopped_early(skill_context: context.SkillContext) -> None:
    events, text = submit({"appointment_reference": "A1001"})
    assert text == ""
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]


def test_services_down(services_down: context.SkillContext) -> None:
    events, text = submit({"appointment_reference": "A1001", "phone": PHONE, "confirm": True})
    assert "cannot reach the clinic's booking system" in text and "nothing was cancelled" in text
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]
    assert services_down.outbox.items() == []
