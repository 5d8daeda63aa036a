"""The plain 2D map picture (north up, the route in yellow, a you-are-here dot) and the big text labels on it.

Used by the phones' guide page (office system), the kiosk's Guide screen without a camera and ``linli map
route --png``; the camera overlay (``ar_overlays.draw``) uses the same labels. Looks are for elderly eyes:
high contrast, text ≥ 5 % of the picture height in white/yellow on a dark box, any script via the bundled
font. The static map and each route's layer are rendered once and cached.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .community_map import CommunityMap
from .route import Route
from .words import distance_label

FONT_PATH = Path(__file__).resolve().parents[1] / "assets" / "fonts" / "wqy-microhei.ttc"
YELLOW = (0, 215, 255)  # BGR
BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
DARK = (32, 32, 32)
LABEL_HEIGHT = 0.065
"""Text size as a share of the frame height (the brief: ≥ 5 %)."""

Point = tuple[float, float]


# ---------------------------------------------------------------- text


@functools.lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_PATH), px)
    except OSError:  # font file missing: Pillow's built-in font (ASCII only) rather than no label at all
        return ImageFont.load_default(px)


def format_distance(metres: float) -> str:
    """"< 15 m", "50 m", "150 m", "1.2 km": the figure the words say ("about 150 metres"), one rounding for both
    (``wayfinding.words.rounded_distance``): a map that says 145 m under a page that says 150 looks wrong."""
    return distance_label(metres)


@functools.lru_cache(maxsize=64)
def label_image(parts: tuple[tuple[str, tuple[int, int, int]], ...], text_px: int, max_width: int) -> np.ndarray:
    """A dark box holding the coloured text parts on one line (BGR). Cached: the distance changes in steps, so a
    walk to one place needs a few dozen images at most. Any script (Chinese names) via the bundled font."""
    pad = max(4, text_px // 3)
    px = text_px
    while True:
        font = _font(px)
        widths = [font.getlength(text) for text, _ in parts]
        total = int(sum(widths)) + pad * 2
        if total <= max_width or px <= 10:
            break
        px = max(10, int(px * max_width / total) - 1)
    ascent, descent = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (px, px // 4)
    height = ascent + descent + pad * 2
    image = Image.new("RGB", (min(total, max_width), height), DARK[::-1])
    draw = ImageDraw.Draw(image)
    x = float(pad)
    for (text, colour), width in zip(parts, widths, strict=True):
        draw.text((x, pad), text, font=font, fill=colour[::-1])
        x += width
    return np.asarray(image)[:, :, ::-1].copy()


def blit(frame: np.ndarray, image: np.ndarray, x: int, y: int) -> None:
    """Copy ``image`` into ``frame`` at (x, y), cut at the frame's edges."""
    h, w = image.shape[:2]
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(fw, x + w), min(fh, y + h)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = image[y0 - y: y1 - y, x0 - x: x1 - x]


