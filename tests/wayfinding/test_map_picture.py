"""The 2D map picture (north up, the route, you-are-here, cached layers) and the big text labels on it."""

from __future__ import annotations

import numpy as np
import pytest

from wayfinding import map_picture as draw
from wayfinding.map_picture import YELLOW, draw_map, format_distance, label_image
from wayfinding.testing import route_through, tiny_map


def is_yellow(pixel: np.ndarray) -> bool:
    b, g, r = (int(v) for v in pixel)
    return r > 220 and g > 170 and b < 80


@pytest.mark.parametrize(("distance", "label"), [(12.0, "< 15 m"), (40.0, "40 m"), (46.8, "50 m"), (120.0, "120 m"),
                                                 (145.0, "150 m"), (391.8, "400 m"), (1234.0, "1.2 km")])
def test_format_distance_is_the_spoken_figure(distance: float, label: str) -> None:
    """The map label and the words round alike (the words say "about 50 metres" for 46.8 m: so does the map)."""
    assert format_distance(distance) == label


def test_label_is_big_and_readable() -> None:
    frame = np.random.default_rng(0).integers(0, 256, (720, 1280, 3), np.uint8)
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
