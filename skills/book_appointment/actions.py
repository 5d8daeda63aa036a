"""Book a Community Clinic appointment: department → day → free time → name → phone → confirm.

The booking goes straight to the services API (not the outbox): a time slot must be confirmed live, so
when the clinic system cannot be reached the resident is told so and nothing is pretended.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services
from assistant.skill_runtime.form_helpers import (
    MAX_INPUT,
    ButtonConfirm,
    PhoneAnswer,
    ask_to_confirm,
    checked_answer,
    clear_slots,
    confirmed,
    form_starting,
    idempotency_key,
    latest_words,
    name_lead_ins,
    phone_from,
    read_name,
)
from assistant.skill_runtime.parsing import (
    mask_phone,
    parse_clock_time,
    parse_day,
    spoken_day,
    spoken_list,
    spoken_time,
)
from assistant.skill_runtime.resident_text import one_line
from community_services.client import NotFound, ServicesError, ServicesRejected, ServicesUnavailable, TooManyRequests
from community_services.schemas import AppointmentCreate, Slot

FORM = "appointment_form"
FORM_SLOTS = ("department", "appointment_day", "slot_time", "slot_id", "appointment_doctor", "patient_name",
              "phone", "confirm")
DEPARTMENTS = ("General Practice", "Dental", "Eye", "Physiotherapy", "Traditional Chinese Medicine")
MAX_DAYS_AHEAD = 14
"""Bookings are open for today and the next two weeks."""
OFFERED_TIMES = 4
OFFERED_DAYS = 4

CLINIC_DOWN = ("I cannot reach the clinic's booking system now. "
               "Please try again later, or call the clinic reception.")

# Checked in order: the first department whose words appear in what the resident said wins.
_DEPARTMENT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Traditional Chinese Medicine", re.compile(
        r"\btcm\b|chinese (medicine|doctor)|acupuncture|herbal|cupping|\bdr\.? sun\b|中医|针灸")),
    ("Dental", re.compile(r"\bdent|\bteeth\b|\btooth|\bgums?\b|\bdr\.? li\b|牙")),
    ("Eye", re.compile(r"\beyes?\b|glasses|eyesight|\bsight\b|\bvision\b|optic|ophthalm|\bdr\.? zhao\b|眼")),
    ("Physiotherapy", re.compile(
        r"physio|physical therap|back pain|\bmy back\b|massage|rehab|\bknees?\b|shoulder|\bms\.? liu\b|"
        r"理疗|康复")),
    ("General Practice", re.compile(
        r"\bgp\b|general|family doctor|check ?-?up|\bdoctor\b|\bcough|\bfever|\bcold\b|blood pressure|"
        r"\bdr\.? (wang|chen)\b|全科")),
)
_FIRST = re.compile(r"\b(first|1st|earliest|soonest|as (early|soon) as possible|number one|any ?(day|time)|"
                    r"whichever|whenever|don'?t mind|does ?n[o']t matter)\b")
_ORDINALS: tuple[tuple[re.Pattern[str], int], ...] = (
    (_FIRST, 0),
    (re.compile(r"\b(second|2nd|number two)\b"), 1),
    (re.compile(r"\b(third|3rd|number three)\b"), 2),
    (re.compile(r"\b(fourth|4th|number four)\b"), 3),
    (re.compile(r"\b(last|latest|final)\b"), -1),
)
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b")
_NAME_LEAD_INS = name_lead_ins(r"the\s+patient\s+is", r"patient\s+is")


# --- small helpers shared by the actions -------------------------------------------------------


def today() -> date:
    return date.today()


def find_department(text: Any) -> str | None:
    """The clinic department a resident means ("my teeth" → Dental), or ``None``."""
    low = one_line(text).lower()[:MAX_INPUT]
    if not low:
        return None
    for name in DEPARTMENTS:
        if low == name.lower():
            return name
    for name, pattern in _DEPARTMENT_WORDS:
        if pattern.search(low):
            return name
    return None


def ordinal_choice(text: str) -> int | None:
    """0 for "the first one" / "the earliest", 1 for "the second", -1 for "the last one"; else None."""
    low = text.lower()
    for pattern, index in _ORDINALS:
        if pattern.search(low):
            return index
    return None


def clean_name(value: Any) -> str | None:
    """The patient's name from "the patient is zhang wei" → "Zhang Wei"; ``None`` if it is not a name."""
    return read_name(value, _NAME_LEAD_INS)


