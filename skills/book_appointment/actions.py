"""Book a Community Clinic appointment: department → day → free time → name → phone → confirm.

The booking goes straight to the services API (not the outbox): a time slot must be confirmed live, so
when the clinic system cannot be reached the resident is told so and nothing is pretended.

Every sentence is a response (skill.yml, locale/zh-CN.yml). The slots hold the clinic's own (English) department
names and a 24-hour "09:20" time; what the resident hears (department, doctor, day, time) is put into the
conversation's language as a value (the clinic's names through ``lang=``, days and times with ``spoken_when``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime import spoken_when
from assistant.skill_runtime.context import services
from assistant.skill_runtime.form_helpers import (
    MAX_INPUT,
    PHONE_SORRY,
    ButtonConfirm,
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
from assistant.skill_runtime.parsing import parse_clock_time, parse_day
from assistant.skill_runtime.resident_text import one_line
from assistant.skill_runtime.words import language_of
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
DAILY_CAP_WAIT = 600
"""A 429 asking to wait longer than this (seconds) is the day's cap of bookings for one phone number."""

CLINIC_DOWN = "utter_clinic_down"

# Checked in order: the first department whose words appear in what the resident said wins.
_DEPARTMENT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Traditional Chinese Medicine", re.compile(
        r"\btcm\b|chinese (medicine|doctor)|acupuncture|herbal|cupping|\bdr\.? sun\b|中医|针灸|拔罐|草药|孙医生")),
    ("Dental", re.compile(r"\bdent|\bteeth\b|\btooth|\bgums?\b|\bdr\.? li\b|牙|口腔|李医生")),
    ("Eye", re.compile(r"\beyes?\b|glasses|eyesight|\bsight\b|\bvision\b|optic|ophthalm|\bdr\.? zhao\b|"
                       r"眼|赵医生")),
    ("Physiotherapy", re.compile(
        r"physio|physical therap|back pain|\bmy back\b|massage|rehab|\bknees?\b|shoulder|\bms\.? liu\b|"
        r"理疗|康复|推拿|按摩|腰疼|腰痛|膝盖|肩膀|刘老师")),
    ("General Practice", re.compile(
        r"\bgp\b|general|family doctor|check ?-?up|\bdoctor\b|\bcough|\bfever|\bcold\b|blood pressure|"
        r"\bdr\.? (wang|chen)\b|全科|内科|家庭医生|感冒|发烧|咳嗽|血压|体检|看病|王医生|陈医生|医生")),
)
_FIRST = re.compile(r"\b(first|1st|earliest|soonest|as (early|soon) as possible|number one|any ?(day|time)|"
                    r"whichever|whenever|don'?t mind|does ?n[o']t matter)\b"
                    r"|第一|头一个|最早|越早越好|尽早|随便|都行|都可以|哪天都|几点都")
_ORDINALS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(last|latest|final)\b|最后|最晚"), -1),
    (_FIRST, 0),
    (re.compile(r"\b(second|2nd|number two)\b|第二"), 1),
    (re.compile(r"\b(third|3rd|number three)\b|第三"), 2),
    (re.compile(r"\b(fourth|4th|number four)\b|第四"), 3),
)
_ZH_NUMBER = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"两": 2, "十": 10}
_ZH_CLOCK = re.compile(r"(凌晨|早上|早晨|上午|中午|下午|晚上)?\s*([零一二两三四五六七八九十\d]{1,3})\s*[点點:：]"
                       r"\s*(半|一刻|三刻|[零一二三四五六七八九十\d]{1,3})?\s*分?")
_ZH_NAME_LEAD_IN = re.compile(r"^(?:嗯|那个|病人|看病的|名字)?\s*(?:是|叫|叫做|姓名是|名字是|名字叫|我叫|我是)?\s*"
                              r"(?:我叫|我是|叫)?\s*")
_ZH_NOT_NAMES = re.compile(r"不|没|知道|什么|啥|取消|预约|医生|谢谢|好的|你好|电话|号码|帮|请问|算了")
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
    """0 for "the first one" / "the earliest" / "第一个", 1 for "the second", -1 for "the last one"; else None."""
    low = text.lower()
    for pattern, index in _ORDINALS:
        if pattern.search(low):
            return index
    return None


