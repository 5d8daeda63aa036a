"""Walks of several stops (the map's ``tours:``, e.g. the Heritage Walk): which walk the resident asked for, which
stop, and each stop said and shown: its number and name, its story, the way to it and what to do there.

The way to stop 1 starts at the kiosk; the way to stop n at stop n-1. The route payload is the one
``navigate_to`` sends, with a ``tour`` step added, so the kiosk's Guide screen shows the story beside the way and a
"Next stop" button (which starts ``navigate_to`` with the walk and the next stop's number, ``events.take_tour``).
Past the last stop, the walk is done.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from assistant.shared.events import TourStep
from assistant.skill_runtime.wayfinding import Wayfinder
from assistant.skill_runtime.words import join_list
from wayfinding.community_map import CommunityMap, Tour, fold, is_chinese
from wayfinding.routing import NoRoute, UnknownPlace

TOUR_ENTITY = "tour"
STOP_ENTITY = "tour_stop"
STOP = "utter_tour_stop"
STORY = "utter_tour_story"
GO_ON = "utter_tour_go_on"
LAST_STOP = "utter_tour_last_stop"
DONE = "utter_tour_done"
UNKNOWN = "utter_tour_unknown"
NONE = "utter_tour_none"


def entity_value(message: dict[str, Any], name: str) -> str | None:
    """The first value of entity ``name`` in the resident's message (or a button's payload)."""
    for found in message.get("entities") or []:
        if isinstance(found, dict) and found.get("entity") == name and found.get("value") is not None:
            return str(found["value"])
    return None


def named_tour(community_map: CommunityMap, text: str | None) -> Tour | None:
    """The walk whose name or alias is in the words ("带我走走文化路线"), if any."""
    words = fold(text or "")
    for tour in community_map.tours:
        if any(fold(name) in words for name in (tour.name, tour.name_zh, *tour.aliases) if name):
            return tour
    return None


def tour_asked(message: dict[str, Any], found: Wayfinder | None) -> bool:
    """Did the resident ask for a walk: a ``tour`` entity (the NLU's, or a button's), or a walk named in words?"""
    if entity_value(message, TOUR_ENTITY) is not None:
        return True
    return found is not None and named_tour(found.map, message.get("text")) is not None


def which_tour(community_map: CommunityMap, message: dict[str, Any]) -> Tour | None:
    """The walk the entity names, else one named in the words, else the only one the map has."""
    said = entity_value(message, TOUR_ENTITY)
    named = community_map.tour(said) if said else None
    named = named or named_tour(community_map, message.get("text"))
    return named or (community_map.tours[0] if len(community_map.tours) == 1 else None)


def walk_on(dispatcher: CollectingDispatcher, found: Wayfinder | None, message: dict[str, Any],
            language: str) -> None:
    """The walk asked for, at the stop asked for (the first, unless a button named another); or why not."""
    tour = which_tour(found.map, message) if found is not None else None
    if found is None or tour is None:
        say_no_tour(dispatcher, found.map if found is not None else None, language)
        return
    show_stop(dispatcher, found, tour, stop_number(entity_value(message, STOP_ENTITY)), language)


def stop_number(value: str | None) -> int:
    """A stop number from a payload ("2"); anything else is the first stop."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return 1
    return max(1, number)


def tour_name(tour: Tour, language: str) -> str:
    return (tour.name_zh or tour.name) if is_chinese(language) else tour.name


def say_no_tour(dispatcher: CollectingDispatcher, community_map: CommunityMap | None, language: str) -> None:
    """No walk on the map at all, or none by the words the resident used (the walks there are are named)."""
    if community_map is None or not community_map.tours:
        dispatcher.utter_message(response=NONE)
        return
    names = join_list([tour_name(t, language) for t in community_map.tours], language)
    dispatcher.utter_message(response=UNKNOWN, tours=names)


def show_stop(dispatcher: CollectingDispatcher, found: Wayfinder, tour: Tour, n: int, language: str) -> None:
    """Stop ``n`` (1 for the first; past the last: the walk is done): its number and name, its story, the way to
    it, what to do there, and the route payload with the tour step for the Guide screen."""
    name = tour_name(tour, language)
    if n > len(tour.stops):
        dispatcher.utter_message(response=DONE, tour=name)
        return
    stop = tour.stops[n - 1]
    start = found.map.start if n == 1 else tour.stops[n - 2].at
    place = found.map.label(stop.at, language)
    story = stop.story_in(language)
    dispatcher.utter_message(response=STOP, tour=name, stop=n, count=len(tour.stops), place=place)
    dispatcher.utter_message(response=STORY, story=story)
    step = TourStep(tour=tour.id, name=name, stop=n, count=len(tour.stops), story=story)
    payload: dict[str, Any] = {"to": stop.at, "tour": asdict(step),
                               "guide_url": found.tour_url(tour.id, n, language)}
    try:
        route = found.router.route(stop.at, start=start, lang=language)
    except (UnknownPlace, NoRoute):  # the map was checked at load: a stop always has a way; if not, the story stays
        route = None
    if route is not None:
        dispatcher.utter_message(response="utter_navigate_route", steps=route.text())
        payload = {**route.to_dict(), **payload}
    dispatcher.utter_message(response=LAST_STOP if n == len(tour.stops) else GO_ON)
    dispatcher.utter_message(json_message={"route": payload})
