"""The kiosk's readable guide map: drawn at the size it is shown, zoomed to the way, big labels, and the text it
drew reported as data so the accessibility audit can measure it on the picture (design: ``docs/kiosk.md``,
"The guide map").

What is on it, in drawing order:

- the paths (grey; stairs dashed dark red, lifts dashed blue) and every place as a round badge with the
  pictogram of its kind (``assets/icons/icons.yml``);
- the rest of the way, muted (a thinner steel-blue line), then the **next leg** on top: thick yellow with a
  black edge and an arrow head — the one thing to do now;
- stairs, lift and ramp badges on the way; the goal as a big red badge; **you are here** as a blue dot in a
  white ring;
- labels on plates (never over each other), largest first in importance: the goal, "You are here", places
  on the way, then places beside the way, then the rest. Every label's glyphs are at least
  ``min_text_px`` high (ink, not font size). The first three kinds are always drawn (moved further out,
  with a leader line, if they must); the others are dropped when there is no free room for them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .community_map import CommunityMap, MapPath, Place, local_name
from .icons import IconSet, icon_mask, load_icons
from .map_picture import FONT_PATH, MapView
from .route import Route
from .words import words_for

Role = Literal["goal", "start", "route", "nearby", "other", "north"]
Box = tuple[int, int, int, int]
"""x0, y0, x1, y1 in image pixels (x1, y1 exclusive)."""
RGB = tuple[int, int, int]

# colours (RGB): the next leg is the only saturated line on the map; the rest of the way is muted
PAPER: RGB = (240, 244, 245)
PATH_GREY: RGB = (165, 165, 165)
STAIRS_RED: RGB = (170, 40, 40)
LIFT_BLUE: RGB = (40, 110, 170)
NEXT_YELLOW: RGB = (255, 210, 0)
INK: RGB = (26, 26, 26)
REST_BLUE: RGB = (120, 150, 185)
HERE_BLUE: RGB = (0, 84, 200)
GOAL_RED: RGB = (190, 20, 30)
PLACE_DARK: RGB = (70, 85, 100)
WHITE: RGB = (255, 255, 255)
# plate colours per role: text colour on plate colour, every pair ≥ 7:1 (WCAG AAA)
PLATES: dict[str, tuple[RGB, RGB]] = {
    "goal": (WHITE, (150, 0, 0)),
    "start": (WHITE, (0, 60, 150)),
    "route": (INK, WHITE),
    "nearby": (INK, WHITE),
    "other": (INK, WHITE),
    "north": (INK, WHITE),
}
MANDATORY: frozenset[str] = frozenset({"goal", "start", "route", "north"})
INK_SLACK_PX = 4
"""Aim this much above the minimum: anti-aliasing makes the measured ink a pixel shorter or taller."""
MIN_LEG_INKS = 2.5
"""The yellow next leg is at least this many text heights long on the picture: a step too short to see (the
few metres out of the door on a 300 m way) is highlighted together with the step after it."""
MIN_SPAN_M = 40.0
"""A short way is not zoomed in further than this many metres across (a 5 m way would be a blur of badges)."""


@dataclass(frozen=True)
class DrawnLabel:
    """One piece of text drawn into the picture, as data for the accessibility audit."""

    text: str
    box: Box
    """Where the text is: the plate's inside without its pictogram (only this text's glyphs and the plate)."""
    plate: Box
    """The whole plate (pictogram, text, padding); plates never overlap."""
    text_px: int
    """The ink height the renderer aimed for; the audit measures its own on the picture."""
    role: Role
    font_px: int = 0
    """The font size used (one for all labels of a picture: the largest any of them needs)."""


@dataclass(frozen=True)
class MapPicture:
    """The picture (RGB, the size asked for) and what is on it."""

    rgb: np.ndarray
    labels: tuple[DrawnLabel, ...]
    dropped: tuple[str, ...] = ()
    """Labels left out (no free room); never the goal, the start or a place on the way."""
    you_are_here: tuple[int, int, int] | None = None
    """x, y, radius of the you-are-here dot."""
    goal: tuple[int, int, int] | None = None
    next_leg: tuple[tuple[int, int], ...] = ()
    """Pixel points of the next leg (the thick yellow line)."""
    next_steps: int = 0
    """How many steps the yellow covers, from ``next_step`` on: one, or more when the first is too short to see
    at this zoom (the Guide screen highlights as many step rows)."""
    rest: tuple[tuple[int, int], ...] = ()
    """Pixel points of the rest of the way after the next leg (muted)."""
    marks: dict[str, Box] = field(default_factory=dict)
    """Other keep-out boxes drawn (badges of places and of stairs/lift on the way), by node or ``a|b``."""


# ---------------------------------------------------------------- text


@functools.lru_cache(maxsize=16)
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), px)


@functools.lru_cache(maxsize=512)
def font_for_ink(text: str, ink_px: int) -> tuple[int, Box]:
    """The smallest font size whose glyphs of ``text`` are at least ``ink_px`` high, and their ink box at the
    origin. Ink, not font size: "mm" at 30 px is 16 px of ink, "中" about 27; the rule is about what is seen."""
    px = max(8, ink_px)
    while True:
        left, top, right, bottom = _font(px).getbbox(text)
        if bottom - top >= ink_px or px > ink_px * 4:
            return px, (int(left), int(top), int(right), int(bottom))
        px += 1


def _border(ink_px: int) -> int:
    """Line width of a plate's dark edge (it sets the plate off from the map)."""
    return max(2, ink_px // 14)


@functools.lru_cache(maxsize=512)
def _ink_box(text: str, font_px: int) -> Box:
    left, top, right, bottom = _font(font_px).getbbox(text)
    return int(left), int(top), int(right), int(bottom)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# ---------------------------------------------------------------- drawing helpers


def _pt(p: np.ndarray | tuple[float, float]) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _line(image: np.ndarray, pts: np.ndarray, colour: RGB, width: int) -> None:
    if len(pts) >= 2:
        poly = [np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)]
        cv2.polylines(image, poly, False, colour, width, cv2.LINE_AA, shift=4)