def clean_name(value: Any) -> str | None:
    """The patient's name from "the patient is zhang wei" → "Zhang Wei", "我叫张伟" → "张伟"; ``None`` if it is not
    a name."""
    text = unicodedata.normalize("NFKC", one_line(value))
    if re.search(r"[\u4e00-\u9fff]", text):
        if phone_from(text):  # a phone number said as words (幺三八…) is not a name
            return None
        name = _ZH_NAME_LEAD_IN.sub("", text.strip(" 。，,.!！?？")).strip(" 。，,.!！?？")
        # a Chinese name is two to four characters (a few more with "·"); not a sentence
        if re.fullmatch(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff·]{3,12}", name) and not _ZH_NOT_NAMES.search(name):
            return name
        return None
    return read_name(text, _NAME_LEAD_INS)


def clock_from(text: str) -> time | None:
    """A clock time said in English ("9:20", "half past nine") or Mandarin ("九点二十", "下午两点半", "10点")."""
    text = unicodedata.normalize("NFKC", text)
    found = _ZH_CLOCK.search(text)
    if found is None:
        return parse_clock_time(text)
    period, hour_words, minute_words = found.groups()
    hour, minute = _zh_number(hour_words), 0
    if minute_words:
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(minute_words) or _zh_number(minute_words) or 0
    if hour is None or not 0 <= hour <= 24 or not 0 <= minute < 60:
        return None
    if period in ("下午", "晚上") and hour < 12 or period == "中午" and hour < 3:
        hour += 12
    return time(hour % 24, minute)


def _zh_number(words: str) -> int | None:
    """"9", "九", "十", "十二", "二十" → a number below 100."""
    if words.isdigit():
        return int(words)
    if "十" in words:
        tens, _, ones = words.partition("十")
        return (_ZH_NUMBER.get(tens, 1) if tens else 1) * 10 + (_ZH_NUMBER.get(ones, 0) if ones else 0)
    if all(ch in _ZH_NUMBER for ch in words):
        return int("".join(str(_ZH_NUMBER[ch]) for ch in words))
    return None


def slot_clock(value: datetime) -> str:
    """The ``slot_time`` slot's value: the slot's start as "09:20" (said in the resident's language when read)."""
    return value.strftime("%H:%M")


