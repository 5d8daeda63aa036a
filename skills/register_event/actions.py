"""Sign up for a community event: which event → name → phone → confirm → register.

Events without a sign-up (Tai Chi, the singing group) end the form at once: "no need to sign up, just
come". Registrations are not outbox items - a place must be confirmed live - so when the Service Centre
system cannot be reached the resident is told to try again later or ask at the Service Centre.
"""

from __future__ import annotations

import inspect
import json
import re
import unicodedata
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
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
from assistant.skill_runtime.parsing import parse_day, spoken_time
from assistant.skill_runtime.resident_text import one_line
from assistant.skill_runtime.words import join_list, language_of
from community_services.client import NotFound, ServicesClient, ServicesError, ServicesRejected, ServicesUnavailable
from community_services.schemas import Event, RegistrationCreate

FORM = "event_registration_form"
FORM_SLOTS = ("event_name", "event_id", "event_when", "event_place", "attendee_name", "phone", "confirm")
OFFERED_EVENTS = 4
SOURCE_LANGUAGE = "en"
WORDS_FILE = Path(__file__).with_name("event_words.yml")
"""How an event's day and time are said in each language."""

SERVICE_CENTRE_DOWN = "utter_event_service_centre_down"

# Words that name an event in a first sentence ("sign me up for the calligraphy") when NLU found no entity.
_EVENT_WORDS = re.compile(
    r"tai ?chi|tai ?ji|calligraph|brush writing|health talk|blood pressure|lecture|smart ?phone|phone class|"
    r"mobile phone|singing|choir|day trip|\btrip\b|botanical|outing|excursion|书法|太极|讲座|手机|唱歌|植物园|"
    r"毛笔字|写字|健康|血压|合唱|春游|秋游|郊游|一日游|出去玩",
    re.IGNORECASE,
)
_NAME_LEAD_INS = name_lead_ins(r"put\s+me\s+down\s+as")


def today() -> date:
    return date.today()


# "我叫王芳" / "我的名字是王芳" / "嗯，我是王芳": the words before a name said in Chinese
_ZH_NAME_LEAD_INS = re.compile(
    r"^(?:(?:嗯|那个|你好|您好|哦)[\s,，。、]*)*(?:我的名字叫|我的名字是|我名字叫|名字叫|名字是|我叫|我是|叫我|写)"
    r"[\s,，:：]*")
_ZH_NOT_A_NAME = re.compile(r"报名|取消|不要|不用|算了|电话|活动|课|名字|知道|什么|怎么|我|你|是|吗|不")
_ZH_NAME_ENDS = re.compile(r"[\s,，。！!]*(?:就行|就好|吧|啊|呀|呢)?[\s,，。！!]*$")


def clean_name(value: Any) -> str | None:
    """A person's name from "my name is wang fang" → "Wang Fang" (or "我叫王芳" → "王芳"); ``None`` if it
    is not a name."""
    if isinstance(value, str) and re.search(r"[\u4e00-\u9fff]", value):
        value = "".join(ch for ch in value if not unicodedata.category(ch).startswith("S"))  # emoji
        value = _ZH_NAME_ENDS.sub("", _ZH_NAME_LEAD_INS.sub("", value.strip()))
        if _ZH_NOT_A_NAME.search(value):
            return None  # "我要报名书法课" said while the form asks for a name
        if not 2 <= len(value) <= 6 or re.search(r"[^\u4e00-\u9fff·]", value):
            return None  # a Chinese name is two to four characters (a few more for a minority name)
        return value
    return read_name(value, _NAME_LEAD_INS)


def places_left(event: Event) -> int | None:
    """``None`` when there is no limit."""
    return None if event.capacity is None else max(event.capacity - event.registered, 0)


@cache
def _words() -> dict[str, Any]:
    return dict(yaml.safe_load(WORDS_FILE.read_text("utf-8")))


def _in(entry: dict[str, Any], language: str) -> Any:
    return entry.get(language, entry[SOURCE_LANGUAGE])


