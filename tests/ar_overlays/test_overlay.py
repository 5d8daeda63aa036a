import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from ar_overlays.camera import CameraError, default_calibration, open_camera
from ar_overlays.overlay import OverlayPipeline
from ar_overlays.testing import occlude, post_at, render_marker, textured_background
from ar_overlays.turns import Turn
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


# --- which way, always (docs/ar.md): generated frames, the way to the left, the right, behind ------------------

CAM = (0.0, -20.0, 1.5)
"""The camera stands here; four marker posts around it, 3 m away, each facing it, so turning the camera to a post
gives a pose looking that way."""
LOOKS = {"north": 0.0, "east": 90.0, "west": 270.0, "north-west": 315.0}
RING = tuple(post_at(aruco=10 + k, at=(CAM[0] + 3 * math.sin(math.radians(b)), CAM[1] + 3 * math.cos(math.radians(b))),
                     facing=(b + 180) % 360, post_id=f"post-{name}")
             for k, (name, b) in enumerate(LOOKS.items()))
WAY = route_through([CAM[:2], (CAM[0] + 30 * math.sin(math.radians(20)), CAM[1] + 30 * math.cos(math.radians(20)))])
"""The way goes off at compass 20° (north-north-east): ahead looking north, to the left looking east, behind
looking west, to the right looking north-west."""
EXPECTED = {"north": Turn.AHEAD, "east": Turn.LEFT, "west": Turn.AROUND, "north-west": Turn.RIGHT}
_FRAMES: dict[str, np.ndarray] = {}


def looking(name: str) -> np.ndarray:
    if name not in _FRAMES:
        post = RING[list(LOOKS).index(name)]
        _FRAMES[name] = render_marker(post, CAM, LOOKS[name], -5.0, seed=len(_FRAMES)).frame
    return _FRAMES[name]


def ring_pipeline(language: str = "en") -> OverlayPipeline:
    return OverlayPipeline(tiny_map(RING), clock=Clock(), language=language)


def yellow_share(image: np.ndarray) -> float:
    b, g, r = image[..., 0].astype(int), image[..., 1].astype(int), image[..., 2].astype(int)
    return float(((r > 220) & (g > 170) & (b < 80)).mean())


