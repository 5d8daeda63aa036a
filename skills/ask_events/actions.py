"""What is on in the community: up to four events, on the day the resident names or coming up soon.

One call to the services API gives every upcoming event; the day asked for ("tomorrow", "Saturday",
"this weekend") is picked out of that list, and series seen more than once are described as such
("It is every Tuesday."). Events that need a sign-up get a "Sign me up for ..." button.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services
from assistant.skill_runtime.parsing import parse_day, spoken_day, spoken_list, spoken_time
from assistant.skill_runtime.resident_text import one_line
from community_services.client import ServicesError
from community_services.schemas import Event

MAX_LISTED = 4
MAX_INPUT = 300
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKEND = re.compile(r"\bweek-?ends?\b|周末")
_NEXT_WEEKEND = re.compile(r"\bnext week-?end\b")


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


def recurrence(occurrences: list[Event]) -> str | None:
    """"every day" or "every Wednesday and Friday" for a series seen more than once; else None."""
    days = sorted({e.start.weekday() for e in occurrences})
    if len(occurrences) < 2:
        return None
    if len(days) == 7:
        return "every day"
    return "every " + spoken_list([DAY_NAMES[d] for d in days])


def signup_sentence(event: Event) -> str:
    if not event.signup_required:
        return "No need to sign up."
    if event.capacity is None:
        return "Sign-up needed."
    left = max(event.capacity - event.registered, 0)
    if left == 0:
        return "It is full."
    return f"Sign-up needed, {left} place{'s' if left != 1 else ''} left."


def describe(event: Event, now: date, series: dict[str, list[Event]], *, with_day: bool) -> str:
    """"Calligraphy class. Tuesday 24 November at 2 pm, Elderly Activity Room. It is every Tuesday. ..." """
    repeats = recurrence(series.get(event.title, []))
    if repeats == "every day" and not event.signup_required:
        when = f"Every day at {spoken_time(event.start)}"
        repeats = None
    elif with_day:
        when = f"{spoken_day(event.start.date(), now)} at {spoken_time(event.start)}"
        when = when[0].upper() + when[1:]
    else:
        when = f"At {spoken_time(event.start)}"
    parts = [f"{event.title.rstrip('.')}.", f"{when}, {event.place}."]
    if repeats and with_day:
        parts.append(f"It is {repeats}.")
    parts.append(signup_sentence(event))
    return " ".join(parts)


def signup_button(event: Event, next_of_series: Event) -> dict[str, str]:
    """Registers for this occurrence: the day is added when it is not the next one of its series."""
    name = event.title if event.id == next_of_series.id else f"{event.title} on {event.start.date().isoformat()}"
    return {"title": f"Sign me up for {event.title}"[:60],
            "payload": "/register_event" + json.dumps({"event_name": name})}


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

        lines: list[str] = []
        chosen = [e for e in upcoming if e.start.date() in days] if days else []
        if days and not chosen:
            lines.append(f"There is nothing on {spoken_list([spoken_day(d, now) for d in days])}.")
        if chosen:
            intro = spoken_list([spoken_day(d, now) for d in days])
            lines.append(f"Here is what is on {intro}.")
        else:
            chosen = upcoming
            lines.append("Here is what is coming up soon.")
        single_day = len(days) == 1 and chosen is not upcoming
        listed: list[Event] = []
        for event in chosen:
            if all(e.title != event.title for e in listed):
                listed.append(event)
            if len(listed) == MAX_LISTED:
                break
        lines += [describe(e, now, series, with_day=not single_day) for e in listed]
        if len({e.title for e in chosen}) > len(listed):
            lines.append("You can also ask me about one day, like Saturday.")
        buttons = [signup_button(e, series[e.title][0]) for e in listed
                   if e.signup_required and (e.capacity is None or e.registered < e.capacity)]
        dispatcher.utter_message(text=" ".join(lines), buttons=buttons)
        return [day_slot]