def spoken_date(value: date, language: str) -> str:
    """"tomorrow, Tuesday 24 November" / "明天，十一月24号星期二" (event_words.yml)."""
    words = _words()
    text = str(_in(words["date"], language)).format(weekday=_in(words["weekdays"], language)[value.weekday()],
                                                   day=value.day, month=_in(words["months"], language)[value.month - 1])
    if value == today():
        return str(_in(words["today"], language)).format(date=text)
    if value == date.fromordinal(today().toordinal() + 1):
        return str(_in(words["tomorrow"], language)).format(date=text)
    return text


def spoken_clock(value: datetime, language: str) -> str:
    """"2 pm" / "下午两点": a time as it is said in ``language``."""
    spoken = _words()["time"].get(language)
    if spoken is None:
        return spoken_time(value)
    period = [name for hour, name in spoken["periods"] if value.hour >= hour][-1]
    hour = spoken["hours"][value.hour % 12]
    form = "on_the_hour" if value.minute == 0 else "half_past" if value.minute == 30 else "minutes"
    return str(spoken[form]).format(period=period, hour=hour, minute=value.minute)


def spoken_when(event: Event, language: str) -> str:
    """The day and time of an event in ``language``."""
    return str(_in(_words()["when"], language)).format(day=spoken_date(event.start.date(), language),
                                                       time=spoken_clock(event.start, language))


def _lang(language: str) -> dict[str, Any]:
    """``lang=`` for the services' read methods: titles and places come back in the resident's language.

    The client takes ``lang=`` once another helper's change to it is merged; until then it is left out.
    """
    return {"lang": language} if "lang" in inspect.signature(ServicesClient.list_events).parameters else {}


def find_occurrence(text: str, language: str = SOURCE_LANGUAGE) -> Event | None:
    """The event meant, on the day said if one was ("the smartphone class on 5 December")."""
    event = services().find_event(text[:200], **_lang(language))
    if event is None:
        return None
    day = parse_day(text, today())
    if day is not None and day != event.start.date():
        same = [e for e in services().list_events(day, **_lang(language)) if e.id == event.id or
                e.title == event.title]
        if same:
            return same[0]
    return event


def later_with_places(event: Event, language: str = SOURCE_LANGUAGE) -> Event | None:
    """The next occurrence of the same series that still has places."""
    for other in sorted(services().list_events(**_lang(language)), key=lambda e: e.start):
        if other.title == event.title and other.start > event.start and places_left(other) != 0:
            return other
    return None


class ValidateEventRegistrationForm(PhoneAnswer, ButtonConfirm, FormValidationAction):
    def name(self) -> str:
        return "validate_event_registration_form"

    def extract_event_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        if not form_starting(tracker, "register_event") or tracker.get_slot("event_name") is not None:
            return {}
        text = latest_words(tracker)
        return {"event_name": text} if _EVENT_WORDS.search(text) else {}

    def validate_event_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"event_name": None}
        stop = {"event_name": None, "event_id": None, "event_when": None, "event_place": None,
                "requested_slot": None}
        text = one_line(value)[:MAX_INPUT]
        language = language_of(tracker)
        try:
            event = find_occurrence(text, language) if text and not text.startswith("/") else None
            if event is not None and event.signup_required and places_left(event) == 0:
                full = event
                event = later_with_places(full, language)
                if event is None:
                    dispatcher.utter_message(response="utter_event_full", event=full.title,
                                             day=spoken_date(full.start.date(), language))
                    return stop
                dispatcher.utter_message(response="utter_event_full_later", event=full.title,
                                         day=spoken_date(full.start.date(), language),
                                         later=spoken_date(event.start.date(), language))
        except ServicesError:
            dispatcher.utter_message(response=SERVICE_CENTRE_DOWN)
            return stop
        if event is None:
            dispatcher.utter_message(response="utter_event_not_found")
            return {"event_name": None}
        if not event.signup_required:
            dispatcher.utter_message(response="utter_event_no_signup", event=event.title,
                                     when=spoken_when(event, language), place=event.place)
            return stop
        return {"event_name": event.title, "event_id": event.id, "event_when": spoken_when(event, language),
                "event_place": event.place}

    def validate_attendee_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return checked_answer("attendee_name", value, dispatcher, clean_name, "utter_event_name_sorry")


