"""The Guide screen with the guide map (issue 18, "A map you can read"), in process on the 1920x1080 test window:
the map takes most of the screen and is drawn at the size it is shown, in the conversation's language; the
steps have pictograms; the accessibility audit passes, the map's labels measured on the picture. Screenshots
go to /tmp/guide-map-<language>.png for a person to look at.

The real demo map, router and map renderer; the backend is a fake (as in test_app.py)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.shared.config import Settings
from assistant.shared.events import Reply, ShowRoute
from wayfinding.community_map import DEMO_MAP_PATH, load_map
from wayfinding.routing import Router

pytestmark = pytest.mark.usefixtures("kivy_window")

SHOTS = Path("/tmp")
GUIDE_MAP_1080 = (1120, 952)
"""The map picture's size on the 1920x1080 screen: tests/wayfinding/test_guide_map.py renders at this size."""


class FakeBackend:
    watching_help = False

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    def form_in_progress(self) -> bool:
        return False


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, kivy_window: Any) -> Iterator[Any]:
    from kivy.lang import Builder

    from kiosk_app.app import KV_DIR, KV_FILES, KioskApp
    from kiosk_app.guide_feed import FeedSettings, GuideFeed

    var = tmp_path_factory.mktemp("var")
    app = KioskApp(Settings(var_dir=var, kiosk_location="the lobby"), voice=False)
    _forget_kv_app()  # kv's ``app`` caches the first App of the process (another test module's): use this one
    root = app.build()
    app.root = root
    kivy_window.add_widget(root)
    app.guide_feed = GuideFeed(  # the map only (no camera), pictures handed to the screen as the app does
        FeedSettings(camera=None, var_dir=var),
        on_frame=lambda rgb, mode, picture: _on_ui(lambda: app.guide.show_picture(rgb, mode, picture)),
        on_poster=lambda *_: None)
    try:
        yield app
    finally:
        kivy_window.remove_widget(root)
        for name in KV_FILES:
            Builder.unload_file(str(KV_DIR / name))
        _forget_kv_app()


def _on_ui(fn: Any) -> None:
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: fn(), 0)


def _forget_kv_app() -> None:
    from kivy.lang.parser import global_idmap

    object.__setattr__(global_idmap["app"], "_obj", None)


@pytest.fixture
def app(built: Any) -> Iterator[Any]:
    built.backend = FakeBackend()
    built.reset_conversation()
    yield built
    built.set_language("en")
    built.backend = None


def frames(seconds: float = 0.3) -> None:
    from kivy.base import EventLoop

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        EventLoop.idle()


