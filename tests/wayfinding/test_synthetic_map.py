"""grid_map: a made-up map of any size for tests and the routing benchmark."""

from __future__ import annotations

import networkx as nx
import pytest

from wayfinding.routing import Router
from wayfinding.synthetic_map import grid_map


def test_a_thousand_nodes_are_connected_with_and_without_stairs() -> None:
    m = grid_map(1000)
    assert len(m.nodes) == 1000
    accesses = {p.access for p in m.paths}
    assert {"stairs", "ramp", "step-free"} <= accesses
    assert len(m.places) >= 90 and m.markers
    for step_free in (False, True):
        graph = nx.Graph(p.between for p in m.paths if not (step_free and p.access == "stairs"))
        assert graph.number_of_nodes() == 1000 and nx.is_connected(graph)


def test_every_place_is_routable_step_free() -> None:
    m = grid_map(300, seed=3)
    router = Router(m)
    for place in m.places:
        route = router.route(place.name, step_free=True)
        assert not route.uses_stairs and route.goal == place.id


def test_the_same_seed_gives_the_same_map() -> None:
    assert grid_map(200, seed=7) == grid_map(200, seed=7)
    assert grid_map(200, seed=7) != grid_map(200, seed=8)


@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_small_and_odd_sizes(n: int) -> None:
    assert len(grid_map(n).nodes) == n


def test_too_small() -> None:
    with pytest.raises(ValueError):
        grid_map(1)


def test_marker_ids_follow_the_dictionary() -> None:
    small = grid_map(1000)
    assert small.marker_dictionary == "DICT_4X4_50" and max(p.aruco for p in small.markers) < 50
    m = grid_map(1000, dictionary="DICT_5X5_100")
    assert m.marker_dictionary == "DICT_5X5_100"
    assert [p.aruco for p in m.markers] == list(range(len(m.markers)))
    with pytest.raises(ValueError, match="unknown ArUco dictionary"):
        grid_map(100, dictionary="DICT_9X9_5")
