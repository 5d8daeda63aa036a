from pathlib import Path

import cv2
import numpy as np
import pytest

from ar_overlays.camera import CameraError, default_calibration, open_camera
from ar_overlays.overlay import OverlayPipeline
from ar_overlays.testing import occlude, post_at, render_marker, textured_background
from wayfinding.testing import route_through, tiny_map

POST = post_at(aruco=5, at=(1.5, 0.0), facing=200.0, post_id="post-lane")
ROUTE = route_through([(0, -10), (0, 30), (20, 30)], "Clinic")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def pipeline(clock: Clock | None = None) -> OverlayPipeline:
    return OverlayPipeline(tiny_map((POST,)), clock=clock or Clock())


def marker_frame(size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    return render_marker(POST, (0.3, -2.5, 1.5), 15.0, -8.0, size=size).frame


@pytest.mark.parametrize("size", [(1280, 720), (640, 480)])
def test_marker_in_view_draws_the_route(size: tuple[int, int]) -> None:
    frame = marker_frame(size)
    result = pipeline().process(frame, ROUTE)
    assert result.mode == "ar" and result.markers == (5,)
    assert result.pose is not None and result.pose.post_id == "post-lane"
    assert np.linalg.norm(np.subtract(result.pose.position, (0.3, -2.5, 1.5))) < 0.1
    assert result.arrow is not None and result.remaining_m == pytest.approx(52.5, abs=0.5)
    assert result.frame is not frame and result.frame.shape == frame.shape
    assert not np.array_equal(result.frame, frame)
    assert np.array_equal(frame, marker_frame(size))  # the input is untouched unless in_place


def test_in_place() -> None:
    frame = marker_frame()
    result = pipeline().process(frame, ROUTE, in_place=True)
    assert result.frame is frame and not np.array_equal(frame, marker_frame())


def test_no_marker_shows_the_map() -> None:
    frame = textured_background((1280, 720))
    result = pipeline().process(frame, ROUTE)
    assert result.mode == "map" and result.pose is None and result.arrow is None and result.markers == ()
    assert result.frame.shape == frame.shape
    light = np.all(result.frame > 225, axis=2).mean()
    assert light > 0.5  # the map's pale background fills the frame


def test_unknown_marker_shows_the_map_and_reports_the_id() -> None:
    stranger = post_at(aruco=33, at=(1.5, 0.0), facing=200.0)
    frame = render_marker(stranger, (0.3, -2.5, 1.5), 15.0, -8.0).frame
    result = pipeline().process(frame, ROUTE)
    assert result.mode == "map" and result.markers == (33,)


def test_covered_corner_falls_back_to_the_map() -> None:
    shot = render_marker(POST, (0.3, -2.5, 1.5), 15.0, -8.0)
    c = shot.corners[2]
    frame = occlude(shot.frame, np.array([c + (-20, -20), c + (25, -20), c + (25, 25), c + (-20, 25)]),
                    (170, 190, 225))
    result = pipeline().process(frame, ROUTE)
    assert result.mode == "map"


def test_you_are_here_remembered_for_a_while() -> None:
    clock = Clock()
    p = pipeline(clock)
    empty = textured_background((1280, 720))
    fresh = pipeline().process(empty, ROUTE).frame  # a map with no you-are-here
    p.process(marker_frame(), ROUTE)
    clock.now += 5
    remembered = p.process(empty, ROUTE)
    assert remembered.mode == "map" and not np.array_equal(remembered.frame, fresh)
    clock.now += 30
    assert np.array_equal(p.process(empty, ROUTE).frame, fresh)


def test_without_a_route() -> None:
    p = pipeline()
    assert p.process(marker_frame(), None).mode == "ar"
    assert p.process(textured_background((640, 480)), None).mode == "map"


def test_calibration_is_scaled_to_the_frame() -> None:
    p = OverlayPipeline(tiny_map((POST,)), default_calibration(1280, 720))
    result = p.process(marker_frame((640, 360)), ROUTE)
    assert result.mode == "ar" and result.pose is not None
    assert np.linalg.norm(np.subtract(result.pose.position, (0.3, -2.5, 1.5))) < 0.15


@pytest.mark.parametrize("frame", [
    None, np.zeros((0, 0, 3), np.uint8), np.zeros((720, 1280, 3), np.float64), np.zeros((720, 1280), np.uint8),
    np.zeros((720, 1280, 4), np.uint8), np.zeros((5000, 5000, 3), np.uint8), "frame.png",
], ids=["none", "empty", "float", "grey", "bgra", "huge", "str"])
def test_bad_frames_raise_camera_error(frame: object) -> None:
    with pytest.raises(CameraError):
        pipeline().process(frame, ROUTE)  # type: ignore[arg-type]


def test_blank_frame_is_just_the_map() -> None:
    result = pipeline().process(np.zeros((480, 640, 3), np.uint8), ROUTE)
    assert result.mode == "map"


def test_from_a_still_image_camera(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "post.png"), marker_frame())
    camera = open_camera(str(tmp_path / "post.png"))
    p = pipeline()
    assert all(p.process(camera.read(), ROUTE).mode == "ar" for _ in range(3))
    camera.close()


def test_a_map_with_another_dictionary_uses_it() -> None:
    five = tiny_map((POST,)).model_copy(update={"marker_dictionary": "DICT_5X5_100"})
    p = OverlayPipeline(five, clock=Clock())
    shot = render_marker(POST, (0.3, -2.5, 1.5), 15.0, -8.0, dictionary="DICT_5X5_100")
    assert p.process(shot.frame, ROUTE).mode == "ar"
    assert p.process(marker_frame(), ROUTE).mode == "map"  # its 4×4 twin is not one of this map's markers