def wait_until(predicate: Any, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        frames(0.05)


def show_way(app: Any, to: str, lang: str) -> Any:
    """The navigate_to skill's answer, as the conversation client hands it over: the words, then the route."""
    app.set_language(lang)
    frames(0.5)  # what the reset before left scheduled (a cleared map) is drawn first, not after this route
    route = Router(load_map(DEMO_MAP_PATH)).route(to, lang=lang)
    app.guide.new_turn()
    app.on_event(Reply(route.text(), data=(ShowRoute(to, shape=route.to_dict(), guide_url="http://box/g?sig=x"),)))
    overlay = app.guide.ids.overlay
    # the picture for this route at the picture's size on screen (a layout pass may redraw it once)
    wait_until(lambda: getattr(overlay, "linli_picture", None) is not None
               and any(lbl.role == "goal" and lbl.text == route.goal_name for lbl in overlay.linli_picture.labels)
               and overlay.linli_picture.rgb.shape[:2] == (int(overlay.height), int(overlay.width)))
    frames(0.3)
    return route


@pytest.mark.parametrize(("to", "lang"), [("clinic", "en"), ("garbage", "en"), ("clinic", "zh-CN"),
                                          ("library", "zh-CN")])
def test_the_map_gets_most_of_the_screen_and_passes_the_audit(app: Any, kivy_window: Any, to: str,
                                                               lang: str) -> None:
    from kiosk_app.accessibility import audit, ink_height

    route = show_way(app, to, lang)
    guide = app.guide
    overlay = guide.ids.overlay
    picture = overlay.linli_picture
    # most of the screen: at least 55 % of the window's width and 85 % of its height above the bar
    assert overlay.width >= 0.55 * kivy_window.width and overlay.height >= 0.85 * guide.height
    # drawn at the size it is shown: one picture pixel is one screen pixel; the size the map tests use
    assert picture.rgb.shape[:2] == (int(overlay.height), int(overlay.width))
    assert (int(overlay.width), int(overlay.height)) == GUIDE_MAP_1080
    assert tuple(overlay.norm_image_size) == pytest.approx((overlay.width, overlay.height), abs=1.5)
    texts = {lbl.text for lbl in picture.labels}
    assert route.goal_name in texts and ("您在这里" if lang == "zh-CN" else "You are here") in texts
    heights = {lbl.text: ink_height(picture.rgb, lbl.box) for lbl in picture.labels}
    assert min(heights.values()) >= 30, heights
    # the steps: one row each with its pictogram, the first (the next leg) highlighted
    rows = [w for w in reversed(guide.ids.steps_box.children) if type(w).__name__ == "StepRow"]
    assert [r.text for r in rows] == [f"{n}. {s.text}" for n, s in enumerate(route.steps, 1)]
    assert all(Path(r.icon).is_file() for r in rows) and picture.next_steps >= 1
    assert [r.current for r in rows] == [n < picture.next_steps for n in range(len(rows))]  # as the yellow leg
    assert guide.goal_text.startswith(route.goal_name)
    problems = audit(app.root, kivy_window.height, app.theme_name)
    assert problems == [], [str(p) for p in problems]
    shot = kivy_window.screenshot(name=str(SHOTS / "guide-map-shot.png"))
    final = SHOTS / f"guide-map-{to}-{lang}.png"
    shutil.move(shot, final)
    with __import__("PIL.Image").Image.open(final) as img:
        assert img.size == (kivy_window.width, kivy_window.height)
        assert np.asarray(img.convert("RGB")).std() > 20


def test_the_audit_fails_when_the_map_is_shown_shrunk(app: Any, kivy_window: Any) -> None:
    """The same picture shown smaller than it was drawn: its labels look smaller than 30 px, and the audit says so."""
    from kiosk_app.accessibility import audit

    show_way(app, "clinic", "en")
    guide = app.guide
    overlay = guide.ids.overlay
    redraw = guide._redraw
    guide._redraw = lambda *_: None  # keep the old picture: as if the map were drawn once and then scaled
    overlay.size_hint_x = 0.3
    try:
        frames(0.3)
        assert overlay.width < 0.8 * overlay.linli_picture.rgb.shape[1]  # shown at most 80 % of its size
        problems = [p for p in audit(app.root, kivy_window.height, app.theme_name) if p.rule == "picture_text_size"]
        assert problems and all(p.widget == "overlay" and p.measured < 30 for p in problems)
    finally:
        guide._redraw = redraw
        overlay.size_hint_x = 0.6
        frames(0.3)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_home_tiles_have_their_pictograms(app: Any, kivy_window: Any, lang: str) -> None:
    from kiosk_app.accessibility import audit

    app.set_language(lang)
    app.show("home")
    frames(0.3)
    tiles = [w for w in app.screen("home").ids.tiles.children if type(w).__name__ == "Tile"]
    assert len(tiles) == 6 and all(Path(t.icon).is_file() for t in tiles)
    assert audit(app.root, kivy_window.height, app.theme_name) == []
    shutil.move(kivy_window.screenshot(name=str(SHOTS / "guide-map-shot.png")), SHOTS / f"guide-map-home-{lang}.png")


def test_high_contrast_theme_guide_passes_the_audit(app: Any, kivy_window: Any) -> None:
    from kiosk_app.accessibility import audit

    app.toggle_contrast()
    try:
        assert app.theme_name == "high_contrast"
        show_way(app, "garbage", "en")
        problems = audit(app.root, kivy_window.height, app.theme_name)
        assert problems == [], [str(p) for p in problems]
        shutil.move(kivy_window.screenshot(name=str(SHOTS / "guide-map-shot.png")),
                    SHOTS / "guide-map-garbage-en-high-contrast.png")
    finally:
        app.toggle_contrast()
