"""Where is it? Walking directions from the kiosk in the Service Centre lobby, with steps and ramps.

The way is computed on the community map (turn by turn, step-free when the resident asks for it) and
sent as ``{"route": {...route, "to": slug, "guide_url": signed link}}`` so the kiosk can draw it and
carry it to a phone. Without a usable map the office's written directions are said instead.

A ``tour`` entity (or a walk's name in the words) starts a walk of several stops (a heritage walk, the map's
``tours:``), and ``tour_stop`` goes on to its next stop (``tour.py``): the form then asks for no place. An entity
of ``navigate_to``, not an intent of its own: a new intent would need its own held-out and validation phrasings
in the NLU benchmark sets, which this skill does not own; "take me on the walk" is asking the way anyway.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.dialogue.wire import intent_message
from assistant.shared.events import navigate
from assistant.skill_runtime import parsing_zh
from assistant.skill_runtime.context import services
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
from assistant.skill_runtime.words import language_of
from community_services.client import ServicesClient, ServicesError
from community_services.schemas import Facility
from wayfinding.route import Route
from wayfinding.routing import NoRoute, UnknownPlace

from .tour import tour_asked, walk_on

SLOT = "route_facility"
SERVICES_DOWN = "utter_navigate_services_down"
PLACE_UNKNOWN = "utter_navigate_place_unknown"
NOT_KNOWN = "utter_navigate_not_known"
NO_SUCH_BUILDING = "utter_navigate_no_such_building"
STEPS_AND_RAMP = "utter_navigate_steps_and_ramp"
LIBRARY_ACCESS = "utter_navigate_library_access"
STEP_FREE_OFFER = "utter_navigate_step_free_offer"
NO_STEP_FREE_WAY = "utter_navigate_no_step_free_way"
STEP_FREE_SAID = "utter_navigate_step_free_said"
SOURCE_LANGUAGE = "en"
Said = tuple[str, dict[str, Any]]
"""A response name and the values that fill it."""
_BUILDING = re.compile(r"\b(?:building|block|bldg)\s*(?:no\.?|number)?\s*(\d{1,3})\b", re.I)
# A building said in Chinese, the number as digits or as a word: 3号楼, 三号楼, 十二栋, ３号楼
_BUILDING_ZH = re.compile(r"(\d{1,3}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九])"
                          r"\s*(?:号楼|栋|幢)")


def building_words(text: str) -> str:
    """"三号楼" / "３号楼" -> "Building 3", so a building said in Chinese is found like "Building 3"."""
    plain = unicodedata.normalize("NFKC", text or "")
    match = _BUILDING_ZH.search(plain)
    number = parsing_zh.zh_number(match.group(1)) if match else None
    return f"Building {number}" if number is not None else text


def building_out_of_range(text: str) -> int | None:
    """"Building 15" (or "十五号楼"): a building number the community does not have."""
    match = _BUILDING.search(building_words(text))
    if match and not 1 <= int(match.group(1)) <= 12:
        return int(match.group(1))
    return None


def lookup(value: str) -> Facility | None:
    """By slug (a button or an earlier answer) or by the resident's words. Raises ``ServicesError``."""
    return lookup_facility(building_words(value), not_here=lambda text: building_out_of_range(text) is not None)


def in_language(facility: Facility, language: str) -> Facility:
    """The facility with its name, location, directions and notes as the office wrote them in ``language``.

    The services client takes ``lang=`` once another helper's change to it is merged; until then the
    office's English words are used.
    """
    if language == SOURCE_LANGUAGE or "lang" not in inspect.signature(ServicesClient.get_facility).parameters:
        return facility
    lang: dict[str, Any] = {"lang": language}
    try:
        return services().get_facility(facility.slug, **lang)
    except ServicesError:
        return facility


def where(facility: Facility, language: str) -> Said | None:
    """Where it is: ``utter_navigate_where`` with the place's name and the office's location words.

    English words from the office ("West side of Garden Lane") get the "on the"/"at the" they need to follow
    "is"; other languages' words are used as the office wrote them.
    """
    location = (facility.location or "").strip().rstrip(".。")
    if not location:
        return None
    if language != SOURCE_LANGUAGE:
        name = facility.name_zh if language.startswith("zh") and facility.name_zh else facility.name
        return "utter_navigate_where", {"place": name, "location": location}
    head, _, rest = location.partition(". ")
    low = head.lower()
    if re.match(r"(west|east|north|south) end\b", low):
        phrase = f"at the {lower_first(head)}"
    elif re.match(r"(west|east|north|south) side\b|(ground|first|second|top) floor\b", low):
        phrase = f"on the {lower_first(head)}"
    else:
        phrase = lower_first(head)
    location = f"{phrase}. {rest}" if rest else phrase
    response = "utter_navigate_where_plural" if is_plural(facility) else "utter_navigate_where"
    return response, {"place": the_name(facility, start=True), "location": location}


def access_notes(facility: Facility) -> list[Said]:
    """Steps, ramps and lifts, where the directions do not already say so."""
    notes: list[Said] = []
    said = f"{facility.directions} {facility.location}".lower()
    in_garden = facility.slug in ("central-garden", "fitness-corner") or "central garden" in said or "中心花园" in said
    if in_garden and "ramp" not in said and "坡" not in said:
        notes.append((STEPS_AND_RAMP, {}))
    if facility.slug == "library" and "lift" not in said and "电梯" not in said:
        notes.append((LIBRARY_ACCESS, {}))
    note = building_note(facility)
    if note:
        notes.append(("utter_navigate_note", {"note": note}))
    return notes


