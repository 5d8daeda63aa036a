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

from assistant.skill_runtime.context import services
from community_services.client import NotFound, ServicesError
from community_services.schemas import Facility, clean_text

SLOT = "hours_facility"
SERVICES_DOWN = ("The office system is not answering right now, so I cannot look up the opening hours. "
                 "Please try again in a little while, or ask at the Property Management Office.")
KNOWN_EXAMPLES = ("I know the opening hours of the Community Clinic, the Library, the Canteen, "
                  "the Property Management Office and the Elderly Activity Room.")
DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NOW = re.compile(r"\b(now|today|tonight|at the moment|right now|still open|this (morning|afternoon|evening))\b",
                  re.I)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def tidy(value: Any, limit: int = 200) -> str:
    cleaned = clean_text(str(value) if value is not None else "")
    return cleaned[:limit] if isinstance(cleaned, str) else ""


def the_name(facility: Facility, *, start: bool = False) -> str:
    """"the Community Clinic", but "Building 7"; capitalised at the start of a sentence."""
    name = facility.name if facility.kind == "building" else f"the {facility.name}"
    return name[:1].upper() + name[1:] if start else name


def is_plural(facility: Facility) -> bool:
    """"The Parcel Lockers are ...", but "The Community Canteen for Seniors is ..."."""
    return facility.kind != "building" and facility.slug.endswith("s") and not facility.slug.endswith("ss")


def _words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text.lower())}


def names_in(text: str, facility: Facility) -> bool:
    """Does the resident's sentence really name this place (not just share a fuzzy word with it)?"""
    said = _words(text)
    terms = [facility.name, facility.slug.replace("-", " "), *facility.aliases]
    for term in terms:
        words = _words(term) - {"the", "of", "and", "for"}
        if words and words <= said:
            return True
    return bool(facility.name_zh) and facility.name_zh in text


def lookup(value: str) -> Facility | None:
    """A facility by slug (from a button or an earlier answer) or by the words a resident used.

    Raises ``ServicesError`` when the office system cannot be reached.
    """
    value = tidy(value)
    if not value:
        return None
    if _SLUG.match(value):
        try:
            return services().get_facility(value)
        except NotFound:
            pass
    return services().find_facility(value)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def hours_sentence(facility: Facility) -> str:
    text = (facility.hours_text or "").strip()
    subject = the_name(facility, start=True)
    verb = "are" if is_plural(facility) else "is"
    if not text:
        return f"I do not have opening hours for {the_name(facility)}."
    first = text.split(" ", 1)[0].rstrip(",")
    if first in DAY_NAMES or text.startswith("Every day"):
        sentence = f"{subject} {verb} open {text if first in DAY_NAMES else _lower_first(text)}"
    elif text.startswith("Open air"):
        sentence = f"{subject} {verb} in the open air{text[len('Open air'):]}"
    elif text.startswith("Open "):
        sentence = f"{subject} {verb} open {text[len('Open '):]}"
    elif text.startswith(("A ", "An ")):
        sentence = f"{subject} {verb} {_lower_first(text)}"
    else:
        sentence = f"At {the_name(facility)}: {_lower_first(text)}"
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
        if tracker.get_slot("requested_slot") is not None or tracker.get_slot(SLOT):
            return []
        text = tidy((tracker.latest_message or {}).get("text"))
        if not text or text.startswith("/"):
            return []
        try:
            found = services().find_facility(text)
        except ServicesError:
            return []
        if found is not None and names_in(text, found):
            return [SlotSet(SLOT, found.slug)]
        return []

    def validate_hours_facility(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {SLOT: None}
        text = tidy(value)
        if not text:
            return {SLOT: None}
        try:
            found = lookup(text)
        except ServicesError:
            return {SLOT: text}  # the answer will say that the office system is down
        if found is None:
            dispatcher.utter_message(text=f"Sorry, I do not know a place called {text[:60]}. {KNOWN_EXAMPLES}")
            return {SLOT: None}
        return {SLOT: found.slug}


class ActionFacilityHours(Action):
    def name(self) -> str:
        return "action_facility_hours"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None)]
        value = tidy(tracker.get_slot(SLOT))
        try:
            facility = lookup(value) if value else None
        except ServicesError:
            dispatcher.utter_message(text=SERVICES_DOWN)
            return reset
        if facility is None:
            dispatcher.utter_message(text=f"Sorry, I do not know that place. {KNOWN_EXAMPLES}")
            return reset
        dispatcher.utter_message(text=hours_sentence(facility))
        if any(_NOW.search(t) for t in recent_user_texts(tracker)):
            now_sentence = open_now_sentence(facility, datetime.now())
            if now_sentence:
                dispatcher.utter_message(text=now_sentence)
        return reset
