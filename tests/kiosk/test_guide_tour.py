"""A walk of several stops on the kiosk's Guide screen (heritage walks), in process on the 1920x1080 test window:
the navigate_to skill's real answer for a stop (its words rendered from the skill's YAML, its route payload
decoded as the conversation client does) shows the stop's story above the way to it, a QR code that opens the
stop on a phone, and a big "Next stop" button that asks for the next stop; the last stop's button finishes the
walk and the closing words stay on the screen. The accessibility audit passes; screenshots go to
/tmp/guide-tour-<language>.png for a person to look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.wire import decode_custom
from assistant.shared.events import Reply, ShowRoute, UserText, take_tour
from assistant.skill_runtime.wayfinding import Wayfinder
from skills.navigate_to.tour import show_stop
from tests.kiosk.test_guide_screen import SHOTS, built, frames, wait_until
from wayfinding.community_map import DEMO_MAP_PATH, load_map
from wayfinding.key_ring import KeyRing, RingCache
from wayfinding.routing import Router

pytestmark = pytest.mark.usefixtures("kivy_window")
__all__ = ["built"]  # the Guide screen test's app, with its map drawn (a fixture used here)

SKILL = Path(__file__).resolve().parents[2] / "skills" / "navigate_to"
KEY = b"the-sunny-garden-test-key-0000000000000"
WALK = load_map(DEMO_MAP_PATH).tours[0]


class RecordingBackend:
    watching_help = False

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self.calls.append((name, *args, *kwargs.values()))

    def form_in_progress(self) -> bool:
        return False


@pytest.fixture
def app(built: Any) -> Iterator[Any]:
    built.backend = RecordingBackend()
    built.reset_conversation()
    yield built
    built.set_language("en")
    built.backend = None


def responses(lang: str) -> dict[str, Any]:
    path = SKILL / ("skill.yml" if lang == "en" else f"locale/{lang}.yml")
    return dict(yaml.safe_load(path.read_text("utf-8"))["responses"])


def skill_answer(stop: int, lang: str) -> list[Reply]:
    """What the skill answers for ``stop``, as the kiosk receives it: one reply per message."""
    community = load_map(DEMO_MAP_PATH)
    found = Wayfinder(community, Router(community), RingCache(lambda: KeyRing.single(KEY)), "http://box:8700")
    dispatcher = CollectingDispatcher()
    show_stop(dispatcher, found, community.tours[0], stop, lang)
    words = responses(lang)
    replies = []
    for message in dispatcher.messages:
        if message.get("response"):
            values = {k: v for k, v in message.items() if k not in ("response", "template")}
            replies.append(Reply(words[message["response"]][0]["text"].format(**values)))
        if message.get("custom"):
            replies.append(Reply("", data=decode_custom(message["custom"])))
    return replies


def answer(app: Any, said: str, stop: int, lang: str) -> None:
    app.on_event(UserText("k-1", said))
    for reply in skill_answer(stop, lang):
        app.on_event(reply)


def rows(app: Any) -> list[str]:
    return [w.text for w in reversed(app.guide.ids.steps_box.children) if type(w).__name__ == "StepRow"]


def test_a_stop_shows_its_story_above_the_way_and_a_next_stop_button(app: Any) -> None:
    app.show("conversation")
    answer(app, "take me on the heritage walk", 1, "en")
    guide = app.guide
    assert app.root.ids.sm.current == "guide"
    assert guide.story_text == WALK.stops[0].story_in("en")
    assert "Heritage Walk, stop 1 of 4: North Gate." in guide.intro_text
    assert WALK.stops[0].story_in("en") not in guide.intro_text  # shown once, on its own
    assert guide.goal_text.startswith("North Gate") and rows(app) and rows(app)[0].startswith("1. ")
    assert guide.ids.next_stop_button.text == "Next stop" and guide.ids.next_stop_button.height > 0
    assert guide.ids.qr_caption.text == app.tx["tour_qr_caption"] and Path(guide.qr_path).exists()
    assert not guide.step_free_offer
    guide.ids.next_stop_button.dispatch("on_release")
    assert app.backend.calls[-1] == ("start", take_tour("heritage-walk", 2), "Next stop")


def test_the_last_stop_finishes_the_walk_with_the_closing_words(app: Any) -> None:
    answer(app, "/navigate_to", 4, "en")
    guide = app.guide
    assert guide.ids.next_stop_button.text == "Finish the walk" and "last stop" in guide.intro_text
    guide.ids.next_stop_button.dispatch("on_release")
    assert app.backend.calls[-1] == ("start", take_tour("heritage-walk", 5), "Finish the walk")
    app.on_event(UserText("k-1", "/navigate_to", "button", "Finish the walk"))
    app.on_event(Reply("That was the whole Heritage Walk. Thank you for walking with us!"))
    assert app.root.ids.sm.current == "guide"
    assert guide.story_text == "That was the whole Heritage Walk. Thank you for walking with us!"
    assert guide.tour_button == "" and guide.ids.next_stop_button.height == 0 and rows(app) == []


def test_an_ordinary_way_after_a_walk_has_no_walk_button(app: Any) -> None:
    answer(app, "take me on the heritage walk", 2, "en")
    assert app.guide.tour_button == "Next stop"
    community = load_map(DEMO_MAP_PATH)
    route = Router(community).route("clinic")
    app.on_event(UserText("k-1", "where is the clinic"))
    app.on_event(Reply(route.text(), data=(ShowRoute("community-clinic", shape=route.to_dict()),)))
    assert app.guide.tour_button == "" and app.guide.story_text == ""
    app.reset_conversation()
    assert app.guide.story_text == ""


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_stop_on_screen_passes_the_audit(app: Any, kivy_window: Any, lang: str) -> None:
    from kiosk_app.accessibility import audit

    app.set_language(lang)
    frames(0.5)
    answer(app, "带我走走文化路线" if lang == "zh-CN" else "take me on the heritage walk", 3, lang)
    guide = app.guide
    assert guide.story_text == WALK.stops[2].story_in(lang)
    assert guide.ids.next_stop_button.text == ("下一站" if lang == "zh-CN" else "Next stop")
    overlay = guide.ids.overlay
    wait_until(lambda: getattr(overlay, "linli_picture", None) is not None
               and overlay.linli_picture.rgb.shape[:2] == (int(overlay.height), int(overlay.width)))
    frames(0.3)
    problems = audit(app.root, kivy_window.height, app.theme_name)
    assert problems == [], [str(p) for p in problems]
    final = SHOTS / f"guide-tour-{lang}.png"
    shutil.move(kivy_window.screenshot(name=str(SHOTS / "guide-tour-shot.png")), final)
    with __import__("PIL.Image").Image.open(final) as img:
        assert np.asarray(img.convert("RGB")).std() > 20
