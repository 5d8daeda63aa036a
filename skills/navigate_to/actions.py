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

from assistant.skill_runtime.facilities import (
    facility_answer,
    facility_named_in,
    facility_to_answer,
    is_plural,
    lookup_facility,
    lower_first,
    opening_question,
    place_text,
    the_name,
)
from community_services.schemas import Facility

SLOT = "route_facility"
SERVICES_DOWN = ("The office system is not answering right now, so I cannot look up the way. "
                 "Please ask at the Property Management Office, here on the ground floor.")
KNOWN_EXAMPLES = ("I can show you the way to the Community Clinic, the Library, the Canteen, "
                  "the Garbage Station, the Central Garden, the gates, or Buildings 1 to 12.")
STEPS_AND_RAMP = "The square is reached by three steps on the west side, or by the ramp on the east side."
LIBRARY_ACCESS = "The Library is on the first floor: take the stairs or the Service Centre lift."
_BUILDING = re.compile(r"\b(?:building|block|bldg)\s*(?:no\.?|number)?\s*(\d{1,3})\b", re.I)


def building_out_of_range(text: str) -> int | None:
    """"Building 15": a building number the community does not have."""
    match = _BUILDING.search(text)
    if match and not 1 <= int(match.group(1)) <= 12:
        return int(match.group(1))
    return None


def lookup(value: str) -> Facility | None:
    """By slug (a button or an earlier answer) or by the resident's words. Raises ``ServicesError``."""
    return lookup_facility(value, not_here=lambda text: building_out_of_range(text) is not None)


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
        phrase = f"at the {lower_first(head)}"
    elif re.match(r"(west|east|north|south) side\b|(ground|first|second|top) floor\b", low):
        phrase = f"on the {lower_first(head)}"
    else:
        phrase = lower_first(head)
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
        text = opening_question(tracker, SLOT)
        if not text:
            return []
        if building_out_of_range(text) is not None:
            return [SlotSet(SLOT, text)]  # validation says there is no such building
        found = facility_named_in(text)
        return [SlotSet(SLOT, found.slug)] if found is not None else []

    def validate_route_facility(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = building_out_of_range(place_text(value))
        if number is not None:
            dispatcher.utter_message(text=f"There is no Building {number} here. The buildings are numbered 1 to 12.")
            return {SLOT: None}
        return facility_answer(SLOT, value, dispatcher, known_examples=KNOWN_EXAMPLES, lookup=lookup)


class ActionNavigateTo(Action):
    def name(self) -> str:
        return "action_navigate_to"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None)]
        facility = facility_to_answer(dispatcher, tracker.get_slot(SLOT), services_down=SERVICES_DOWN,
                                      known_examples=KNOWN_EXAMPLES, lookup=lookup)
        if facility is None:
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