@pytest.mark.parametrize("name", ["east", "north-west", "west"])
def test_out_of_view_draws_a_big_arrow_at_that_edge(name: str) -> None:
    frame = looking(name)
    result = ring_pipeline().process(frame, WAY)
    assert result.mode == "ar" and result.turn is not None and result.turn.turn is EXPECTED[name]
    assert result.turn_changed  # the first instruction of a route is said at once
    edge = result.edge_arrow
    assert edge is not None
    h, w = frame.shape[:2]
    third = w // 3
    if name == "east":  # the way is to the left: the arrow is at the left edge, pointing left
        assert edge.side == "left" and edge.tip[0] < 0.05 * w and abs(edge.tip[1] - h / 2) < 2
        assert yellow_share(result.frame[:, :third]) > 0.05 > yellow_share(result.frame[:, -third:])
        assert result.turn.words == "Turn left"
    elif name == "north-west":
        assert edge.side == "right" and edge.tip[0] > 0.95 * w
        assert yellow_share(result.frame[:, -third:]) > 0.05 > yellow_share(result.frame[:, :third])
        assert result.turn.words == "Turn right"
    else:  # behind: the U-arrow at the bottom centre
        assert edge.side == "around" and edge.tip[1] > 0.95 * h and abs(edge.tip[0] - w / 2) < 0.15 * w
        bottom_middle = result.frame[int(0.65 * h):, third:-third]
        assert yellow_share(bottom_middle) > 0.1 and yellow_share(result.frame[: h // 2, third:-third]) < 0.01
        assert result.turn.words == "Turn around"
    # big: the arrow spans a third of the frame height
    assert np.ptp(edge.outline[:, 1]) >= 0.3 * h and edge.text_box is not None
    x0, y0, x1, y1 = edge.text_box
    assert y1 - y0 >= 0.12 * h  # the dark box of the words


@pytest.mark.parametrize(("name", "words"), [("east", "向左转"), ("north-west", "向右转"), ("west", "向后转")])
def test_the_words_in_chinese(name: str, words: str) -> None:
    result = ring_pipeline("zh-CN").process(looking(name), WAY)
    assert result.turn is not None and result.turn.words == words
    assert result.edge_arrow is not None and result.edge_arrow.text_box is not None


def test_in_view_no_edge_arrow_the_ribbon_as_before() -> None:
    frame = looking("north")
    result = ring_pipeline().process(frame, WAY)
    assert result.turn is not None and result.turn.turn is Turn.AHEAD and result.turn.words == ""
    assert result.edge_arrow is None and result.arrow is not None  # the ground arrow is drawn
    # the picture is exactly what the ribbon drawing alone makes
    from ar_overlays.draw import draw_route_ar

    assert result.pose is not None
    plain = frame.copy()
    draw_route_ar(plain, result.pose, default_calibration(1280, 720), WAY)
    assert np.array_equal(plain, result.frame)


def test_the_change_flag_fires_once_per_change() -> None:
    p = ring_pipeline()
    walk = ["north"] * 4 + ["east"] * 6 + ["west"] * 5 + ["north-west"] * 5 + ["north"] * 4
    results = [p.process(looking(name), WAY) for name in walk]
    changes = [(i, r.turn.turn) for i, r in enumerate(results) if r.turn_changed and r.turn is not None]
    # the first at once, every other after 3 frames of the new way
    assert changes == [(0, Turn.AHEAD), (6, Turn.LEFT), (12, Turn.AROUND), (17, Turn.RIGHT), (22, Turn.AHEAD)]
    assert [r.turn.turn for r in results[4:6] if r.turn] == [Turn.AHEAD, Turn.AHEAD]  # held while not yet sure


def test_looking_back_and_forth_quickly_says_nothing_new() -> None:
    p = ring_pipeline()
    flags = [p.process(looking(name), WAY).turn_changed for name in ["north", "east", "east", "north"] * 4]
    assert flags == [True] + [False] * 15


def test_losing_the_marker_for_a_moment_does_not_repeat_the_words() -> None:
    p = ring_pipeline()
    assert p.process(looking("east"), WAY).turn_changed
    assert p.process(textured_background((1280, 720)), WAY).turn is None  # the map: no instruction
    again = p.process(looking("east"), WAY)
    assert again.turn is not None and again.turn.turn is Turn.LEFT and not again.turn_changed


def test_a_new_route_says_its_first_instruction_at_once() -> None:
    p = ring_pipeline()
    p.process(looking("east"), WAY)
    other = route_through(list(WAY.points))
    assert p.process(looking("east"), other).turn_changed


def test_up_the_stairs_when_the_next_leg_changes_floor() -> None:
    from dataclasses import replace

    from wayfinding.community_map import CommunityMap, Junction, MapPath, Place

    m = CommunityMap(
        community="levels", name="Levels", start="foot",
        places=(Place(id="hall", name="Hall", at=(0.0, 0.0), level=1),),
        junctions=(Junction(id="foot", at=CAM[:2]), Junction(id="top", at=(-2.0, -14.0), level=1)),
        markers=RING,
        paths=(MapPath(between=("foot", "top"), access="stairs", length=9), MapPath(between=("top", "hall"))))
    up = replace(route_through([CAM[:2], (-2.0, -14.0), (0.0, 0.0)]), nodes=("foot", "top", "hall"))
    for lang, words in (("en", "Go up the stairs"), ("zh-CN", "上楼")):
        result = OverlayPipeline(m, clock=Clock(), language=lang).process(looking("north"), up)
        assert result.turn is not None and result.turn.turn is Turn.UP_STAIRS and result.turn.words == words
        assert result.edge_arrow is None and result.arrow is not None  # in view: the ribbon shows the way
    # the stairs behind the resident: first "turn around", the stairs words once they are in view
    result = OverlayPipeline(m, clock=Clock()).process(looking("east"), up)
    assert result.turn is not None and result.turn.turn is Turn.AROUND and result.edge_arrow is not None
