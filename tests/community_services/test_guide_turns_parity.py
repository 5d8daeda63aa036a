"""The phone's turn rule is the kiosk's: ``guide-turns.js`` gives what ``ar_overlays/turns.py`` gives.

docs/ar.md ("AR on the phone", one place for each rule): the kiosk decides which way to turn in
``ar_overlays/turns.py``; the phone guide page runs a port of it, ``community_services/static/guide/guide-turns.js``.
This test builds one table of inputs in Python — the rule's pieces (constants, picture edges, headings,
bearings, ``classify``, ``floor_turn``, ``next_waypoint``, ``TurnTracker``) and whole walks (camera positions
and headings along routes, frame by frame, as ``OverlayPipeline._turn`` and ``guide-ar.js`` ``decide`` put the
pieces together) — with inputs just inside and just outside every boundary: the picture's edges, the 90° behind
plane, the 5° hysteresis margin, the 3 frames in a row, the 2 m "reached", and floor changes (stairs, lift, up,
down; for the real map's routes the JavaScript gets the floors the guide page serves, ``camera_data``). It runs
the Python rule, runs the JavaScript on the same inputs in one ``node`` process (the browser script loaded with
``vm.runInNewContext``, unchanged), and asks for the same instruction (and waypoint, "changed" flag, bearing
within 1e-6) in every case and every frame.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from ar_overlays import turns
from ar_overlays.camera import Calibration, default_calibration
from ar_overlays.geometry import heading_difference, heading_of
from ar_overlays.turns import (
    RouteFloors,
    Turn,
    TurnTracker,
    bearing_to,
    classify,
    floor_turn,
    next_waypoint,
    route_floors,
    view_edges,
)
from community_services.api.guide import camera_data
from wayfinding.community_map import default_map_path, load_map
from wayfinding.routing import Router

GUIDE_TURNS = Path(__file__).resolve().parents[2] / "community_services" / "static" / "guide" / "guide-turns.js"
NODE = shutil.which("node")
BEARING_TOL = 1e-6
"""Degrees: the two languages' atan2 and degree conversions may differ in the last bit, never more."""

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH: the phone's guide-turns.js cannot be run")

# --- the JavaScript side: one node process answers every case -------------------------------------------------------

HARNESS = r"""
"use strict";
const fs = require("fs"), vm = require("vm");
const [scriptPath, casesPath] = process.argv.slice(2);
const sandbox = {};
// guide-turns.js is a browser script: it puts LinliTurns on the global object (the sandbox here).
vm.runInNewContext(fs.readFileSync(scriptPath, "utf8"), sandbox, {filename: scriptPath});
const T = sandbox.LinliTurns;
if (!T) throw new Error("guide-turns.js defined no LinliTurns");

function tracker(a) {
  return new T.TurnTracker(a.margin === null ? undefined : a.margin, a.hold === null ? undefined : a.hold);
}

function walk(a) {  // as guide-ar.js decide(): the camera's place and heading -> the instruction
  const t = tracker(a), edges = T.viewEdges(a.cal.fx, a.cal.cx, a.cal.width), out = [];
  for (const f of a.frames) {
    if (f === "reset") { t.reset(); out.push("reset"); continue; }
    const xy = [f[0], f[1]], wp = T.nextWaypoint(a.points, xy);
    if (wp === null) { out.push(null); continue; }
    const bearing = T.bearingTo(xy, f[2], a.points[wp]);
    const r = t.update(bearing, edges, T.floorTurn(a.floors_js, wp));
    out.push({waypoint: wp, turn: r[0], changed: r[1], bearing: bearing});
  }
  return out;
}

const ops = {
  constants: () => ({ARRIVE_M: T.ARRIVE_M, MARGIN_DEG: T.MARGIN_DEG, HOLD_FRAMES: T.HOLD_FRAMES,
                     BEHIND_DEG: T.BEHIND_DEG}),
  view_edges: (a) => T.viewEdges(a.fx, a.cx, a.width),
  heading_of: (a) => T.headingOf(a[0], a[1]),
  heading_difference: (a) => T.headingDifference(a[0], a[1]),
  bearing_to: (a) => T.bearingTo(a.xy, a.heading, a.target),
  classify: (a) => T.classify(a.bearing, a.edges, a.floor),
  floor_turn: (a) => T.floorTurn(a.floors, a.waypoint),
  next_waypoint: (a) => (a.arrive === null ? T.nextWaypoint(a.points, a.xy) : T.nextWaypoint(a.points, a.xy, a.arrive)),
  tracker: (a) => {
    const t = tracker(a);
    return a.frames.map((f) => (f === "reset" ? (t.reset(), "reset") : t.update(f[0], f[1], f[2])));
  },
  walk: walk,
};

const answers = {};
for (const c of JSON.parse(fs.readFileSync(casesPath, "utf8"))) {
  try { answers[c.id] = {ok: ops[c.op](c.args)}; } catch (e) { answers[c.id] = {error: String(e && e.stack || e)}; }
}
process.stdout.write(JSON.stringify(answers));
"""

