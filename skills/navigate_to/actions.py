"""Where is it? Walking directions from the kiosk in the Service Centre lobby, with steps and ramps.

Also sends ``{"route": {"to": slug}}`` so the kiosk can draw the route on the map.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services
from community_services.client import NotFound, ServicesError
from community_services.schemas import Facility, clean_text

SLOT = "route_facility"
SERVICES_DOWN = ("The office system is not answering right now, so I cannot look up the way. "
                 "Please ask at the Property Management Office, here on the ground floor.")
KNOWN_EXAMPLES = ("I can show you the way to the Community Clinic, the Library, the Canteen, "
                  "the Garbage Station, the Central Garden, the gates, or Buildings 1 to 12.")
STEPS_AND_RAMP = "The square is reached by three steps on the west side, or by the ramp on the east side."
LIBRARY_ACCESS = "The Library is on the first floor: take the stairs or the Service Centre lift."
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BUILDING = re.compile(r"\b(?:building|block|bldg)\s*(?:no\.?|number)?\s*(\d{1,3})\b", re.I)


def tidy(value: Any, limit: int = 200) -> str:
    cleaned = clean_text(str(value) if value is not None else "")
    return cleaned[:limit] if isinstance(cleaned, str) else ""


def the_name(facility: Facility, *, start: bool = False) -> str:
    name = facility.name if facility.kind == "building" else f"the {facility.name}"
    return name[:1].upper() + name[1:] if start else name


def is_plural(facility: Facility) -> bool:
    """"The Parcel Lockers are ...", but "The Community Canteen for Seniors is ..."."""
    return facility.kind != "building" and facility.slug.endswith("s") and not facility.slug.endswith("ss")


def _words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text.lower())}


def names_in(text: str, facility: Facility) -> bool:
    """Does the sentence really name this place (not just share a fuzzy word with it)?"""
    said = _words(text)
    for term in [facility.name, facility.slug.replace("-", " "), *facility.aliases]:
        words = _words(term) - {"the", "of", "and", "for"}
        if words and words <= said:
            return True
    return bool(facility.name_zh) and facility.name_zh in text


def building_out_of_range(text: str) -> int | None:
    """"Building 15": a building number the community does not have."""
    match = _BUILDING.search(text)
    if match and not 1 <= int(match.group(1)) <= 12:
        return int(match.group(1))
    return None


def lookup(value: str) -> Facility | None:
    """By slug (a button or an earlier answer) or by the resident's words. Raises ``ServicesError``."""
    value = tidy(value)
    if not value:
        return None
    if _SLUG.match(value):
        try:
            return services().get_facility(value)
        except NotFound:
            pass
    if building_out_of_range(value) is not None:
        return None
    return services().find_facility(value)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def where_sentence(facility: Facility) -> str:
    """"The Community Clinic is on the west side of Garden Lane, next to Building 2."."""
    location = (facility.location or "").strip().rstrip(".")
    verb = "are" if is_plural(facility) else "is"
    subject = the_name(facility, start=True)
    if not location:
        return ""
    head, _, rest = location.partition(". ")
    low = head.lower()
    if re.match(r"(west|east|north|south) end\b", low):
        phrase = f"at the {_lower_first(head)}"
    elif re.match(r"(west|east|north|south) side\b|(ground|first|second|top) floor\b", low):
        phrase = f"on the {_lower_first(head)}"
    else:
        phrase = _lower_first(head)
    sentence = f"{subject} {verb} {phrase}."
    return f"{sentence} {rest}." if rest else sentence


def access_notes(facility: Facility) -> list[str]:
    """Steps, ramps and lifts, where the directions do not already say so."""
    notes: list[str] = []
    said = f"{facility.directions} {facility.location}".lower()
    in_garden = facility.slug in ("central-garden", "fitness-corner") or "central garden" in said
    if in_garden and "ramp" not in said:
        notes.append(STEPS_AND_RAMP)
    if facility.slug == "library" and "lift" not in said:
        notes.append(LIBRARY_ACCESS)
    if facility.kind == "building" and facility.notes:
        text = facility.notes.replace("Six floors, with a lift.", "It has six floors and a lift.")
        text = text.replace("Six floors, no lift.", "It has six floors and no lift.")
        notes.append(text)
    return notes


class ValidateNavigateForm(FormValidationAction):
    def name(self) -> str:
        return "validate_navigate_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start, a place named in the question counts even if the NLU did not mark it."""
        if tracker.get_slot("requested_slot") is not None or tracker.get_slot(SLOT):
            return []
        text = tidy((tracker.latest_message or {}).get("text"))
        if not text or text.startswith("/"):
            return []
        if building_out_of_range(text) is not None:
            return [SlotSet(SLOT, text)]  # validation says there is no such building
        try:
            found = services().find_facility(text)
        except ServicesError:
            return []
        if found is not None and names_in(text, found):
            return [SlotSet(SLOT, found.slug)]
        return []

    def validate_route_facility(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {SLOT: None}
        text = tidy(value)
        if not text:
            return {SLOT: None}
        number = building_out_of_range(text)
        if number is not None:
            dispatcher.utter_message(text=f"There is no Building {number} here. The buildings are numbered 1 to 12.")
            return {SLOT: None}
        try:
            found = lookup(text)
        except ServicesError:
            return {SLOT: text}  # the answer will say that the office system is down
        if found is None:
            dispatcher.utter_message(text=f"Sorry, I do not know a place called {text[:60]}. {KNOWN_EXAMPLES}")
            return {SLOT: None}
        return {SLOT: found.slug}


class ActionNavigateTo(Action):
    def name(self) -> str:
        return "action_navigate_to"

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
        where = where_sentence(facility)
        if where:
            dispatcher.utter_message(text=where)
        if facility.directions:
            dispatcher.utter_message(text=facility.directions)
        for note in access_notes(facility):
            dispatcher.utter_message(text=note)
        dispatcher.utter_message(json_message={"route": {"to": facility.slug}})
        return reset
