"""Test support (like ``community_services.testing``): synthetic camera frames with known geometry.

A printed ArUco marker (or any image, e.g. a QR poster) is placed in the world and rendered through a
known camera pose, with optional noise, blur, glare and occlusion.

    post = post_at(aruco=1, at=(0, 0), facing=180)
    shot = render_marker(post, camera_at=(0, -2, 1.5), heading=0)   # 2 m in front, looking at it
    shot.frame, shot.corners, shot.rvec, shot.tvec, shot.calibration
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ar_overlays.camera import Calibration, default_calibration
from ar_overlays.detect import aruco_dictionary, marker_cells
from ar_overlays.geometry import look_pose, marker_corners_world, marker_to_world
from wayfinding.community_map import DEFAULT_MARKER_DICTIONARY, MarkerPost

ARUCO_DICT = aruco_dictionary(DEFAULT_MARKER_DICTIONARY)
QUIET_CELLS = 1
"""White border around the printed black square, in marker cells (a 4×4 marker is 6 cells wide with its border,
a 5×5 one 7)."""


@dataclass
class Shot:
    frame: np.ndarray
    corners: np.ndarray
    """(4, 2) true image corners TL, TR, BR, BL of the black square (or of the warped image)."""
    rvec: np.ndarray
    tvec: np.ndarray
    calibration: Calibration


def post_at(aruco: int = 1, at: tuple[float, float] = (0.0, 0.0), facing: float = 180.0, height: float = 1.5,
            size: float = 0.2, post_id: str = "post-test") -> MarkerPost:
    return MarkerPost(id=post_id, aruco=aruco, at=at, facing=facing, height=height, size=size)


def textured_background(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A lobby-ish clutter: smooth gradients plus random boxes and lines (no marker-like squares by design)."""
    w, h = size
    rng = np.random.default_rng(seed)
    small = rng.integers(60, 200, size=(9, 16, 3), dtype=np.uint8)
    frame = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(25):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        colour = tuple(int(c) for c in rng.integers(30, 230, 3))
        if rng.random() < 0.5:
            cv2.line(frame, p1, p2, colour, int(rng.integers(1, 6)))
        else:
            cv2.circle(frame, p1, int(rng.integers(5, 60)), colour, -1)
    return frame


def marker_image(aruco: int, cell_px: int = 40, dictionary: str = DEFAULT_MARKER_DICTIONARY) -> np.ndarray:
    """The printed marker of ``dictionary`` with a white quiet zone, grey uint8."""
    cells = marker_cells(dictionary)
    inner = cv2.aruco.generateImageMarker(aruco_dictionary(dictionary), aruco, cells * cell_px, borderBits=1)
    q = QUIET_CELLS * cell_px
    return cv2.copyMakeBorder(inner, q, q, q, q, cv2.BORDER_CONSTANT, value=255)


def project(points: np.ndarray, rvec: np.ndarray, tvec: np.ndarray, calibration: Calibration) -> np.ndarray:
    img, _ = cv2.projectPoints(np.asarray(points, np.float64).reshape(-1, 1, 3), rvec, tvec,
                               calibration.camera_matrix, calibration.dist_coeffs)
    return img.reshape(-1, 2)


def warp_image_into_frame(image: np.ndarray, dst_corners: np.ndarray, frame: np.ndarray | None = None,
                          size: tuple[int, int] = (1280, 720), seed: int = 0) -> np.ndarray:
    """Paste ``image`` (grey or BGR) so its corners TL, TR, BR, BL land on ``dst_corners`` (4, 2) pixels.

    Draws onto ``frame`` (in place) or a new textured background of ``size``. Use it for QR posters:
    ``warp_image_into_frame(qr_png, np.array([[500, 200], [800, 220], [790, 520], [505, 500]]))``.
    """
    if frame is None:
        frame = textured_background(size, seed)
    img = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
    h, w = img.shape[:2]
    # image edges sit half a pixel outside the first/last pixel centres (OpenCV samples at pixel centres)
    src = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32)
    dst = np.asarray(dst_corners, np.float32).reshape(4, 2)
    fh, fw = frame.shape[:2]
    x0, y0 = np.floor(dst.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(dst.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(fw, x1), min(fh, y1)
    if x1 <= x0 or y1 <= y0:
        return frame
    # render the region SS× larger and average down: a camera pixel integrates light over its area, and a
    # plain bilinear warp of a large image would alias the edges by up to half a pixel (biasing the corners)
    ss = 4
    roi_dst = (dst - [x0, y0] + 0.5) * ss - 0.5
    homography = cv2.getPerspectiveTransform(src, roi_dst.astype(np.float32))
    big = (int((x1 - x0) * ss), int((y1 - y0) * ss))
    warped = cv2.warpPerspective(img, homography, big, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), homography, big, flags=cv2.INTER_LINEAR)
    warped = cv2.resize(warped, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32)
    alpha = (cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0)[..., None]
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(warped * alpha + roi * (1.0 - alpha) + 0.5, 0, 255).astype(np.uint8)
    return frame


def render_marker(post: MarkerPost, camera_at: tuple[float, float, float], heading: float, pitch: float = 0.0,
                  size: tuple[int, int] = (1280, 720), calibration: Calibration | None = None, seed: int = 0,
                  frame: np.ndarray | None = None, dictionary: str = DEFAULT_MARKER_DICTIONARY) -> Shot:
    """The post's marker (of ``dictionary``, the map's ``marker_dictionary``) as seen by an upright camera at
    ``camera_at`` looking towards compass ``heading``."""
    cal = calibration or default_calibration(*size)
    rvec, tvec = look_pose(camera_at, heading, pitch)
    cells = marker_cells(dictionary)
    s = post.size / 2 * (cells + 2 * QUIET_CELLS) / cells  # the quiet zone around the black square
    outer_local = np.array([[-s, s, 0], [s, s, 0], [s, -s, 0], [-s, -s, 0]], np.float64)
    outer = project(marker_to_world(post, outer_local), rvec, tvec, cal)
    corners = project(marker_corners_world(post), rvec, tvec, cal)
    frame = textured_background(size, seed) if frame is None else frame
    # the quad must be in front of the camera for the homography to mean anything
    cam_z = (cv2.Rodrigues(rvec)[0] @ marker_to_world(post, outer_local).T).T + tvec
    if np.all(cam_z[:, 2] > 0.05):
        warp_image_into_frame(marker_image(post.aruco, dictionary=dictionary), outer, frame)
    return Shot(frame, corners.astype(np.float32), rvec, tvec, cal)


def add_noise(frame: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noisy = frame.astype(np.float32) + rng.normal(0, sigma, frame.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def add_blur(frame: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(frame, (0, 0), sigma)


def add_motion_blur(frame: np.ndarray, length: int) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return cv2.filter2D(frame, -1, kernel)


def add_glare(frame: np.ndarray, centre: tuple[float, float], radius: float, strength: float = 0.8) -> np.ndarray:
    """A soft white blob (a lamp's reflection on the laminated poster)."""
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d2 = ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (radius**2)
    alpha = (strength * np.exp(-d2))[..., None]
    return (frame * (1 - alpha) + 255 * alpha).astype(np.uint8)


def occlude(frame: np.ndarray, polygon: np.ndarray, colour: tuple[int, int, int] = (40, 60, 90)) -> np.ndarray:
    """Cover a region (a hand, a passer-by) with a flat colour."""
    out = frame.copy()
    cv2.fillPoly(out, [np.asarray(polygon, np.int32).reshape(-1, 1, 2)], colour)
    return out