def _dashed(image: np.ndarray, a: np.ndarray, b: np.ndarray, colour: RGB, width: int, dash: float) -> None:
    n = max(1, int(float(np.linalg.norm(b - a)) / dash))
    for k in range(0, n, 2):
        cv2.line(image, _pt(a + (b - a) * (k / n)), _pt(a + (b - a) * (min(n, k + 1) / n)), colour, width,
                 cv2.LINE_AA)


def _paint_icon(image: np.ndarray, icon: object, cx: float, cy: float, px: int, colour: RGB) -> None:
    """The pictogram (white strokes on transparency) painted in ``colour`` centred on (cx, cy)."""
    from pathlib import Path

    if not isinstance(icon, Path) or px < 4:
        return
    alpha = icon_mask(icon, px).astype(np.float32) / 255.0
    x0, y0 = int(round(cx - px / 2)), int(round(cy - px / 2))
    h, w = image.shape[:2]
    ax0, ay0, ax1, ay1 = max(0, -x0), max(0, -y0), min(px, w - x0), min(px, h - y0)
    if ax1 <= ax0 or ay1 <= ay0:
        return
    region = image[y0 + ay0:y0 + ay1, x0 + ax0:x0 + ax1].astype(np.float32)
    a = alpha[ay0:ay1, ax0:ax1, None]
    region = region * (1 - a) + np.array(colour, np.float32) * a
    image[y0 + ay0:y0 + ay1, x0 + ax0:x0 + ax1] = np.round(region).astype(np.uint8)


