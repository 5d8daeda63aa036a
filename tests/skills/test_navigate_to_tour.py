"""navigate_to's walks of several stops (the map's ``tours:``): "take me on the heritage walk" starts at stop 1
with the way from the kiosk, the kiosk's "Next stop" payload goes on from the stop before, the end of the walk,
in both languages, with the route payload the Guide screen reads (its tour step and the stop's signed link)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
import yaml
from helpers import SKILLS, form_tracker, perform, skill_domain
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.wire import decode_route, intent_message
from assistant.places.community import load_keys
from assistant.shared.events import TourStep, take_tour
from assistant.skill_runtime import context
from skills.navigate_to import actions as nav
from skills.navigate_to import tour as tours
from wayfinding.community_map import default_map_path, load_map
from wayfinding.guide_links import TourLink, parse_tour_url
from wayfinding.route import Route

DOMAIN = skill_domain("navigate_to")
WALK = load_map(default_map_path()).tours[0]


def walk(text: str, entities: list[dict[str, Any]] | None = None
         ) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    """What the action said (response names and values) and its route payloads, for this message."""
    tracker = form_tracker("navigate_form", [nav.SLOT], text=text, intent="navigate_to", entities=entities,
                           active=False)
    _, dispatcher = perform(nav.ActionNavigateTo(), tracker, DOMAIN)
    said = [(m["response"], {k: v for k, v in m.items() if k not in ("response", "template", "custom", "text",
                                                                        "buttons", "elements", "attachment",
                                                                        "image", "json_message")})
            for m in dispatcher.messages if m.get("response")]
    return said, [m["custom"]["route"] for m in dispatcher.messages if m.get("custom")]


def next_stop(stop: int, text: str = "") -> list[dict[str, Any]]:
    """The entities of the kiosk's "Next stop" button, as Rasa reads its payload."""
    command = take_tour("heritage-walk", stop)
    assert intent_message(command) == f'/navigate_to{{"tour": "heritage-walk", "tour_stop": "{stop}"}}'
    return [{"entity": k, "value": v} for k, v in command.entities.items()]


@pytest.mark.parametrize("text", ["take me on the heritage walk", "I'd like to do the culture walk"])
def test_the_walk_starts_at_its_first_stop_with_the_way_from_the_kiosk(
        skill_context: context.SkillContext, text: str) -> None:
    said, routes = walk(text, [{"entity": "tour", "value": "heritage walk"}] if "heritage" in text else None)
    assert [name for name, _ in said] == [tours.STOP, tours.STORY, "utter_navigate_route", tours.GO_ON]
    assert said[0][1] == {"tour": "Heritage Walk", "stop": 1, "count": 4, "place": "North Gate"}
    assert said[1][1] == {"story": WALK.stops[0].story_in("en")}
    (route,) = routes
    assert route["start"] == "kiosk" and route["goal"] == "north-gate" and route["to"] == "north-gate"
    assert Route.from_dict(route).text() == said[2][1]["steps"]
    shown = decode_route(route)  # what the kiosk makes of it
    assert shown is not None and shown.tour == TourStep("heritage-walk", "Heritage Walk", 1, 4,
                                                        WALK.stops[0].story_in("en"))
    keys = load_keys(skill_context.settings.var_dir)
    assert parse_tour_url(route["guide_url"], keys, "sunny-garden") == TourLink("sunny-garden", "heritage-walk", 1)


def test_in_chinese_the_walk_is_told_in_chinese(skill_context: context.SkillContext) -> None:
    said, routes = walk("带我走走文化路线")  # no entity marked: the walk's Chinese alias is in the words
    assert said[0][1] == {"tour": "文化漫步", "stop": 1, "count": 4, "place": "北门"}
    assert said[1][1]["story"] == WALK.stops[0].story_in("zh-CN")
    assert "北门" in said[2][1]["steps"]
    assert routes[0]["tour"]["name"] == "文化漫步" and "lang=zh-CN" in routes[0]["guide_url"]


def test_next_stop_goes_on_from_the_stop_before(skill_context: context.SkillContext) -> None:
    said, routes = walk("", next_stop(3))
    assert said[0][1]["place"] == "Central Garden" and "Tai Chi" in said[1][1]["story"]
    assert (routes[0]["start"], routes[0]["goal"]) == ("post-lane-45", "central-garden")
    assert "three steps" in said[2][1]["steps"]
    assert routes[0]["tour"]["stop"] == 3


def test_the_last_stop_then_the_end_of_the_walk(skill_context: context.SkillContext) -> None:
    said, routes = walk("", next_stop(4))
    assert said[-1] == (tours.LAST_STOP, {}) and routes[0]["goal"] == "south-gate"
    said, routes = walk("", next_stop(5))
    assert said == [(tours.DONE, {"tour": "Heritage Walk"})] and routes == []


def test_a_walk_the_map_does_not_have(skill_context: context.SkillContext, monkeypatch: pytest.MonkeyPatch) -> None:
    found = nav.wayfinder()
    assert found is not None
    two = found.map.model_copy(update={"tours": (WALK, WALK.model_copy(update={"id": "garden-walk",
                                                                              "name": "Garden Walk",
                                                                              "aliases": ()}))})
    monkeypatch.setattr(nav, "wayfinder", lambda: replace(found, map=two))
    said, routes = walk("take me on the moon walk", [{"entity": "tour", "value": "moon walk"}])
    assert said == [(tours.UNKNOWN, {"tours": "Heritage Walk; Garden Walk"})] and routes == []


def test_no_walk_on_the_map(skill_context: context.SkillContext, monkeypatch: pytest.MonkeyPatch) -> None:
    found = nav.wayfinder()
    assert found is not None
    bare = found.map.model_copy(update={"tours": ()})
    monkeypatch.setattr(nav, "wayfinder", lambda: replace(found, map=bare))
    said, _ = walk("take me on the heritage walk", [{"entity": "tour", "value": "heritage walk"}])
    assert said == [(tours.NONE, {})]


def test_the_form_asks_for_no_place_when_a_walk_is_asked(skill_context: context.SkillContext) -> None:
    def required(text: str, entities: list[dict[str, Any]] | None = None) -> list[str]:
        tracker = form_tracker("navigate_form", [nav.SLOT], text=text, intent="navigate_to", entities=entities)
        return asyncio.run(nav.ValidateNavigateForm().required_slots([nav.SLOT], CollectingDispatcher(), tracker,
                                                                     DOMAIN))

    assert required("take me on the heritage walk") == []
    assert required("", next_stop(2)) == []
    assert required("show me around, a little tour", [{"entity": "tour", "value": "tour"}]) == []
    assert required("where is the clinic") == [nav.SLOT]
    assert required("how do I get to the garden") == [nav.SLOT]


def test_every_tour_response_is_written_in_both_languages() -> None:
    english = DOMAIN["responses"]
    chinese = yaml.safe_load((SKILLS / "navigate_to" / "locale" / "zh-CN.yml").read_text("utf-8"))["responses"]
    for name in (tours.STOP, tours.STORY, tours.GO_ON, tours.LAST_STOP, tours.DONE, tours.UNKNOWN, tours.NONE):
        assert name in english and name in chinese
