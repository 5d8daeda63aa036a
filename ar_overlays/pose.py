"""Camera pose in the world from one detected marker post (solvePnP, SOLVEPNP_IPPE_SQUARE).

IPPE gives the two poses a planar square allows; for a small or far marker they fit the corners almost equally
well (the classic "flip"). The one with the lower reprojection error wins, unless it is implausible (camera far
from upright, or not at a person's height) and the other fits nearly as well and is plausible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from ar_overlays.camera import Calibration
from ar_overlays.detect import MarkerDetection
from ar_overlays.geometry import heading_of, marker_corners_local, marker_origin, marker_rotation
from wayfinding.community_map import MarkerPost

_REFINE_CRITERIA = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_COUNT, 20, 1e-7)
"""Gauss-Newton (``solvePnPRefineVVS``, ≈ 0.1 ms) rather than ``solvePnPRefineLM`` (≈ 0.45 ms of fixed overhead
a call in OpenCV 4.12) for the same poses."""
MAX_REPROJECTION = 0.015
"""A pose whose corners reproject worse than this share of the marker's side (≥ 1.5 px) is refused: a bent quad
(a dark sleeve merged with the border, a curled poster). Good detections stay under ≈ 0.5 px."""


@dataclass(frozen=True)
class CameraPose:
    rvec: np.ndarray
    """World→camera rotation (Rodrigues, shape (3,)): world points project with ``cv2.projectPoints``."""
    tvec: np.ndarray
    """World→camera translation, shape (3,)."""
    position: tuple[float, float, float]
    """Camera centre in the world: x east, y north, z height above the ground (metres)."""
    heading: float
    """Compass degrees the camera looks towards."""
    pitch: float
    """Degrees the optical axis points above (+) or below (−) the horizon."""
    reprojection_error_px: float
    """RMS distance (pixels) between the detected and the reprojected corners."""
    post_id: str
    aruco_id: int
    marker_side_px: float

    @property
    def x(self) -> float:
        return self.position[0]

    @property
    def y(self) -> float:
        return self.position[1]

    @property
    def height(self) -> float:
        return self.position[2]

    @property
    def rotation(self) -> np.ndarray:
        """3×3 world→camera rotation matrix."""
        return np.asarray(cv2.Rodrigues(self.rvec.reshape(3, 1))[0], np.float64)


def _plausible(rot_wc: np.ndarray, position: np.ndarray) -> bool:
    # camera y (image down) in world = row 1 of the world→camera rotation: within 60° of world down, and the
    # camera at a hand's or a kiosk's height
    return -float(rot_wc[1, 2]) > 0.5 and 0.2 <= float(position[2]) <= 3.5


def estimate_pose(detection: MarkerDetection, post: MarkerPost, calibration: Calibration) -> CameraPose | None:
    """The camera's world pose from one marker, or None when no pose fits its corners."""
    obj = marker_corners_local(post.size)
    img = np.asarray(detection.corners, np.float64).reshape(4, 1, 2)
    try:
        n, rvecs, tvecs, errors = cv2.solvePnPGeneric(obj, img, calibration.camera_matrix, calibration.dist_coeffs,
                                                      flags=cv2.SOLVEPNP_IPPE_SQUARE)
    except cv2.error:
        return None
    if not n:
        return None
    k, dist = calibration.camera_matrix, calibration.dist_coeffs

    def refined(rvec0: np.ndarray, tvec0: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
        # least squares on the reprojection error: IPPE's own poses for a near-frontal marker were ≈ 10 cm off at 2 m
        # (OpenCV 4.12) where the least-squares pose is not
        rvec, tvec = cv2.solvePnPRefineVVS(obj, img, k, dist, rvec0.copy(), tvec0.copy(), _REFINE_CRITERIA)
        proj, _ = cv2.projectPoints(obj, rvec, tvec, k, dist)
        rms = float(np.sqrt(np.mean(np.sum((proj.reshape(4, 2) - img.reshape(4, 2)) ** 2, axis=1))))
        return (rvec, tvec, rms) if float(tvec.reshape(3)[2]) > 0 else None  # the marker in front of the camera

    ippe = sorted(zip(rvecs, tvecs, np.asarray(errors).reshape(-1).tolist(), strict=True), key=lambda s: s[2])
    # the second IPPE pose only when it fits nearly as well (the flip of a small, far marker)
    tried = [refined(r, t) for r, t, e in ippe if e <= 1.5 * ippe[0][2] + 0.3]
    fitted = [f for f in tried if f is not None]
    if not fitted or min(f[2] for f in fitted) > 1.0:
        # IPPE degenerates for an exactly fronto-parallel square; SQPNP is global (and slower: ≈ 1 ms)
        ok, rvec_sq, tvec_sq = cv2.solvePnP(obj, img, k, dist, flags=cv2.SOLVEPNP_SQPNP)
        extra = refined(rvec_sq, tvec_sq) if ok else None
        if extra is not None:
            fitted.append(extra)
    # marker→world is X_w = R_wm X_m + o; so world→camera is R = R_mc R_wm^T, t = t_mc − R o
    r_wm, origin = marker_rotation(post.facing), marker_origin(post)
    candidates: list[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = []
    for rvec_mc, tvec_mc, fit in fitted:
        r_mc = cv2.Rodrigues(rvec_mc)[0]
        rot = r_mc @ r_wm.T
        t = tvec_mc.reshape(3) - rot @ origin
        position = -rot.T @ t
        candidates.append((float(fit), rot, t, position))
    if not candidates:
        return None
    best = min(candidates, key=lambda c: c[0])
    if not _plausible(best[1], best[3]):
        # near-equal fit (the IPPE flip of a small, far marker): trust the prior rather than a pixel of noise
        others = [c for c in candidates if c is not best and c[0] < 1.5 * best[0] + 0.3 and _plausible(c[1], c[3])]
        best = min(others, key=lambda c: c[0]) if others else best
    err, rot, t, position = best
    forward = rot[2]  # camera z axis in world
    heading = heading_of(float(forward[0]), float(forward[1]))
    pitch = float(np.degrees(np.arcsin(np.clip(forward[2], -1.0, 1.0))))
    rvec = cv2.Rodrigues(rot)[0].reshape(3)
    return CameraPose(rvec=rvec, tvec=t.reshape(3), position=(float(position[0]), float(position[1]),
                                                                float(position[2])),
                      heading=heading, pitch=pitch, reprojection_error_px=err, post_id=post.id,
                      aruco_id=detection.aruco_id, marker_side_px=detection.side_px)


def best_pose(detections: Iterable[MarkerDetection], posts: Mapping[int, MarkerPost],
              calibration: Calibration) -> CameraPose | None:
    """The pose from the largest known marker in view (the nearest: the most accurate pose), ties broken by
    the lower reprojection error. Unknown ArUco ids and poses that fit badly are ignored."""
    poses = []
    for d in detections:
        post = posts.get(d.aruco_id)
        if post is None:
            continue
        pose = estimate_pose(d, post, calibration)
        if pose is not None and pose.reprojection_error_px <= max(1.5, MAX_REPROJECTION * d.side_px):
            poses.append(pose)
    if not poses:
        return None
    return max(poses, key=lambda p: (round(p.marker_side_px / 4), -p.reprojection_error_px))