def as_day(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def free_slots(department: str, day: date) -> list[Slot]:
    """Free slots on ``day``, earliest first, one per start time (two GPs may share a time)."""
    now = datetime.now()
    seen: set[datetime] = set()
    out: list[Slot] = []
    for slot in sorted(services().list_free_slots(department, day), key=lambda s: s.start):
        if slot.start <= now or slot.start in seen:
            continue
        seen.add(slot.start)
        out.append(slot)
    return out


def free_days(department: str, limit: int = OFFERED_DAYS) -> list[date]:
    """The next days (within the booking window) that still have a free slot."""
    now = datetime.now()
    last = today() + timedelta(days=MAX_DAYS_AHEAD)
    days: list[date] = []
    for slot in sorted(services().list_free_slots(department), key=lambda s: s.start):
        day = slot.start.date()
        if slot.start <= now or day > last or day in days:
            continue
        days.append(day)
        if len(days) >= limit:
            break
    return days


def choose_slot(text: str, offered: list[Slot], all_free: list[Slot]) -> Slot | None:
    """The slot meant by "the first one", "9:20", "half past nine" or a button's "9:20 am"."""
    if not offered:
        return None
    index = ordinal_choice(text)
    if index is not None:
        return offered[index] if -len(offered) <= index < len(offered) else None
    wanted = parse_clock_time(text)
    if wanted is None:
        return None
    for slot in all_free:
        if slot.start.time() == wanted:
            return slot
    # "at nine" said for a morning-only clinic: parse_clock_time reads 1-6 as afternoon; try the morning.
    if wanted.hour >= 13 and not re.search(r"\b(pm|p\.m\.|afternoon|evening)\b", text.lower()):
        morning = wanted.replace(hour=wanted.hour - 12)
        return next((s for s in all_free if s.start.time() == morning), None)
    return None


def ask_for_day(dispatcher: CollectingDispatcher, department: str | None) -> list[EventType]:
    """Ask for the day, naming the next days with free times; stops the form if there are none."""
    if department is None:
        dispatcher.utter_message(response="utter_ask_appointment_day")
        return []
    try:
        days = free_days(department)
    except ServicesError:
        dispatcher.utter_message(text=CLINIC_DOWN)
        return [SlotSet("requested_slot", None)]
    if not days:
        dispatcher.utter_message(
            text=f"There are no free {department} times in the next two weeks. "
                 "Please ask at the clinic reception about a later day."
        )
        return [SlotSet("requested_slot", None)]
    now = today()
    names = [spoken_day(d, now) for d in days]
    dispatcher.utter_message(
        text=f"The next days with free {department} times are {spoken_list(names)}. "
             "Which day would you like? You can say a day, or the first one.",
        buttons=[{"title": spoken_day(d, now)[:60],
                  "payload": "/book_appointment" + json.dumps({"appointment_day": d.isoformat()})}
                 for d in days],
    )
    return []


# --- the form ----------------------------------------------------------------------------------


class ValidateAppointmentForm(PhoneAnswer, ButtonConfirm, FormValidationAction):
    def name(self) -> str:
        return "validate_appointment_form"

    # Filled from the resident's first sentence ("the dentist on Thursday") when NLU found no entity.
    def extract_department(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        if not form_starting(tracker, "book_appointment") or tracker.get_slot("department") is not None:
            return {}
        found = find_department(latest_words(tracker))
        return {"department": found} if found else {}

    def extract_appointment_day(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if not form_starting(tracker, "book_appointment") or tracker.get_slot("appointment_day") is not None:
            return {}
        now = today()
        day = parse_day(latest_words(tracker), now)
        # Only a day inside the booking window: "a cough since 2 May" is not the day they want to come.
        if day is None or not now <= day <= now + timedelta(days=MAX_DAYS_AHEAD):
            return {}
        return {"appointment_day": day.isoformat()}

    def validate_department(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"department": None}
        found = find_department(value)
        if found is None:
            dispatcher.utter_message(
                text="Sorry, I did not catch which part of the clinic. We have General Practice, Dental, "
                     "Eye, Physiotherapy and Traditional Chinese Medicine."
            )
            return {"department": None}
        return {"department": found}

    def validate_appointment_day(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"appointment_day": None}
        text = one_line(value)[:MAX_INPUT]
        now = today()
        department = find_department(tracker.get_slot("department"))
        day = parse_day(text, now) if text else None
        if day is None and department and not _MONTH.search(text.lower()):
            index = ordinal_choice(text)
            if index is not None:
                try:
                    days = free_days(department)
                except ServicesError:
                    dispatcher.utter_message(text=CLINIC_DOWN)
                    return {"appointment_day": None, "requested_slot": None}
                if days and -len(days) <= index < len(days):
                    day = days[index]
        if day is None:
            dispatcher.utter_message(
                text="Sorry, I did not catch the day. Please say a day like tomorrow, Thursday, or 26 November."
            )
            return {"appointment_day": None}
        if day < now:
            dispatcher.utter_message(text="That day has already passed. Please choose a day from today on.")
            return {"appointment_day": None}
        if day > now + timedelta(days=MAX_DAYS_AHEAD):
            last = spoken_day(now + timedelta(days=MAX_DAYS_AHEAD), now)
            dispatcher.utter_message(
                text=f"I can only book up to two weeks ahead, until {last}. Please choose an earlier day."
            )
            return {"appointment_day": None}
        if department is not None:
            try:
                slots = free_slots(department, day)
            except ServicesError:
                dispatcher.utter_message(text=CLINIC_DOWN)
                return {"appointment_day": None, "requested_slot": None}
            if not slots:
                dispatcher.utter_message(text=f"Sorry, there are no free {department} times on "
                                              f"{spoken_day(day, now)}.")
                return {"appointment_day": None}
        return {"appointment_day": day.isoformat()}

    def validate_slot_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"slot_time": None, "slot_id": None}
        department = find_department(tracker.get_slot("department"))
        day = as_day(tracker.get_slot("appointment_day"))
        if department is None or day is None:
            return {"slot_time": None, "slot_id": None}
        try:
            slots = free_slots(department, day)
        except ServicesError:
            dispatcher.utter_message(text=CLINIC_DOWN)
            return {"slot_time": None, "slot_id": None, "requested_slot": None}
        if not slots:
            dispatcher.utter_message(
                text=f"Sorry, there are no free times left on {spoken_day(day, today())}. Let us pick another day."
            )
            return {"slot_time": None, "slot_id": None, "appointment_day": None}
        offered = slots[:OFFERED_TIMES]
        chosen = choose_slot(one_line(value)[:MAX_INPUT], offered, slots)
        if chosen is None:
            times = spoken_list([spoken_time(s.start) for s in offered])
            dispatcher.utter_message(
                text=f"Sorry, that time is not free. The free times are {times}. You can also say the first one."
            )
            return {"slot_time": None, "slot_id": None}
        return {"slot_time": spoken_time(chosen.start), "slot_id": chosen.id, "appointment_doctor": chosen.doctor}

    def validate_patient_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return checked_answer("patient_name", value, dispatcher, clean_name,
                              "Sorry, I did not catch the name. Please say the patient's full name, "
                              "for example Zhang Wei.")


class ActionAskAppointmentDay(Action):
    def name(self) -> str:
        return "action_ask_appointment_day"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_for_day(dispatcher, find_department(tracker.get_slot("department")))


class ActionAskSlotTime(Action):
    def name(self) -> str:
        return "action_ask_slot_time"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        department = find_department(tracker.get_slot("department"))
        day = as_day(tracker.get_slot("appointment_day"))
        if department is None or day is None:
            dispatcher.utter_message(response="utter_ask_slot_time")
            return []
        try:
            offered = free_slots(department, day)[:OFFERED_TIMES]
        except ServicesError:
            dispatcher.utter_message(text=CLINIC_DOWN)
            return [SlotSet("requested_slot", None)]
        when = spoken_day(day, today())
        if not offered:
            dispatcher.utter_message(text=f"Sorry, there are no free {department} times left on {when}.")
            return [SlotSet("appointment_day", None), SlotSet("requested_slot", "appointment_day"),
                    *ask_for_day(dispatcher, department)]
        doctors = sorted({s.doctor for s in offered})
        who = doctors[0] if len(doctors) == 1 else "the clinic"
        times = spoken_list([spoken_time(s.start) for s in offered])
        dispatcher.utter_message(
            text=f"On {when}, {who} has {times} free. Which time would you like? "
                 "You can say the time, or the first one.",
            buttons=[{"title": spoken_time(s.start),
                      "payload": "/book_appointment" + json.dumps({"slot_time": spoken_time(s.start)})}
                     for s in offered],
        )
        return []


class ActionAskAppointmentFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_appointment_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        day = as_day(tracker.get_slot("appointment_day"))
        doctor = tracker.get_slot("appointment_doctor")
        with_doctor = f" with {doctor}" if doctor else ""
        when = f"{spoken_day(day, today())} at {tracker.get_slot('slot_time')}" if day else "the chosen time"
        phone = tracker.get_slot("phone") or ""
        return ask_to_confirm(
            dispatcher,
            f"Please check: {tracker.get_slot('department')}{with_doctor}, {when}, "
            f"for {tracker.get_slot('patient_name')}, phone {mask_phone(phone)}. Shall I book it?",
            yes="Yes, book it",
        )


class ActionSubmitAppointment(Action):
    def name(self) -> str:
        return "action_submit_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not confirmed(tracker, dispatcher, declined="All right, I have not booked anything."):
            return clear_slots(FORM_SLOTS)
        department = find_department(tracker.get_slot("department")) or ""
        day = as_day(tracker.get_slot("appointment_day"))
        slot_id = tracker.get_slot("slot_id")
        name = clean_name(tracker.get_slot("patient_name"))
        phone = phone_from(tracker.get_slot("phone"))
        try:
            request = AppointmentCreate(slot_id=int(slot_id), patient_name=name, phone=phone)  # type: ignore[arg-type]
        except (TypeError, ValueError, ValidationError):
            dispatcher.utter_message(text="Sorry, some of the details were missing, so nothing was booked. "
                                          "Please start again.")
            return clear_slots(FORM_SLOTS)
        try:
            appointment = services().book_appointment(
                request, idempotency_key=idempotency_key(tracker, "book", slot_id, name, phone))
        except TooManyRequests as e:  # e.g. the day's bookings of one phone number: the office says so kindly
            dispatcher.utter_message(text=f"{e.message} Nothing was booked.")
            return clear_slots(FORM_SLOTS)
        except ServicesUnavailable:
            dispatcher.utter_message(text=CLINIC_DOWN)
            return clear_slots(FORM_SLOTS)
        except (ServicesRejected, NotFound) as e:
            if e.status in (404, 409) and day is not None:
                return self._slot_taken(dispatcher, tracker, department, day)
            dispatcher.utter_message(text="The clinic system did not accept the booking, so nothing was booked. "
                                          "Please ask at the clinic reception.")
            return clear_slots(FORM_SLOTS)
        except ServicesError:
            dispatcher.utter_message(text=CLINIC_DOWN)
            return clear_slots(FORM_SLOTS)
        when = f"{spoken_day(appointment.start.date(), today())} at {spoken_time(appointment.start)}"
        dispatcher.utter_message(
            text=f"You are booked: {appointment.department} with {appointment.doctor}, {when}. "
                 f"Your reference is {appointment.reference}. Please bring your identity card."
        )
        return clear_slots(FORM_SLOTS)

    @staticmethod
    def _slot_taken(dispatcher: CollectingDispatcher, tracker: Tracker, department: str,
                    day: date) -> list[EventType]:
        """Someone booked the time first: offer the next free times by asking the form again."""
        dispatcher.utter_message(
            text=f"Sorry, {tracker.get_slot('slot_time')} on {spoken_day(day, today())} was just booked "
                 "by someone else."
        )
        try:
            left = free_slots(department, day)
        except ServicesError:
            dispatcher.utter_message(text=CLINIC_DOWN)
            return clear_slots(FORM_SLOTS)
        events: list[EventType] = [SlotSet("slot_time", None), SlotSet("slot_id", None),
                                   SlotSet("appointment_doctor", None), SlotSet("confirm", None)]
        if not left:
            dispatcher.utter_message(text="There are no more free times that day.")
            events.append(SlotSet("appointment_day", None))
        return [*events, FollowupAction(FORM)]
