"""A made-up community of any size, for tests and the routing benchmark (``grid_map(1000)``).

Nodes sit on a jittered grid, 20 m apart, filled row by row. Every node in a row is joined to the next
one (step-free, named "Row N Lane") and the first column runs the whole way down step-free, so the map
is connected with and without stairs; the other north-south links are a random mix of step-free paths,
ramps and stairs, and some are left out. Every tenth node is a place, a few are marker posts.
"""

from __future__ import annotations

import math
import random

from .community_map import (
    DEFAULT_MARKER_DICTIONARY,
    MARKER_DICTIONARIES,
    Access,
    CommunityMap,
    Junction,
    MapPath,
    MarkerPost,
    Place,
    check_map,
    raise_problems,
)

SPACING_M = 20.0
JITTER_M = 3.0
PLACE_EVERY = 10
MARKER_EVERY = 100
VERTICAL_ACCESS: tuple[tuple[Access | None, float], ...] = (
    ("step-free", 0.55), ("stairs", 0.2), ("ramp", 0.1), (None, 0.15),
)
"""How a north-south link (off the first column) is made; ``None``: no path there."""


def grid_map(n_nodes: int, seed: int = 0, dictionary: str = DEFAULT_MARKER_DICTIONARY) -> CommunityMap:
    """A connected grid-like map of ``n_nodes`` nodes (places, junctions and marker posts), reproducible by seed.
    Marker posts get ids 0, 1, … of ``dictionary`` (an OpenCV ArUco dictionary name), as many as it holds."""
    if n_nodes < 2:
        raise ValueError("a map needs at least two nodes")
    if dictionary not in MARKER_DICTIONARIES:
        raise ValueError(f"unknown ArUco dictionary {dictionary!r}")
    max_markers = MARKER_DICTIONARIES[dictionary][1]
    rng = random.Random(seed)
    columns = max(2, math.ceil(math.sqrt(n_nodes)))
    places: list[Place] = []
    junctions: list[Junction] = []
    markers: list[MarkerPost] = []
    ids: list[str] = []
    for k in range(n_nodes):
        row, col = divmod(k, columns)
        at = (col * SPACING_M + rng.uniform(-JITTER_M, JITTER_M), -row * SPACING_M + rng.uniform(-JITTER_M, JITTER_M))
        if k % PLACE_EVERY == PLACE_EVERY // 2:
            node_id = f"place-{k}"
            places.append(Place(id=node_id, at=at, name=f"Place {k}", aliases=(f"spot {k}",)))
        elif k % MARKER_EVERY == MARKER_EVERY // 2 and len(markers) < max_markers:
            node_id = f"post-{k}"
            markers.append(MarkerPost(id=node_id, at=at, aruco=len(markers), facing=0.0))
        else:
            node_id = f"node-{k}"
            junctions.append(Junction(id=node_id, at=at))
        ids.append(node_id)
    paths: list[MapPath] = []
    weights = [w for _, w in VERTICAL_ACCESS]
    choices = [a for a, _ in VERTICAL_ACCESS]
    for k, node_id in enumerate(ids):
        row, col = divmod(k, columns)
        if col > 0:
            paths.append(MapPath(between=(ids[k - 1], node_id), name=f"Row {row} Lane"))
        if row > 0:
            access = "step-free" if col == 0 else rng.choices(choices, weights)[0]
            if access is not None:
                paths.append(MapPath(between=(ids[k - columns], node_id), access=access))
    community_map = CommunityMap(community="grid", name=f"Grid of {n_nodes}", start=ids[0], places=tuple(places),
                                 junctions=tuple(junctions), markers=tuple(markers), paths=tuple(paths),
                                 marker_dictionary=dictionary)
    raise_problems(check_map(community_map), f"grid_map({n_nodes}, seed={seed})")
    return community_map
