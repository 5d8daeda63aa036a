"""Finding the place a resident means in the services' facility list, and naming places in the resident's language.

Shared by the skills that answer about a place (opening hours, directions): the form slot holds the
facility's slug once it is known, or the resident's words while the office system is down. A place that is not
known is answered with a response (``{place}``, ``{examples}``: names of known places from the office's data, in
the conversation's language).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from community_services.client import NotFound, ServicesError
from community_services.schemas import Facility

from .context import services
from .resident_text import tidy
from .words import join_list

MAX_PLACE = 200
PLACE_UNKNOWN = "utter_place_unknown"
"""Core response ``{place}``, ``{examples}``: no place of that name here."""
PLACE_NOT_KNOWN = "utter_place_not_known"
"""Core response ``{examples}``: the place the form settled on is not known (its words are not at hand)."""
MAX_EXAMPLES = 6
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FILLER_WORDS = frozenset({"the", "of", "and", "for"})

Lookup = Callable[[str], Facility | None]


def place_text(value: Any) -> str:
    """The resident's words for a place (or a slug), tidied and cut to :data:`MAX_PLACE` characters."""
    return tidy(value, limit=MAX_PLACE)


def the_name(facility: Facility, *, start: bool = False) -> str:
    """"the Community Clinic", but "Building 7"; capitalised at the start of a sentence."""
    name = facility.name if facility.kind == "building" else f"the {facility.name}"
    return name[:1].upper() + name[1:] if start else name


def facility_name(facility: Facility, language: str) -> str:
    """The place's name as the office wrote it in ``language`` (Chinese name for "zh-CN" when there is one)."""
    if language.startswith("zh") and facility.name_zh:
        return facility.name_zh
    return facility.name


def place_examples(language: str, *, wanted: Callable[[Facility], bool] | None = None,
                   limit: int = MAX_EXAMPLES) -> str:
    """Names of places the office knows, as one phrase for ``{examples}`` ("Library; Clinic" / "图书馆；卫生站").

    ``wanted`` keeps only some (those with opening hours); empty when the office system cannot be reached.
    """
    try:
        facilities = services().list_facilities()
    except ServicesError:
        return ""
    names = [facility_name(f, language) for f in facilities if wanted is None or wanted(f)]
    return join_list(names[:limit], language)


def is_plural(facility: Facility) -> bool:
    """"The Parcel Lockers are ...", but "The Community Canteen for Seniors is ..."."""
    return facility.kind != "building" and facility.slug.endswith("s") and not facility.slug.endswith("ss")


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text.lower())}


def names_in(text: str, facility: Facility) -> bool:
    """Does the resident's sentence really name this place (not just share a fuzzy word with it)?"""
    said = _words(text)
    for term in [facility.name, facility.slug.replace("-", " "), *facility.aliases]:
        words = _words(term) - _FILLER_WORDS
        if words and words <= said:
            return True
    return bool(facility.name_zh) and facility.name_zh in text


def lookup_facility(value: str, *, not_here: Callable[[str], bool] | None = None) -> Facility | None:
    """A facility by slug (from a button or an earlier answer) or by the words a resident used.

    ``not_here`` names words that cannot be a place here ("Building 15"): those are not searched for.
    Raises ``ServicesError`` when the office system cannot be reached.
    """
    value = place_text(value)
    if not value:
        return None
    if _SLUG.match(value):
        try:
            return services().get_facility(value)
        except NotFound:
            pass
    if not_here is not None and not_here(value):
        return None
    return services().find_facility(value)


def opening_question(tracker: Tracker, slot: str) -> str:
    """The resident's first sentence while the form starts with ``slot`` still empty; else ``""``.

    A place named in the question then counts even if the NLU did not mark it.
    """
    if tracker.get_slot("requested_slot") is not None or tracker.get_slot(slot):
        return ""
    text = place_text((tracker.latest_message or {}).get("text"))
    return "" if text.startswith("/") else text


def facility_named_in(text: str) -> Facility | None:
    """The facility the sentence really names, or ``None`` (also when the office system is down)."""
    try:
        found = services().find_facility(text)
    except ServicesError:
        return None
    return found if found is not None and names_in(text, found) else None


def facility_answer(slot: str, value: Any, dispatcher: CollectingDispatcher, *, examples: str = "",
                    unknown: str = PLACE_UNKNOWN, lookup: Lookup = lookup_facility) -> dict[str, Any]:
    """Validate the answer to "which place?": its slug, or say ``unknown`` (a response with ``{place}`` and
    ``{examples}``, e.g. from :func:`place_examples`) so the form asks again.

    While the office system is down the words are kept, so the final answer can say so.
    """
    text = place_text(value)
    if not text:
        return {slot: None}
    try:
        found = lookup(text)
    except ServicesError:
        return {slot: text}
    if found is None:
        dispatcher.utter_message(response=unknown, place=text[:60], examples=examples)
        return {slot: None}
    return {slot: found.slug}


def facility_to_answer(dispatcher: CollectingDispatcher, value: Any, *, services_down: str, examples: str = "",
                       not_known: str = PLACE_NOT_KNOWN, lookup: Lookup = lookup_facility) -> Facility | None:
    """The facility the form settled on; ``None`` after telling the resident why there is no answer
    (``services_down``, or ``not_known`` with ``{examples}``: both response names)."""
    text = place_text(value)
    try:
        facility = lookup(text) if text else None
    except ServicesError:
        dispatcher.utter_message(response=services_down)
        return None
    if facility is None:
        dispatcher.utter_message(response=not_known, examples=examples)
    return facility