# --- the Python side: the kiosk's rule -----------------------------------------------------------------------------


def _floors(d: dict[str, list[Any]]) -> RouteFloors:
    return RouteFloors(tuple(d["change"]), tuple(d["lift"]))


def _calibration(c: dict[str, float]) -> Calibration:
    k = np.array([[c["fx"], 0.0, c["cx"]], [0.0, c["fx"], c["height"] / 2], [0.0, 0.0, 1.0]])
    return Calibration(k, np.zeros(5), int(c["width"]), int(c["height"]))


def _tracker(a: dict[str, Any]) -> TurnTracker:
    kw = {k: v for k, v in (("margin_deg", a["margin"]), ("hold", a["hold"])) if v is not None}
    return TurnTracker(**kw)


def _floor(name: str | None) -> Turn | None:
    return None if name is None else Turn(name)


def _run_walk(a: dict[str, Any]) -> list[Any]:
    """As ``OverlayPipeline._turn``: next waypoint, bearing to it, the tracker with the leg's floor turn."""
    tracker, edges = _tracker(a), view_edges(_calibration(a["cal"]))
    points = np.asarray(a["points"], np.float64).reshape(-1, 2)
    floors, out = _floors(a["floors"]), []
    for f in a["frames"]:
        if f == "reset":
            tracker.reset()
            out.append("reset")
            continue
        xy = (f[0], f[1])
        k = next_waypoint(points, xy)
        if k is None:
            out.append(None)
            continue
        bearing = bearing_to(xy, f[2], points[k])
        turn, changed = tracker.update(bearing, edges, floor_turn(floors, k))
        out.append({"waypoint": k, "turn": str(turn), "changed": changed, "bearing": bearing})
    return out


def python_answer(op: str, a: Any) -> Any:
    if op == "constants":
        return {"ARRIVE_M": turns.ARRIVE_M, "MARGIN_DEG": turns.MARGIN_DEG, "HOLD_FRAMES": turns.HOLD_FRAMES,
                "BEHIND_DEG": turns.BEHIND_DEG}
    if op == "view_edges":
        return list(view_edges(_calibration(a)))
    if op == "heading_of":
        return heading_of(a[0], a[1])
    if op == "heading_difference":
        return heading_difference(a[0], a[1])
    if op == "bearing_to":
        return bearing_to(tuple(a["xy"]), a["heading"], a["target"])
    if op == "classify":
        return str(classify(a["bearing"], tuple(a["edges"]), _floor(a["floor"])))
    if op == "floor_turn":
        turn = floor_turn(_floors(a["floors"]), a["waypoint"])
        return None if turn is None else str(turn)
    if op == "next_waypoint":
        points = np.asarray(a["points"], np.float64).reshape(-1, 2)
        xy = tuple(a["xy"])
        return next_waypoint(points, xy) if a["arrive"] is None else next_waypoint(points, xy, a["arrive"])
    if op == "tracker":
        t = _tracker(a)
        out: list[Any] = []
        for f in a["frames"]:
            if f == "reset":
                t.reset()
                out.append("reset")
            else:
                turn, changed = t.update(f[0], tuple(f[1]), _floor(f[2]))
                out.append([str(turn), changed])
        return out
    if op == "walk":
        return _run_walk(a)
    raise AssertionError(op)


