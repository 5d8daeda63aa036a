"""Sign up for a community event: which event → name → phone → confirm → register.

Events without a sign-up (Tai Chi, the singing group) end the form at once: "no need to sign up, just
come". Registrations are not outbox items - a place must be confirmed live - so when the Service Centre
system cannot be reached the resident is told to try again later or ask at the Service Centre.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services
from assistant.skill_runtime.parsing import mask_phone, parse_day, parse_phone, spoken_day, spoken_time
from community_services.client import NotFound, ServicesError, ServicesRejected, ServicesUnavailable
from community_services.schemas import Event, RegistrationCreate

FORM = "event_registration_form"
FORM_SLOTS = ("event_name", "event_id", "event_summary", "attendee_name", "phone", "confirm")
MAX_INPUT = 300
OFFERED_EVENTS = 4

SERVICE_CENTRE_DOWN = ("I cannot reach the Service Centre system now, so you are not signed up yet. "
                       "Please try again later, or ask at the Service Centre.")

# Words that name an event in a first sentence ("sign me up for the calligraphy") when NLU found no entity.
_EVENT_WORDS = re.compile(
    r"tai ?chi|tai ?ji|calligraph|brush writing|health talk|blood pressure|lecture|smart ?phone|phone class|"
    r"mobile phone|singing|choir|day trip|\btrip\b|botanical|outing|excursion|书法|太极|讲座|手机|唱歌|植物园",
    re.IGNORECASE,
)
_NAME_PREFIX = re.compile(
    r"^(?:(?:my|her|his|the)\s+(?:full\s+)?name\s+is|(?:full\s+)?name\s+is|name\s*:|i\s+am|i'm|im|it'?s|"
    r"it\s+is|this\s+is|call\s+me|put\s+me\s+down\s+as|for)\b[\s:,.-]*",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset({
    "yes", "no", "ok", "okay", "yeah", "nope", "sure", "fine", "hello", "hi", "what", "pardon", "sorry",
    "help", "stop", "cancel", "thanks", "thank you", "i don't know", "dont know", "don't know", "me", "myself",
})


_POLITE = frozenset({"please", "thanks", "thank", "dear", "er", "um", "erm"})
_NOT_IN_NAMES = frozenset({
    "cancel", "stop", "appointment", "booking", "book", "help", "doctor", "clinic", "want", "don't", "dont",
    "not", "phone", "number", "time", "day", "event", "sign", "register", "never", "mind", "what", "why",
})


def today() -> date:
    return date.today()


def clean_text(value: Any) -> str:
    if value is None:
        return ""
    kept = [" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(value)
            if unicodedata.category(ch) not in ("Cf", "Cs", "Co")]
    return " ".join("".join(kept).split())


def clean_name(value: Any) -> str | None:
    """A person's name from "my name is wang fang" → "Wang Fang"; ``None`` if it is not a name."""
    text = clean_text(value)
    if not text or len(text) > MAX_INPUT:
        return None
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("S"))
    text = _NAME_PREFIX.sub("", text.strip()).strip(" .,!?;:'\"-")
    text = " ".join(w for w in text.split() if w.lower().strip(".,!?") not in _POLITE)
    if any(w.lower().strip(".,!?") in _NOT_IN_NAMES for w in text.split()):
        return None  # "cancel the appointment" said while the form asks for a name
    if not text or len(text) > 60 or len(text.split()) > 5:
        return None
    if any(ch.isdigit() for ch in text) or sum(ch.isalpha() for ch in text) < 2:
        return None
    if text.lower() in _NOT_NAMES:
        return None
    if text == text.lower() and text.isascii():
        text = " ".join(word.capitalize() for word in text.split())
    return text


def phone_from(value: Any) -> str | None:
    text = clean_text(value)
    if not text or len(text) > MAX_INPUT:
        return None
    return parse_phone(text)


def places_left(event: Event) -> int | None:
    """``None`` when there is no limit."""
    return None if event.capacity is None else max(event.capacity - event.registered, 0)


def when_and_where(event: Event) -> str:
    return f"{spoken_day(event.start.date(), today())} at {spoken_time(event.start)}, {event.place}"


def find_occurrence(text: str) -> Event | None:
    """The event meant, on the day said if one was ("the smartphone class on 5 December")."""
    event = services().find_event(text[:200])
    if event is None:
        return None
    day = parse_day(text, today())
    if day is not None and day != event.start.date():
        same = [e for e in services().list_events(day) if e.title == event.title]
        if same:
            return same[0]
    return event


def later_with_places(event: Event) -> Event | None:
    """The next occurrence of the same series that still has places."""
    for other in sorted(services().list_events(), key=lambda e: e.start):
        if other.title == event.title and other.start > event.start and places_left(other) != 0:
            return other
    return None


def idempotency_key(tracker: Tracker, *parts: Any) -> str:
    stamp = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)
    raw = "|".join([tracker.sender_id, str(stamp), *(str(p) for p in parts)])
    return "event-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


def reset_events() -> list[EventType]:
    return [SlotSet(name, None) for name in FORM_SLOTS]


class ValidateEventRegistrationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_event_registration_form"

    def extract_event_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if (tracker.get_slot("requested_slot") is not None or intent != "register_event"
                or tracker.get_slot("event_name") is not None):
            return {}
        text = clean_text(tracker.latest_message.get("text"))[:MAX_INPUT]
        if text.startswith("/") or not _EVENT_WORDS.search(text):
            return {}
        return {"event_name": text}

    def validate_event_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"event_name": None}
        stop = {"event_name": None, "event_id": None, "event_summary": None, "requested_slot": None}
        text = clean_text(value)[:MAX_INPUT]
        try:
            event = find_occurrence(text) if text and not text.startswith("/") else None
            if event is not None and event.signup_required and places_left(event) == 0:
                full = event
                event = later_with_places(full)
                if event is None:
                    dispatcher.utter_message(
                        text=f"Sorry, the {full.title} on {spoken_day(full.start.date(), today())} is full.")
                    return stop
                dispatcher.utter_message(
                    text=f"The {full.title} on {spoken_day(full.start.date(), today())} is full, but there are "
                         f"places on {spoken_day(event.start.date(), today())}.")
        except ServicesError:
            dispatcher.utter_message(text=SERVICE_CENTRE_DOWN)
            return stop
        if event is None:
            dispatcher.utter_message(text="Sorry, I could not find that event.")
            return {"event_name": None}
        if not event.signup_required:
            dispatcher.utter_message(
                text=f"There is no need to sign up for {event.title}, just come. "
                     f"The next one is {when_and_where(event)}.")
            return stop
        return {"event_name": event.title, "event_id": event.id,
                "event_summary": f"the {event.title} on {when_and_where(event)}"}

    def validate_attendee_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {"attendee_name": None}
        name = clean_name(value)
        if name is None:
            dispatcher.utter_message(text="Sorry, I did not catch your name. Please say your full name, "
                                          "for example Wang Fang.")
        return {"attendee_name": name}

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


class ActionAskEventName(Action):
    """Which event? Offers the next events that need a sign-up and still have places, as buttons."""

    def name(self) -> str:
        return "action_ask_event_name"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            events = services().list_events()
        except ServicesError:
            dispatcher.utter_message(text=SERVICE_CENTRE_DOWN)
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
            dispatcher.utter_message(text="There are no events with free places to sign up for just now. "
                                          "Please ask at the Service Centre.")
            return [SlotSet("requested_slot", None)]
        titles = [f"the {e.title}" for e in offered]
        choices = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " or " + titles[-1]
        dispatcher.utter_message(
            text=f"Which event would you like to sign up for? You can choose {choices}.",
            buttons=[{"title": e.title[:60], "payload": "/register_event" + json.dumps({"event_name": e.title})}
                     for e in offered],
        )
        return []


class ActionAskEventRegistrationFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_event_registration_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        summary = tracker.get_slot("event_summary") or f"the {tracker.get_slot('event_name')}"
        phone = tracker.get_slot("phone") or ""
        dispatcher.utter_message(
            text=f"Please check: {tracker.get_slot('attendee_name')}, phone {mask_phone(phone)}, for {summary}. "
                 "Shall I sign you up?",
            buttons=[{"title": "Yes, sign me up", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return []


class ActionSubmitEventRegistration(Action):
    def name(self) -> str:
        return "action_submit_event_registration"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        confirm = tracker.get_slot("confirm")
        if confirm is None:
            return reset_events()  # the form stopped early and already said why
        if confirm is False:
            dispatcher.utter_message(text="All right, I have not signed you up.")
            return reset_events()
        event_id = tracker.get_slot("event_id")
        name = clean_name(tracker.get_slot("attendee_name"))
        phone = phone_from(tracker.get_slot("phone"))
        try:
            request = RegistrationCreate(name=name, phone=phone)  # type: ignore[arg-type]
            event_id = int(event_id)
        except (TypeError, ValueError, ValidationError):
            dispatcher.utter_message(text="Sorry, some of the details were missing, so you are not signed up. "
                                          "Please start again.")
            return reset_events()
        try:
            registration = services().register_event(
                event_id, request, idempotency_key=idempotency_key(tracker, event_id, name, phone))
        except ServicesUnavailable:
            dispatcher.utter_message(text=SERVICE_CENTRE_DOWN)
            return reset_events()
        except NotFound:
            dispatcher.utter_message(text="Sorry, I cannot find that event any more, so you are not signed up.")
            return reset_events()
        except ServicesRejected as e:
            # The service's own sentence: full, already signed up, already started, no sign-up needed.
            if "already signed up" in e.message.lower():
                dispatcher.utter_message(text=f"{e.message} There is no need to sign up again.")
            elif e.status == 400:
                dispatcher.utter_message(text=e.message)
            else:
                dispatcher.utter_message(text=f"{e.message} You are not signed up.")
            return reset_events()
        except ServicesError:
            dispatcher.utter_message(text=SERVICE_CENTRE_DOWN)
            return reset_events()
        summary = tracker.get_slot("event_summary") or f"the {tracker.get_slot('event_name')}"
        dispatcher.utter_message(
            text=f"You are signed up for {summary}. Your reference is {registration.reference}."
        )
        return reset_events()
