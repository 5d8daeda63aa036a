"""cancel_appointment: reference, card/phone and PIN validation, and cancelling through the real services API
with the household verified there."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, household, perform, run_validation, said, skill_domain
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime import context, verification
from community_services.schemas import AppointmentCreate
from skills.cancel_appointment import actions as cancel

DOMAIN = skill_domain("cancel_appointment")
PHONE = "13712345678"
SLOT_NAMES = (*cancel.FORM_SLOTS, verification.TOKEN, verification.UNTIL)


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker(cancel.FORM, SLOT_NAMES, slots, active=False, **kw)


def validate(slots: dict[str, Any] | None = None, candidates: dict[str, Any] | None = None, **kw: Any
             ) -> tuple[dict[str, Any], list[str]]:
    return run_validation(cancel.ValidateCancelAppointmentForm(), make_tracker(slots, candidates=candidates, **kw),
                          DOMAIN)


def submit(slots: dict[str, Any], text: str = "") -> tuple[list[dict[str, Any]], str]:
    """The events, and the names of the responses said (no sentence is written in Python)."""
    events, dispatcher = submitted(slots, text)
    return events, said(dispatcher)


def submitted(slots: dict[str, Any], text: str = "") -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    events, dispatcher = perform(cancel.ActionSubmitCancelAppointment(), make_tracker(slots, text=text), DOMAIN)
    assert not any(m.get("text") for m in dispatcher.messages)
    return events, dispatcher


@pytest.fixture
def booking(skill_context: context.SkillContext, services_server: Any) -> dict[str, Any]:
    """A fresh Eye appointment made through the API, as if booked earlier at the kiosk, by a household's phone."""
    phone, card = household(services_server.db_path)
    with services_server.kiosk() as kiosk:
        slot = next(s for s in kiosk.list_free_slots("Eye") if s.start > datetime.now())
        appointment = kiosk.book_appointment(AppointmentCreate(slot_id=slot.id, patient_name="Zhao Min", phone=phone))
    return {"reference": appointment.reference, "slot_id": slot.id, "start": slot.start, "phone": phone,
            "card": card}


def verified_by(booking: dict[str, Any], pin: str = "2468", card: bool = False) -> dict[str, Any]:
    return {"appointment_reference": booking["reference"], "resident_login": booking["card" if card else "phone"],
            "resident_pin": pin, "confirm": True}


def _status(services_server: Any, reference: str) -> str:
    with services_server.staff() as staff:
        records = staff._request("GET", "/clinic/appointments").json()
    return str(next(r["status"] for r in records if r["reference"] == reference))


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("said", "reference"), [
    ("A1001", "A1001"), ("a 1001", "A1001"), ("it's A-1002", "A1002"), ("A one zero zero three", "A1003"),
    ("1004", "A1004"), ("the number on my slip is a1005", "A1005"), ("Ａ１００６", "A1006"), ("A幺零零七", "A1007"),
    ("预约号是A一零零八", "A1008"),
])
def test_reference_understood(skill_context: context.SkillContext, said: str, reference: str) -> None:
    slots, messages = validate(candidates={"appointment_reference": said}, requested_slot="appointment_reference")
    assert slots["appointment_reference"] == reference
    assert messages == []


@pytest.mark.parametrize("said", [*BAD_INPUTS, "I don't know", "138 0013 8000", "12", "我不知道，在那张纸上😅",
                                  "１３８００１３８０００"])
def test_reference_asked_again(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"appointment_reference": said}, requested_slot="appointment_reference")
    assert slots["appointment_reference"] is None
    assert messages == [cancel.REFERENCE_SORRY]


def test_reference_from_the_first_sentence(skill_context: context.SkillContext) -> None:
    slots, _ = validate(text="please cancel my appointment A 1 0 0 7", intent="cancel_appointment")
    assert slots["appointment_reference"] == "A1007"
    slots, _ = validate(text="cancel my 2 o'clock appointment", intent="cancel_appointment")
    assert slots.get("appointment_reference") is None
    slots, _ = validate(text="取消預約Ａ１００１", intent="cancel_appointment")
    assert slots["appointment_reference"] == "A1001"


