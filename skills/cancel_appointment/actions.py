"""Cancel a Community Clinic appointment: reference → phone number → confirm → cancel.

The services API checks that the phone number is the one the booking was made with; a wrong number is
asked once more. Cancelling is never queued: when the clinic system cannot be reached, nothing is
cancelled and the resident is told so.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services
from assistant.skill_runtime.parsing import mask_phone, parse_phone, parse_reference, spoken_day, spoken_time
from community_services.client import NotFound, ServicesError, ServicesRejected, ServicesUnavailable

FORM = "cancel_appointment_form"
FORM_SLOTS = ("appointment_reference", "phone", "confirm", "cancel_attempts")
MAX_INPUT = 300
PHONE_RETRIES = 1
"""A wrong phone number is asked again this many times before the resident is sent to reception."""
_SAID_REFERENCE = re.compile(r"\ba\s*-?\s*\d", re.IGNORECASE)

CLINIC_DOWN = ("I cannot reach the clinic's booking system now, so nothing was cancelled. "
               "Please try again later, or call the clinic reception.")


def today() -> date:
    return date.today()


def clean_text(value: Any) -> str:
    if value is None:
        return ""
    kept = [" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(value)
            if unicodedata.category(ch) not in ("Cf", "Cs", "Co")]
    return " ".join("".join(kept).split())


def reference_from(value: Any) -> str | None:
    """"A1001" from "a 1001", "A one zero zero one" or "1001"; ``None`` for anything else."""
    text = clean_text(value)
    if not text or len(text) > MAX_INPUT:
        return None
    if parse_phone(text):  # a phone number said by mistake is not a reference
        return None
    return parse_reference(text, "A")


def phone_from(value: Any) -> str | None:
    text = clean_text(value)
    if not text or len(text) > MAX_INPUT:
        return None
    return parse_phone(text)


def reset_events() -> list[EventType]:
    return [SlotSet(name, None) for name in FORM_SLOTS]


class ValidateCancelAppointmentForm(FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_appointment_form"

    def extract_appointment_reference(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        """"Cancel my appointment A1001": take the reference from the first sentence."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if (tracker.get_slot("requested_slot") is not None or intent != "cancel_appointment"
                or tracker.get_slot("appointment_reference") is not None):
            return {}
        text = clean_text(tracker.latest_message.get("text"))[:MAX_INPUT]
        if text.startswith("/") or not _SAID_REFERENCE.search(text):
            return {}
        reference = parse_reference(text, "A")
        return {"appointment_reference": reference} if reference else {}

    def validate_appointment_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"appointment_reference": None}
        reference = reference_from(value)
        if reference is None:
            dispatcher.utter_message(
                text="Sorry, I did not catch the reference. It starts with A and is on your booking slip, "
                     "for example A1001."
            )
        return {"appointment_reference": reference}

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"phone": None}
        phone = phone_from(value)
        if phone is None:
            dispatcher.utter_message(
                text="Sorry, I did not catch a phone number. Please say all the digits, for example 138 0013 8000."
            )
        return {"phone": phone}

    def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        return {"confirm": value if isinstance(value, bool) else None}


class ActionAskCancelAppointmentFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_cancel_appointment_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = tracker.get_slot("appointment_reference")
        phone = tracker.get_slot("phone") or ""
        dispatcher.utter_message(
            text=f"Shall I cancel appointment {reference}, booked with the phone number {mask_phone(phone)}? "
                 "Please say yes or no.",
            buttons=[{"title": "Yes, cancel it", "payload": "/affirm"},
                     {"title": "No, keep it", "payload": "/deny"}],
        )
        return []


class ActionSubmitCancelAppointment(Action):
    def name(self) -> str:
        return "action_submit_cancel_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        confirm = tracker.get_slot("confirm")
        if confirm is None:
            return reset_events()
        if confirm is False:
            dispatcher.utter_message(text="All right, I have not cancelled anything. Your appointment stays booked.")
            return reset_events()
        reference = reference_from(tracker.get_slot("appointment_reference"))
        phone = phone_from(tracker.get_slot("phone"))
        if reference is None or phone is None:
            dispatcher.utter_message(text="Sorry, some of the details were missing, so nothing was cancelled. "
                                          "Please start again.")
            return reset_events()
        try:
            appointment = services().cancel_appointment(reference, phone)
        except NotFound:
            dispatcher.utter_message(
                text=f"I cannot find an appointment with reference {reference}. Please check the number on your "
                     "booking slip, or ask at the clinic reception."
            )
            return reset_events()
        except ServicesRejected as e:
            if e.status == 403:
                return self._wrong_phone(dispatcher, tracker, reference)
            dispatcher.utter_message(text="The clinic system did not accept that, so nothing was cancelled. "
                                          "Please ask at the clinic reception.")
            return reset_events()
        except (ServicesUnavailable, ServicesError):
            dispatcher.utter_message(text=CLINIC_DOWN)
            return reset_events()
        when = f"{spoken_day(appointment.start.date(), today())} at {spoken_time(appointment.start)}"
        dispatcher.utter_message(
            text=f"Your {appointment.department} appointment with {appointment.doctor} on {when} is cancelled. "
                 f"The reference was {appointment.reference}."
        )
        return reset_events()

    @staticmethod
    def _wrong_phone(dispatcher: CollectingDispatcher, tracker: Tracker, reference: str) -> list[EventType]:
        attempts = tracker.get_slot("cancel_attempts")
        attempts = attempts if isinstance(attempts, int) else 0
        if attempts >= PHONE_RETRIES:
            dispatcher.utter_message(
                text=f"That phone number still does not match appointment {reference}, so nothing was cancelled. "
                     "Please ask at the clinic reception, and bring your identity card."
            )
            return reset_events()
        dispatcher.utter_message(
            text=f"That phone number does not match appointment {reference}. "
                 "Please tell me the phone number you gave when you booked."
        )
        # Ask only for the phone again; the resident already said yes, so the form then cancels.
        return [SlotSet("phone", None), SlotSet("cancel_attempts", attempts + 1), FollowupAction(FORM)]
