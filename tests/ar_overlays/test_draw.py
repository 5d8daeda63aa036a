import math

import numpy as np
import pytest

from ar_overlays.camera import default_calibration
from ar_overlays.draw import draw_route_ar, route_ahead
from ar_overlays.pose import CameraPose
from ar_overlays.testing import project, textured_background
from wayfinding.testing import route_through


def true_pose(position: tuple[float, float, float], heading: float, pitch: float = -10.0) -> CameraPose:
    from ar_overlays.geometry import look_pose

    rvec, tvec = look_pose(position, heading, pitch)
    return CameraPose(rvec, tvec, position, heading, pitch, 0.0, "post", 1, 100.0)


def is_yellow(pixel: np.ndarray) -> bool:
    b, g, r = (int(v) for v in pixel)
    return r > 220 and g > 170 and b < 80


def test_route_ahead_starts_at_the_nearest_point_and_counts_what_is_left() -> None:
    route = route_through([(0, -10), (0, 30), (20, 30)])
    line, remaining = route_ahead(route, (1.0, 0.0), ahead_m=15)
    assert np.allclose(line[0], (0, 0)) and np.allclose(line[-1], (0, 15))
    assert remaining == pytest.approx(50.0)
    line, _ = route_ahead(route, (0.0, 25.0), ahead_m=15)  # around the corner
    assert np.allclose(line, [(0, 25), (0, 30), (10, 30)])


@pytest.mark.parametrize(("position", "heading", "route_points"), [
    ((0.0, -2.0, 1.5), 0.0, [(0, -10), (0, 60)]),  # straight down the lane
    ((0.5, -2.0, 1.4), 10.0, [(0, -10), (0, 60)]),
    ((-3.0, 4.0, 1.6), 70.0, [(-5, 3), (40, 20)]),  # a diagonal path
    ((0.0, 0.0, 1.5), 0.0, [(0, -10), (0, 10), (-12, 10)]),  # the turn left is inside the 15 m
], ids=["straight", "offset", "diagonal", "turn-left"])
def test_arrow_matches_the_route_projected_with_the_true_pose(position: tuple[float, float, float], heading: float,
                                                               route_points: list[tuple[float, float]]) -> None:
    cal = default_calibration(1280, 720)
    pose = true_pose(position, heading)
    route = route_through(route_points)
    frame = textured_background((1280, 720))
    drawing = draw_route_ar(frame, pose, cal, route)
    assert drawing.arrow is not None and drawing.ribbon_visible
    # independent: walk 15 m along the route from the nearest point, project the last metre with the true pose
    line, _ = route_ahead(route, position[:2], 15.0)
    end, before = line[-1], line[-1] - (line[-1] - line[-2]) / np.linalg.norm(line[-1] - line[-2])
    a, b = project(np.array([[*before, 0.0], [*end, 0.0]]), pose.rvec, pose.tvec, cal)
    (tail, tip) = np.array(drawing.arrow)
    expected = math.degrees(math.atan2(*(b - a)[::-1]))
    drawn = math.degrees(math.atan2(*(tip - tail)[::-1]))
    assert abs((drawn - expected + 180) % 360 - 180) < 20
    assert np.linalg.norm(tip - b) < 3  # the tip is where the route's 15th metre lands
    # the arrow head is really drawn in yellow: look inside it (between tail and tip)
    inside = np.round(tail + (tip - tail) * 0.4).astype(int)
    if 0 <= inside[0] < 1280 and 0 <= inside[1] < 720:
        assert is_yellow(frame[inside[1], inside[0]])
    # and the ribbon near the walker is yellow too: 3 m ahead on the route
    near = line[0] + (line[1] - line[0]) / np.linalg.norm(line[1] - line[0]) * 3
    (u, v), = project(np.array([[*near, 0.0]]), pose.rvec, pose.tvec, cal)
    if 0 <= u < 1280 and 0 <= v < 720:
        assert is_yellow(frame[int(v), int(u)])


def test_route_behind_the_camera_draws_no_ribbon_but_the_label() -> None:
    cal = default_calibration(1280, 720)
    pose = true_pose((0.0, 0.0, 1.5), 180.0)  # looking south; the route goes north
    route = route_through([(0, 0), (0, 50)])
    frame = textured_background((1280, 720))
    before = frame.copy()
    drawing = draw_route_ar(frame, pose, cal, route)
    assert drawing.arrow is None and not drawing.ribbon_visible
    assert drawing.remaining_m == pytest.approx(50)
    changed = np.any(frame != before, axis=2)
    ys, xs = np.nonzero(changed)
    assert ys.max() < 720 * 0.2  # only the label at the top changed
    assert not any(is_yellow(frame[y, x]) for y, x in zip(ys[::50], xs[::50], strict=True) if frame[y, x, 0] > 100)


# --- which way, always: the edge arrows and their words ---------------------------------------------------


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (640, 480)])
def test_turn_words_are_large(size: tuple[int, int]) -> None:
    from ar_overlays.draw import TURN_TEXT_HEIGHT
    from wayfinding.map_picture import _font

    w, h = size
    font = _font(max(12, round(h * TURN_TEXT_HEIGHT)))
    _, top, _, bottom = font.getbbox("T")
    assert bottom - top >= 30 * h / 1080  # cap height ≥ 30 px at 1080p, in proportion at other sizes
    _, top, _, bottom = font.getbbox("向")
    assert bottom - top >= 30 * h / 1080


@pytest.mark.parametrize(("turn", "side"), [("left", "left"), ("right", "right"), ("around", "around")])
def test_edge_arrows(turn: str, side: str) -> None:
    from ar_overlays.draw import draw_turn

    frame = np.zeros((720, 1280, 3), np.uint8)
    edge = draw_turn(frame, turn, "Turn")
    assert edge is not None and edge.side == side
    yellow = np.argwhere((frame[..., 2] > 220) & (frame[..., 1] > 170) & (frame[..., 0] < 80))
    ys, xs = yellow[:, 0], yellow[:, 1]
    if turn == "left":
        assert xs.min() < 40 and xs.max() < 260 and abs(ys.mean() - 360) < 10
    elif turn == "right":
        assert xs.max() > 1240 and xs.min() > 1020 and abs(ys.mean() - 360) < 10
    else:
        assert ys.max() > 680 and ys.min() > 450 and abs(xs.mean() - 640) < 60
    assert edge.text_box is not None  # the words beside it, not over it
    x0, y0, x1, y1 = edge.text_box
    inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    assert not inside.any()


def test_ahead_draws_nothing_and_floor_words_only_words() -> None:
    from ar_overlays.draw import draw_turn

    frame = np.zeros((720, 1280, 3), np.uint8)
    assert draw_turn(frame, "ahead", "") is None and not frame.any()
    assert draw_turn(frame, "up_stairs", "Go up the stairs") is None
    rows = np.argwhere(frame.any(axis=2))[:, 0]
    assert rows.min() > 720 * 0.75  # at the bottom, out of the way of the ribbon's arrow head
