"""Opening hours of a place in the community, from the services' facility list.

"Is it open now?" and "today" get one more sentence worked out from the opening hours.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.facilities import (
    facility_answer,
    facility_named_in,
    facility_to_answer,
    is_plural,
    lower_first,
    opening_question,
    the_name,
)
from community_services.schemas import Facility

SLOT = "hours_facility"
SERVICES_DOWN = ("The office system is not answering right now, so I cannot look up the opening hours. "
                 "Please try again in a little while, or ask at the Property Management Office.")
KNOWN_EXAMPLES = ("I know the opening hours of the Community Clinic, the Library, the Canteen, "
                  "the Property Management Office and the Elderly Activity Room.")
DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NOW = re.compile(r"\b(now|today|tonight|at the moment|right now|still open|this (morning|afternoon|evening))\b",
                  re.I)


def hours_sentence(facility: Facility) -> str:
    text = (facility.hours_text or "").strip()
    subject = the_name(facility, start=True)
    verb = "are" if is_plural(facility) else "is"
    if not text:
        return f"I do not have opening hours for {the_name(facility)}."
    first = text.split(" ", 1)[0].rstrip(",")
    if first in DAY_NAMES or text.startswith("Every day"):
        sentence = f"{subject} {verb} open {text if first in DAY_NAMES else lower_first(text)}"
    elif text.startswith("Open air"):
        sentence = f"{subject} {verb} in the open air{text[len('Open air'):]}"
    elif text.startswith("Open "):
        sentence = f"{subject} {verb} open {text[len('Open '):]}"
    elif text.startswith(("A ", "An ")):
        sentence = f"{subject} {verb} {lower_first(text)}"
    else:
        sentence = f"At {the_name(facility)}: {lower_first(text)}"
    notes = [s.strip() for s in re.split(r"(?<=\.)\s+", facility.notes or "") if "hotline" in s.lower()]
    return " ".join([sentence, *notes])


def _days(spec: str) -> set[int]:
    days: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAY_ABBR or (last and last not in DAY_ABBR):
            continue
        start = DAY_ABBR.index(first)
        end = DAY_ABBR.index(last) if last else start
        days.update(range(start, end + 1) if end >= start else [*range(start, 7), *range(0, end + 1)])
    return days


def _spoken(hhmm: str) -> str:
    hour, minute = (int(p) for p in hhmm.split(":"))
    if hour in (0, 24) and minute == 0:
        return "midnight"
    if hour == 12 and minute == 0:
        return "12 noon"
    suffix = "am" if hour < 12 else "pm"
    return f"{hour % 12 or 12}{f':{minute:02d}' if minute else ''} {suffix}"


def open_now_sentence(facility: Facility, now: datetime) -> str | None:
    """"It is open now, until 5:30 pm." / "It is closed now. It opens today at 2 pm." / None (no hours)."""
    if not facility.hours:
        return None
    today = now.weekday()
    windows = sorted((h.opens, h.closes) for h in facility.hours if today in _days(h.days))
    clock = now.strftime("%H:%M")
    for opens, closes in windows:
        if opens <= clock < closes:
            if opens == "00:00" and closes == "24:00":
                return "It is open now, day and night."
            return f"It is open now, until {_spoken(closes)}."
    later = [opens for opens, _ in windows if opens > clock]
    if later:
        return f"It is closed right now. It opens today at {_spoken(later[0])}."
    return "It is closed today." if not windows else "It has closed for today."


def recent_user_texts(tracker: Tracker, count: int = 2) -> list[str]:
    texts: list[str] = []
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            texts.append(str(event.get("text") or ""))
            if len(texts) == count:
                break
    return texts or [str((tracker.latest_message or {}).get("text") or "")]


class ValidateFacilityHoursForm(FormValidationAction):
    def name(self) -> str:
        return "validate_facility_hours_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start, a place named in the question counts even if the NLU did not mark it."""
        text = opening_question(tracker, SLOT)
        found = facility_named_in(text) if text else None
        return [SlotSet(SLOT, found.slug)] if found is not None else []

    def validate_hours_facility(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return facility_answer(SLOT, value, dispatcher, known_examples=KNOWN_EXAMPLES)


class ActionFacilityHours(Action):
    def name(self) -> str:
        return "action_facility_hours"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None)]
        facility = facility_to_answer(dispatcher, tracker.get_slot(SLOT), services_down=SERVICES_DOWN,
                                      known_examples=KNOWN_EXAMPLES)
        if facility is None:
            return reset
        dispatcher.utter_message(text=hours_sentence(facility))
        if any(_NOW.search(t) for t in recent_user_texts(tracker)):
            now_sentence = open_now_sentence(facility, datetime.now())
            if now_sentence:
                dispatcher.utter_message(text=now_sentence)
        return reset
