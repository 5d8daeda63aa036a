"""Routing on the demo map: the shortest way, the way without steps, parts of places and the spoken words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wayfinding.community_map import CommunityMap, load_map
from wayfinding.route import Route
from wayfinding.routing import NoRoute, Router, UnknownPlace, spoken_distance, turn_word

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "assets" / "maps" / "sunny-garden.yml"


@pytest.fixture(scope="module")
def demo() -> CommunityMap:
    return load_map(DEMO)


@pytest.fixture(scope="module")
def router(demo: CommunityMap) -> Router:
    return Router(demo)


def texts(route: Route) -> list[str]:
    return [step.text for step in route.steps]


def test_kiosk_to_the_clinic(router: Router) -> None:
    route = router.route("community-clinic")
    assert route.start == "kiosk" and route.goal == "community-clinic"
    assert route.goal_name == "Community Clinic"
    assert texts(route) == [
        "Leave the Service Centre by the main door.",
        "Walk south along Garden Lane for about 110 metres.",
        "The Community Clinic is on your right.",  # as the office's directions say
    ]
    assert route.nodes[0] == "kiosk" and route.nodes[-1] == "community-clinic"
    assert "lane-120" in route.nodes
    assert not route.uses_stairs
    assert route.steps[-1].kind == "arrive" and route.steps[-1].node == "community-clinic"


def test_points_follow_nodes_and_steps_add_up(router: Router, demo: CommunityMap) -> None:
    for to in ("clinic", "garden", "library", "garbage", "canteen", "police"):
        for step_free in (False, True):
            route = router.route(to, step_free=step_free)
            assert route.points == tuple(demo.node(n).at for n in route.nodes)
            assert sum(s.distance_m for s in route.steps) == pytest.approx(route.length_m, abs=0.05)
            assert Route.from_dict(route.to_dict()) == route


def test_central_garden_by_the_steps_or_the_ramp(router: Router) -> None:
    steps = router.route("central-garden")
    ramp = router.route("central-garden", step_free=True)
    assert steps.uses_stairs and "lane-200" in steps.nodes and "square-west" in steps.nodes
    assert "Go up the three steps onto the square." in steps.text()
    assert not ramp.uses_stairs and ramp.step_free
    assert "ramp-foot" in ramp.nodes and "square-west" not in ramp.nodes
    assert ramp.length_m > steps.length_m
    assert "Take the ramp up onto the square." in ramp.text()
    assert "steps onto" not in ramp.text()
    assert any(s.kind == "ramp" for s in ramp.steps) and any(s.kind == "stairs" for s in steps.steps)


def test_library_by_the_stairs_or_the_lift(router: Router) -> None:
    stairs = router.route("library")
    lift = router.route("library", step_free=True)
    assert stairs.uses_stairs and texts(stairs)[0] == "Take the lobby stairs up to the first floor."
    assert not lift.uses_stairs
    assert texts(lift)[0] == "Take the Service Centre lift up to the first floor."
    assert lift.steps[0].kind == "lift"
    assert texts(lift)[-1] == "The Library and Reading Room is a few steps ahead."


def test_a_lift_costs_waiting_time_but_stairs_are_not_avoided_needlessly(router: Router) -> None:
    assert "lift-ground" not in router.route("library").nodes
    assert "lift-ground" in router.route("library", step_free=True).nodes


@pytest.mark.parametrize("words", ["clinic", "  CLINIC ", "Community Clinic", "health station", "诊所"])
def test_aliases_and_names_find_the_place(router: Router, words: str) -> None:
    assert router.route(words).goal == "community-clinic"


def test_parcel_lockers_lead_to_the_nearest_part(router: Router) -> None:
    assert router.route("parcel lockers").goal == "parcel-lockers"
    south = router.route("parcel lockers", start="post-south-gate")
    assert south.goal == "parcel-lockers-south"
    assert south.goal_name == "South Gate Parcel Lockers"
    assert router.route("parcel-lockers-south").goal == "parcel-lockers-south"  # a part by its own id


def test_routes_from_a_marker_post_and_to_one(router: Router) -> None:
    back = router.route("clinic", start="post-garden")
    assert back.start == "post-garden"
    assert texts(back) == [
        "Go down the three steps to Garden Lane.",
        "Walk north along Garden Lane for about 80 metres.",
        "The Community Clinic is on your left.",
    ]
    to_post = router.route("post-lane-120")
    assert to_post.goal == "post-lane-120"
    assert router.route("garden", start="Central Garden").length_m == 0  # a start may be a place name


def test_unknown_place_suggests_close_names(router: Router) -> None:
    with pytest.raises(UnknownPlace) as err:
        router.route("cinic")
    assert err.value.suggestions[0] == "Community Clinic"
    assert "Did you mean the Community Clinic" in err.value.message
    with pytest.raises(UnknownPlace) as err:
        router.route("swimming pool")
    assert err.value.suggestions == ()
    with pytest.raises(UnknownPlace):
        router.route("   ")
    with pytest.raises(UnknownPlace):
        router.route("clinic", start="the moon")


def test_no_route_when_nothing_is_step_free(tmp_path: Path) -> None:
    path = tmp_path / "steps.yml"
    path.write_text(
        "community: t\nname: T\nstart: a\nplaces:\n  - {id: tower, name: Bell Tower, at: [0, -20]}\n"
        "junctions:\n  - {id: a, at: [0, 0]}\npaths:\n  - {between: [a, tower], access: stairs}\n",
        encoding="utf-8")
    router = Router(load_map(path))
    assert router.route("bell tower").uses_stairs
    with pytest.raises(NoRoute, match="no way without steps from here to the Bell Tower"):
        router.route("bell tower", step_free=True)


@pytest.mark.parametrize(("metres", "words"), [
    (3, "a few steps"), (14.9, "a few steps"), (15, "about 20 metres"), (45, "about 50 metres"),
    (109, "about 110 metres"), (189, "about 190 metres"), (389, "about 400 metres"), (1234, "about 1.2 kilometres"),
])
def test_spoken_distances_are_rounded(metres: float, words: str) -> None:
    assert spoken_distance(metres) == words


@pytest.mark.parametrize(("delta", "word"), [
    (0, None), (29, None), (-29, None), (30, "right"), (-90, "left"), (134, "right"), (135, "around"), (180, "around"),
])
def test_turns_by_heading_change(delta: float, word: str | None) -> None:
    assert turn_word(delta) == word


def test_every_route_from_the_kiosk_reads_well(router: Router, demo: CommunityMap) -> None:
    for place in demo.places:
        for step_free in (False, True):
            route = router.route(place.id, step_free=step_free)
            for step in route.steps:
                assert re.fullmatch(r"[A-Z][^.?!]*[.!?]( [A-Z][^.?!]*[.!?])?", step.text), step.text
                assert len(step.text.split()) <= 14, step.text  # short enough to follow when spoken
                assert not re.search(r"\d+\.\d", step.text), step.text  # no "109.4 metres"
            assert route.steps[-1].kind == "arrive"
            goal = demo.node(route.goal)
            assert getattr(goal, "name", "") in route.steps[-1].text
            walks = [s for s in route.steps if s.kind == "walk" and "Walk " in s.text]
            if walks:  # the first walk says a compass direction
                assert re.search(r"Walk (a few steps )?(north|south|east|west)", walks[0].text)
            assert route.step_free is step_free


def test_merged_walks_along_the_lane_are_one_sentence(router: Router) -> None:
    route = router.route("south gate")
    assert texts(route) == [
        "Leave the Service Centre by the main door.",
        "Walk south along Garden Lane for about 400 metres.",
        "The South Gate is ahead of you.",
    ]


def test_already_there(router: Router) -> None:
    route = router.route("service centre")
    assert texts(route) == ["You are at the Community Service Centre now."]


def test_a_turn_step_says_which_way_for_its_pictogram(demo: CommunityMap) -> None:
    """``RouteStep.turn`` is the turn the sentence names (the step's pictogram follows it); it survives the JSON
    round trip, and a route from before the field existed reads as no side."""
    route = Router(demo).route("garbage")
    turns = [s for s in route.steps if s.kind == "turn"]
    assert turns and all(s.turn in ("left", "right") and s.turn in s.text for s in turns)
    assert all(s.turn is None for s in route.steps if s.kind != "turn")
    assert Route.from_dict(route.to_dict()) == route
    old = route.to_dict()
    for step in old["steps"]:
        del step["turn"]
    assert all(s.turn is None for s in Route.from_dict(old).steps)