@pytest.mark.parametrize("said", [*BAD_INPUTS, "my phone", "123"])
def test_card_or_phone_asked_again(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"resident_login": said}, requested_slot="resident_login")
    assert slots["resident_login"] is None
    assert messages == [verification.LOGIN_SORRY]


@pytest.mark.parametrize(("said", "login"), [
    ("138 0013 8000", "13800138000"), ("one three eight double oh one three eight double oh oh", "13800138000"),
    ("LINLI-CARD:1:abcdefghijklmnop.qrstuvwxyz012345", "LINLI-CARD:1:abcdefghijklmnop.qrstuvwxyz012345"),
])
def test_card_or_phone_understood(skill_context: context.SkillContext, said: str, login: str) -> None:
    slots, messages = validate(candidates={"resident_login": said}, requested_slot="resident_login")
    assert slots["resident_login"] == login and messages == []


@pytest.mark.parametrize(("said", "pin"), [("2468", "2468"), ("2 4 6 8", "2468"), ("two four six eight", "2468"),
                                           ("246", None), ("my pin", None), ("", None)])
def test_pin_understood_or_asked_again(skill_context: context.SkillContext, said: str, pin: str | None) -> None:
    slots, messages = validate(candidates={"resident_pin": said}, requested_slot="resident_pin")
    assert slots["resident_pin"] == pin
    assert messages == ([] if pin else [verification.PIN_SORRY])


def test_no_verification_questions_while_the_conversation_holds_a_token(skill_context: context.SkillContext) -> None:
    import asyncio
    import time

    form = cancel.ValidateCancelAppointmentForm()
    slots = ["appointment_reference", "resident_login", "resident_pin", "confirm"]
    fresh = make_tracker({"resident_token": "t", "resident_token_until": time.time() + 300})
    stale = make_tracker({"resident_token": "t", "resident_token_until": time.time() - 1})
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), fresh, DOMAIN)) == [
        "appointment_reference", "confirm"]
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), stale, DOMAIN)) == slots


def test_confirm_question_says_no_phone(skill_context: context.SkillContext) -> None:
    dispatcher = CollectingDispatcher()
    cancel.ActionAskCancelAppointmentFormConfirm().run(
        dispatcher, make_tracker({"appointment_reference": "A1001", "resident_login": PHONE}), DOMAIN)
    assert dispatcher.messages == [{**dispatcher.messages[0], "response": "utter_confirm_cancel", "reference": "A1001"}]
    assert "5678" not in str(dispatcher.messages)
    buttons = DOMAIN["responses"]["utter_confirm_cancel"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]


# --- cancelling -------------------------------------------------------------------------------


def test_cancel_happy_path(booking: dict[str, Any], services_server: Any) -> None:
    events, dispatcher = submitted(verified_by(booking))
    [message] = dispatcher.messages
    assert message["response"] == "utter_appointment_cancelled"
    assert (message["department"], message["doctor"], message["reference"]) == ("Eye", "Dr. Zhao",
                                                                                 booking["reference"])
    assert message["time"] and message["day"].endswith(booking["start"].strftime("%B"))
    token = next(e["value"] for e in events if e["name"] == verification.TOKEN)
    assert token and SlotSet(verification.TOKEN, token) in events  # kept for the rest of the visit
    assert all(SlotSet(name, None) in events for name in cancel.FORM_SLOTS)
    assert _status(services_server, booking["reference"]) == "cancelled"
    with services_server.kiosk() as kiosk:  # the time is free again for somebody else
        assert booking["slot_id"] in [s.id for s in kiosk.list_free_slots("Eye", booking["start"].date())]


def test_cancel_with_the_household_card(booking: dict[str, Any], services_server: Any) -> None:
    _, text = submit(verified_by(booking, card=True), text="要")
    assert text == "utter_appointment_cancelled"
    assert _status(services_server, booking["reference"]) == "cancelled"


