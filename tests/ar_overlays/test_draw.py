import math

import numpy as np
import pytest

from ar_overlays import draw
from ar_overlays.camera import default_calibration
from ar_overlays.draw import YELLOW, draw_map, draw_route_ar, format_distance, label_image, route_ahead
from ar_overlays.geometry import heading_of
from ar_overlays.pose import CameraPose
from ar_overlays.testing import project, route_through, textured_background, tiny_map


def true_pose(position: tuple[float, float, float], heading: float, pitch: float = -10.0) -> CameraPose:
    from ar_overlays.geometry import look_pose

    rvec, tvec = look_pose(position, heading, pitch)
    return CameraPose(rvec, tvec, position, heading, pitch, 0.0, "post", 1, 100.0)


def is_yellow(pixel: np.ndarray) -> bool:
    b, g, r = (int(v) for v in pixel)
    return r > 220 and g > 170 and b < 80


@pytest.mark.parametrize("distance", [12.0, 40.0, 120.0])
def test_format_distance(distance: float) -> None:
    assert {12.0: "12 m", 40.0: "40 m", 120.0: "120 m"}[distance] == format_distance(distance)


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


def test_label_is_big_and_readable() -> None:
    frame = textured_background((1280, 720))
    draw.draw_destination_label(frame, "Community Clinic", 120)
    image = label_image((("Community Clinic", draw.WHITE), ("   120 m", YELLOW)), round(720 * draw.LABEL_HEIGHT),
                        1280 - 24)
    assert image.shape[0] >= 0.05 * 720 * 1.3  # box height
    white_rows = np.nonzero(np.all(image > 200, axis=2).any(axis=1))[0]
    assert white_rows.max() - white_rows.min() >= 0.05 * 720  # glyphs (ascender to descender) ≥ 5 % of the frame
    assert np.all(frame[12 + image.shape[0] // 2, 12:20] == draw.DARK)
    assert any(is_yellow(p) for p in image.reshape(-1, 3)[::7])


def test_chinese_label_renders_and_is_cached() -> None:
    parts = (("社区卫生服务站", draw.WHITE), ("   80 m", YELLOW))
    a = label_image(parts, 47, 1256)
    assert a is label_image(parts, 47, 1256)  # cached: the per-frame path does not render text again
    assert np.all(a > 200, axis=2).sum() > 500  # real glyphs, not empty boxes
    narrow = label_image(parts, 47, 300)  # shrunk to fit a narrow frame
    assert narrow.shape[1] <= 300


def test_map_shows_route_places_and_you_are_here() -> None:
    m = tiny_map()
    route = route_through([(0, -10), (0, 30)], "Clinic")
    image = draw_map(m, route, (1280, 720))
    assert image.shape == (720, 1280, 3)
    view = draw._map_background(m, 1280, 720)[1]
    (u, v), = view.to_px(np.array([(0.0, 10.0)]))  # half way along the route
    assert is_yellow(image[int(v), int(u)])
    # the stairs path (kiosk → steps-top) is drawn differently from a step-free one (clinic → library)
    (su, sv), = view.to_px(np.array([(10.0, -10.0)]))
    (fu, fv), = view.to_px(np.array([(10.0, 30.0)]))
    assert not np.array_equal(image[int(sv), int(su)], image[int(fv), int(fu)])
    here = draw_map(m, route, (1280, 720), you_are_here=(0.0, 0.0), heading=0.0)
    (hu, hv), = view.to_px(np.array([(0.0, 0.0)]))
    assert not np.array_equal(here[int(hv), int(hu)], image[int(hv), int(hu)])
    assert np.array_equal(draw_map(m, route, (1280, 720)), image)  # you-are-here drawn on a copy
    assert draw._map_background(m, 1280, 720)[0] is draw._map_background(m, 1280, 720)[0]  # cached
    assert draw_map(m, None, (640, 480)).shape == (480, 640, 3)


def test_map_is_north_up() -> None:
    m = tiny_map()
    view = draw._map_background(m, 1280, 720)[1]
    (ku, kv), (cu, cv) = view.to_px(np.array([(0.0, -10.0), (0.0, 30.0)]))
    assert cv < kv and abs(cu - ku) < 1e-6  # the clinic is north of the kiosk: higher on the map
    assert heading_of(0, 1) == 0
