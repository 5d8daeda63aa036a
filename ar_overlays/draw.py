"""Drawing on the camera picture: the route as a ground ribbon with an arrow head, and the destination label.

Looks are for elderly eyes on a lobby kiosk: one opaque yellow ribbon with a thick black outline (readable on
any background, also for most colour-blind residents), text ≥ 5 % of the frame height in white/yellow on a
dark box. The per-frame path does a few small numpy transforms, one ``fillPoly`` and one label blit; label
images are rendered once and cached. The 2D map picture and the labels live in ``wayfinding.map_picture``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import cv2
import numpy as np

from ar_overlays.camera import Calibration
from ar_overlays.pose import CameraPose
from wayfinding.map_picture import BLACK, WHITE, YELLOW, Point, blit, draw_destination_label, label_image
from wayfinding.route import Route

TURN_TEXT_HEIGHT = 0.08
"""The turn words' font size as a share of the frame height: 58 px at 720p, cap height ≈ 41 px (≥ 30 px at
1080p-equivalent, the elderly-first rule, with room to spare)."""


@dataclass(frozen=True)
class ArDrawing:
    arrow: tuple[Point, Point] | None
    """Image points (tail, tip) of the drawn arrow head, or None when it is not in front of the camera."""
    remaining_m: float
    """Walking distance from the point of the route nearest the camera to the destination."""
    ribbon_visible: bool
    """Some of the ribbon landed inside the frame."""


# ---------------------------------------------------------------- route geometry


def nearest_on_route(points: np.ndarray, xy: Point) -> tuple[int, np.ndarray]:
    """(segment index, closest point) of the polyline to ``xy``."""
    a, b = points[:-1], points[1:]
    ab = b - a
    den = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
    t = np.clip(np.einsum("ij,ij->i", np.asarray(xy) - a, ab) / den, 0.0, 1.0)
    closest = a + ab * t[:, None]
    i = int(np.argmin(np.sum((closest - np.asarray(xy)) ** 2, axis=1)))
    return i, closest[i]


def route_ahead(route: Route, xy: Point, ahead_m: float) -> tuple[np.ndarray, float]:
    """The route from the point nearest ``xy`` for the next ``ahead_m`` metres (a polyline, (K, 2)), and the
    remaining walking distance to the destination."""
    pts = np.asarray(route.points, np.float64).reshape(-1, 2)
    if len(pts) < 2:
        d = float(np.hypot(*(pts[0] - xy))) if len(pts) else 0.0
        return pts[:1], d
    seg_len = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    total = float(seg_len.sum())
    i, p = nearest_on_route(pts, xy)
    left = float(np.linalg.norm(pts[i + 1] - p)) + float(seg_len[i + 1:].sum())
    # the map may give a path a length longer than its straight line (stairs, a bend): keep the route's own total
    remaining = left * (route.length_m / total) if total > 0 and route.length_m > total else left
    ahead = [p]
    budget = ahead_m
    for q in pts[i + 1:]:
        d = float(np.linalg.norm(q - ahead[-1]))
        if d >= budget:
            ahead.append(ahead[-1] + (q - ahead[-1]) * (budget / max(d, 1e-9)))
            break
        budget -= d
        ahead.append(q)
    out = np.array(ahead)
    keep = np.r_[True, np.linalg.norm(np.diff(out, axis=0), axis=1) > 1e-6]
    return out[keep], remaining


def _split_head(line: np.ndarray, head_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Shaft polyline (ending at the head's base) and the head direction (unit)."""
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    head = min(head_m, 0.45 * float(seg.sum()))
    shaft = list(line[:-1])
    tip = line[-1]
    direction = (line[-1] - line[-2]) / max(float(seg[-1]), 1e-9)
    back = head
    while len(shaft) > 1 and float(np.linalg.norm(tip - shaft[-1])) < back:  # corner inside the head: drop it
        shaft.pop()
    base = tip - direction * back
    shaft.append(base)
    return np.array(shaft), direction


def ribbon_outline(line: np.ndarray, width_m: float, head_m: float = 1.4,
                   head_width_m: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World (x, y) outline of the ribbon ending in an arrow head, and the head's base centre and tip."""
    half = width_m / 2
    head_half = (head_width_m or width_m * 2.4) / 2
    shaft, direction = _split_head(line, head_m)
    tip = line[-1]
    d = np.diff(shaft, axis=0)
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    if len(d) == 0:
        d = direction[None, :]
    seg_n = np.stack([-d[:, 1], d[:, 0]], axis=1)  # left normals
    normals = np.vstack([seg_n[:1], seg_n[:-1] + seg_n[1:], seg_n[-1:]]) if len(seg_n) > 1 else \
        np.vstack([seg_n, seg_n])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-9)
    # mitre joints: keep the ribbon's width through a corner, but not a spike at a hairpin
    cos = np.ones(len(normals))
    if len(seg_n) > 1:
        cos[1:-1] = np.einsum("ij,ij->i", normals[1:-1], seg_n[:-1])
    offset = half / np.clip(cos, 0.35, 1.0)
    left = shaft + normals * offset[:, None]
    right = shaft - normals * offset[:, None]
    n_head = np.array([-direction[1], direction[0]])
    base = shaft[-1]
    head = np.array([base + n_head * head_half, tip, base - n_head * head_half])
    outline = np.vstack([left, head, right[::-1]])
    return outline, base, tip