class ActionAskEventName(Action):
    """Which event? Offers the next events that need a sign-up and still have places, as buttons."""

    def name(self) -> str:
        return "action_ask_event_name"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        try:
            events = services().list_events(**_lang(language))
        except ServicesError:
            dispatcher.utter_message(response=SERVICE_CENTRE_DOWN)
            return [SlotSet("requested_slot", None)]
        now = datetime.now()
        offered: list[Event] = []
        for event in sorted(events, key=lambda e: e.start):
            if (event.signup_required and event.start > now and places_left(event) != 0
                    and all(o.title != event.title for o in offered)):
                offered.append(event)
            if len(offered) == OFFERED_EVENTS:
                break
        if not offered:
            dispatcher.utter_message(response="utter_event_none_with_places")
            return [SlotSet("requested_slot", None)]
        # the event titles are data (in the conversation's language): the list is a value, each button's
        # title the event's own title
        dispatcher.utter_message(
            response="utter_event_which", events=join_list([e.title for e in offered], language),
            buttons=[{"title": e.title[:60],
                      "payload": "/register_event" + json.dumps({"event_name": e.title}, ensure_ascii=False)}
                     for e in offered],
        )
        return []


class ActionAskEventRegistrationFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_event_registration_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        phone = str(tracker.get_slot("phone") or "")
        values = {"name": tracker.get_slot("attendee_name"), "phone_end": " ".join(phone[-4:]),
                  "event": tracker.get_slot("event_name"), "when": tracker.get_slot("event_when"),
                  "place": tracker.get_slot("event_place")}
        if values["when"]:
            return ask_to_confirm(dispatcher, "utter_event_read_back", **values)
        return ask_to_confirm(dispatcher, "utter_event_read_back_title", **values)


class ActionSubmitEventRegistration(Action):
    def name(self) -> str:
        return "action_submit_event_registration"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not confirmed(tracker, dispatcher, declined="utter_event_not_signed_up"):
            return clear_slots(FORM_SLOTS)
        event_id = tracker.get_slot("event_id")
        name = clean_name(tracker.get_slot("attendee_name"))
        phone = phone_from(tracker.get_slot("phone"))
        try:
            request = RegistrationCreate(name=name, phone=phone)  # type: ignore[arg-type]
            event_id = int(event_id)
        except (TypeError, ValueError, ValidationError):
            dispatcher.utter_message(response="utter_event_details_missing")
            return clear_slots(FORM_SLOTS)
        try:
            registration = services().register_event(
                event_id, request, idempotency_key=idempotency_key(tracker, "event", event_id, name, phone))
        except ServicesUnavailable:
            dispatcher.utter_message(response=SERVICE_CENTRE_DOWN)
            return clear_slots(FORM_SLOTS)
        except NotFound:
            dispatcher.utter_message(response="utter_event_gone")
            return clear_slots(FORM_SLOTS)
        except ServicesRejected as e:
            # The office's reasons (its own English words) become responses: read by what they say
            dispatcher.utter_message(response=refusal(e))
            return clear_slots(FORM_SLOTS)
        except ServicesError:
            dispatcher.utter_message(response=SERVICE_CENTRE_DOWN)
            return clear_slots(FORM_SLOTS)
        dispatcher.utter_message(response="utter_event_signed_up", event=tracker.get_slot("event_name"),
                                 when=tracker.get_slot("event_when") or "", reference=registration.reference)
        return clear_slots(FORM_SLOTS)


def refusal(error: ServicesRejected) -> str:
    """The response for a sign-up the office refused: already on the list, full, no sign-up needed,
    or another reason (the event has started, say)."""
    message = error.message.lower()
    if "already signed up" in message:
        return "utter_event_already_signed_up"
    if "full" in message:
        return "utter_event_now_full"
    if "no sign-up" in message or "just come" in message:
        return "utter_event_no_signup_needed"
    return "utter_event_refused"
