"""The demo map agrees with the services' seed data: same places, same names, same side of Garden Lane."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from community_services.seed_data import BUILDINGS, FACILITIES
from wayfinding.community_map import CommunityMap, Place, load_map
from wayfinding.routing import Router

ROOT = Path(__file__).resolve().parents[2]
ALL = FACILITIES + BUILDINGS


@pytest.fixture(scope="module")
def demo() -> CommunityMap:
    return load_map(ROOT / "assets" / "maps" / "sunny-garden.yml")


def place(demo: CommunityMap, slug: str) -> Place:
    node = demo.node(slug)
    assert isinstance(node, Place), slug
    return node


@pytest.mark.parametrize("facility", ALL, ids=lambda f: f["slug"])
def test_every_facility_is_a_place_with_the_same_names(demo: CommunityMap, facility: dict[str, Any]) -> None:
    p = place(demo, facility["slug"])
    assert p.name == facility["name"]
    assert p.name_zh == facility["name_zh"]
    assert list(p.aliases) == facility["aliases"]
    assert p.part_of is None


@pytest.mark.parametrize("facility", ALL, ids=lambda f: f["slug"])
def test_sides_of_the_lane_match_the_seed_locations(demo: CommunityMap, facility: dict[str, Any]) -> None:
    x = place(demo, facility["slug"]).at[0]
    location = facility["location"].lower()
    if "west side" in location:
        assert x < 0
    if "east side" in location:
        assert x > 0


def test_layout_facts(demo: CommunityMap) -> None:
    def at(slug: str) -> tuple[float, float]:
        return place(demo, slug).at

    for n in range(1, 13):
        x, y = at(f"building-{n}")
        assert (x < 0) == (n <= 6)
    west = [at(f"building-{n}")[1] for n in range(1, 7)]
    east = [at(f"building-{n}")[1] for n in range(7, 13)]
    assert west == sorted(west, reverse=True) and east == sorted(east, reverse=True)  # numbered north to south
    garden_y = at("central-garden")[1]
    assert -220 <= garden_y <= -180 and at("central-garden")[0] > 0
    assert all(at(f"building-{n}")[1] > garden_y for n in (1, 2, 3, 7, 8, 9))
    assert all(at(f"building-{n}")[1] < garden_y for n in (4, 5, 6, 10, 11, 12))
    assert abs(at("community-clinic")[1] - at("building-2")[1]) <= 30  # next to Building 2
    assert at("garbage-station")[0] > at("building-10")[0]  # behind it, away from the lane
    assert place(demo, "library").level == 1
    south = place(demo, "parcel-lockers-south")
    assert south.part_of == "parcel-lockers" and south.at[1] < -380


def test_directions_agree_with_the_office_words(demo: CommunityMap) -> None:
    """Seed directions say "on your right/left" walking south; the routes from the kiosk say the same."""
    router = Router(demo)
    for facility in ALL:
        directions = facility["directions"]
        for hand in ("right", "left"):
            if f"is on your {hand}" in directions and facility["slug"].startswith(("building", "community-clinic")):
                assert f"on your {hand}" in router.route(facility["slug"]).text(), facility["slug"]
        if "Walk south along Garden Lane" in directions or "walk south along Garden Lane" in directions:
            assert "Walk south along Garden Lane" in router.route(facility["slug"]).text(), facility["slug"]