def test_deny_cancels_nothing(booking: dict[str, Any], services_server: Any) -> None:
    events, text = submit({**verified_by(booking), "confirm": False})
    assert text == "utter_cancel_declined"
    assert _status(services_server, booking["reference"]) == "booked"
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]


def test_another_households_booking_is_not_cancelled(booking: dict[str, Any], services_server: Any) -> None:
    other, _ = household(services_server.db_path)
    _, text = submit({**verified_by(booking), "resident_login": other})
    assert text == "utter_cancel_not_your_household"
    assert _status(services_server, booking["reference"]) == "booked"


def test_wrong_pin_is_asked_once_more_then_a_person_is_offered(booking: dict[str, Any], services_server: Any) -> None:
    slots = verified_by(booking, pin="9753")
    events, text = submit(slots)
    assert text == verification.TRY_AGAIN
    assert events == [SlotSet("resident_login", None), SlotSet("resident_pin", None), SlotSet("resident_tries", 1),
                      FollowupAction(cancel.FORM)]
    assert _status(services_server, booking["reference"]) == "booked"
    # second wrong PIN: a person is offered, kindly; nothing cancelled
    events, dispatcher = perform(cancel.ActionSubmitCancelAppointment(), make_tracker({**slots, "resident_tries": 1}),
                                 DOMAIN)
    assert said(dispatcher) == verification.OFFER_PERSON  # its buttons (talk to a person) are in the response
    assert _status(services_server, booking["reference"]) == "booked"
    # right PIN on the retry: cancelled
    _, text = submit({**slots, "resident_pin": "2468", "resident_tries": 1})
    assert text == "utter_appointment_cancelled"
    assert _status(services_server, booking["reference"]) == "cancelled"


def test_five_wrong_pins_lock_and_the_resident_is_sent_to_the_office(booking: dict[str, Any],
                                                                     services_server: Any) -> None:
    for _ in range(4):
        submit({**verified_by(booking, pin="9753"), "resident_tries": 1})
    _, text = submit({**verified_by(booking, pin="9753"), "resident_tries": 0})  # a "new conversation"
    assert text == verification.LOCKED
    _, text = submit(verified_by(booking))  # even the right PIN, while locked
    assert text == verification.LOCKED
    assert _status(services_server, booking["reference"]) == "booked"


def test_unknown_reference(booking: dict[str, Any]) -> None:
    events, dispatcher = submitted({**verified_by(booking), "appointment_reference": "A99999"})
    assert [(m["response"], m["reference"]) for m in dispatcher.messages] == [("utter_cancel_not_found", "A99999")]


def test_form_stopped_early(skill_context: context.SkillContext) -> None:
    events, text = submit({"appointment_reference": "A1001"})
    assert text == ""
    assert events == [SlotSet(name, None) for name in cancel.FORM_SLOTS]


def test_services_down(services_down: context.SkillContext) -> None:
    events, text = submit({"appointment_reference": "A1001", "resident_login": PHONE, "resident_pin": "2468",
                           "confirm": True})
    assert text == verification.DOWN
    assert all(SlotSet(name, None) in events for name in cancel.FORM_SLOTS)
    assert services_down.outbox.items() == []


def test_the_cancelled_appointment_is_said_in_chinese(booking: dict[str, Any], services_server: Any) -> None:
    """A Chinese conversation hears the clinic's Chinese names for the department and the doctor."""
    from rasa_sdk import Tracker

    if all(d.name.isascii() for d in context.services().list_departments(lang="zh-CN")):
        pytest.skip("this office system does not serve Chinese names yet (lang= on the services API)")
    base = make_tracker(verified_by(booking), text="要，取消吧")
    tracker = Tracker(base.sender_id, base.slots, {**base.latest_message, "metadata": {"locale": "zh-CN"}},
                      [{**base.events[0], "metadata": {"locale": "zh-CN"}}], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    cancel.ActionSubmitCancelAppointment().run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_appointment_cancelled"
    assert (message["department"], message["doctor"]) == ("眼科", "赵医生")
    assert "礼拜" in message["day"] and "点" in message["time"]
