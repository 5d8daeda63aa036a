"""Sign up for a community event: which event → name → phone → confirm → register.

Events without a sign-up (Tai Chi, the singing group) end the form at once: "no need to sign up, just
come". Registrations are not outbox items - a place must be confirmed live - so when the Service Centre
system cannot be reached the resident is told to try again later or ask at the Service Centre.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

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
from assistant.skill_runtime.parsing import mask_phone, parse_day, spoken_day, spoken_list, spoken_time
from assistant.skill_runtime.resident_text import one_line
from community_services.client import NotFound, ServicesError, ServicesRejected, ServicesUnavailable
from community_services.schemas import Event, RegistrationCreate

FORM = "event_registration_form"
FORM_SLOTS = ("event_name", "event_id", "event_summary", "attendee_name", "phone", "confirm")
OFFERED_EVENTS = 4

SERVICE_CENTRE_DOWN = ("I cannot reach the Service Centre system now, so you are not signed up yet. "
                       "Please try again later, or ask at the Service Centre.")

# Words that name an event in a first sentence ("sign me up for the calligraphy") when NLU found no entity.
_EVENT_WORDS = re.compile(
    r"tai ?chi|tai ?ji|calligraph|brush writing|health talk|blood pressure|lecture|smart ?phone|phone class|"
    r"mobile phone|singing|choir|day trip|\btrip\b|botanical|outing|excursion|书法|太极|讲座|手机|唱歌|植物园",
    re.IGNORECASE,
)
_NAME_LEAD_INS = name_lead_ins(r"put\s+me\s+down\s+as")


def today() -> date:
    return date.today()


def clean_name(value: Any) -> str | None:
    """A person's name from "my name is wang fang" → "Wang Fang"; ``None`` if it is not a name."""
    return read_name(value, _NAME_LEAD_INS)


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
        stop = {"event_name": None, "event_id": None, "event_summary": None, "requested_slot": None}
        text = one_line(value)[:MAX_INPUT]
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
        return checked_answer("attendee_name", value, dispatcher, clean_name,
                              "Sorry, I did not catch your name. Please say your full name, for example Wang Fang.")


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
        choices = spoken_list([f"the {e.title}" for e in offered], "or")
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
        return ask_to_confirm(
            dispatcher,
            f"Please check: {tracker.get_slot('attendee_name')}, phone {mask_phone(phone)}, for {summary}. "
            "Shall I sign you up?",
            yes="Yes, sign me up",
        )


class ActionSubmitEventRegistration(Action):
    def name(self) -> str:
        return "action_submit_event_registration"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not confirmed(tracker, dispatcher, declined="All right, I have not signed you up."):
            return clear_slots(FORM_SLOTS)
        event_id = tracker.get_slot("event_id")
        name = clean_name(tracker.get_slot("attendee_name"))
        phone = phone_from(tracker.get_slot("phone"))
        try:
            request = RegistrationCreate(name=name, phone=phone)  # type: ignore[arg-type]
            event_id = int(event_id)
        except (TypeError, ValueError, ValidationError):
            dispatcher.utter_message(text="Sorry, some of the details were missing, so you are not signed up. "
                                          "Please start again.")
            return clear_slots(FORM_SLOTS)
        try:
            registration = services().register_event(
                event_id, request, idempotency_key=idempotency_key(tracker, "event", event_id, name, phone))
        except ServicesUnavailable:
            dispatcher.utter_message(text=SERVICE_CENTRE_DOWN)
            return clear_slots(FORM_SLOTS)
        except NotFound:
            dispatcher.utter_message(text="Sorry, I cannot find that event any more, so you are not signed up.")
            return clear_slots(FORM_SLOTS)
        except ServicesRejected as e:
            # The service's own sentence: full, already signed up, already started, no sign-up needed.
            if "already signed up" in e.message.lower():
                dispatcher.utter_message(text=f"{e.message} There is no need to sign up again.")
            elif e.status == 400:
                dispatcher.utter_message(text=e.message)
            else:
                dispatcher.utter_message(text=f"{e.message} You are not signed up.")
            return clear_slots(FORM_SLOTS)
        except ServicesError:
            dispatcher.utter_message(text=SERVICE_CENTRE_DOWN)
            return clear_slots(FORM_SLOTS)
        summary = tracker.get_slot("event_summary") or f"the {tracker.get_slot('event_name')}"
        dispatcher.utter_message(
            text=f"You are signed up for {summary}. Your reference is {registration.reference}."
        )
        return clear_slots(FORM_SLOTS)
