"""The kiosk's guide map (wayfinding/guide_map.py) at the Guide screen's size at 1080p, in English and Chinese:
labels of the goal, the start and the places on the way are there and measured ≥ 30 px high on the picture;
labels never overlap (the ones that would are dropped); you-are-here and the next leg stand out; Chinese is
drawn with real glyphs (no tofu); the audit fails a picture whose labels are small."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk_app.accessibility import audit_picture, ink_contrast, ink_height
from wayfinding import guide_map as gm
from wayfinding.community_map import DEMO_MAP_PATH, CommunityMap, Junction, MapPath, Place, load_map
from wayfinding.guide_map import MapPicture, render_guide_map
from wayfinding.route import Route
from wayfinding.routing import Router

GUIDE_MAP_1080 = (1120, 952)
"""The Guide screen's map picture at 1920x1080 (tests/kiosk/test_guide_screen.py checks the screen agrees)."""


@pytest.fixture(scope="module")
def demo() -> CommunityMap:
    return load_map(DEMO_MAP_PATH)


def must_labels(m: CommunityMap, route: Route, lang: str | None) -> set[str]:
    """The goal, "You are here" and every place the way goes through (not its start: that is "You are here")."""
    on_way = {m.label(n, lang) for n in route.nodes[1:-1] if any(p.id == n for p in m.places)}
    return {route.goal_name, "您在这里" if lang else "You are here", *on_way}


def overlapping(picture: MapPicture) -> list[tuple[str, str]]:
    return [(a.text, b.text) for i, a in enumerate(picture.labels) for b in picture.labels[i + 1:]
            if gm._overlap(a.plate, b.plate)]


def near(colour: np.ndarray, want: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.all(np.abs(colour.astype(int) - np.array(want)) <= tol))


@pytest.mark.parametrize(("to", "lang"), [("clinic", None), ("garbage", None), ("south gate lockers", None),
                                          ("clinic", "zh-CN"), ("library", "zh-CN"), ("central garden", "zh-CN")])
def test_route_labels_are_there_big_and_apart(demo: CommunityMap, to: str, lang: str | None) -> None:
    route = Router(demo).route(to, lang=lang)
    picture = render_guide_map(demo, route, GUIDE_MAP_1080, lang=lang)
    assert picture.rgb.shape == (GUIDE_MAP_1080[1], GUIDE_MAP_1080[0], 3)  # the size shown: no scaling after
    texts = {label.text for label in picture.labels}
    assert must_labels(demo, route, lang) <= texts
    assert not set(picture.dropped) & must_labels(demo, route, lang)
    heights = {label.text: ink_height(picture.rgb, label.box) for label in picture.labels}
    assert min(heights.values()) >= 30, heights  # measured on the pixels, not the font size asked for
    assert all(ink_contrast(picture.rgb, label.box) >= 7 for label in picture.labels)
    assert overlapping(picture) == []
    for label in picture.labels:  # inside the picture, not cut at its edge
        x0, y0, x1, y1 = label.plate
        assert 0 <= x0 < x1 <= GUIDE_MAP_1080[0] and 0 <= y0 < y1 <= GUIDE_MAP_1080[1]
    assert audit_picture(picture.rgb, picture.labels, 1080) == []


def test_labels_in_the_conversations_language(demo: CommunityMap) -> None:
    english = render_guide_map(demo, Router(demo).route("clinic"), GUIDE_MAP_1080)
    chinese = render_guide_map(demo, Router(demo).route("clinic", lang="zh-CN"), GUIDE_MAP_1080, lang="zh-CN")
    assert "Community Clinic" in {lbl.text for lbl in english.labels}
    zh = {lbl.text for lbl in chinese.labels}
    assert "社区卫生服务站" in zh and "北" in zh and not any(t.isascii() and t.isalpha() for t in zh)


def test_chinese_labels_are_real_glyphs_not_tofu(demo: CommunityMap) -> None:
    """A character the font lacks is drawn as its "missing" box; every character of the labels differs from it."""
    route = Router(demo).route("library", lang="zh-CN")
    picture = render_guide_map(demo, route, GUIDE_MAP_1080, lang="zh-CN")
    font = gm._font(40)
    missing = bytes(font.getmask("\U000f0000"))  # a private-use character: no font has it
    for label in picture.labels:
        for ch in label.text:
            assert bytes(font.getmask(ch)) != missing, (label.text, ch)


def test_you_are_here_and_the_next_leg_stand_out(demo: CommunityMap) -> None:
    route = Router(demo).route("garbage")
    picture = render_guide_map(demo, route, GUIDE_MAP_1080, next_step=1)  # walking down Garden Lane
    assert picture.you_are_here is not None and picture.goal is not None
    x, y, r = picture.you_are_here
    assert near(picture.rgb[y, x], gm.HERE_BLUE) and near(picture.rgb[y, x + r + 2], gm.WHITE, 30)
    leg, rest = np.array(picture.next_leg), np.array(picture.rest)
    assert len(leg) >= 2 and len(rest) >= 2
    middle = ((leg[0] + leg[-1]) / 2).round().astype(int)  # Garden Lane is straight: its middle is on it
    assert near(picture.rgb[middle[1], middle[0]], gm.NEXT_YELLOW)
    later = ((rest[-2] + rest[-1]) / 2).round().astype(int)  # the path beside Building 10: muted
    assert near(picture.rgb[later[1], later[0]], gm.REST_BLUE, 30)
    # nothing else on the map is the next leg's yellow: it is the one thing that stands out
    yellow = np.all(np.abs(picture.rgb.astype(int) - gm.NEXT_YELLOW) <= 40, axis=2)
    ys, xs = np.nonzero(yellow)
    assert xs.min() >= leg[:, 0].min() - 40 and xs.max() <= leg[:, 0].max() + 40
    gx, gy, gr = picture.goal
    assert near(picture.rgb[gy, gx + int(gr * 0.85)], gm.GOAL_RED, 50)


