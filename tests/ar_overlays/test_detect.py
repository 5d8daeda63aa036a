"""Marker and QR detection on synthetic frames with known corners.

Expected failures (documented, not bugs): a covered corner (the square has no fourth corner; a *dark* cover can
even merge with the black border and give a bent quad, which the pose step refuses), a cover across the
border, glare that washes out most of a small marker, strong blur (σ ≥ 4 px) at ≥ 5 m, and markers under ≈ 25 px
(20 cm beyond ≈ 9 m at 1280×720, ≈ 5 m at 640×480) are not found; the overlay then shows the map.
"""

import io

import numpy as np
import pytest
import qrcode

from ar_overlays.camera import CameraError
from ar_overlays.detect import MarkerDetector, QrScanner
from ar_overlays.testing import (
    add_blur,
    add_glare,
    add_motion_blur,
    add_noise,
    occlude,
    post_at,
    render_marker,
    textured_background,
    warp_image_into_frame,
)

POST = post_at(aruco=7, at=(0.0, 0.0), facing=180)  # face looks south; cameras stand south of it
DETECTOR = MarkerDetector()

POSES = [  # camera position, heading, pitch, frame size
    ((0.0, -1.0, 1.5), 0.0, 0.0, (1280, 720)),
    ((0.0, -2.0, 1.5), 0.0, 0.0, (1280, 720)),
    ((0.0, -5.0, 1.5), 0.0, 0.0, (1280, 720)),
    ((0.0, -8.0, 1.4), 0.0, 0.0, (1280, 720)),
    ((1.5, -2.0, 1.3), -30.0, 0.0, (1280, 720)),  # 37° to the side of the face
    ((3.5, -2.0, 1.3), -55.0, 5.0, (1280, 720)),  # 60°: very oblique
    ((-0.8, -3.0, 1.1), 20.0, 12.0, (1280, 720)),  # a seated resident looking up
    ((0.3, -2.0, 1.7), 10.0, -15.0, (640, 480)),
    ((0.0, -4.0, 1.5), 0.0, 0.0, (640, 480)),
    ((-1.0, -1.5, 1.5), 30.0, 0.0, (640, 480)),
]


@pytest.mark.parametrize(("camera", "heading", "pitch", "size"), POSES)
def test_marker_found_with_sub_pixel_corners(camera: tuple[float, float, float], heading: float, pitch: float,
                                             size: tuple[int, int]) -> None:
    shot = render_marker(POST, camera, heading, pitch, size=size, seed=int(-camera[1] * 10))
    found = DETECTOR.detect(shot.frame)
    assert [d.aruco_id for d in found] == [7]
    assert found[0].corners.shape == (4, 2) and found[0].corners.dtype == np.float32
    assert np.abs(found[0].corners - shot.corners).max() < 1.0


def _shot_2m() -> tuple[np.ndarray, np.ndarray]:
    shot = render_marker(POST, (0.4, -2.0, 1.5), 5.0, size=(1280, 720))
    return shot.frame, shot.corners


@pytest.mark.parametrize("degrade", [
    lambda f, c: add_noise(f, 12),
    lambda f, c: add_noise(f, 25, seed=3),
    lambda f, c: add_blur(f, 2.0),
    lambda f, c: add_blur(f, 4.0),
    lambda f, c: add_motion_blur(f, 9),
    lambda f, c: add_glare(f, tuple(c.mean(axis=0) + [30, -20]), 60, 0.6),  # a lamp on the laminate
    # a pale hand over the quiet zone and into the edge of the border, corners free
    lambda f, c: occlude(f, np.array([c[0] + (c[1] - c[0]) * 0.35 + [0, -25], c[0] + (c[1] - c[0]) * 0.6 + [0, -25],
                                      c[0] + (c[1] - c[0]) * 0.6 + [0, -8], c[0] + (c[1] - c[0]) * 0.35 + [0, -8]]),
                         (170, 190, 225)),
], ids=["noise12", "noise25", "blur2", "blur4", "motion9", "glare", "hand-on-quiet-zone"])
def test_marker_found_in_degraded_frames(degrade) -> None:  # type: ignore[no-untyped-def]
    frame, corners = _shot_2m()
    found = DETECTOR.detect(degrade(frame, corners))
    assert [d.aruco_id for d in found] == [7]
    assert np.abs(found[0].corners - corners).max() < 1.5


def test_covered_corner_is_not_found() -> None:
    frame, c = _shot_2m()
    # a pale cover over the bottom-right corner: expected to fail (no corner to find)
    cover = np.array([c[2] + [-25, -25], c[2] + [30, -25], c[2] + [30, 30], c[2] + [-25, 30]])
    assert DETECTOR.detect(occlude(frame, cover, (170, 190, 225))) == []


