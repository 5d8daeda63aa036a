"""The urgent-notice overlay in the kiosk app, in process on the test window: shown over any screen in large
type, said aloud, the receipt asked for after it is drawn, the way to the assembly point for fire and gas (the real
demo map, router and map picture), held through the idle reset until read, gone when withdrawn.

The backend is a fake recording what the app asks of it (the real watch is in tests/skill_runtime; the whole app
against a real office in tests/integration/test_kiosk_notices.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.shared.config import Settings
from assistant.shared.events import UrgentNotice, UrgentNoticeEnded

pytestmark = pytest.mark.usefixtures("kivy_window")

FIRE = UrgentNotice(7, 1, "Fire in Building 3 [b]", "Leave calmly. Do not use the lifts.", "fire", True)
WATER = UrgentNotice(8, 1, "Water cut", "No water in Building 9 until 3 pm.", "water", False)


class FakeBackend:
    watching_help = False

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, *args, *kwargs.values()))
        return record

    def form_in_progress(self) -> bool:
        return False


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, kivy_window: Any) -> Iterator[Any]:
    from kivy.lang import Builder

    from kiosk_app.app import KV_DIR, KV_FILES, KioskApp
    from kiosk_app.guide_feed import FeedSettings, GuideFeed

    var = tmp_path_factory.mktemp("var")
    app = KioskApp(Settings(var_dir=var, kiosk_location="the lobby", kiosk_idle_seconds=1,
                            kiosk_confirm_seconds=1), voice=False)
    _forget_kv_app()  # kv's ``app`` caches the first App of the process (another test module's): use this one
    root = app.build()
    app.root = root
    app.guide_feed = GuideFeed(FeedSettings(camera=None, var_dir=var), on_frame=lambda *_: None,
                               on_poster=lambda *_: None)  # the map only: no camera, no thread
    kivy_window.add_widget(root)
    try:
        yield app
    finally:
        kivy_window.remove_widget(root)
        for name in KV_FILES:
            Builder.unload_file(str(KV_DIR / name))
        _forget_kv_app()


def _forget_kv_app() -> None:
    from kivy.lang.parser import global_idmap

    object.__setattr__(global_idmap["app"], "_obj", None)


@pytest.fixture
def app(built: Any) -> Iterator[Any]:
    built.backend = FakeBackend()
    built.urgent_notices.clear()
    built.unseen_notices.clear()
    built.reset_conversation()
    yield built
    for notice_id in list(built.urgent_notices):
        built.on_event(UrgentNoticeEnded(notice_id))
    built.backend = None


def frames(seconds: float = 0.3) -> None:
    from kivy.clock import Clock

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        Clock.tick()


def wait_until(predicate: Any, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        frames(0.05)


def test_a_fire_notice_interrupts_any_screen_is_said_and_shows_the_way(app: Any, tmp_path: Path) -> None:
    from kiosk_app.accessibility import audit

    app.show("settings")
    app.on_event(FIRE)
    view = app.notice_view
    assert view is not None
    assert view.ids.notice_heading.text == "FIRE"
    assert view.ids.notice_title.text == FIRE.title and view.ids.notice_title.markup is False
    assert view.ids.notice_title.font_size >= app.title_px
    assert "assembly point: Central Garden" in view.ids.notice_assembly.text
    said = [c for c in app.backend.calls if c[0] == "announce"]
    assert said == [("announce", "Urgent notice. Fire in Building 3 [b]. Leave calmly. Do not use the lifts. "
                                  "Leave the building calmly and go to the assembly point: Central Garden.")]
    assert ("notice_shown", FIRE) not in app.backend.calls  # not before it was drawn
    wait_until(lambda: ("notice_shown", FIRE) in app.backend.calls)  # two frames later
    wait_until(lambda: view.has_map and view.route_text)  # the route thread, then the UI thread
    assert view.route_text.startswith("1. ") and "Central Garden" in view.route_text
    assert view.ids.notice_ok.height >= app.button_h and view.ids.notice_emergency.text == app.tx["emergency"]
    frames(0.2)
    assert audit(view, 1080, app.theme_name) == []  # text sizes, touch targets, contrast


def test_chinese_words_and_the_idle_reset_waits_until_it_is_read(app: Any) -> None:
    app.set_language("zh-CN")
    try:
        app.on_event(WATER)
        view = app.notice_view
        assert view.ids.notice_heading.text == "停水通知" and view.assembly == "" and not view.has_map
        assert view.ids.notice_ok.text == "我知道了"
    finally:
        app.set_language("en")
    app.idle._last = time.monotonic() - 3600  # long idle: the reset would come now
    app._tick_idle(1.0)
    assert app.notice_view is view  # not read yet: it stays
    app.notice_read()
    assert app.notice_view is None and app.unseen_notices == set()
    app.reset_conversation()  # the idle reset: still in force, so it comes back for the next resident
    assert app.notice_view is not None and app.notice_view.notice_id == WATER.notice_id
    assert app.unseen_notices == set()
    app.on_event(UrgentNoticeEnded(WATER.notice_id))  # withdrawn: gone
    assert app.notice_view is None and app.urgent_notices == {}


def test_two_notices_at_once_are_both_read(app: Any) -> None:
    app.on_event(WATER)
    app.on_event(FIRE)
    assert app.notice_view.notice_id == FIRE.notice_id
    app.notice_read()
    assert app.notice_view is not None and app.notice_view.notice_id == WATER.notice_id  # the other one next
    app.notice_read()
    assert app.notice_view is None