# --- the table of inputs ------------------------------------------------------------------------------------------

CAMERAS = {
    "default-640": default_calibration(640, 480),                      # the kiosk's uncalibrated camera: ±29.1°
    "scaled-320": default_calibration(1280, 720).scaled_to(320, 180),
    "off-centre": Calibration(np.array([[500.0, 0, 300.0], [0, 500.0, 240.0], [0, 0, 1]]), np.zeros(5), 640, 480),
    "wide": Calibration(np.array([[260.0, 0, 330.0], [0, 260.0, 240.0], [0, 0, 1]]), np.zeros(5), 640, 480),
}


def _cal(cal: Calibration) -> dict[str, float]:
    k = cal.camera_matrix
    return {"fx": float(k[0, 0]), "cx": float(k[0, 2]), "width": cal.width, "height": cal.height}


EDGES = {name: view_edges(cal) for name, cal in CAMERAS.items()}
FLOOR_TURNS = [None, "up_stairs", "down_stairs", "up_lift", "down_lift"]
TINY = 1e-6
"""Just inside / just outside a boundary: far above the last-bit noise of the bearing, far below anything seen."""


def _around(v: float, extra: tuple[float, ...] = ()) -> list[float]:
    return [v + d for d in (-TINY, 0.0, TINY, *extra)]


def _boundaries(edges: tuple[float, float]) -> list[float]:
    """Every place the answer (or the hysteresis) changes, for the picture spanning -edges[0] … +edges[1]."""
    b = turns.BEHIND_DEG
    m = turns.MARGIN_DEG
    centres = [-edges[0], edges[1], -b, b, -180.0, 180.0]
    margins = [c + s * m for c in centres[:4] for s in (-1, 1)]
    return [0.0, *centres, *margins]


def _classify_cases() -> Iterator[tuple[str, str, Any]]:
    for cam, edges in EDGES.items():
        bearings = sorted({x for c in _boundaries(edges) for x in _around(c)} | {-135.0, -45.0, 10.0, 60.0, 120.0})
        for floor in FLOOR_TURNS:
            for bearing in bearings:
                yield (f"classify-{cam}-{floor}-{bearing!r}", "classify",
                       {"bearing": bearing, "edges": list(edges), "floor": floor})


def _primitive_cases() -> Iterator[tuple[str, str, Any]]:
    yield "constants", "constants", None
    for name, cal in CAMERAS.items():
        yield f"view_edges-{name}", "view_edges", _cal(cal)
    vectors = [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, 0.0), (-0.0, 1.0), (0.0, -0.0), (0.0, 0.0),
               (-1e-300, 1.0), (1e-300, -1.0), (-1e-12, -1.0), (3.0, 4.0), (-3.0, 4.0), (-3.0, -4.0), (3.0, -4.0),
               (1.0, 1.0), (-1.0, 1.0), (12.5, -0.001), (-7.0, 1e-9)]
    for v in vectors:
        yield f"heading_of-{v!r}", "heading_of", list(v)
    angles = [0.0, 1.0, 90.0, 179.999999, 180.0, 180.000001, 270.0, 359.999999, 360.0, 540.0, -180.0, -180.000001,
              -90.0, -1e-12, 720.5]
    for a in (0.0, 10.0, 350.0, 180.0, -30.0):
        for b in angles:
            yield f"heading_difference-{a!r}-{b!r}", "heading_difference", [a, b]
    for xy in ((0.0, 0.0), (3.0, -2.0), (-12.0, -14.0)):
        for heading in (0.0, 45.0, 180.0, 271.5, 359.9, 360.0, -10.0):
            for target in ((0.0, 10.0), (3.0, -2.0), (-17.0, -29.0), (-8.0, -20.0), (40.0, -3.0)):
                yield (f"bearing_to-{xy!r}-{heading!r}-{target!r}", "bearing_to",
                       {"xy": list(xy), "heading": heading, "target": list(target)})
    floors = {
        "level": {"change": [0, 0, 0], "lift": [False, False, False]},
        "stairs": {"change": [0, 1, -1, 0], "lift": [False, False, False, False]},
        "lift": {"change": [0, 1, -1, 0], "lift": [False, True, True, False]},
        "short": {"change": [0, -1], "lift": [False]},          # lists shorter than the route: level beyond
        "two-up": {"change": [0, 2, -3], "lift": [False, True, False]},
    }
    for name, fl in floors.items():
        for waypoint in range(6):
            yield f"floor_turn-{name}-{waypoint}", "floor_turn", {"floors": fl, "waypoint": waypoint}


