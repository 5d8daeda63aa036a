"""Cancel a Community Clinic appointment: reference → household card or phone → PIN → confirm → cancel.

The office verifies the household (``assistant/skill_runtime/verification.py``) and checks that the booking's
phone number is one of the household's; a wrong PIN is asked once more, then a person is offered. Cancelling is
never queued: when the clinic system cannot be reached, nothing is cancelled and the resident is told so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime import verification
from assistant.skill_runtime.context import services
from assistant.skill_runtime.form_helpers import (
    MAX_INPUT,
    ButtonConfirm,
    ask_to_confirm,
    checked_answer,
    clear_slots,
    confirmed,
    form_starting,
    latest_words,
)
from assistant.skill_runtime.parsing import parse_phone, parse_reference, spoken_day, spoken_time
from assistant.skill_runtime.resident_text import one_line
from community_services.client import NotFound, ServicesError, ServicesRejected, TooManyRequests

FORM = "cancel_appointment_form"
FORM_SLOTS = ("appointment_reference", "confirm", *verification.SLOTS)

CLINIC_DOWN = ("I cannot reach the clinic's booking system now, so nothing was cancelled. "
               "Please try again later, or call the clinic reception.")


def today() -> date:
    return date.today()


def reference_from(value: Any) -> str | None:
    """"A1001" from "a 1001", "A one zero zero one" or "1001"; ``None`` for anything else."""
    text = one_line(value)
    if not text or len(text) > MAX_INPUT:
        return None
    if parse_phone(text):  # a phone number said by mistake is not a reference
        return None
    return parse_reference(text, "A")


class ValidateCancelAppointmentForm(verification.ResidentAnswers, ButtonConfirm, FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_appointment_form"

    def extract_appointment_reference(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        """"Cancel my appointment A1001": take the reference from the first sentence."""
        if not form_starting(tracker, "cancel_appointment") or tracker.get_slot("appointment_reference") is not None:
            return {}
        reference = parse_reference(latest_words(tracker), "A", explicit=True)
        return {"appointment_reference": reference} if reference else {}

    def validate_appointment_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        return checked_answer("appointment_reference", value, dispatcher, reference_from,
                              "Sorry, I did not catch the reference. It starts with A and is on your booking slip, "
                              "for example A1001.")


class ActionAskCancelAppointmentFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_cancel_appointment_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = tracker.get_slot("appointment_reference")
        return ask_to_confirm(
            dispatcher,
            f"Shall I cancel appointment {reference}? Please say yes or no.",
            yes="Yes, cancel it", no="No, keep it",
        )


class ActionSubmitCancelAppointment(Action):
    def name(self) -> str:
        return "action_submit_cancel_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not confirmed(tracker, dispatcher,
                         declined="All right, I have not cancelled anything. Your appointment stays booked."):
            return clear_slots(FORM_SLOTS)
        reference = reference_from(tracker.get_slot("appointment_reference"))
        if reference is None:
            dispatcher.utter_message(text="Sorry, some of the details were missing, so nothing was cancelled. "
                                          "Please start again.")
            return clear_slots(FORM_SLOTS)
        token, events = verification.verified(tracker, dispatcher, FORM)
        if token is None:
            return events if verification.asks_again(events) else [*events, *clear_slots(FORM_SLOTS)]
        try:
            appointment = services().cancel_appointment(reference, resident_token=token)
        except NotFound:
            dispatcher.utter_message(
                text=f"I cannot find an appointment with reference {reference}. Please check the number on your "
                     "booking slip, or ask at the clinic reception."
            )
            return [*events, *clear_slots(FORM_SLOTS)]
        except ServicesRejected as e:
            if e.code == "not_your_household":
                dispatcher.utter_message(
                    text=f"Appointment {reference} was booked with a phone number of another household, so I have "
                         "not cancelled it. Please ask at the clinic reception; they will help you.")
            elif e.code == "verification_required":  # the token ran out meanwhile
                dispatcher.utter_message(text="Sorry, that took a little long, so nothing was cancelled. "
                                              "Please ask me again.")
                events += [SlotSet(verification.TOKEN, None), SlotSet(verification.UNTIL, None)]
            else:
                dispatcher.utter_message(text="The clinic system did not accept that, so nothing was cancelled. "
                                              "Please ask at the clinic reception.")
            return [*events, *clear_slots(FORM_SLOTS)]
        except TooManyRequests as e:
            dispatcher.utter_message(text=f"{e.message} Nothing was cancelled.")
            return [*events, *clear_slots(FORM_SLOTS)]
        except ServicesError:
            dispatcher.utter_message(text=CLINIC_DOWN)
            return [*events, *clear_slots(FORM_SLOTS)]
        when = f"{spoken_day(appointment.start.date(), today())} at {spoken_time(appointment.start)}"
        dispatcher.utter_message(
            text=f"Your {appointment.department} appointment with {appointment.doctor} on {when} is cancelled. "
                 f"The reference was {appointment.reference}."
        )
        return [*events, *clear_slots(FORM_SLOTS)]
