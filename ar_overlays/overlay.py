"""The per-frame pipeline: camera picture → markers → pose → route drawn on the picture, or the 2D map.

    pipeline = OverlayPipeline(community_map)           # default calibration for whatever frame size comes
    result = pipeline.process(frame, route)             # result.frame to show; result.mode "ar" | "map"
    if result.turn_changed and result.turn.words: say(result.turn.words)     # "Turn left", once

In AR mode every frame also says which way to go (``ar_overlays/turns.py``): when the next waypoint is out of
the picture a big arrow at the edge (left, right, or a U at the bottom for behind) and words; see docs/ar.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ar_overlays.camera import Calibration, check_frame, default_calibration
from ar_overlays.detect import MarkerDetector
from ar_overlays.draw import EdgeArrow, draw_route_ar, draw_turn
from ar_overlays.pose import CameraPose, best_pose
from ar_overlays.turns import (
    DEFAULT_LANGUAGE,
    RouteFloors,
    TurnInstruction,
    TurnTracker,
    bearing_to,
    floor_turn,
    next_waypoint,
    route_floors,
    turn_words,
    view_edges,
)
from wayfinding.community_map import CommunityMap
from wayfinding.map_picture import Point, draw_map
from wayfinding.route import Route


@dataclass(frozen=True)
class OverlayResult:
    frame: np.ndarray
    """What to show: the camera picture with the route drawn on it, or the 2D map (same size)."""
    mode: str
    """``"ar"`` (a known marker post is in view) or ``"map"``."""
    markers: tuple[int, ...]
    """ArUco ids seen in this frame (known or not)."""
    pose: CameraPose | None
    arrow: tuple[Point, Point] | None
    """Image points (tail, tip) of the drawn arrow head (AR mode)."""
    remaining_m: float | None
    turn: TurnInstruction | None = None
    """Which way to go now (AR mode with a route, not yet at the destination); ``None`` otherwise."""
    turn_changed: bool = False
    """The instruction changed in this frame (after the hysteresis): say ``turn.words`` now, once."""
    edge_arrow: EdgeArrow | None = None
    """The big arrow drawn at the picture's edge (the waypoint is out of view), else ``None``."""


class OverlayPipeline:
    def __init__(self, community_map: CommunityMap, calibration: Calibration | None = None, *,
                 detector: MarkerDetector | None = None, remember_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic, language: str = DEFAULT_LANGUAGE,
                 turns: TurnTracker | None = None) -> None:
        self.map = community_map
        self.posts = {p.aruco: p for p in community_map.markers}
        self.calibration = calibration
        self.detector = detector or MarkerDetector(dictionary=community_map.marker_dictionary)
        self.remember_s = remember_s
        """How long the last pose still shows as "you are here" on the map after the marker left the view."""
        self.clock = clock
        self.last_pose: CameraPose | None = None
        self.last_pose_at = -1e18
        self._calibrations: dict[tuple[int, int], Calibration] = {}
        self.language = language
        """The language of the turn words (the kiosk sets the conversation's language)."""
        self.turns = turns or TurnTracker()
        self._turn_route: Route | None = None
        self._floors: RouteFloors | None = None
        self._points = np.zeros((0, 2))

    def calibration_for(self, width: int, height: int) -> Calibration:
        cal = self._calibrations.get((width, height))
        if cal is None:
            cal = (self.calibration.scaled_to(width, height) if self.calibration is not None
                   else default_calibration(width, height))
            self._calibrations[(width, height)] = cal
        return cal

    def process(self, frame: np.ndarray, route: Route | None, *, in_place: bool = False) -> OverlayResult:
        """One camera frame (BGR uint8, H×W×3). Raises ``CameraError`` for a frame that is not a picture."""
        frame = check_frame(frame)
        h, w = frame.shape[:2]
        cal = self.calibration_for(w, h)
        detections = self.detector.detect(frame)
        seen = tuple(d.aruco_id for d in detections)
        pose = best_pose(detections, self.posts, cal)
        now = self.clock()
        if pose is not None:
            self.last_pose, self.last_pose_at = pose, now
            out = frame if in_place else frame.copy()
            if route is None:
                return OverlayResult(out, "ar", seen, pose, None, None)
            drawing = draw_route_ar(out, pose, cal, route)
            turn, changed = self._turn(pose, cal, route)
            edge = draw_turn(out, turn.turn, turn.words) if turn is not None else None
            return OverlayResult(out, "ar", seen, pose, drawing.arrow, drawing.remaining_m, turn, changed, edge)
        recent = self.last_pose if now - self.last_pose_at <= self.remember_s else None
        here = (recent.x, recent.y) if recent is not None else None
        image = draw_map(self.map, route, (w, h), you_are_here=here,
                         heading=recent.heading if recent is not None else None)
        if in_place:
            frame[:] = image
            image = frame
        return OverlayResult(image, "map", seen, None, None, route.length_m if route is not None else None)

    def _turn(self, pose: CameraPose, cal: Calibration, route: Route) -> tuple[TurnInstruction | None, bool]:
        """This frame's instruction and whether it changed (docs/ar.md "Which way, always")."""
        if route is not self._turn_route:  # a new route starts afresh: its first instruction is said at once
            self._turn_route = route
            self._floors = route_floors(route, self.map)
            self._points = np.asarray(route.points, np.float64).reshape(-1, 2)
            self.turns.reset()
        xy = (pose.x, pose.y)
        k = next_waypoint(self._points, xy)
        if k is None or self._floors is None:  # at the destination: nothing to turn to
            return None, False
        bearing = bearing_to(xy, pose.heading, self._points[k])
        turn, changed = self.turns.update(bearing, view_edges(cal), floor_turn(self._floors, k))
        return TurnInstruction(turn, turn_words(self.language).of(turn), bearing, k), changed
