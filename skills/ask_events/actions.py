"""What is on in the community: up to four events, on the day the resident names or coming up soon.

One call to the services API gives every upcoming event; the day asked for ("tomorrow", "Saturday",
"this weekend", "明天", "这个周末") is picked out of that list, and series seen more than once are described as
such ("It is every Tuesday."). Events that need a sign-up get a button that signs the resident up.

Every sentence is a response (skill.yml, locale/zh-CN.yml); titles and places come from the office in the
conversation's language, days and times are said with ``spoken_when`` (when_words.yml).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime import spoken_when
from assistant.skill_runtime.context import services
from assistant.skill_runtime.parsing import parse_day
from assistant.skill_runtime.resident_text import one_line
from assistant.skill_runtime.words import language_of
from community_services.client import ServicesError
from community_services.schemas import Event

MAX_LISTED = 4
MAX_INPUT = 300
_WEEKEND = re.compile(r"\bweek-?ends?\b|周末|礼拜六礼拜天|星期六星期天")
_NEXT_WEEKEND = re.compile(r"\bnext week-?end\b|下个?周末|下礼拜的?周末|下星期的?周末")
Said = tuple[str, dict[str, Any]]
"""A response's name and the values that fill it."""


def today() -> date:
    return date.today()


def days_asked(text: str, now: date) -> list[date]:
    """The days a question is about ("this weekend" → Saturday and Sunday); empty for "soon"."""
    low = one_line(text).lower()[:MAX_INPUT]
    if not low or low.startswith("/"):
        return []
    if _WEEKEND.search(low):
        saturday = now + timedelta(days=(5 - now.weekday()) % 7)
        # on a Sunday "this weekend" is what is left of it: today
        days = [now] if now.weekday() == 6 else [saturday, saturday + timedelta(days=1)]
        if _NEXT_WEEKEND.search(low) and now.weekday() >= 5:
            days = [saturday + timedelta(days=7), saturday + timedelta(days=8)]
        return days
    day = parse_day(low, now)
    return [day] if day is not None and day >= now else []


def recurrence(occurrences: list[Event], language: str) -> str | None:
    """"every day" or "every Wednesday and Friday" ("每天", "每个礼拜三和礼拜五") for a series seen more than once."""
    if len(occurrences) < 2:
        return None
    return spoken_when.every([e.start.weekday() for e in occurrences], language)


def signup_said(event: Event) -> Said:
    if not event.signup_required:
        return "utter_event_status_no_signup", {}
    if event.capacity is None:
        return "utter_event_signup_needed", {}
    left = max(event.capacity - event.registered, 0)
    if left == 0:
        return "utter_event_status_full", {}
    return ("utter_event_one_place_left", {}) if left == 1 else ("utter_event_places_left", {"left": left})


def describe(event: Event, now: date, series: dict[str, list[Event]], *, with_day: bool, language: str,
             words: Event | None = None) -> list[Said]:
    """"Calligraphy class: Tuesday 24 November at 2 pm, Elderly Activity Room." "It is every Tuesday." and the
    sign-up, as responses. ``words`` is the same event as the office writes it in ``language`` (title, place)."""
    shown = words or event
    title, place = shown.title.rstrip(".。"), shown.place
    every_day = spoken_when.every(list(range(7)), language)
    repeats = recurrence(series.get(event.title, []), language)
    time = spoken_when.clock(event.start, language)
    said: list[Said]
    if repeats == every_day and not event.signup_required:
        said = [("utter_event_every_day", {"title": title, "time": time, "place": place})]
    elif with_day:
        said = [("utter_event_on_day", {"title": title, "day": spoken_when.day(event.start.date(), now, language),
                                        "time": time, "place": place})]
        if repeats:
            said.append(("utter_event_repeats", {"repeats": repeats}))
    else:
        said = [("utter_event_at", {"title": title, "time": time, "place": place})]
    return [*said, signup_said(event)]


def signup_button(event: Event, next_of_series: Event, words: Event | None = None) -> dict[str, str]:
    """Registers for this occurrence: the day is added when it is not the next one of its series. The title is the
    event's own (in the conversation's language); the payload names it as the office does (English)."""
    name = event.title if event.id == next_of_series.id else f"{event.title} on {event.start.date().isoformat()}"
    return {"title": (words or event).title[:60], "payload": "/register_event" + json.dumps({"event_name": name})}


def events_in(language: str) -> dict[int, Event]:
    """The upcoming events as the office writes them in ``language``, by id; empty in English or when the
    office cannot say (the English words are used)."""
    if language == spoken_when.SOURCE:
        return {}
    try:
        return {e.id: e for e in services().list_events(lang=language)}
    except ServicesError:
        return {}


class ActionListEvents(Action):
    def name(self) -> str:
        return "action_list_events"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        now = today()
        days = days_asked(tracker.latest_message.get("text") or "", now)
        day_slot = SlotSet("event_day", days[0].isoformat() if days else None)
        try:
            upcoming = services().list_events()
        except ServicesError:
            dispatcher.utter_message(response="utter_services_down")
            return [day_slot]
        moment = datetime.now()
        upcoming = sorted((e for e in upcoming if (e.end or e.start) > moment), key=lambda e: e.start)
        if not upcoming:
            dispatcher.utter_message(response="utter_no_events")
            return [day_slot]
        series: dict[str, list[Event]] = defaultdict(list)
        for event in upcoming:
            series[event.title].append(event)

        language = language_of(tracker)
        words = events_in(language)
        chosen = [e for e in upcoming if e.start.date() in days] if days else []
        named_days = spoken_when.listed([spoken_when.day(d, now, language) for d in days], language)
        if days and not chosen:
            dispatcher.utter_message(response="utter_events_nothing_on", days=named_days)
        if chosen:
            dispatcher.utter_message(response="utter_events_on", days=named_days)
        else:
            chosen = upcoming
            dispatcher.utter_message(response="utter_events_soon")
        single_day = len(days) == 1 and chosen is not upcoming
        listed: list[Event] = []
        for event in chosen:
            if all(e.title != event.title for e in listed):
                listed.append(event)
            if len(listed) == MAX_LISTED:
                break
        for event in listed:
            for response, values in describe(event, now, series, with_day=not single_day, language=language,
                                             words=words.get(event.id)):
                dispatcher.utter_message(response=response, **values)
        if len({e.title for e in chosen}) > len(listed):
            dispatcher.utter_message(response="utter_events_ask_one_day")
        buttons = [signup_button(e, series[e.title][0], words.get(e.id)) for e in listed
                   if e.signup_required and (e.capacity is None or e.registered < e.capacity)]
        if buttons:
            dispatcher.utter_message(response="utter_events_signup_buttons", buttons=buttons)
        return [day_slot]