def _clip_near(poly: np.ndarray, near: float) -> np.ndarray:
    """Sutherland–Hodgman against the plane z = near (camera frame), keeping z ≥ near."""
    out: list[np.ndarray] = []
    n = len(poly)
    for k in range(n):
        cur, nxt = poly[k], poly[(k + 1) % n]
        cur_in, nxt_in = cur[2] >= near, nxt[2] >= near
        if cur_in:
            out.append(cur)
        if cur_in != nxt_in:
            t = (near - cur[2]) / (nxt[2] - cur[2])
            out.append(cur + (nxt - cur) * t)
    return np.array(out).reshape(-1, 3)


def _densify(poly: np.ndarray, step: float) -> np.ndarray:
    out: list[np.ndarray] = []
    n = len(poly)
    for k in range(n):
        a, b = poly[k], poly[(k + 1) % n]
        parts = max(1, int(np.linalg.norm(b - a) / step))
        out.extend(a + (b - a) * (j / parts) for j in range(parts))
    return np.array(out)


def _to_image(cam_pts: np.ndarray, calibration: Calibration) -> np.ndarray:
    if calibration.has_distortion:
        img, _ = cv2.projectPoints(cam_pts.reshape(-1, 1, 3), np.zeros(3), np.zeros(3),
                                   calibration.camera_matrix, calibration.dist_coeffs)
        return img.reshape(-1, 2)
    k = calibration.camera_matrix
    z = cam_pts[:, 2:3]
    return np.hstack([k[0, 0] * cam_pts[:, :1] / z + k[0, 2], k[1, 1] * cam_pts[:, 1:2] / z + k[1, 2]])


