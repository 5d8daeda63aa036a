"""Test support for maps and routes: a tiny hand-made map and a route through given points.

    m = tiny_map()                                   # kiosk, a lane north to a clinic, a library, some stairs
    route = route_through([(0, -10), (0, 30)])       # a straight route, no steps
"""

from __future__ import annotations

import numpy as np

from .community_map import CommunityMap, Junction, MapPath, MarkerPost, Place
from .route import Route


def tiny_map(posts: tuple[MarkerPost, ...] = ()) -> CommunityMap:
    """Kiosk at (0, -10), a lane north along x = 0 to a clinic at (0, 30) and a library east of it."""
    return CommunityMap(
        community="test-garden", name="Test Garden", start="kiosk",
        places=(Place(id="kiosk", name="Kiosk", at=(0.0, -10.0)), Place(id="clinic", name="Clinic", at=(0.0, 30.0)),
                Place(id="library", name="Library", at=(20.0, 30.0))),
        junctions=(Junction(id="steps-top", at=(20.0, -10.0)),),
        markers=posts,
        paths=(MapPath(between=("kiosk", "clinic"), name="Lane"), MapPath(between=("clinic", "library")),
               MapPath(between=("kiosk", "steps-top"), access="stairs"),
               MapPath(between=("steps-top", "library"))),
    )


def route_through(points: list[tuple[float, float]], goal_name: str = "Clinic") -> Route:
    pts = tuple((float(x), float(y)) for x, y in points)
    length = float(sum(np.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(pts, pts[1:], strict=False)))
    return Route(start="a", goal="b", goal_name=goal_name, nodes=tuple(f"n{i}" for i in range(len(pts))),
                 points=pts, length_m=length, step_free=False, uses_stairs=False, steps=())