def draw_destination_label(frame: np.ndarray, goal_name: str, remaining_m: float | None) -> None:
    h, w = frame.shape[:2]
    text_px = max(12, round(h * LABEL_HEIGHT))
    parts: list[tuple[str, tuple[int, int, int]]] = [(goal_name, WHITE)]
    if remaining_m is not None:
        parts.append(("   " + format_distance(remaining_m), YELLOW))
    margin = max(4, h // 60)
    blit(frame, label_image(tuple(parts), text_px, w - 2 * margin), margin, margin)


# ---------------------------------------------------------------- 2D map


@dataclass(frozen=True)
class MapView:
    """World → map-image transform: px = ox + (x − x0)·s, py = oy + (y1 − y)·s (north up)."""

    x0: float
    y1: float
    scale: float
    ox: float
    oy: float

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        return np.stack([self.ox + (xy[:, 0] - self.x0) * self.scale, self.oy + (self.y1 - xy[:, 1]) * self.scale],
                        axis=1)


Labels = list[tuple[str, float, float, int]]
_BG_CACHE: OrderedDict[tuple[int, int, int], tuple[CommunityMap, np.ndarray, MapView, Labels]] = OrderedDict()
_ROUTE_CACHE: OrderedDict[tuple[int, int, int, Route | None], tuple[CommunityMap, np.ndarray]] = OrderedDict()
_CACHE_SIZE = 8


def _remember(cache: OrderedDict[Any, Any], key: object, value: object) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def _nodes(m: CommunityMap) -> dict[str, tuple[float, float]]:
    return {n.id: n.at for n in (*m.places, *m.junctions, *m.markers)}


def _fit(m: CommunityMap, w: int, h: int) -> MapView:
    pts = np.array(list(_nodes(m).values()), np.float64).reshape(-1, 2)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    top = h * (LABEL_HEIGHT * 1.6 + 0.03)  # the destination label sits above the map
    margin = 0.07 * min(w, h)
    scale = min((w - 2 * margin) / span[0], (h - top - 2 * margin) / span[1])
    ox = (w - span[0] * scale) / 2
    oy = top + margin + (h - top - 2 * margin - span[1] * scale) / 2
    return MapView(float(lo[0]), float(hi[1]), float(scale), float(ox), float(oy))


def _dashed(image: np.ndarray, a: np.ndarray, b: np.ndarray, colour: tuple[int, int, int], thickness: int,
            dash: float) -> None:
    length = float(np.linalg.norm(b - a))
    n = max(1, int(length / dash))
    for k in range(0, n, 2):
        p, q = a + (b - a) * (k / n), a + (b - a) * (min(n, k + 1) / n)
        cv2.line(image, tuple(np.round(p).astype(int)), tuple(np.round(q).astype(int)), colour, thickness,
                 cv2.LINE_AA)


def _text_pil(image: np.ndarray, items: list[tuple[str, float, float, int]]) -> np.ndarray:
    """Draw labels (text, x, y, px) with the bundled font, white halo for legibility over lines."""
    pil = Image.fromarray(image[:, :, ::-1])
    draw = ImageDraw.Draw(pil)
    for text, x, y, px in items:
        draw.text((x, y), text, font=_font(px), fill=(20, 20, 20), stroke_width=max(2, px // 8),
                  stroke_fill=(255, 255, 255))
    return np.asarray(pil)[:, :, ::-1].copy()


def _placed_labels(places: Labels, goal: str | None, w: int, h: int, *, dot: int) -> Labels:
    """Names beside their dots, right or left, never over another name (the destination's first).

    Places crowd together (the Service Centre's rooms, both sides of the lane): a name that fits nowhere is
    left out rather than printed over another, so every name shown can be read.
    """
    taken: list[tuple[float, float, float, float]] = [(0, 0, w * 0.58, h * (LABEL_HEIGHT * 1.6 + 0.02))]
    placed: Labels = []
    order = sorted(places, key=lambda item: item[0] != goal)
    middle = float(np.median([x for _, x, _, _ in places])) if places else w / 2
    for text, x, y, px in order:
        left, top, right, bottom = _font(px).getbbox(text)
        tw, th = right - left, bottom - top
        sides = (x + dot + 4, x - dot - 4 - tw)
        for tx in sides if x >= middle else sides[::-1]:  # names face away from the middle (the lane)
            box = (tx, y - th / 2 - 2, tx + tw, y + th / 2 + 2)
            inside = box[0] >= 2 and box[2] <= w - 2 and box[1] >= 2 and box[3] <= h - 2
            if inside and not any(_overlap(box, other) for other in taken):
                taken.append(box)
                placed.append((text, tx, y - th / 2 - top, px))
                break
    return placed


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _map_background(m: CommunityMap, w: int, h: int) -> tuple[np.ndarray, MapView, Labels]:
    """The paths, dots and north arrow (cached), and the labels to print last (on top of the route)."""
    key = (id(m), w, h)
    hit = _BG_CACHE.get(key)
    if hit is not None and hit[0] is m:
        return hit[1], hit[2], hit[3]
    view = _fit(m, w, h)
    image = np.full((h, w, 3), (240, 244, 245), np.uint8)
    nodes = _nodes(m)
    line_w = max(3, h // 110)
    for path in m.paths:
        if path.between[0] not in nodes or path.between[1] not in nodes:
            continue
        a, b = view.to_px(np.array([nodes[path.between[0]], nodes[path.between[1]]]))
        if path.access == "stairs":  # dark red dashes with rungs: visibly not step-free
            _dashed(image, a, b, (40, 40, 170), line_w, max(6.0, line_w * 2.5))
            d = (b - a) / max(float(np.linalg.norm(b - a)), 1e-9)
            n = np.array([-d[1], d[0]]) * line_w * 1.6
            for k in np.linspace(0.2, 0.8, 4):
                p = a + (b - a) * k
                cv2.line(image, tuple(np.round(p - n).astype(int)), tuple(np.round(p + n).astype(int)),
                         (40, 40, 170), max(2, line_w // 2), cv2.LINE_AA)
        elif path.access == "lift":
            _dashed(image, a, b, (170, 110, 40), line_w, max(4.0, line_w * 1.2))
        else:
            cv2.line(image, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), (150, 150, 150),
                     line_w, cv2.LINE_AA)
    for post in m.markers:
        (x, y), = view.to_px(np.array([post.at]))
        r = max(3, line_w)
        cv2.rectangle(image, (int(x - r), int(y - r)), (int(x + r), int(y + r)), BLACK, -1)
    dot = max(5, h // 80)
    labels: Labels = []
    label_px = max(12, round(h * 0.032))
    few = len(m.places) <= 40  # a thousand labels is noise; big synthetic maps get dots only
    for place in m.places:
        (x, y), = view.to_px(np.array([place.at]))
        cv2.circle(image, (int(x), int(y)), dot, (120, 60, 20), -1, cv2.LINE_AA)
        if few and place.part_of is None:
            labels.append((place.name, x, y, label_px))  # placed later, around the dot (see _placed_labels)
    # north arrow, top right
    size = max(24, h // 14)
    cx, cy = w - size * 1.2, h * (LABEL_HEIGHT * 1.6 + 0.03) + size * 1.2
    arrow = np.array([[cx, cy - size], [cx + size * 0.45, cy + size * 0.6], [cx, cy + size * 0.3],
                      [cx - size * 0.45, cy + size * 0.6]], np.int32)
    cv2.fillPoly(image, [arrow], (40, 40, 40), cv2.LINE_AA)
    _remember(_BG_CACHE, key, (m, image, view, labels))
    cv2.putText(image, "N", (int(cx - size * 0.3), int(cy + size * 1.45)), cv2.FONT_HERSHEY_SIMPLEX,
                size / 30, BLACK, max(2, size // 12), cv2.LINE_AA)
    return image, view, labels


def _route_layer(m: CommunityMap, route: Route | None, w: int, h: int) -> tuple[np.ndarray, MapView]:
    background, view, labels = _map_background(m, w, h)
    key = (id(m), w, h, route)
    hit = _ROUTE_CACHE.get(key)
    if hit is not None and hit[0] is m:
        return hit[1], view
    image = background.copy()
    if route is not None and route.points:
        pts = view.to_px(np.array(route.points))
        poly = [np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)]
        width = max(8, h // 45)
        cv2.polylines(image, poly, False, BLACK, width + max(4, width // 2), cv2.LINE_AA, shift=4)
        cv2.polylines(image, poly, False, YELLOW, width, cv2.LINE_AA, shift=4)
        r = max(9, h // 50)
        sx, sy = (int(v) for v in pts[0])
        cv2.circle(image, (sx, sy), r, WHITE, -1, cv2.LINE_AA)
        cv2.circle(image, (sx, sy), r, BLACK, max(2, r // 3), cv2.LINE_AA)
        gx, gy = (int(v) for v in pts[-1])  # destination: a red pin with a black ring
        cv2.circle(image, (gx, gy), int(r * 1.5), (30, 30, 210), -1, cv2.LINE_AA)
        cv2.circle(image, (gx, gy), int(r * 1.5), BLACK, max(2, r // 3), cv2.LINE_AA)
        cv2.circle(image, (gx, gy), max(3, r // 2), WHITE, -1, cv2.LINE_AA)
    goal = route.goal_name if route is not None else None
    image = _text_pil(image, _placed_labels(labels, goal, w, h, dot=max(5, h // 80)))
    if route is not None:
        draw_destination_label(image, route.goal_name, route.length_m)
    _remember(_ROUTE_CACHE, key, (m, image))
    return image, view


def draw_map(m: CommunityMap, route: Route | None, size: tuple[int, int] = (1280, 720),
             you_are_here: Point | None = None, heading: float | None = None) -> np.ndarray:
    """The 2D map (north up, fitted to ``size`` = (w, h)) with the route and an optional you-are-here dot
    (with a wedge towards ``heading``). Returns a new BGR image; the map and route layers are cached."""
    w, h = int(size[0]), int(size[1])
    layer, view = _route_layer(m, route, w, h)
    image = layer.copy()
    if you_are_here is not None:
        (x, y), = view.to_px(np.array([you_are_here]))
        r = max(10, h // 45)
        if heading is not None:
            h_rad = math.radians(heading)  # compass heading → unit (east, north), image y points south
            d = np.array([math.sin(h_rad), -math.cos(h_rad)])
            n = np.array([-d[1], d[0]])
            c = np.array([x, y])
            wedge = np.array([c + d * r * 2.6, c + n * r * 0.9, c - n * r * 0.9], np.int32)
            cv2.fillPoly(image, [wedge], (200, 90, 0), cv2.LINE_AA)
        cv2.circle(image, (int(x), int(y)), r, WHITE, -1, cv2.LINE_AA)
        cv2.circle(image, (int(x), int(y)), int(r * 0.7), (200, 90, 0), -1, cv2.LINE_AA)
        cv2.circle(image, (int(x), int(y)), r, BLACK, 2, cv2.LINE_AA)
    return image


def map_scale_px_per_m(m: CommunityMap, size: tuple[int, int]) -> float:
    """Pixels per metre of ``draw_map`` at ``size`` (for tests and the kiosk's scale bar)."""
    return _map_background(m, int(size[0]), int(size[1]))[1].scale
