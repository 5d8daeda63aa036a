"""Which way, always: the instruction's rules (out of view, hysteresis, floors) and its words (data, per language).
The drawn frames are in test_overlay.py and test_draw.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ar_overlays.camera import Calibration, default_calibration
from ar_overlays.turns import (
    LOCALE_DIR,
    Turn,
    TurnTracker,
    TurnWordsError,
    classify,
    floor_turn,
    language_code,
    load_turn_words,
    next_waypoint,
    route_floors,
    turn_words,
    view_edges,
)
from wayfinding.community_map import CommunityMap, Junction, MapPath, Place
from wayfinding.testing import route_through

EDGES = (29.0, 29.0)


def test_the_default_camera_sees_29_degrees_each_way() -> None:
    left, right = view_edges(default_calibration(1280, 720))
    assert left == pytest.approx(29.05, abs=0.05) and right == pytest.approx(29.05, abs=0.05)
    k = np.array([[900.0, 0, 400], [0, 900, 360], [0, 0, 1]])  # principal point left of centre
    left, right = view_edges(Calibration(k, np.zeros(5), 1280, 720))
    assert left < 25 < 40 < right


@pytest.mark.parametrize(("bearing", "turn"), [
    (0.0, Turn.AHEAD), (28.0, Turn.AHEAD), (-28.0, Turn.AHEAD), (-30.0, Turn.LEFT), (-89.0, Turn.LEFT),
    (31.0, Turn.RIGHT), (89.0, Turn.RIGHT), (91.0, Turn.AROUND), (-91.0, Turn.AROUND), (180.0, Turn.AROUND),
])
def test_classify(bearing: float, turn: Turn) -> None:
    assert classify(bearing, EDGES) is turn


def test_floor_words_replace_ahead_only() -> None:
    assert classify(5.0, EDGES, Turn.UP_STAIRS) is Turn.UP_STAIRS
    assert classify(-50.0, EDGES, Turn.UP_STAIRS) is Turn.LEFT  # first turn towards the stairs


def test_the_first_instruction_counts_at_once_then_changes_need_three_clear_frames() -> None:
    t = TurnTracker()
    assert t.update(-60.0, EDGES) == (Turn.LEFT, True)
    assert t.update(-60.0, EDGES) == (Turn.LEFT, False)
    assert [t.update(0.0, EDGES) for _ in range(4)] == [(Turn.LEFT, False), (Turn.LEFT, False),
                                                         (Turn.AHEAD, True), (Turn.AHEAD, False)]


def test_no_flicker_on_an_edge() -> None:
    t = TurnTracker()
    t.update(0.0, EDGES)
    # the waypoint wobbles across the left edge (pose noise): within the 5° margin nothing changes
    wobble = [-27.0, -31.0, -33.0, -30.0, -26.0, -32.0, -33.5] * 3
    assert all(t.update(b, EDGES) == (Turn.AHEAD, False) for b in wobble)
    # two frames clearly left, one back in view: the count starts again
    assert [t.update(b, EDGES)[1] for b in (-40.0, -40.0, 0.0, -40.0, -40.0)] == [False] * 5
    assert t.update(-40.0, EDGES) == (Turn.LEFT, True)
    # and back: in view needs 5° inside the edge too
    assert all(t.update(-26.0, EDGES) == (Turn.LEFT, False) for _ in range(5))
    assert [t.update(-20.0, EDGES)[1] for _ in range(3)] == [False, False, True]


def test_reset_starts_afresh() -> None:
    t = TurnTracker()
    t.update(-60.0, EDGES)
    t.reset()
    assert t.update(120.0, EDGES) == (Turn.AROUND, True)


def test_next_waypoint() -> None:
    pts = np.array([(0.0, 0.0), (0.0, 10.0), (10.0, 10.0)])
    assert next_waypoint(pts, (0.5, 3.0)) == 1
    assert next_waypoint(pts, (0.0, 9.0)) == 2  # within 2 m of the corner: the next leg's end
    assert next_waypoint(pts, (9.0, 10.0)) is None  # at the destination
    assert next_waypoint(pts[:1], (5.0, 5.0)) == 0


def levels_map() -> CommunityMap:
    return CommunityMap(
        community="levels", name="Levels", start="door",
        places=(Place(id="door", name="Door", at=(0.0, -20.0)), Place(id="hall", name="Hall", at=(0.0, 0.0), level=1)),
        junctions=(Junction(id="foot", at=(0.0, -10.0)), Junction(id="top", at=(0.0, -6.0), level=1),
                   Junction(id="lift-0", at=(3.0, -10.0)), Junction(id="lift-1", at=(3.0, -10.0), level=1)),
        paths=(MapPath(between=("door", "foot")), MapPath(between=("foot", "top"), access="stairs", length=8),
               MapPath(between=("top", "hall")), MapPath(between=("foot", "lift-0")),
               MapPath(between=("lift-0", "lift-1"), access="lift", length=4), MapPath(between=("lift-1", "hall"))))


def test_floors_come_from_the_map_levels() -> None:
    from dataclasses import replace

    m = levels_map()
    up = replace(route_through([(0, -20), (0, -10), (0, -6), (0, 0)]), nodes=("door", "foot", "top", "hall"))
    floors = route_floors(up, m)
    assert floors.change == (0, 0, 1, 0)
    assert [floor_turn(floors, k) for k in range(4)] == [None, None, Turn.UP_STAIRS, None]
    down = replace(route_through([(0, 0), (0, -6), (0, -10)]), nodes=("hall", "top", "foot"))
    assert floor_turn(route_floors(down, m), 2) is Turn.DOWN_STAIRS
    lift = replace(route_through([(0, -10), (3, -10), (3, -10.01), (0, 0)]), nodes=("foot", "lift-0", "lift-1", "hall"))
    assert floor_turn(route_floors(lift, m), 2) is Turn.UP_LIFT
    # a route whose nodes are not in the map (made in code) is all on one floor
    assert set(route_floors(route_through([(0, 0), (0, 9)]), m).change) == {0}


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Turn left", "Turn right", "Turn around", "Go up the stairs", "Go down the stairs")),
    ("zh-CN", ("向左转", "向右转", "向后转", "上楼", "下楼")),
    ("zh", ("向左转", "向右转", "向后转", "上楼", "下楼")),
])
def test_the_words_are_data_per_language(lang: str, words: tuple[str, ...]) -> None:
    w = turn_words(lang)
    assert tuple(w.of(t) for t in (Turn.LEFT, Turn.RIGHT, Turn.AROUND, Turn.UP_STAIRS, Turn.DOWN_STAIRS)) == words
    assert w.of(Turn.AHEAD) == ""


def test_every_locale_file_has_every_turn_word() -> None:
    for path in sorted(LOCALE_DIR.glob("*.yml")):
        words = load_turn_words(path)
        assert all(words.of(t) for t in Turn if t is not Turn.AHEAD), path


def test_an_unknown_language_gets_english() -> None:
    assert language_code("fr") == "en" and language_code(None) == "en" and language_code("zh_CN") == "zh-CN"


def test_a_broken_words_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "xx.yml"
    path.write_text("way_to: x\nturn:\n  left: L\n  right: R\n  around: A\n  up_stairs: U\n  down_stairs: D\n"
                    "  up_lift: UL\n  down_lift: DL\n  sideways: S\n", encoding="utf-8")
    with pytest.raises(TurnWordsError) as err:
        load_turn_words(path)
    assert err.value.message.startswith(f"{path}:10: ") and "sideways" in err.value.message
    path.write_text("way_to: x\n", encoding="utf-8")
    with pytest.raises(TurnWordsError, match="'turn:' section"):
        load_turn_words(path)
