"""World ↔ marker-post transforms and compass headings.

World frame: metres, x east, y north, z up. Marker frame (OpenCV's convention for a square marker): origin at
the centre of the printed black square, x to the right as a viewer facing the poster sees it, y up, z out of the
printed face; the face looks towards compass ``facing`` and the centre is ``height`` metres above the ground.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np


class PostLike(Protocol):
    """What the transforms need of a marker post (``community_map.MarkerPost`` fits)."""

    @property
    def at(self) -> tuple[float, float]: ...
    @property
    def facing(self) -> float: ...
    @property
    def height(self) -> float: ...
    @property
    def size(self) -> float: ...


def compass_vector(heading_deg: float) -> tuple[float, float]:
    """Unit (east, north) vector of a compass heading (0 north, 90 east)."""
    h = math.radians(heading_deg)
    return math.sin(h), math.cos(h)


def heading_of(dx: float, dy: float) -> float:
    """Compass heading in [0, 360) of the world vector (dx east, dy north)."""
    return math.degrees(math.atan2(dx, dy)) % 360.0


def heading_difference(a: float, b: float) -> float:
    """Signed ``b - a`` in (-180, 180]: positive means b is clockwise (to the right) of a."""
    d = (b - a) % 360.0
    return d - 360.0 if d > 180.0 else d


def marker_rotation(facing_deg: float) -> np.ndarray:
    """3×3 rotation whose columns are the marker's x, y, z axes in world coordinates."""
    fx, fy = compass_vector(facing_deg)
    # viewer looks towards facing+180, so their right hand points to facing-90 = (-cos f, sin f)
    x_axis = np.array([-fy, fx, 0.0])
    y_axis = np.array([0.0, 0.0, 1.0])
    z_axis = np.array([fx, fy, 0.0])
    return np.stack([x_axis, y_axis, z_axis], axis=1)


def marker_origin(post: PostLike) -> np.ndarray:
    """World position (x, y, z) of the centre of the post's marker."""
    return np.array([post.at[0], post.at[1], post.height], dtype=np.float64)


def marker_corners_local(size: float) -> np.ndarray:
    """(4, 3) corners TL, TR, BR, BL in the marker frame: the order of ArUco and of SOLVEPNP_IPPE_SQUARE."""
    s = size / 2.0
    return np.array([[-s, s, 0.0], [s, s, 0.0], [s, -s, 0.0], [-s, -s, 0.0]], dtype=np.float64)


def marker_to_world(post: PostLike, points: np.ndarray) -> np.ndarray:
    """(N, 3) points in the marker frame → world."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    return pts @ marker_rotation(post.facing).T + marker_origin(post)


def world_to_marker(post: PostLike, points: np.ndarray) -> np.ndarray:
    """(N, 3) world points → the marker frame."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    return (pts - marker_origin(post)) @ marker_rotation(post.facing)


def marker_corners_world(post: PostLike) -> np.ndarray:
    """(4, 3) world corners TL, TR, BR, BL of the post's printed black square."""
    return marker_to_world(post, marker_corners_local(post.size))


def camera_axes_world(rvec: np.ndarray) -> np.ndarray:
    """Rows: the camera's x (right), y (down) and z (forward) axes in world coordinates, from world→camera rvec."""
    import cv2  # local: keeps the pure-geometry helpers importable without OpenCV

    rot, _ = cv2.Rodrigues(np.asarray(rvec, dtype=np.float64).reshape(3, 1))
    return np.asarray(rot, dtype=np.float64)


def look_pose(position: tuple[float, float, float], heading_deg: float,
              pitch_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """World→camera (rvec, tvec) of an upright camera at ``position`` looking towards compass ``heading_deg``,
    tilted up by ``pitch_deg`` (negative looks down). Used by the synthetic frames and the benchmark."""
    import cv2

    hx, hy = compass_vector(heading_deg)
    p = math.radians(pitch_deg)
    forward = np.array([hx * math.cos(p), hy * math.cos(p), math.sin(p)])
    right = np.array([hy, -hx, 0.0])  # heading + 90
    down = np.cross(forward, right)
    rot = np.stack([right, down, forward])  # rows: camera axes in world = world→camera rotation
    t = -rot @ np.asarray(position, dtype=np.float64)
    rvec, _ = cv2.Rodrigues(rot)
    return rvec.reshape(3), t.reshape(3)