def _next_waypoint_cases() -> Iterator[tuple[str, str, Any]]:
    arrive = turns.ARRIVE_M
    routes: dict[str, list[tuple[float, float]]] = {
        "empty": [],
        "one": [(5.0, 5.0)],
        "one-far": [(-17.0, -29.0)],
        "one-odd": [(12.7, 20.9)],
        "L": [(0.0, 0.0), (0.0, 20.0), (15.0, 20.0)],
        "corner": [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)],
        "short-legs": [(0.0, 0.0), (0.0, 1.5), (1.0, 2.5), (1.0, 9.0)],   # legs shorter than 2 m: skip ahead
        "zero-leg": [(-12.0, -14.0), (-8.0, -20.0), (-8.0, -20.0), (-17.0, -29.0)],   # a lift: same x, y
        "back-and-forth": [(0.0, 0.0), (10.0, 0.0), (0.0, 0.0), (0.0, 10.0)],
    }
    # exactly 2 m away in decimal metres: the distance lands within the last bit of 2, either side
    circle = [(1.2, 1.6), (1.6, -1.2), (-1.2, -1.6), (-1.6, 1.2), (2.0, 0.0), (0.0, -2.0), (0.4, 1.9595917942265426),
              (-1.4, 1.4282856857085702), (1.8, -0.8717797887081347)]
    positions: dict[str, list[tuple[float, float]]] = {
        "empty": [(0.0, 0.0)],
        "one": [(5.0, 5.0 - arrive + d) for d in (-TINY, TINY)] + [(5.0 + dx, 5.0 + dy) for dx, dy in circle],
        "one-far": [(-17.0 + dx, -29.0 + dy) for dx, dy in circle],
        "one-odd": [(12.7 + dx, 20.9 + dy) for dx, dy in circle],
        "L": [(0.0, 20.0 - arrive + d) for d in (-TINY, 0.0, TINY)]
             + [(15.0 - arrive + d, 20.0) for d in (-TINY, 0.0, TINY)]
             + [(-1.2, 18.4), (-1.6, 18.8), (-0.4, 18.04), (1.2, 18.4), (-1.0, -3.0), (0.0, 0.0), (7.5, 21.0),
                (30.0, 30.0), (-4.0, 25.0), (0.5, 10.0)],
        "corner": [(12.0, -2.0), (8.0, 2.0), (10.0, 0.0), (10.0 - arrive - TINY, 0.0), (10.0 - arrive + TINY, 0.0),
                   (10.0, 8.0 - TINY), (10.0, 8.0), (10.0, 8.0 + TINY), (5.0, 5.0)],
        "short-legs": [(0.0, -1.0), (0.0, 0.0), (0.0, 0.6), (0.9, 3.0), (1.0, 7.0 - TINY), (1.0, 7.0 + TINY)],
        "zero-leg": [(-8.0, -20.0), (-10.0, -17.0), (-8.0 + 1.2, -20.0 - 1.6), (-9.0, -21.0), (-12.0, -14.0),
                     (-10.0, -26.0), (-15.0, -27.0)],
        "back-and-forth": [(5.0, 0.0), (5.0, 0.5), (0.0, 5.0), (1.0, 1.0), (9.0, 0.0)],
    }
    for name, points in routes.items():
        for xy in positions[name]:
            for arr in (None, 0.5) if name in ("L", "short-legs") else (None,):
                yield (f"next_waypoint-{name}-{xy!r}-{arr}", "next_waypoint",
                       {"points": [list(p) for p in points], "xy": list(xy), "arrive": arr})


