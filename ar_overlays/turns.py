"""Which way, always: the one instruction for the resident in this camera frame (docs/ar.md "Which way, always").

The ribbon is drawn only where the route is in the picture; a resident facing the wrong way would see nothing.
So every AR frame gets one instruction — ``ahead`` (the next waypoint is in the picture), ``left`` / ``right``
(beyond that edge of the picture), ``around`` (behind the camera plane), or, with the waypoint in view and the
leg to it changing floor, ``up_stairs`` / ``down_stairs`` / ``up_lift`` / ``down_lift``. A small state machine
(:class:`TurnTracker`) keeps it from flickering at an edge, so "spoken once when it changes" means once.

The words are data: the ``turn:`` section of ``ar_overlays/locale/<lang>.yml``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from ar_overlays.camera import Calibration
from ar_overlays.geometry import heading_difference, heading_of
from assistant.shared.errors import LinliError
from foundation.language import normalise
from foundation.yaml_lines import LinedYaml, read_yaml
from wayfinding.community_map import CommunityMap
from wayfinding.route import Route

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
ARRIVE_M = 2.0
"""Within this distance of a waypoint the next one is the one to head for (the waypoint is reached)."""
MARGIN_DEG = 5.0
"""A new instruction counts only when the bearing is this far inside its region: on an edge the old one stays."""
HOLD_FRAMES = 3
"""…and only after it held for this many AR frames in a row (0.3 s at the kiosk's 10 fps)."""
BEHIND_DEG = 90.0
"""More than this off the camera's heading is behind the camera plane (an upright camera)."""


class Turn(StrEnum):
    AHEAD = "ahead"
    LEFT = "left"
    RIGHT = "right"
    AROUND = "around"
    UP_STAIRS = "up_stairs"
    DOWN_STAIRS = "down_stairs"
    UP_LIFT = "up_lift"
    DOWN_LIFT = "down_lift"


EDGE_TURNS = frozenset({Turn.LEFT, Turn.RIGHT, Turn.AROUND})
"""The instructions drawn as a big arrow at the edge of the picture."""


class TurnWordsError(LinliError):
    """The turn words in ``ar_overlays/locale/<lang>.yml`` are wrong; the message names the file and line."""

    code = "turn_words_error"


class TurnWords(BaseModel):
    """One language's turn words (the ``turn:`` section of a locale file). ``ahead`` has none: nothing is said
    when the way is in view."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    left: str
    right: str
    around: str
    up_stairs: str
    down_stairs: str
    up_lift: str
    down_lift: str

    def of(self, turn: Turn) -> str:
        return "" if turn is Turn.AHEAD else str(getattr(self, turn.value))


@dataclass(frozen=True)
class TurnInstruction:
    turn: Turn
    """What the resident should do now."""
    words: str
    """The words drawn and said, in the pipeline's language ("Turn left", "向左转"); ``""`` for ``ahead``."""
    bearing_deg: float
    """Where the next waypoint is, degrees clockwise from the camera's heading (−90 = straight to the left)."""
    waypoint: int
    """Index in ``route.points`` of the waypoint headed for."""


def language_code(lang: str | None) -> str:
    """The locale file's code for ``lang`` (``zh``, ``zh_CN`` → ``zh-CN``); English when there is no file."""
    code = normalise(lang) or DEFAULT_LANGUAGE
    return code if (LOCALE_DIR / f"{code}.yml").is_file() else DEFAULT_LANGUAGE


def load_turn_words(path: Path) -> TurnWords:
    """The ``turn:`` section of a locale file; every problem is a :class:`TurnWordsError` starting ``file:line:``."""
    doc: LinedYaml = read_yaml(path, TurnWordsError)
    if not isinstance(doc.data, dict) or "turn" not in doc.data:
        raise TurnWordsError(f"{doc.where(())}: the overlay words need a 'turn:' section (left, right, around, ...).")
    return doc.validate(TurnWords, TurnWordsError, at=("turn",))


@cache
def turn_words(lang: str | None = None) -> TurnWords:
    return load_turn_words(LOCALE_DIR / f"{language_code(lang)}.yml")


# ---------------------------------------------------------------- geometry


def view_edges(calibration: Calibration) -> tuple[float, float]:
    """Degrees from the optical axis to the picture's left and right edges (≈ 29° each for the default
    camera); from the calibration, so an off-centre principal point is honoured."""
    k = calibration.camera_matrix
    fx, cx = float(k[0, 0]), float(k[0, 2])
    return math.degrees(math.atan2(cx + 0.5, fx)), math.degrees(math.atan2(calibration.width - 0.5 - cx, fx))


@dataclass(frozen=True)
class RouteFloors:
    """Per leg of a route (point k-1 → k): +1 up, −1 down, 0 level; and whether the leg is a lift."""

    change: tuple[int, ...]
    lift: tuple[bool, ...]


def route_floors(route: Route, community_map: CommunityMap | None) -> RouteFloors:
    """Floor changes along the route from the map's node levels (a node not in the map counts as level 0)."""
    nodes = community_map.nodes if community_map is not None else {}
    levels = [getattr(nodes.get(n), "level", 0) for n in route.nodes]
    if len(levels) != len(route.points):
        levels = [0] * len(route.points)
    lifts: dict[frozenset[str], bool] = {}
    if community_map is not None:
        for path in community_map.paths:
            lifts[frozenset(path.between)] = path.access == "lift"
    change = [0] + [int(np.sign(b - a)) for a, b in zip(levels, levels[1:], strict=False)]
    lift = [False] + [lifts.get(frozenset((a, b)), False) for a, b in zip(route.nodes, route.nodes[1:], strict=False)]
    if len(lift) != len(change):
        lift = [False] * len(change)
    return RouteFloors(tuple(change), tuple(lift))


def next_waypoint(points: np.ndarray, xy: tuple[float, float], arrive_m: float = ARRIVE_M) -> int | None:
    """Index of the route point to head for: the end of the segment nearest ``xy``, or the one after it once
    that one is reached; ``None`` at the destination."""
    if len(points) == 0:
        return None
    if len(points) == 1:
        return None if float(np.hypot(*(points[0] - xy))) < arrive_m else 0
    a, b = points[:-1], points[1:]
    ab = b - a
    den = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
    t = np.clip(np.einsum("ij,ij->i", np.asarray(xy) - a, ab) / den, 0.0, 1.0)
    closest = a + ab * t[:, None]
    k = int(np.argmin(np.sum((closest - np.asarray(xy)) ** 2, axis=1))) + 1
    while k < len(points) and float(np.hypot(*(points[k] - xy))) < arrive_m:
        k += 1
    return k if k < len(points) else None


def classify(bearing: float, edges: tuple[float, float], floor: Turn | None = None) -> Turn:
    """The instruction for a waypoint at ``bearing`` (degrees, + clockwise) with the picture spanning
    ``-edges[0]`` … ``+edges[1]``; ``floor`` (an up/down instruction) replaces ``ahead`` when given."""
    if abs(bearing) > BEHIND_DEG:
        return Turn.AROUND
    if bearing < -edges[0]:
        return Turn.LEFT
    if bearing > edges[1]:
        return Turn.RIGHT
    return floor or Turn.AHEAD


class TurnTracker:
    """The current instruction, changed only when the new one is clear: the bearing ``margin_deg`` inside the
    new region (so it would be the same a little either side) for ``hold`` frames in a row. The first
    instruction after ``reset`` counts at once: there is nothing to flicker from."""

    def __init__(self, margin_deg: float = MARGIN_DEG, hold: int = HOLD_FRAMES) -> None:
        self.margin_deg = margin_deg
        self.hold = hold
        self.reset()

    def reset(self) -> None:
        self.current: Turn | None = None
        self._candidate: Turn | None = None
        self._count = 0

    def update(self, bearing: float, edges: tuple[float, float], floor: Turn | None = None) -> tuple[Turn, bool]:
        """(the instruction now, whether it changed in this frame)."""
        seen = classify(bearing, edges, floor)
        if self.current is None:
            self.current, self._candidate, self._count = seen, None, 0
            return seen, True
        clear = all(classify(bearing + d, edges, floor) == seen for d in (-self.margin_deg, self.margin_deg))
        if seen == self.current or not clear:
            self._candidate, self._count = None, 0
            return self.current, False
        if seen != self._candidate:
            self._candidate, self._count = seen, 0
        self._count += 1
        if self._count < self.hold:
            return self.current, False
        self.current, self._candidate, self._count = seen, None, 0
        return seen, True


def floor_turn(floors: RouteFloors, waypoint: int) -> Turn | None:
    """Up or down (stairs or lift) when the leg to ``waypoint`` changes floor."""
    step = floors.change[waypoint] if waypoint < len(floors.change) else 0
    if step == 0:
        return None
    lift = floors.lift[waypoint] if waypoint < len(floors.lift) else False
    if lift:
        return Turn.UP_LIFT if step > 0 else Turn.DOWN_LIFT
    return Turn.UP_STAIRS if step > 0 else Turn.DOWN_STAIRS


def bearing_to(xy: tuple[float, float], heading: float, target: Sequence[float]) -> float:
    """Degrees clockwise from ``heading`` to the ground direction from ``xy`` to ``target``."""
    return heading_difference(heading, heading_of(float(target[0]) - xy[0], float(target[1]) - xy[1]))
