"""Opening hours of a place in the community, from the services' facility list.

"Is it open now?" and "today" get one more answer worked out from the opening hours. The place's name and its
hours come from the office in the conversation's language; the sentences around them are responses (skill.yml,
locale/zh-CN.yml), and clock times are said with ``spoken_when`` (when_words.yml).
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime import spoken_when
from assistant.skill_runtime.context import services
from assistant.skill_runtime.facilities import (
    facility_answer,
    facility_named_in,
    facility_to_answer,
    is_plural,
    lower_first,
    opening_question,
    place_examples,
    the_name,
)
from assistant.skill_runtime.words import language_of
from community_services.client import ServicesError
from community_services.schemas import Facility

SLOT = "hours_facility"
SERVICES_DOWN = "utter_hours_services_down"
DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NOW = re.compile(r"\b(now|today|tonight|at the moment|right now|still open|this (morning|afternoon|evening))\b"
                  r"|现在|今天|今儿|这会儿|眼下|还开着|开着吗|开着没|开门了吗|开门没|关门了吗|关门没|关了没", re.I)
_HOTLINE = re.compile(r"hotline|热线|报修电话", re.I)


def place_name(facility: Facility, language: str, *, start: bool = False) -> str:
    """"The Community Clinic" in English, the office's Chinese name ("社区卫生服务站") in Chinese."""
    if language != spoken_when.SOURCE and facility.name_zh:
        return facility.name_zh
    return the_name(facility, start=start)


def hours_answer(facility: Facility, language: str) -> list[tuple[str, dict[str, Any]]]:
    """The responses (name, values) that say ``facility``'s opening hours, as the office wrote them.

    English hours texts ("Tuesday to Sunday, 9 am to 8 pm", "Open 24 hours") are fitted into a sentence by their
    shape; any other text (the office's Chinese) is read as it is after the place's name.
    """
    text = (facility.hours_text or "").strip()
    place = place_name(facility, language, start=True)
    plural = "_plural" if is_plural(facility) and language == spoken_when.SOURCE else ""
    if not text:
        return [("utter_hours_none", {"place": place_name(facility, language)})]
    first = text.split(" ", 1)[0].rstrip(",")
    if first in DAY_NAMES or text.startswith("Every day"):
        said = (f"utter_hours_open{plural}", {"place": place, "hours": text if first in DAY_NAMES
                                               else lower_first(text)})
    elif text.startswith("Open air"):
        said = (f"utter_hours_open_air{plural}", {"place": place, "hours": text[len("Open air"):].lstrip(" ,")})
    elif text.startswith("Open "):
        said = (f"utter_hours_open{plural}", {"place": place, "hours": text[len("Open "):]})
    elif text.startswith(("A ", "An ")):
        said = (f"utter_hours_is{plural}", {"place": place, "hours": lower_first(text)})
    else:
        said = ("utter_hours_at", {"place": place_name(facility, language), "hours": lower_first(text)})
    notes = [s.strip() for s in re.split(r"(?<=[.。])\s*", facility.notes or "") if _HOTLINE.search(s)]
    return [said, *[("utter_hours_note", {"note": note}) for note in notes]]


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


def open_now_answer(facility: Facility, now: datetime, language: str) -> tuple[str, dict[str, Any]] | None:
    """"It is open now, until 5:30 pm." / "It is closed now. It opens today at 2 pm." as a response and its
    values; ``None`` when the office has no opening hours for the place."""
    if not facility.hours:
        return None
    today = now.weekday()
    windows = sorted((h.opens, h.closes) for h in facility.hours if today in _days(h.days))
    clock = now.strftime("%H:%M")
    for opens, closes in windows:
        if opens <= clock < closes:
            if opens == "00:00" and closes == "24:00":
                return "utter_open_day_and_night", {}
            return "utter_open_until", {"time": spoken_when.clock(closes, language)}
    later = [opens for opens, _ in windows if opens > clock]
    if later:
        return "utter_closed_opens_at", {"time": spoken_when.clock(later[0], language)}
    return ("utter_closed_today", {}) if not windows else ("utter_closed_for_today", {})


def examples(language: str) -> str:
    """Places the office has opening hours for, for "I know the opening hours of ..."."""
    return place_examples(language, wanted=lambda f: bool(f.hours))


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
        return facility_answer(SLOT, value, dispatcher, examples=examples(language_of(tracker)))


class ActionFacilityHours(Action):
    def name(self) -> str:
        return "action_facility_hours"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None)]
        language = language_of(tracker)
        facility = facility_to_answer(dispatcher, tracker.get_slot(SLOT), services_down=SERVICES_DOWN,
                                      examples=examples(language))
        if facility is None:
            return reset
        if language != spoken_when.SOURCE:
            # the place's hours as the office wrote them in the resident's language; the English ones are
            # better than none
            with suppress(ServicesError):
                facility = services().get_facility(facility.slug, lang=language)
        for response, values in hours_answer(facility, language):
            dispatcher.utter_message(response=response, **values)
        if any(_NOW.search(t) for t in recent_user_texts(tracker)):
            now_answer = open_now_answer(facility, datetime.now(), language)
            if now_answer:
                dispatcher.utter_message(response=now_answer[0], **now_answer[1])
        return reset