def _hysteresis_sequences(edges: tuple[float, float]) -> dict[str, list[float]]:
    """Bearings frame by frame, each sequence starting from a fresh tracker."""
    left, right = -edges[0], edges[1]
    m, b = turns.MARGIN_DEG, turns.BEHIND_DEG
    sequences = {
        # at the right edge: inside the margin the old instruction stays, however long
        "right-edge-in-margin": [0.0] + [right + m - TINY] * 5 + [right + m + TINY] * 4
                                + [right - TINY] * 4 + [right - m + TINY] * 4 + [right - m - TINY] * 4,
        "left-edge-in-margin": [0.0] + [left - m + TINY] * 5 + [left - m - TINY] * 4
                               + [left + TINY] * 4 + [left + m - TINY] * 4 + [left + m + TINY] * 4,
        "behind-right": [60.0] * 2 + [b + m - TINY] * 4 + [b + m + TINY] * 3 + [b - m + TINY] * 4 + [b - m - TINY] * 3,
        "behind-left": [-60.0] * 2 + [-b - m + TINY] * 4 + [-b - m - TINY] * 3
                       + [-b + m - TINY] * 4 + [-b + m + TINY] * 3,
        "exact-edges": [0.0, right, right + m, right + m, right + m, right, right - m, right - m, right - m,
                        left, left - m, left - m, left - m, -b, -b - m, -b - m, -b - m, b, b + m, b + m, b + m,
                        180.0, 180.0, -180.0],
        # N frames in a row: 2 then a break (a clear frame of the old, an unclear frame of the new) starts again
        "hold-broken-by-old": [0.0, 45.0, 45.0, 0.0, 45.0, 45.0, 45.0],
        "hold-broken-by-unclear": [0.0, 45.0, 45.0, right + 1.0, 45.0, 45.0, 45.0, 45.0],
        "hold-candidate-switch": [0.0, 45.0, 45.0, 150.0, 150.0, 150.0, -45.0, -45.0, 20.0, -45.0, -45.0, -45.0],
        "flicker": [0.0] + [right + m + TINY, right + m - TINY] * 5 + [right + m + TINY] * 3,
        "spin": [float(x) for x in range(0, 361, 7)] + [float(-x) for x in range(0, 361, 11)],
    }
    return sequences


def _tracker_cases() -> Iterator[tuple[str, str, Any]]:
    for cam, edges in EDGES.items():
        for name, bearings in _hysteresis_sequences(edges).items():
            for floor in (None, "up_stairs", "down_lift"):
                for margin, hold in ((None, None), (0.0, 1), (10.0, 5), (2.5, 2)):
                    frames: list[Any] = [[x, list(edges), floor] for x in bearings]
                    yield (f"tracker-{cam}-{name}-{floor}-{margin}-{hold}", "tracker",
                           {"margin": margin, "hold": hold, "frames": frames})
    # the floor turn switching on and off in view (a new leg), a reset in the middle (a new route)
    edges = list(EDGES["default-640"])
    frames = ([[0.0, edges, None]] * 2 + [[0.0, edges, "up_stairs"]] * 4 + [[40.0, edges, "up_stairs"]] * 4
              + [[0.0, edges, "up_lift"]] * 4 + ["reset"] + [[120.0, edges, "down_stairs"]] * 2
              + [[0.0, edges, "down_stairs"]] * 4 + [[0.0, edges, None]] * 4)
    yield "tracker-floors-and-reset", "tracker", {"margin": None, "hold": None, "frames": frames}