def clinic_words(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """The clinic's department and doctor names in ``language`` by their English names ("Dental" → "牙科",
    "Dr. Li" → "李医生"); empty in English or when the clinic cannot say (the English names are used)."""
    if language == spoken_when.SOURCE:
        return {}, {}
    try:
        english = services().list_departments()
        translated = {d.slug: d for d in services().list_departments(lang=language)}
    except ServicesError:
        return {}, {}
    departments: dict[str, str] = {}
    doctors: dict[str, str] = {}
    for department in english:
        other = translated.get(department.slug)
        if other is not None:
            departments[department.name] = other.name
            doctors.update(zip(department.doctors, other.doctors, strict=False))
    return departments, doctors


def in_words(language: str, department: str | None, doctor: str | None = None) -> tuple[str, str]:
    """``department`` and ``doctor`` as the clinic names them in ``language``."""
    departments, doctors = clinic_words(language) if (department or doctor) else ({}, {})
    return departments.get(department or "", department or ""), doctors.get(doctor or "", doctor or "")


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
    wanted = clock_from(text)
    if wanted is None:
        return None
    for slot in all_free:
        if slot.start.time() == wanted:
            return slot
    # "at nine" said for a morning-only clinic: parse_clock_time reads 1-6 as afternoon; try the morning.
    if wanted.hour >= 13 and not re.search(r"\b(pm|p\.m\.|afternoon|evening)\b|下午|晚上", text.lower()):
        morning = wanted.replace(hour=wanted.hour - 12)
        return next((s for s in all_free if s.start.time() == morning), None)
    return None


def ask_for_day(dispatcher: CollectingDispatcher, department: str | None, language: str) -> list[EventType]:
    """Ask for the day, naming the next days with free times; stops the form if there are none."""
    if department is None:
        dispatcher.utter_message(response="utter_ask_appointment_day")
        return []
    try:
        days = free_days(department)
    except ServicesError:
        dispatcher.utter_message(response=CLINIC_DOWN)
        return [SlotSet("requested_slot", None)]
    said_department = in_words(language, department)[0]
    if not days:
        dispatcher.utter_message(response="utter_no_free_days", department=said_department)
        return [SlotSet("requested_slot", None)]
    now = today()
    names = [spoken_when.day(d, now, language) for d in days]
    dispatcher.utter_message(
        response="utter_free_days", department=said_department, days=spoken_when.listed(names, language),
        buttons=[{"title": name[:60], "payload": "/book_appointment" + json.dumps({"appointment_day": d.isoformat()})}
                 for d, name in zip(days, names, strict=True)],
    )
    return []


# --- the form ----------------------------------------------------------------------------------


class ValidateAppointmentForm(ButtonConfirm, FormValidationAction):
    def name(self) -> str:
        return "validate_appointment_form"

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        """Any mobile or landline, also typed with full-width digits (１３８…) on a Chinese keyboard."""
        return checked_answer("phone", value, dispatcher,
                              lambda v: phone_from(unicodedata.normalize("NFKC", one_line(v))), PHONE_SORRY)

    # Filled from the resident's first sentence ("the dentist on Thursday") when NLU found no entity.
    def extract_department(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        if not form_starting(tracker, "book_appointment") or tracker.get_slot("department") is not None:
            return {}
        found = find_department(unicodedata.normalize("NFKC", latest_words(tracker)))
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
            dispatcher.utter_message(response="utter_department_sorry")
            return {"department": None}
        return {"department": found}

    def validate_appointment_day(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"appointment_day": None}
        text = unicodedata.normalize("NFKC", one_line(value)[:MAX_INPUT])
        now = today()
        language = language_of(tracker)
        department = find_department(tracker.get_slot("department"))
        day = parse_day(text, now) if text else None
        if day is None and department and not _MONTH.search(text.lower()):
            index = ordinal_choice(text)
            if index is not None:
                try:
                    days = free_days(department)
                except ServicesError:
                    dispatcher.utter_message(response=CLINIC_DOWN)
                    return {"appointment_day": None, "requested_slot": None}
                if days and -len(days) <= index < len(days):
                    day = days[index]
        if day is None:
            dispatcher.utter_message(response="utter_day_sorry")
            return {"appointment_day": None}
        if day < now:
            dispatcher.utter_message(response="utter_day_passed")
            return {"appointment_day": None}
        if day > now + timedelta(days=MAX_DAYS_AHEAD):
            dispatcher.utter_message(response="utter_day_too_far",
                                     last=spoken_when.day(now + timedelta(days=MAX_DAYS_AHEAD), now, language))
            return {"appointment_day": None}
        if department is not None:
            try:
                slots = free_slots(department, day)
            except ServicesError:
                dispatcher.utter_message(response=CLINIC_DOWN)
                return {"appointment_day": None, "requested_slot": None}
            if not slots:
                dispatcher.utter_message(response="utter_no_free_times_on",
                                         department=in_words(language, department)[0],
                                         day=spoken_when.day(day, now, language))
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
        language = language_of(tracker)
        try:
            slots = free_slots(department, day)
        except ServicesError:
            dispatcher.utter_message(response=CLINIC_DOWN)
            return {"slot_time": None, "slot_id": None, "requested_slot": None}
        if not slots:
            dispatcher.utter_message(response="utter_no_times_left", day=spoken_when.day(day, today(), language))
            return {"slot_time": None, "slot_id": None, "appointment_day": None}
        offered = slots[:OFFERED_TIMES]
        chosen = choose_slot(one_line(value)[:MAX_INPUT], offered, slots)
        if chosen is None:
            dispatcher.utter_message(response="utter_time_not_free", times=spoken_when.listed(
                [spoken_when.clock(s.start, language) for s in offered], language))
            return {"slot_time": None, "slot_id": None}
        return {"slot_time": slot_clock(chosen.start), "slot_id": chosen.id, "appointment_doctor": chosen.doctor}

    def validate_patient_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return checked_answer("patient_name", value, dispatcher, clean_name, "utter_name_sorry")


class ActionAskAppointmentDay(Action):
    def name(self) -> str:
        return "action_ask_appointment_day"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_for_day(dispatcher, find_department(tracker.get_slot("department")), language_of(tracker))


class ActionAskSlotTime(Action):
    def name(self) -> str:
        return "action_ask_slot_time"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        department = find_department(tracker.get_slot("department"))
        day = as_day(tracker.get_slot("appointment_day"))
        if department is None or day is None:
            dispatcher.utter_message(response="utter_ask_slot_time")
            return []
        language = language_of(tracker)
        try:
            offered = free_slots(department, day)[:OFFERED_TIMES]
        except ServicesError:
            dispatcher.utter_message(response=CLINIC_DOWN)
            return [SlotSet("requested_slot", None)]
        when = spoken_when.day(day, today(), language)
        said_department, _ = in_words(language, department)
        if not offered:
            dispatcher.utter_message(response="utter_no_free_times_on", department=said_department, day=when)
            return [SlotSet("appointment_day", None), SlotSet("requested_slot", "appointment_day"),
                    *ask_for_day(dispatcher, department, language)]
        doctors = sorted({s.doctor for s in offered})
        times = spoken_when.listed([spoken_when.clock(s.start, language) for s in offered], language)
        buttons = [{"title": spoken_when.clock(s.start, language),
                    "payload": "/book_appointment" + json.dumps({"slot_time": slot_clock(s.start)})}
                   for s in offered]
        if len(doctors) == 1:
            dispatcher.utter_message(response="utter_free_times_doctor", day=when,
                                     doctor=in_words(language, None, doctors[0])[1], times=times, buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_free_times", day=when, times=times, buttons=buttons)
        return []


class ActionAskAppointmentFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_appointment_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        day = as_day(tracker.get_slot("appointment_day"))
        slot_time = clock_from(str(tracker.get_slot("slot_time") or ""))
        department, doctor = in_words(language, tracker.get_slot("department"), tracker.get_slot("appointment_doctor"))
        phone = str(tracker.get_slot("phone") or "")
        return ask_to_confirm(
            dispatcher, "utter_confirm_booking" if doctor else "utter_confirm_booking_no_doctor",
            department=department, doctor=doctor,
            day=spoken_when.day(day, today(), language) if day else "",
            time=spoken_when.clock(slot_time, language) if slot_time else "",
            name=tracker.get_slot("patient_name"), phone_end=" ".join(phone[-4:]),
        )


class ActionSubmitAppointment(Action):
    def name(self) -> str:
        return "action_submit_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not confirmed(tracker, dispatcher, declined="utter_booking_declined"):
            return clear_slots(FORM_SLOTS)
        department = find_department(tracker.get_slot("department")) or ""
        day = as_day(tracker.get_slot("appointment_day"))
        slot_id = tracker.get_slot("slot_id")
        name = clean_name(tracker.get_slot("patient_name"))
        phone = phone_from(tracker.get_slot("phone"))
        try:
            request = AppointmentCreate(slot_id=int(slot_id), patient_name=name, phone=phone)  # type: ignore[arg-type]
        except (TypeError, ValueError, ValidationError):
            dispatcher.utter_message(response="utter_booking_details_missing")
            return clear_slots(FORM_SLOTS)
        try:
            appointment = services().book_appointment(
                request, idempotency_key=idempotency_key(tracker, "book", slot_id, name, phone))
        except TooManyRequests as e:
            # the day's bookings of one phone number are used up (try again tomorrow), or the system is busy
            daily_cap = e.retry_after is not None and e.retry_after > DAILY_CAP_WAIT
            dispatcher.utter_message(response="utter_booking_daily_cap" if daily_cap else "utter_booking_busy")
            return clear_slots(FORM_SLOTS)
        except ServicesUnavailable:
            dispatcher.utter_message(response=CLINIC_DOWN)
            return clear_slots(FORM_SLOTS)
        except (ServicesRejected, NotFound) as e:
            if e.status in (404, 409) and day is not None:
                return self._slot_taken(dispatcher, tracker, department, day)
            dispatcher.utter_message(response="utter_booking_refused")
            return clear_slots(FORM_SLOTS)
        except ServicesError:
            dispatcher.utter_message(response=CLINIC_DOWN)
            return clear_slots(FORM_SLOTS)
        language = language_of(tracker)
        said_department, said_doctor = in_words(language, appointment.department, appointment.doctor)
        dispatcher.utter_message(response="utter_booked", department=said_department, doctor=said_doctor,
                                 day=spoken_when.day(appointment.start.date(), today(), language),
                                 time=spoken_when.clock(appointment.start, language),
                                 reference=appointment.reference)
        return clear_slots(FORM_SLOTS)

    @staticmethod
    def _slot_taken(dispatcher: CollectingDispatcher, tracker: Tracker, department: str,
                    day: date) -> list[EventType]:
        """Someone booked the time first: offer the next free times by asking the form again."""
        language = language_of(tracker)
        taken = clock_from(str(tracker.get_slot("slot_time") or ""))
        dispatcher.utter_message(response="utter_slot_taken", day=spoken_when.day(day, today(), language),
                                 time=spoken_when.clock(taken, language) if taken else "")
        try:
            left = free_slots(department, day)
        except ServicesError:
            dispatcher.utter_message(response=CLINIC_DOWN)
            return clear_slots(FORM_SLOTS)
        events: list[EventType] = [SlotSet("slot_time", None), SlotSet("slot_id", None),
                                   SlotSet("appointment_doctor", None), SlotSet("confirm", None)]
        if not left:
            dispatcher.utter_message(response="utter_no_more_times_that_day")
            events.append(SlotSet("appointment_day", None))
        return [*events, FollowupAction(FORM)]