def building_note(facility: Facility) -> str | None:
    """"It has six floors and no lift. The Garbage Station is behind it." for a residential building: the
    office's note (in the conversation's language), the English one made to read as a sentence."""
    if facility.kind != "building" or not facility.notes:
        return None
    text = facility.notes.replace("Six floors, with a lift.", "It has six floors and a lift.")
    return text.replace("Six floors, no lift.", "It has six floors and no lift.")


class ValidateNavigateForm(FormValidationAction):
    def name(self) -> str:
        return "validate_navigate_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """A walk asked for ("take me on the heritage walk", the kiosk's "Next stop") needs no place."""
        if tour_asked(tracker.latest_message or {}, wayfinder()):
            return []
        return domain_slots

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start, a place named in the question counts even if the NLU did not mark it."""
        text = opening_question(tracker, SLOT)
        if not text:
            return []
        if building_out_of_range(text) is not None:
            return [SlotSet(SLOT, text)]  # validation says there is no such building
        found = facility_named_in(building_words(text))  # "三号楼怎么走": Building 3
        return [SlotSet(SLOT, found.slug)] if found is not None else []

    def validate_route_facility(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = building_out_of_range(place_text(value))
        if number is not None:
            dispatcher.utter_message(response=NO_SUCH_BUILDING, building=number)
            return {SLOT: None}
        # the places the skill can show the way to are named in the response itself
        return facility_answer(SLOT, value, dispatcher, unknown=PLACE_UNKNOWN, lookup=lookup)


class ActionNavigateTo(Action):
    def name(self) -> str:
        return "action_navigate_to"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None)]
        message = tracker.latest_message or {}
        found = wayfinder()
        if tour_asked(message, found):
            walk_on(dispatcher, found, message, language_of(tracker))
            return reset
        step_free = wants_step_free(message.get("text"), message.get("entities"))
        words = place_text(tracker.get_slot(SLOT))
        language = language_of(tracker)
        try:
            facility = lookup(words) if words else None
        except ServicesError:  # the map is a file: the way can still be shown
            if not answer_from_map_alone(dispatcher, words, step_free, language):
                dispatcher.utter_message(response=SERVICES_DOWN)
            return reset
        if facility is None:
            dispatcher.utter_message(response=NOT_KNOWN)
            return reset
        facility = in_language(facility, language)
        said = where(facility, language)
        if said:
            dispatcher.utter_message(response=said[0], **said[1])
        found = wayfinder()
        route = plan(found, facility.slug, step_free, language) if found is not None else None
        if route is None and step_free and found is not None and plan(found, facility.slug, False, language):
            dispatcher.utter_message(response=NO_STEP_FREE_WAY)
            return reset
        if route is None or found is None:  # no usable map: the office's words, and the kiosk's map view
            say_office_directions(dispatcher, facility)
            dispatcher.utter_message(json_message={"route": {"to": facility.slug}})
            return reset
        say_route(dispatcher, route, note=building_note(facility), slug=facility.slug)
        send_route(dispatcher, found, route, facility.slug)
        return reset


def plan(found: Wayfinder, place: str, step_free: bool, language: str) -> Route | None:
    """The way from the kiosk with its steps in ``language`` (the map's Chinese names and route words).

    The router takes ``lang=`` once the map's languages are merged (wayfinding, another helper's work); until
    then, and for English, the way is planned as before.
    """
    if language == SOURCE_LANGUAGE or "lang" not in inspect.signature(found.router.route).parameters:
        return found.plan(place, step_free=step_free)
    try:
        return found.router.route(place, step_free=step_free, lang=language)  # type: ignore[call-arg,unused-ignore]
    except (UnknownPlace, NoRoute):
        return None


def answer_from_map_alone(dispatcher: CollectingDispatcher, words: str, step_free: bool,
                          language: str = SOURCE_LANGUAGE) -> bool:
    """While the office system is down: the way from the map, if the map knows the place (by any of its
    names: the map holds the Chinese ones too)."""
    found = wayfinder()
    if found is None or not words:
        return False
    words = building_words(words)
    place = found.map.place(words) or found.map.place(re.sub(r"^(the|a)\s+", "", words, flags=re.I))
    route = plan(found, place.id, step_free, language) if place is not None else None
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
        dispatcher.utter_message(response="utter_navigate_directions", directions=facility.directions)
    for response, values in access_notes(facility):
        dispatcher.utter_message(response=response, **values)


def say_route(dispatcher: CollectingDispatcher, route: Route, *, note: str | None, slug: str) -> None:
    """The steps in one message (spoken as one answer), then what matters for steps and lifts."""
    dispatcher.utter_message(response="utter_navigate_route", steps=route.text())
    if note:
        dispatcher.utter_message(response="utter_navigate_note", note=note)
    if route.step_free:
        dispatcher.utter_message(response=STEP_FREE_SAID)
    elif route.uses_stairs:
        # the button's title is in the response (per language); its payload names this place
        dispatcher.utter_message(response=STEP_FREE_OFFER, payload=intent_message(navigate(slug, step_free=True)))