def _aim(xy: tuple[float, float], target: tuple[float, float], bearing: float) -> list[float]:
    """A frame: the camera at ``xy`` turned so the target is at ``bearing`` (degrees clockwise)."""
    return [xy[0], xy[1], (heading_of(target[0] - xy[0], target[1] - xy[1]) - bearing) % 360.0]


def _walk_case(points: list[tuple[float, float]], floors_py: dict[str, list[Any]], floors_js: dict[str, list[Any]],
          cam: str, frames: list[Any], margin: float | None = None, hold: int | None = None) -> dict[str, Any]:
    return {"points": [list(p) for p in points], "floors": floors_py, "floors_js": floors_js,
            "cal": _cal(CAMERAS[cam]), "frames": frames, "margin": margin, "hold": hold}


def _turning_frames(points: list[tuple[float, float]], xy: tuple[float, float], bearings: list[float]) -> list[Any]:
    k = next_waypoint(np.asarray(points, np.float64), xy)
    target = points[k] if k is not None else points[-1]
    return [_aim(xy, target, x) for x in bearings]


def _walk_cases() -> Iterator[tuple[str, str, Any]]:
    arrive = turns.ARRIVE_M
    level3 = {"change": [0, 0, 0], "lift": [False, False, False]}
    path = [(0.0, 0.0), (0.0, 20.0), (15.0, 20.0)]
    for cam, edges in EDGES.items():
        seqs = _hysteresis_sequences(edges)
        for name in ("right-edge-in-margin", "left-edge-in-margin", "behind-right", "behind-left", "flicker",
                     "hold-broken-by-unclear", "hold-candidate-switch", "spin"):
            frames = _turning_frames(path, (0.0, 5.0), seqs[name])
            yield f"walk-{cam}-turning-{name}", "walk", _walk_case(path, level3, level3, cam, frames)
        # walking north to the corner (reached at 2 m), round it, to the end (arrived at 2 m)
        frames = ([[0.0, y, 0.0] for y in (5.0, 10.0, 17.9, 18.0 - TINY, 18.0, 18.0 + TINY, 18.5)]
                  + [[0.0, 19.0, 0.0]] * 3 + [[0.0, 19.0, 90.0]] * 3
                  + [[x, 20.0, 90.0] for x in (1.0, 7.0, 12.0, 13.0 - TINY, 13.0, 13.0 + TINY, 14.0)]
                  + [[13.0 - TINY, 20.0, 270.0]] * 4 + ["reset", [5.0, 20.0, 180.0], [5.0, 20.0, 90.0]])
        yield f"walk-{cam}-along-L", "walk", _walk_case(path, level3, level3, cam, frames)
        frames = ([[0.0, 20.0 - arrive - TINY, h] for h in (0.0, 0.0, 0.0, 40.0, 40.0, 40.0)]
                  + [[0.0, 20.0 - arrive + TINY, h] for h in (40.0, 40.0, 40.0, 90.0, 90.0, 90.0)])
        yield f"walk-{cam}-reached-turns", "walk", _walk_case(path, level3, level3, cam, frames, margin=0.0, hold=1)

    # floors: synthetic legs (up and down, stairs and lift, floor lists shorter than the route)
    legs = [(0.0, 0.0), (0.0, 10.0), (0.0, 14.0), (10.0, 14.0), (10.0, 4.0)]
    synthetic = {
        "up-lift-down-stairs": {"change": [0, 0, 1, 0, -1], "lift": [False, False, True, False, False]},
        "up-stairs-down-lift": {"change": [0, 0, 1, 0, -1], "lift": [False, False, False, False, True]},
        "short-lists": {"change": [0, 0, -1], "lift": [False, False, True]},
    }
    looks = [0.0] * 4 + [45.0] * 4 + [0.0] * 4 + [-100.0] * 4 + [0.0] * 4
    for name, fl in synthetic.items():
        for cam in ("default-640", "off-centre"):
            frames = []
            for xy in [(0.0, 5.0), (0.0, 8.0 - TINY), (0.0, 8.0 + TINY), (0.0, 11.0), (4.0, 14.0), (10.0, 12.0),
                       (10.0, 6.0 + TINY), (10.0, 6.0 - TINY)]:
                frames += _turning_frames(legs, xy, looks)
            yield f"walk-{cam}-floors-{name}", "walk", _walk_case(legs, fl, fl, cam, frames)

    # the real map's stairs and lift (the kiosk's floors from route_floors, the phone's as the guide page serves them)
    community_map = load_map(default_map_path())
    router = Router(community_map)
    guide = SimpleNamespace(map=community_map)
    for label, to, start, step_free in (("up-stairs", "library", None, False), ("up-lift", "library", None, True),
                                        ("down-stairs", "north-gate", "library", False),
                                        ("down-lift", "north-gate", "library", True)):
        route = router.route(to, start=start, step_free=step_free)
        rf = route_floors(route, community_map)
        py_floors = {"change": list(rf.change), "lift": list(rf.lift)}
        js_floors = camera_data(guide, route, None)["route"]["floors"]
        pts = [(float(x), float(y)) for x, y in route.points]
        frames = []
        for a, b in zip(pts, pts[1:], strict=False):
            for t in (0.1, 0.5, 0.9):
                xy = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
                frames += _turning_frames(pts, xy, [0.0] * 3 + [70.0] * 3 + [170.0] * 3 + [0.0] * 3)
        frames += [[*pts[-1], 0.0]] * 2
        yield f"walk-map-{label}", "walk", _walk_case(pts, py_floors, js_floors, "default-640", frames)