def draw_route_ar(frame: np.ndarray, pose: CameraPose, calibration: Calibration, route: Route, *,
                  ribbon_width_m: float = 0.6, ahead_m: float = 15.0, near_m: float = 0.3,
                  label: bool = True) -> ArDrawing:
    """Draw the route ahead as a ground ribbon with an arrow head, and the destination label, onto ``frame``
    (in place). ``calibration`` must match the frame's size."""
    h, w = frame.shape[:2]
    line, remaining = route_ahead(route, (pose.x, pose.y), ahead_m)
    arrow: tuple[Point, Point] | None = None
    visible = False
    if len(line) >= 2 and float(np.linalg.norm(line[-1] - line[0])) > 0.5:
        outline, base, tip = ribbon_outline(line, ribbon_width_m)
        if calibration.has_distortion:
            outline = _densify(np.hstack([outline, np.zeros((len(outline), 1))]), 1.0)[:, :2]
        rot, t = pose.rotation, pose.tvec.reshape(3)
        world = np.hstack([outline, np.zeros((len(outline), 1))])
        cam = _clip_near(world @ rot.T + t, near_m)
        if len(cam) >= 3:
            img = _to_image(cam, calibration)
            img = np.clip(img, -4 * max(w, h), 5 * max(w, h))  # huge values near the clip plane; keep int32 sane
            poly = [np.round(img * 16).astype(np.int32).reshape(-1, 1, 2)]  # 4 fractional bits: smooth edges
            cv2.fillPoly(frame, poly, YELLOW, cv2.LINE_AA, shift=4)
            cv2.polylines(frame, poly, True, BLACK, max(3, h // 120), cv2.LINE_AA, shift=4)
            x0, y0 = img.min(axis=0)
            x1, y1 = img.max(axis=0)
            visible = bool(x1 >= 0 and y1 >= 0 and x0 < w and y0 < h)
        ends = np.array([[base[0], base[1], 0.0], [tip[0], tip[1], 0.0]]) @ rot.T + t
        if np.all(ends[:, 2] >= near_m):
            a, b = _to_image(ends, calibration)
            arrow = ((float(a[0]), float(a[1])), (float(b[0]), float(b[1])))
    if label:
        draw_destination_label(frame, route.goal_name, remaining)
    return ArDrawing(arrow, remaining, visible)


# ---------------------------------------------------------------- which way, always (docs/ar.md)


@dataclass(frozen=True)
class EdgeArrow:
    """The big arrow drawn at the picture's edge when the next waypoint is out of view."""

    side: Literal["left", "right", "around"]
    """Left edge, right edge, or the "turn around" U-arrow at the bottom centre."""
    outline: np.ndarray
    """(N, 2) image points of the filled arrow."""
    tip: Point
    """Where the arrow points to (the left / right edge; for the U-arrow, the end of its head)."""
    text_box: tuple[int, int, int, int] | None
    """x0, y0, x1, y1 of the words next to it (None when there are no words)."""


@lru_cache(maxsize=16)
def _side_arrow(w: int, h: int, side: str) -> np.ndarray:
    """A block arrow at the left or right edge, vertically centred: ≈ 0.34 h tall, 0.32 h long."""
    m, head_len, head_half, shaft_len, shaft_half = 0.03 * h, 0.16 * h, 0.17 * h, 0.16 * h, 0.07 * h
    cy = h / 2
    pts = np.array([[m, cy], [m + head_len, cy - head_half], [m + head_len, cy - shaft_half],
                    [m + head_len + shaft_len, cy - shaft_half], [m + head_len + shaft_len, cy + shaft_half],
                    [m + head_len, cy + shaft_half], [m + head_len, cy + head_half]])
    if side == "right":
        pts[:, 0] = w - pts[:, 0]
    return pts


@lru_cache(maxsize=8)
def _u_arrow(w: int, h: int) -> tuple[np.ndarray, int]:
    """A "turn around" U at the bottom centre: up on the right, over the top, down on the left into a head."""
    m, radius, thick, leg, head_len, head_extra = 0.03 * h, 0.1 * h, 0.08 * h, 0.06 * h, 0.1 * h, 0.06 * h
    cx = w / 2
    tip_y = h - m
    head_base = tip_y - head_len
    arc_y = head_base - leg
    start_y = h - m  # the right leg starts at the bottom too
    outer, inner = radius + thick / 2, radius - thick / 2
    theta = np.linspace(0.0, np.pi, 25)
    pts = [[cx + outer, start_y]]
    pts += [[cx + outer * np.cos(t), arc_y - outer * np.sin(t)] for t in theta]
    pts += [[cx - outer, head_base], [cx - outer - head_extra, head_base]]
    tip_index = len(pts)
    pts += [[cx - radius, tip_y], [cx - inner + head_extra, head_base], [cx - inner, head_base]]
    pts += [[cx + inner * np.cos(t), arc_y - inner * np.sin(t)] for t in theta[::-1]]
    pts += [[cx + inner, start_y]]
    return np.array(pts), tip_index


def _fill(frame: np.ndarray, outline: np.ndarray) -> None:
    h = frame.shape[0]
    poly = [np.round(outline * 16).astype(np.int32).reshape(-1, 1, 2)]
    cv2.fillPoly(frame, poly, YELLOW, cv2.LINE_AA, shift=4)
    cv2.polylines(frame, poly, True, BLACK, max(3, h // 120), cv2.LINE_AA, shift=4)


def _words(frame: np.ndarray, words: str, x: int, y: int, anchor: str) -> tuple[int, int, int, int]:
    """Blit the words (white on the dark label box, cached) with ``anchor`` = left / right / centre at x, and
    vertically centred on y; returns the box."""
    h, w = frame.shape[:2]
    image = label_image(((words, WHITE),), max(12, round(h * TURN_TEXT_HEIGHT)), w - 2 * max(4, h // 60))
    ih, iw = image.shape[:2]
    x0 = x if anchor == "left" else x - iw if anchor == "right" else x - iw // 2
    x0 = int(min(max(0, x0), w - iw))
    y0 = int(min(max(0, y - ih // 2), h - ih))
    blit(frame, image, x0, y0)
    return x0, y0, x0 + iw, y0 + ih


def draw_turn(frame: np.ndarray, turn: str, words: str) -> EdgeArrow | None:
    """Draw the instruction onto ``frame`` (in place): ``left`` / ``right`` → a big arrow at that edge with the
    words beside it; ``around`` → the U-arrow at the bottom centre with the words above it; anything else with
    words (up / down the stairs) → the words at the bottom centre, the ribbon shows the way. Returns the edge
    arrow's geometry (None when none was drawn). The shapes are cached per frame size: two small polygons and
    one cached label blit per frame."""
    h, w = frame.shape[:2]
    gap = round(0.02 * h)
    if turn in ("left", "right"):
        outline = _side_arrow(w, h, turn)
        _fill(frame, outline)
        box = None
        if words:
            inner_x = int(outline[:, 0].max() + gap) if turn == "left" else int(outline[:, 0].min() - gap)
            box = _words(frame, words, inner_x, h // 2, "left" if turn == "left" else "right")
        tip = outline[0]
        return EdgeArrow("left" if turn == "left" else "right", outline, (float(tip[0]), float(tip[1])), box)
    if turn == "around":
        outline, tip_index = _u_arrow(w, h)
        _fill(frame, outline)
        box = None
        if words:
            top = int(outline[:, 1].min())
            text_px = max(12, round(h * TURN_TEXT_HEIGHT))
            box = _words(frame, words, w // 2, top - gap - text_px, "centre")
        tip = outline[tip_index]  # the end of the head, at the bottom of the left leg
        return EdgeArrow("around", outline, (float(tip[0]), float(tip[1])), box)
    if words:
        text_px = max(12, round(h * TURN_TEXT_HEIGHT))
        _words(frame, words, w // 2, h - round(0.03 * h) - text_px, "centre")
    return None