def _badge(image: np.ndarray, cx: float, cy: float, r: int, fill: RGB, icon: object, ring: RGB = WHITE) -> Box:
    """A round badge with a pictogram: a place, the goal, or stairs/lift on the way."""
    c = (int(round(cx)), int(round(cy)))
    cv2.circle(image, c, r + max(2, r // 6), ring, -1, cv2.LINE_AA)
    cv2.circle(image, c, r, fill, -1, cv2.LINE_AA)
    _paint_icon(image, icon, cx, cy, int(r * 1.25), WHITE)
    pad = r + max(2, r // 6)
    return (c[0] - pad, c[1] - pad, c[0] + pad + 1, c[1] + pad + 1)


# ---------------------------------------------------------------- fitting the view


def _fit(points: np.ndarray, w: int, h: int, margin_x: float, margin_y: float, min_span: float) -> MapView:
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2
    span = np.maximum(hi - lo, min_span)
    scale = min(max(1.0, w - 2 * margin_x) / span[0], max(1.0, h - 2 * margin_y) / span[1])
    # the centre of the points at the centre of the picture, north up
    x0 = float(centre[0] - (w / 2) / scale)
    y1 = float(centre[1] + (h / 2) / scale)
    return MapView(x0=x0, y1=y1, scale=float(scale), ox=0.0, oy=0.0)


def _leg_split(route: Route, next_step: int) -> tuple[int, int]:
    """Indexes into ``route.points`` where the next leg starts and ends: the leg of ``steps[next_step]``,
    from where the step before it ended (the start for the first step)."""
    n = len(route.points)
    begin = 0
    for step in route.steps[:next_step]:
        if step.node in route.nodes[begin:]:
            begin = route.nodes.index(step.node, begin)
    end = n - 1
    if next_step < len(route.steps):
        node = route.steps[next_step].node
        if node in route.nodes[begin + 1:]:
            end = route.nodes.index(node, begin + 1)
        elif begin + 1 < n:
            end = begin + 1
    return begin, max(end, min(begin + 1, n - 1))


# ---------------------------------------------------------------- the picture


def render_guide_map(m: CommunityMap, route: Route | None, size: tuple[int, int], *, lang: str | None = None,
                     min_text_px: float = 30.0, next_step: int = 0,
                     you_are_here: tuple[float, float] | None = None, icons: IconSet | None = None) -> MapPicture:
    """The guide map at ``size`` = (w, h) pixels, as shown (no scaling afterwards), labels in ``lang``.

    ``min_text_px``: the smallest glyph height allowed at this size (30 px at 1080p; the kiosk passes its body
    text size). ``next_step``: the step of ``route.steps`` to walk now; its leg is the highlighted one.
    """
    w, h = int(size[0]), int(size[1])
    icons = icons or load_icons()
    ink_px = int(math.ceil(min_text_px)) + INK_SLACK_PX
    image = np.empty((h, w, 3), np.uint8)
    image[:] = PAPER
    nodes = {n.id: n for n in m.all_nodes()}
    place_r = max(10, int(ink_px * 0.62))
    big_r = int(place_r * 1.45)
    plate_h = ink_px + 2 * max(6, ink_px // 3)

    # the view: zoomed to the way (and you-are-here); without a way, the whole map
    if route is not None and route.points:
        pts = np.array(route.points, np.float64).reshape(-1, 2)
        here = np.array(you_are_here if you_are_here is not None else route.points[0], np.float64)
        fit_pts = np.vstack([pts, here])
        min_span = MIN_SPAN_M
    else:
        start = nodes.get(m.start)
        here = np.array(you_are_here if you_are_here is not None else (start.at if start else (0.0, 0.0)))
        fit_pts = np.array([n.at for n in nodes.values()], np.float64).reshape(-1, 2)
        min_span = 1.0
    view = _fit(fit_pts, w, h, margin_x=max(0.14 * w, plate_h * 1.5), margin_y=max(0.1 * h, plate_h * 1.7),
                min_span=min_span)

    def px(xy: tuple[float, float] | np.ndarray) -> np.ndarray:
        out: np.ndarray = view.to_px(np.asarray(xy, np.float64))[0]
        return out

    # paths
    line_w = max(3, ink_px // 8)
    for path in m.paths:
        if path.between[0] not in nodes or path.between[1] not in nodes:
            continue
        a, b = px(nodes[path.between[0]].at), px(nodes[path.between[1]].at)
        if path.access == "stairs":
            _dashed(image, a, b, STAIRS_RED, line_w, max(6.0, line_w * 2.5))
        elif path.access == "lift":
            _dashed(image, a, b, LIFT_BLUE, line_w, max(4.0, line_w * 1.5))
        else:
            cv2.line(image, _pt(a), _pt(b), PATH_GREY, line_w, cv2.LINE_AA)

    # the way: the rest muted, the next leg bold on top
    next_leg: np.ndarray = np.zeros((0, 2))
    next_steps = 0
    rest: np.ndarray = np.zeros((0, 2))
    keep_out: list[Box] = []
    route_samples: np.ndarray = np.zeros((0, 2))
    next_samples: np.ndarray = np.zeros((0, 2))
    if route is not None and len(route.points) >= 1:
        all_px = view.to_px(np.array(route.points, np.float64))
        begin, end = _leg_split(route, next_step)
        next_steps = 1
        while (_length(all_px[begin:end + 1]) < MIN_LEG_INKS * ink_px
               and next_step + next_steps < len(route.steps)):
            end = max(end, _leg_split(route, next_step + next_steps)[1])
            next_steps += 1
        next_leg, rest = all_px[begin:end + 1], all_px[end:]
        before = all_px[:begin + 1]
        wide = max(10, int(ink_px * 0.42))
        _line(image, before, REST_BLUE, max(4, wide // 2))
        _line(image, rest, REST_BLUE, max(5, int(wide * 0.6)))
        if len(next_leg) >= 2:
            _line(image, next_leg, INK, wide + max(6, wide // 2))
            _line(image, next_leg, NEXT_YELLOW, wide)
            keep_out.append(_arrow_head(image, next_leg, wide))
        route_samples = _samples(all_px, step=max(6.0, ink_px / 3))
        next_samples = _samples(next_leg, step=max(6.0, ink_px / 3)) if len(next_leg) >= 2 else next_samples
        # stairs, lift and ramp on the way get a badge at the middle of their path
        by_ends: dict[frozenset[str], MapPath] = {frozenset(p.between): p for p in m.paths}
        for a_id, b_id in zip(route.nodes, route.nodes[1:], strict=False):
            on_way = by_ends.get(frozenset((a_id, b_id)))
            if on_way is None or on_way.access == "step-free" or a_id not in nodes or b_id not in nodes:
                continue
            mid = (px(nodes[a_id].at) + px(nodes[b_id].at)) / 2
            colour = {"stairs": STAIRS_RED, "lift": LIFT_BLUE}.get(on_way.access, PLACE_DARK)
            keep_out.append(_badge(image, mid[0], mid[1], place_r, colour, icons.places.get(on_way.access)
                                   or icons.steps.get(on_way.access)))

    # places: a badge each (parts of a place only when the way goes there), the ones on and beside the way
    # first; a badge that would sit on one already drawn is left out with its label (a cluster of rooms)
    on_route = set(route.nodes) if route is not None else set()
    goal_id = route.goal if route is not None else None
    near: set[str] = set()
    if route is not None:
        for path in m.paths:
            a_id, b_id = path.between
            if a_id in on_route and b_id not in on_route:
                near.add(b_id)
            elif b_id in on_route and a_id not in on_route:
                near.add(a_id)
    hx, hy = px(here)
    here_r = max(12, int(ink_px * 0.55))
    ring = here_r + max(5, here_r // 3)
    here_box = (int(hx) - ring, int(hy) - ring, int(hx) + ring + 1, int(hy) + ring + 1)
    goal_box: Box | None = None
    if route is not None and route.points:
        gx, gy = px(route.points[-1])
        goal_box = (int(gx) - big_r - 4, int(gy) - big_r - 4, int(gx) + big_r + 5, int(gy) + big_r + 5)
    badges: list[Box] = [b for b in (goal_box,) if b is not None]
    place_at: dict[str, np.ndarray] = {}
    by_priority = sorted(m.places, key=lambda p: (0 if p.id in on_route else 1 if p.id in near else 2,
                                                  float(np.hypot(*(px(p.at) - np.array([hx, hy]))))))
    for place in by_priority:
        if place.id == goal_id or (place.part_of is not None and place.id not in on_route):
            continue
        p = px(place.at)
        edge = place_r + 4  # a badge cut by the picture's edge looks broken: whole badges only
        if not (edge <= p[0] <= w - edge and edge <= p[1] <= h - edge):
            continue
        pad = place_r + max(2, place_r // 6)
        box = (int(p[0]) - pad, int(p[1]) - pad, int(p[0]) + pad + 1, int(p[1]) + pad + 1)
        if any(_overlap(box, other) for other in badges) and place.id not in on_route:
            continue
        badges.append(box)
        place_at[place.id] = p
        keep_out.append(_badge(image, p[0], p[1], place_r, PLACE_DARK, icons.place(place.kind)))

    # the goal and you-are-here, on top of everything drawn so far
    goal_mark: tuple[int, int, int] | None = None
    if route is not None and route.points:
        g = px(route.points[-1])
        goal_node = nodes.get(route.goal)
        kind = goal_node.kind if isinstance(goal_node, Place) else None
        keep_out.append(_badge(image, g[0], g[1], big_r, GOAL_RED, icons.place(kind), ring=INK))
        goal_mark = (int(round(g[0])), int(round(g[1])), big_r)
        place_at[route.goal] = g
    cv2.circle(image, _pt((hx, hy)), here_r + max(5, here_r // 3), INK, -1, cv2.LINE_AA)
    cv2.circle(image, _pt((hx, hy)), here_r + max(3, here_r // 5), WHITE, -1, cv2.LINE_AA)
    cv2.circle(image, _pt((hx, hy)), here_r, HERE_BLUE, -1, cv2.LINE_AA)
    here_mark = (int(round(hx)), int(round(hy)), here_r)
    keep_out.append(here_box)

    # labels, most important first
    words = words_for(lang)
    wanted: list[tuple[str, Role, np.ndarray, float, object]] = []
    if route is not None and route.points:
        goal_node = nodes.get(route.goal)
        kind = goal_node.kind if isinstance(goal_node, Place) else None
        wanted.append((route.goal_name, "goal", place_at[route.goal], big_r, icons.place(kind)))
    wanted.append((words.you_are_here, "start", np.array([hx, hy]), ring, None))
    ordered = sorted(
        (p for p in m.places if p.id in place_at and p.id != goal_id),
        key=lambda p: (0 if p.id in on_route else 1 if p.id in near else 2,
                       float(np.hypot(*(place_at[p.id] - np.array([hx, hy]))))))
    for place in ordered:
        if route is not None and place.id == route.start:
            continue  # the start is "You are here"
        role: Role = "route" if place.id in on_route else "nearby" if place.id in near else "other"
        wanted.append((local_name(place, lang) or place.name, role, place_at[place.id], place_r,
                       icons.place(place.kind)))

    # one font size for every label (the largest any of them needs for its glyphs to reach ink_px): names
    # without descenders would otherwise be drawn bigger than the rest, which reads as more important
    font_px = max(font_for_ink(text, ink_px)[0] for text in [words.compass[0], *(t for t, *_ in wanted)])
    taken: list[Box] = []
    labels: list[DrawnLabel] = []
    dropped: list[str] = []
    for text, role, anchor, r, icon in wanted:
        placed = _place_label(text, role, anchor, r, icon, ink_px, font_px, w, h, taken, keep_out,
                              route_samples, next_samples)
        if placed is None:
            dropped.append(text)
            continue
        labels.append(placed)
        taken.append(placed.plate)
    north = _north_label(words.compass[0], ink_px, font_px, w, h, taken, keep_out, route_samples)
    if north is not None:
        labels.append(north)
        taken.append(north.plate)
    rgb = _draw_plates(image, labels, ink_px, wanted)
    return MapPicture(
        rgb=rgb, labels=tuple(labels), dropped=tuple(dropped), you_are_here=here_mark, goal=goal_mark,
        next_leg=tuple(_pt(p) for p in next_leg), next_steps=next_steps, rest=tuple(_pt(p) for p in rest),
        marks={f"k{i}": box for i, box in enumerate(keep_out)},
    )


def _length(pts: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) >= 2 else 0.0


def _samples(pts: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` pixels along a polyline (labels avoid covering the way)."""
    out = [pts[:1]]
    for a, b in zip(pts, pts[1:], strict=False):
        n = max(1, int(float(np.linalg.norm(b - a)) / step))
        out.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.vstack(out) if out else np.zeros((0, 2))


def _arrow_head(image: np.ndarray, leg: np.ndarray, wide: int) -> Box:
    """An arrow head at the end of the next leg: which way to go, without reading anything. Returns its box
    (labels keep off it)."""
    tip, back = leg[-1], leg[-2]
    d = tip - back
    length = float(np.linalg.norm(d))
    if length < 1e-6:
        return (0, 0, 0, 0)
    d = d / length
    n = np.array([-d[1], d[0]])
    size = wide * 1.9
    tri = np.array([tip + d * size * 0.6, tip - d * size * 0.9 + n * size * 0.8,
                    tip - d * size * 0.9 - n * size * 0.8])
    cv2.fillPoly(image, [np.round(tri).astype(np.int32)], INK, cv2.LINE_AA)
    inner = np.array([tip + d * size * 0.3, tip - d * size * 0.7 + n * size * 0.5,
                      tip - d * size * 0.7 - n * size * 0.5])
    cv2.fillPoly(image, [np.round(inner).astype(np.int32)], NEXT_YELLOW, cv2.LINE_AA)
    lo, hi = tri.min(axis=0), tri.max(axis=0)
    return (int(lo[0]) - 2, int(lo[1]) - 2, int(hi[0]) + 3, int(hi[1]) + 3)


def _plate_size(text: str, ink_px: int, font_px: int, has_icon: bool) -> tuple[int, int, int, int, Box]:
    """(plate width, plate height, padding, icon size, text ink box at the origin)."""
    ink = _ink_box(text, font_px)
    pad = max(6, ink_px // 3)
    icon_px = int(ink_px * 1.15) if has_icon else 0
    width = (ink[2] - ink[0]) + 2 * pad + (icon_px + pad if has_icon else 0)
    height = max(ink[3] - ink[1], icon_px) + 2 * pad
    return width, height, pad, icon_px, ink


def _inside(samples: np.ndarray, box: Box) -> int:
    if not len(samples):
        return 0
    return int(np.sum((samples[:, 0] >= box[0]) & (samples[:, 0] < box[2])
                      & (samples[:, 1] >= box[1]) & (samples[:, 1] < box[3])))


def _place_label(text: str, role: Role, anchor: np.ndarray, r: float, icon: object, ink_px: int, font_px: int,
                 w: int, h: int,
                 taken: list[Box], keep_out: list[Box], route_samples: np.ndarray,
                 next_samples: np.ndarray) -> DrawnLabel | None:
    """The best free spot for the label around its badge, or ``None`` (left out). Must-have labels may go
    further out (a leader line shows whose they are) and may cover the way if nothing else is free (the next
    leg last of all); the others may not."""
    has_icon = icon is not None and role not in ("start", "north")
    pw, ph, pad, icon_px, _ink = _plate_size(text, ink_px, font_px, has_icon)
    if pw > w - 4 or ph > h - 4:
        return None
    ax, ay = float(anchor[0]), float(anchor[1])
    gap = r + 6
    must = role in MANDATORY
    candidates: list[tuple[float, float]] = []
    for far in (1.0, 2.0, 3.2, 4.5) if must else (1.0,):
        g = gap * far + (far - 1) * ph * 0.5
        candidates += [(ax + g, ay - ph / 2), (ax - g - pw, ay - ph / 2), (ax - pw / 2, ay - g - ph),
                       (ax - pw / 2, ay + g), (ax + g * 0.7, ay - g * 0.7 - ph), (ax + g * 0.7, ay + g * 0.7),
                       (ax - g * 0.7 - pw, ay - g * 0.7 - ph), (ax - g * 0.7 - pw, ay + g * 0.7)]
    best: tuple[float, Box] | None = None
    for order, (x, y) in enumerate(candidates):
        x = min(max(2.0, x), w - 2.0 - pw)  # shifted inside the picture rather than cut at its edge
        y = min(max(2.0, y), h - 2.0 - ph)
        plate = (int(x), int(y), int(x) + pw, int(y) + ph)
        if any(_overlap(plate, other) for other in taken):
            continue
        blocked = sum(_overlap(plate, k) for k in keep_out)
        covers = _inside(route_samples, plate)
        if not must and (blocked or covers):
            continue
        cost = blocked * 1000 + _inside(next_samples, plate) * 100 + covers * 10 + order
        if best is None or cost < best[0]:
            best = (cost, plate)
    if best is None:
        return None
    plate = best[1]
    text_x0 = plate[0] + pad + (icon_px + pad if has_icon else 0)
    inset = _border(ink_px) + 2  # inside the plate's border: only the plate and this text's glyphs
    box = (text_x0 - 2, plate[1] + inset, plate[2] - inset, plate[3] - inset)
    return DrawnLabel(text=text, box=box, plate=plate, text_px=ink_px, role=role, font_px=font_px)


def _north_label(north: str, ink_px: int, font_px: int, w: int, h: int, taken: list[Box], keep_out: list[Box],
                 route_samples: np.ndarray) -> DrawnLabel | None:
    """"N" (北) with an arrow, in a free corner: the words of the way name compass directions."""
    for x, y in ((w - 10, 10), (10, 10), (w - 10, h - 10), (10, h - 10)):
        pw, ph, pad, _icon, _ink = _plate_size(north, ink_px, font_px, False)
        arrow_w = int(ink_px * 0.9) + pad
        x0 = x - pw - arrow_w if x > w / 2 else x
        y0 = y if y < h / 2 else y - ph
        plate = (x0, y0, x0 + pw + arrow_w, y0 + ph)
        if any(_overlap(plate, o) for o in (*taken, *keep_out)):
            continue
        if len(route_samples) and np.any((route_samples[:, 0] >= plate[0]) & (route_samples[:, 0] < plate[2])
                                         & (route_samples[:, 1] >= plate[1]) & (route_samples[:, 1] < plate[3])):
            continue
        inset = _border(ink_px) + 2
        box = (plate[0] + arrow_w - 2 + pad // 2, plate[1] + inset, plate[2] - inset, plate[3] - inset)
        return DrawnLabel(text=north, box=box, plate=plate, text_px=ink_px, role="north", font_px=font_px)
    return None


def _draw_plates(image: np.ndarray, labels: list[DrawnLabel], ink_px: int,
                 wanted: list[tuple[str, Role, np.ndarray, float, object]]) -> np.ndarray:
    """Leader lines, plates, pictograms and text (Pillow, the bundled CJK font)."""
    anchors = {(t, role): (a, r, icon) for t, role, a, r, icon in wanted}
    for label in labels:
        if label.role == "north":
            continue
        anchor, r, _icon = anchors[(label.text, label.role)]
        x0, y0, x1, y1 = label.plate
        cx, cy = min(max(anchor[0], x0), x1), min(max(anchor[1], y0), y1)
        if math.hypot(cx - anchor[0], cy - anchor[1]) > r + 14:  # moved out: a leader line to its badge
            cv2.line(image, _pt((cx, cy)), _pt(anchor), INK, max(2, ink_px // 12), cv2.LINE_AA)
    for label in labels:
        fg, bg = PLATES[label.role]
        x0, y0, x1, y1 = label.plate
        cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), bg, -1)
        cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), INK, _border(ink_px))
        pad = max(6, ink_px // 3)
        if label.role == "north":
            ax = x0 + pad + ink_px * 0.45
            top, bottom = y0 + pad, y1 - pad
            tri = np.array([[ax, top], [ax + ink_px * 0.4, bottom], [ax, bottom - ink_px * 0.3],
                            [ax - ink_px * 0.4, bottom]])
            cv2.fillPoly(image, [np.round(tri).astype(np.int32)], INK, cv2.LINE_AA)
        else:
            _a, _r, icon = anchors[(label.text, label.role)]
            if icon is not None and label.role not in ("start",):
                icon_px = int(ink_px * 1.15)
                _paint_icon(image, icon, x0 + pad + icon_px / 2, (y0 + y1) / 2, icon_px, fg)
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    for label in labels:
        fg, _bg = PLATES[label.role]
        font_px = label.font_px or font_for_ink(label.text, label.text_px)[0]
        ink = _ink_box(label.text, font_px)
        bx0, by0, bx1, by1 = label.box
        # the ink box centred in the text box: draw at origin minus the ink's own offset
        tx = bx0 + 2 + max(0, ((bx1 - bx0 - 4) - (ink[2] - ink[0])) // 2) - ink[0]
        ty = by0 + max(0, ((by1 - by0) - (ink[3] - ink[1])) // 2) - ink[1]
        draw.text((tx, ty), label.text, font=_font(font_px), fill=fg)
    return np.asarray(pil).copy()