def _cases() -> list[dict[str, Any]]:
    cases = [{"id": i, "op": op, "args": args}
             for gen in (_primitive_cases, _classify_cases, _next_waypoint_cases, _tracker_cases, _walk_cases)
             for i, op, args in gen()]
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


def _group(case: dict[str, Any]) -> str:
    """One test per group: a walk alone, the tracker's and classify's cases per camera, the rest per function."""
    if case["op"] == "walk":
        return str(case["id"])
    cams = [c for c in CAMERAS if str(case["id"]).startswith(f"{case['op']}-{c}-")]
    return f"{case['op']}-{cams[0]}" if cams else str(case["op"])


CASES = _cases()
GROUPS: dict[str, list[dict[str, Any]]] = {}
for _case in CASES:
    GROUPS.setdefault(_group(_case), []).append(_case)

# --- running both and comparing -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def js_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("guide-turns-parity")
    harness, cases = folder / "harness.js", folder / "cases.json"
    harness.write_text(HARNESS, encoding="utf-8")
    cases.write_text(json.dumps(CASES, allow_nan=False), encoding="utf-8")
    assert NODE is not None
    done = subprocess.run([NODE, str(harness), str(GUIDE_TURNS), str(cases)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, f"node failed:\n{done.stderr}"
    answers: dict[str, Any] = json.loads(done.stdout)
    return answers


@pytest.fixture(scope="module")
def py_answers() -> dict[str, Any]:
    return {c["id"]: python_answer(c["op"], c["args"]) for c in CASES}


def _circular(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _differences(py: Any, js: Any, where: str, op: str) -> list[str]:
    """Where the JavaScript's answer is not the Python's (floats: within BEARING_TOL; headings: round the circle)."""
    if isinstance(py, bool) or isinstance(js, bool) or py is None or js is None or isinstance(py, str):
        return [] if py == js and type(py) is type(js) else [f"{where}: python {py!r}, javascript {js!r}"]
    if isinstance(py, int | float) and not isinstance(py, bool):
        if not isinstance(js, int | float):
            return [f"{where}: python {py!r}, javascript {js!r}"]
        if op in ("next_waypoint",) or where.endswith(".waypoint"):
            return [] if py == js else [f"{where}: python {py!r}, javascript {js!r}"]
        off = _circular(py, js) if op == "heading_of" else abs(py - js)
        return [] if off <= BEARING_TOL else [f"{where}: python {py!r}, javascript {js!r} (off by {off:.3g})"]
    if isinstance(py, dict):
        if not isinstance(js, dict) or set(py) != set(js):
            return [f"{where}: python {py!r}, javascript {js!r}"]
        return [d for k in py for d in _differences(py[k], js[k], f"{where}.{k}", op)]
    if isinstance(py, list | tuple):
        if not isinstance(js, list) or len(py) != len(js):
            return [f"{where}: python {py!r}, javascript {js!r}"]
        return [d for i, (p, j) in enumerate(zip(py, js, strict=True)) for d in _differences(p, j, f"{where}[{i}]", op)]
    raise AssertionError(f"{where}: unexpected answer {py!r}")


@pytest.mark.parametrize("group", list(GROUPS))
def test_same_answer(group: str, py_answers: dict[str, Any], js_answers: dict[str, Any]) -> None:
    problems = []
    for case in GROUPS[group]:
        js = js_answers[case["id"]]
        if "error" in js:
            problems.append(f"{case['id']}: javascript threw {js['error']}")
            continue
        found = _differences(py_answers[case["id"]], js["ok"], "answer", case["op"])
        if found:
            args = json.dumps(case["args"])
            shown = args if len(args) <= 300 else args[:300] + "…"
            problems.append(f"{case['id']} ({shown}):\n  " + "\n  ".join(found[:5]))
    assert not problems, f"{len(problems)} of {len(GROUPS[group])} cases differ:\n" + "\n".join(problems[:10])


def test_every_case_was_compared(py_answers: dict[str, Any], js_answers: dict[str, Any]) -> None:
    assert set(js_answers) == set(py_answers) == {c["id"] for c in CASES}


def test_the_table_reaches_every_boundary(py_answers: dict[str, Any]) -> None:
    """The inputs really exercise the rule: every instruction, a change held back by the margin and by the
    frame count, a waypoint reached at 2 m, the destination, and a floor word on the real map's stairs."""
    kinds, held_frames = set(), []
    for c in CASES:
        if c["op"] != "walk":
            continue
        frames = [f for f in py_answers[c["id"]] if isinstance(f, dict)]
        kinds |= {f["turn"] for f in frames}
    assert kinds == {str(t) for t in Turn}, f"walks never gave {sorted({str(t) for t in Turn} - kinds)}"
    kinds_classify = {py_answers[c["id"]] for c in CASES if c["op"] == "classify"}
    assert kinds_classify == {str(t) for t in Turn}
    # the default tracker changes only on the 3rd clear frame in a row, never on the margin's edge
    seq = py_answers["tracker-default-640-right-edge-in-margin-None-None-None"]
    assert [f[1] for f in seq[:9]] == [True] + [False] * 7 + [True]
    assert seq[8][0] == "right" and all(f[0] == "ahead" for f in seq[:8])
    held_frames = [f[0] for f in py_answers["tracker-default-640-hold-broken-by-old-None-None-None"]]
    assert held_frames == ["ahead"] * 6 + ["right"]
    # 2 m: the corner counts as reached just inside, not on or outside
    along = py_answers["walk-default-640-along-L"]
    assert [f["waypoint"] for f in along[3:6]] == [1, 1, 2]
    assert None in along and along[along.index(None) - 1]["waypoint"] == 2
    assert "up_stairs" in {f["turn"] for f in py_answers["walk-map-up-stairs"] if isinstance(f, dict)}
    assert "down_stairs" in {f["turn"] for f in py_answers["walk-map-down-stairs"] if isinstance(f, dict)}


def test_the_phone_gets_the_kiosks_floors() -> None:
    """The floors the guide page hands the JavaScript are the ones the kiosk works out (every place, both ways)."""
    community_map = load_map(default_map_path())
    router = Router(community_map)
    guide = SimpleNamespace(map=community_map)
    for place in community_map.places:
        for start in (None, "library"):
            for step_free in (False, True):
                route = router.route(place.id, start=start, step_free=step_free)
                rf = route_floors(route, community_map)
                served = camera_data(guide, route, None)["route"]["floors"]
                assert served == {"change": list(rf.change), "lift": list(rf.lift)}, (place.id, start, step_free)