def test_strong_glare_over_the_whole_marker_is_not_found() -> None:
    frame, c = _shot_2m()
    assert DETECTOR.detect(add_glare(frame, tuple(c.mean(axis=0)), 80, 0.9)) == []


def test_two_markers_and_no_marker() -> None:
    left = post_at(aruco=3, at=(-0.6, 0.0), facing=180)
    right = post_at(aruco=12, at=(0.6, 0.0), facing=180)
    shot = render_marker(left, (0.0, -2.5, 1.5), 0.0)
    render_marker(right, (0.0, -2.5, 1.5), 0.0, frame=shot.frame)
    assert sorted(d.aruco_id for d in DETECTOR.detect(shot.frame)) == [3, 12]
    for seed in range(5):
        assert DETECTOR.detect(textured_background((1280, 720), seed)) == []


def test_grey_frames_are_accepted() -> None:
    frame, corners = _shot_2m()
    found = DETECTOR.detect(frame[:, :, 1].copy())
    assert found and np.abs(found[0].corners - corners).max() < 1.0


@pytest.mark.parametrize("frame", [None, np.zeros((0, 0, 3), np.uint8), np.zeros((480, 640, 3), np.float32),
                                   np.zeros((480, 640, 2), np.uint8), np.zeros((6000, 6000), np.uint8)])
def test_bad_frames_raise_camera_error(frame: object) -> None:
    with pytest.raises(CameraError):
        DETECTOR.detect(frame)  # type: ignore[arg-type]
    with pytest.raises(CameraError):
        QrScanner().scan(frame)  # type: ignore[arg-type]


def qr_image(text: str) -> np.ndarray:
    buf = io.BytesIO()
    qrcode.make(text, box_size=8, border=4).save(buf, format="PNG")
    import cv2

    return cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


URL = "http://192.168.1.20:8700/guide/sunny-garden?at=kiosk&to=community-clinic&sig=AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize("quad", [
    [[500, 200], [800, 220], [790, 520], [505, 500]],  # a poster held up, slightly turned
    [[100, 100], [330, 110], [320, 340], [95, 330]],  # smaller, at the side
])
def test_qr_code_in_a_frame(quad: list[list[int]]) -> None:
    frame = warp_image_into_frame(qr_image(URL), np.array(quad, np.float32), size=(1280, 720))
    found = QrScanner().scan(frame)
    assert [q.text for q in found] == [URL]
    code = qr_image(URL)
    border = 4 * 8 / code.shape[0]  # the quiet zone is part of the warped image
    q = np.array(quad, np.float32)
    assert np.abs(found[0].corners.mean(axis=0) - q.mean(axis=0)).max() < 10 + border * 10


def test_no_qr_code() -> None:
    assert QrScanner().scan(textured_background((1280, 720))) == []


# --- the map's marker dictionary (docs/ar.md "Marker dictionary") -------------------------------------------


def test_the_dictionary_table_matches_opencv() -> None:
    import cv2

    from wayfinding.community_map import MARKER_DICTIONARIES

    for name, (bits, count) in MARKER_DICTIONARIES.items():
        d = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, name))
        assert (d.markerSize, d.bytesList.shape[0]) == (bits, count), name


@pytest.mark.parametrize("aruco", [0, 42, 99])
def test_a_5x5_detector_finds_its_own_markers_and_not_4x4_ones(aruco: int) -> None:
    five = MarkerDetector(dictionary="DICT_5X5_100")
    shot = render_marker(post_at(aruco=aruco), (0.2, -2.0, 1.45), 5.0, dictionary="DICT_5X5_100")
    found = five.detect(shot.frame)
    assert [d.aruco_id for d in found] == [aruco]
    assert np.abs(found[0].corners - shot.corners).max() < 0.5  # the edge refinement uses 5×5's own cells
    assert DETECTOR.detect(shot.frame) == []  # the 4×4 detector does not read a 5×5 marker
    four = render_marker(post_at(aruco=aruco % 50), (0.2, -2.0, 1.45), 5.0).frame
    assert five.detect(four) == []
    assert [d.aruco_id for d in DETECTOR.detect(four)] == [aruco % 50]


def test_an_unknown_dictionary_is_refused() -> None:
    from ar_overlays.detect import MarkerDictionaryError

    with pytest.raises(MarkerDictionaryError, match="DICT_4X4_50"):
        MarkerDetector(dictionary="DICT_9X9_5")
