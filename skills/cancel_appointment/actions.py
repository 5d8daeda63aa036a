"""Cancel a Community Clinic appointment: reference → household card or phone → PIN → confirm → cancel.

The office verifies the household (``assistant/skill_runtime/verification.py``) and checks that the booking's
phone number is one of the household's; a wrong PIN is asked once more, then a person is offered. Cancelling is
never queued: when the clinic system cannot be reached, nothing is cancelled and the resident is told so.
Every sentence is a response (skill.yml, locale/zh-CN.yml); the department, doctor and day are values in the
conversation's language.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime import spoken_when, verification
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
from assistant.skill_runtime.parsing import parse_phone, parse_reference
from assistant.skill_runtime.resident_text import one_line
from assistant.skill_runtime.words import language_of
from community_services.client import NotFound, ServicesError, ServicesRejected, TooManyRequests
from community_services.schemas import Appointment

FORM = "cancel_appointment_form"
FORM_SLOTS = ("appointment_reference", "confirm", *verification.SLOTS)

CLINIC_DOWN = "utter_cancel_clinic_down"
REFERENCE_SORRY = "utter_cancel_reference_sorry"


def today() -> date:
    return date.today()


def reference_from(value: Any) -> str | None:
    """"A1001" from "a 1001", "A one zero zero one", "A幺零零一", "Ａ１００１" or "1001"; ``None`` for anything else."""
    text = unicodedata.normalize("NFKC", one_line(value))
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
        reference = parse_reference(unicodedata.normalize("NFKC", latest_words(tracker)), "A", explicit=True)
        return {"appointment_reference": reference} if reference else {}

    def validate_appointment_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        return checked_answer("appointment_reference", value, dispatcher, reference_from, REFERENCE_SORRY)


class ActionAskCancelAppointmentFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_cancel_appointment_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = tracker.get_slot("appointment_reference")
        return ask_to_confirm(dispatcher, "utter_confirm_cancel", reference=reference)


class ActionSubmitCancelAppointment(Action):
    def name(self) -> str:
        return "action_submit_cancel_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not confirmed(tracker, dispatcher,
                         declined="utter_cancel_declined"):
            return clear_slots(FORM_SLOTS)
        reference = reference_from(tracker.get_slot("appointment_reference"))
        if reference is None:
            dispatcher.utter_message(response="utter_cancel_details_missing")
            return clear_slots(FORM_SLOTS)
        token, events = verification.verified(tracker, dispatcher, FORM)
        if token is None:
            return events if verification.asks_again(events) else [*events, *clear_slots(FORM_SLOTS)]
        try:
            appointment = services().cancel_appointment(reference, resident_token=token)
        except NotFound:
            dispatcher.utter_message(response="utter_cancel_not_found", reference=reference)
            return [*events, *clear_slots(FORM_SLOTS)]
        except ServicesRejected as e:
            if e.code == "not_your_household":
                dispatcher.utter_message(response="utter_cancel_not_your_household", reference=reference)
            elif e.code == "verification_required":  # the token ran out meanwhile
                dispatcher.utter_message(response="utter_cancel_took_too_long")
                events += [SlotSet(verification.TOKEN, None), SlotSet(verification.UNTIL, None)]
            else:
                dispatcher.utter_message(response="utter_cancel_refused")
            return [*events, *clear_slots(FORM_SLOTS)]
        except TooManyRequests:
            dispatcher.utter_message(response="utter_cancel_busy")
            return [*events, *clear_slots(FORM_SLOTS)]
        except ServicesError:
            dispatcher.utter_message(response=CLINIC_DOWN)
            return [*events, *clear_slots(FORM_SLOTS)]
        language = language_of(tracker)
        department, doctor = clinic_names(appointment, language)
        dispatcher.utter_message(response="utter_appointment_cancelled", department=department, doctor=doctor,
                                 day=spoken_when.day(appointment.start.date(), today(), language),
                                 time=spoken_when.clock(appointment.start, language),
                                 reference=appointment.reference)
        return [*events, *clear_slots(FORM_SLOTS)]


def clinic_names(appointment: Appointment, language: str) -> tuple[str, str]:
    """The appointment's department and doctor as the clinic names them in ``language`` ("眼科", "赵医生"): the
    clinic's department list in English and in that language, matched by the department's slug."""
    if language == spoken_when.SOURCE:
        return appointment.department, appointment.doctor
    try:
        english = services().list_departments()
        translated = {d.slug: d for d in services().list_departments(lang=language)}
    except ServicesError:
        return appointment.department, appointment.doctor
    for department in english:
        other = translated.get(department.slug)
        if department.name != appointment.department or other is None:
            continue
        doctors = dict(zip(department.doctors, other.doctors, strict=False))
        return other.name, doctors.get(appointment.doctor, appointment.doctor)
    return appointment.department, appointment.doctor
