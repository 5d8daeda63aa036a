"""Where is it? Walking directions from the kiosk in the Service Centre lobby, with steps and ramps.

The way is computed on the community map (turn by turn, step-free when the resident asks for it) and
sent as ``{"route": {...route, "to": slug, "guide_url": signed link}}`` so the kiosk can draw it and
carry it to a phone. Without a usable map the office's written directions are said instead.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.dialogue.wire import intent_message
from assistant.shared.events import navigate
from assistant.skill_runtime.facilities import (
    facility_answer,
    facility_named_in,
    is_plural,
    lookup_facility,
    lower_first,
    opening_question,
    place_text,
    the_name,
)
from assistant.skill_runtime.wayfinding import Wayfinder, wants_step_free, wayfinder
from community_services.client import ServicesError
from community_services.schemas import Facility
from wayfinding.route import Route

SLOT = "route_facility"
SERVICES_DOWN = ("The office system is not answering right now, so I cannot look up the way. "
                 "Please ask at the Property Management Office, here on the ground floor.")
KNOWN_EXAMPLES = ("I can show you the way to the Community Clinic, the Library, the Canteen, "
                  "the Garbage Station, the Central Garden, the gates, or Buildings 1 to 12.")
STEPS_AND_RAMP = "The square is reached by three steps on the west side, or by the ramp on the east side."
LIBRARY_ACCESS = "The Library is on the first floor: take the stairs or the Service Centre lift."
STEP_FREE_OFFER = "If you cannot use steps, I can show you a way without them."
STEP_FREE_BUTTON = "Way without steps"
NO_STEP_FREE_WAY = "I am sorry, I do not know a way there without steps. Please ask at the Property Management Office."
STEP_FREE_SAID = "This way has no steps."
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
    note = building_note(facility)
    if note:
        notes.append(note)
    return notes


def building_note(facility: Facility) -> str | None:
    """"It has six floors and no lift. The Garbage Station is behind it." for a residential building."""
    if facility.kind != "building" or not facility.notes:
        return None
    text = facility.notes.replace("Six floors, with a lift.", "It has six floors and a lift.")
    return text.replace("Six floors, no lift.", "It has six floors and no lift.")


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
        message = tracker.latest_message or {}
        step_free = wants_step_free(message.get("text"), message.get("entities"))
        words = place_text(tracker.get_slot(SLOT))
        try:
            facility = lookup(words) if words else None
        except ServicesError:  # the map is a file: the way can still be shown
            if not answer_from_map_alone(dispatcher, words, step_free):
                dispatcher.utter_message(text=SERVICES_DOWN)
            return reset
        if facility is None:
            dispatcher.utter_message(text=f"Sorry, I do not know that place. {KNOWN_EXAMPLES}")
            return reset
        where = where_sentence(facility)
        if where:
            dispatcher.utter_message(text=where)
        found = wayfinder()
        route = found.plan(facility.slug, step_free=step_free) if found is not None else None
        if route is None and step_free and found is not None and found.plan(facility.slug, step_free=False):
            dispatcher.utter_message(text=NO_STEP_FREE_WAY)
            return reset
        if route is None or found is None:  # no usable map: the office's words, and the kiosk's map view
            say_office_directions(dispatcher, facility)
            dispatcher.utter_message(json_message={"route": {"to": facility.slug}})
            return reset
        say_route(dispatcher, route, note=building_note(facility), slug=facility.slug)
        send_route(dispatcher, found, route, facility.slug)
        return reset


def answer_from_map_alone(dispatcher: CollectingDispatcher, words: str, step_free: bool) -> bool:
    """While the office system is down: the way from the map, if the map knows the place."""
    found = wayfinder()
    if found is None or not words:
        return False
    place = found.map.place(words) or found.map.place(re.sub(r"^(the|a)\s+", "", words, flags=re.I))
    route = found.plan(place.id, step_free=step_free) if place is not None else None
    if place is None or route is None:
        return False
    say_route(dispatcher, route, note=None, slug=place.id)
    send_route(dispatcher, found, route, place.id)
    return True


def send_route(dispatcher: CollectingDispatcher, found: Wayfinder, route: Route, slug: str) -> None:
    payload = {**route.to_dict(), "to": slug, "guide_url": found.guide_url(route, slug)}
    dispatcher.utter_message(json_message={"route": payload})


def say_office_directions(dispatcher: CollectingDispatcher, facility: Facility) -> None:
    if facility.directions:
        dispatcher.utter_message(text=facility.directions)
    for note in access_notes(facility):
        dispatcher.utter_message(text=note)


def say_route(dispatcher: CollectingDispatcher, route: Route, *, note: str | None, slug: str) -> None:
    """The steps in one message (spoken as one answer), then what matters for steps and lifts."""
    dispatcher.utter_message(text=route.text())
    if note:
        dispatcher.utter_message(text=note)
    if route.step_free:
        dispatcher.utter_message(text=STEP_FREE_SAID)
    elif route.uses_stairs:
        payload = intent_message(navigate(slug, step_free=True))
        dispatcher.utter_message(text=STEP_FREE_OFFER, buttons=[{"title": STEP_FREE_BUTTON, "payload": payload}])
