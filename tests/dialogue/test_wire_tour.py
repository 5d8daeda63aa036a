"""A way that is one leg of a walk (``{"route": {..., "tour": {...}}}``): decoded into ``ShowRoute.tour``, kept
through the event's dict round trip, and a broken tour step costs only the walk, never the way."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.dialogue.wire import decode_custom
from assistant.shared.events import Reply, ShowRoute, TourStep, event_from_dict

STEP = {"tour": "heritage-walk", "name": "Heritage Walk", "stop": 2, "count": 4, "story": "This is Garden Lane."}
ROUTE = {"to": "post-lane-45", "guide_url": "http://x/guide/sunny-garden/tour/heritage-walk/2?sig=abc",
         "start": "north-gate", "goal": "post-lane-45", "points": [[0, 0], [0, -45]], "steps": []}


def shown(route: dict[str, Any]) -> ShowRoute:
    (item,) = decode_custom({"route": route})
    assert isinstance(item, ShowRoute)
    return item


def test_a_tour_step_travels_with_the_way() -> None:
    route = shown({**ROUTE, "tour": STEP})
    assert route.tour == TourStep("heritage-walk", "Heritage Walk", 2, 4, "This is Garden Lane.")
    assert route.shape is not None and "tour" not in route.shape and route.shape["goal"] == "post-lane-45"
    reply = Reply("Heritage Walk, stop 2 of 4", data=(route,))
    assert event_from_dict(reply.to_dict()) == reply


@pytest.mark.parametrize("broken", [{**STEP, "stop": 5}, {**STEP, "stop": 0}, {"tour": "x"}, "stop 2", [1, 2],
                                    {**STEP, "count": "four"}])
def test_a_broken_tour_step_leaves_the_way(broken: object) -> None:
    route = shown({**ROUTE, "tour": broken})
    assert route.tour is None and route.to == "post-lane-45" and route.shape is not None


def test_a_plain_way_has_no_tour() -> None:
    assert shown(ROUTE).tour is None