def test_the_next_leg_starts_here_and_is_long_enough_to_see(demo: CommunityMap) -> None:
    """The first step is the next leg; one too short to see at this zoom (out of the door, on a 300 m way) is
    highlighted with the step after it, and the picture says how many steps the yellow covers."""
    library = Router(demo).route("library")  # a short way: its first step (the stairs) is long enough
    picture = render_guide_map(demo, library, GUIDE_MAP_1080)
    assert picture.next_leg[0] == picture.you_are_here[:2]  # type: ignore[index]
    assert picture.next_steps == 1
    assert len(picture.next_leg) == library.nodes.index(library.steps[0].node) + 1
    garbage = Router(demo).route("garbage")
    picture = render_guide_map(demo, garbage, GUIDE_MAP_1080)
    assert picture.next_steps == 2  # "leave by the main door" and "walk south along Garden Lane"
    assert len(picture.next_leg) == garbage.nodes.index(garbage.steps[1].node) + 1
    length = float(np.linalg.norm(np.diff(np.array(picture.next_leg), axis=0), axis=1).sum())
    assert length >= gm.MIN_LEG_INKS * 30


def crowded_map() -> CommunityMap:
    """Eight rooms a metre apart beside a short lane: their names cannot all fit. The way to the clinic goes
    through the Lobby (a place on the way)."""
    rooms = tuple(Place(id=f"room-{i}", name=f"Room number {i}", at=(4.0, -2.0 - i), kind="activity-room")
                  for i in range(8))
    return CommunityMap(
        community="crowded", name="Crowded", start="kiosk",
        places=(Place(id="clinic", name="Clinic", at=(0.0, -30.0), kind="clinic"),
                Place(id="lobby", name="Lobby", at=(0.0, -15.0), kind="entrance"), *rooms),
        junctions=(Junction(id="kiosk", at=(0.0, 0.0)), Junction(id="hall", at=(0.0, -5.0))),
        paths=(MapPath(between=("kiosk", "hall")), MapPath(between=("hall", "lobby")),
               MapPath(between=("lobby", "clinic")), *(MapPath(between=("hall", r.id)) for r in rooms)),
    )


def test_labels_that_would_overlap_are_dropped_never_drawn_over_each_other() -> None:
    m = crowded_map()
    route = Router(m).route("clinic")
    picture = render_guide_map(m, route, GUIDE_MAP_1080)
    assert "lobby" in route.nodes and must_labels(m, route, None) == {"Clinic", "You are here", "Lobby"}
    assert must_labels(m, route, None) <= {lbl.text for lbl in picture.labels}
    assert min(ink_height(picture.rgb, lbl.box) for lbl in picture.labels) >= 30
    assert picture.dropped and all(t.startswith("Room number") for t in picture.dropped)
    assert overlapping(picture) == []
    for text in picture.dropped:
        assert text not in {lbl.text for lbl in picture.labels}


def test_the_audit_fails_a_picture_with_small_labels(demo: CommunityMap) -> None:
    route = Router(demo).route("clinic")
    small = render_guide_map(demo, route, GUIDE_MAP_1080, min_text_px=16)  # as if asked for 16 px text
    problems = audit_picture(small.rgb, small.labels, 1080)
    assert {p.rule for p in problems} == {"picture_text_size"}
    assert {p.text for p in problems} == {lbl.text[:40] for lbl in small.labels}
    assert all(p.measured < 30 and p.required == 30 for p in problems)
    # a good picture shown at half its size: the same labels look half as high, and fail
    good = render_guide_map(demo, route, GUIDE_MAP_1080)
    assert audit_picture(good.rgb, good.labels, 1080) == []
    assert {p.rule for p in audit_picture(good.rgb, good.labels, 1080, scale=0.5)} == {"picture_text_size"}
    # two plates drawn over each other are reported
    a, b = good.labels[:2]
    clash = [a, gm.DrawnLabel(b.text, a.box, a.plate, b.text_px, b.role)]
    assert "picture_overlap" in {p.rule for p in audit_picture(good.rgb, clash, 1080)}


def test_without_a_route_the_whole_map_and_you_are_here(demo: CommunityMap) -> None:
    picture = render_guide_map(demo, None, GUIDE_MAP_1080)
    assert "You are here" in {lbl.text for lbl in picture.labels} and picture.next_leg == ()
    assert audit_picture(picture.rgb, picture.labels, 1080) == [] and overlapping(picture) == []


def test_text_size_follows_the_screens_step(demo: CommunityMap) -> None:
    """At the largest text step (175 %) the labels grow with the rest of the screen's text."""
    route = Router(demo).route("clinic")
    picture = render_guide_map(demo, route, GUIDE_MAP_1080, min_text_px=52.5)
    assert min(ink_height(picture.rgb, lbl.box) for lbl in picture.labels) >= 52
    assert must_labels(demo, route, None) <= {lbl.text for lbl in picture.labels}
