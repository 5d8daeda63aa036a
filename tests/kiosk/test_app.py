"""The kiosk app and its screens (kiosk_app/app.py, kiosk_app/screens/*.py), in process on the test window.

The backend is a fake that records what the screens ask of it (the real one is tested in
tests/integration/test_kiosk_backend.py, and the whole app on the real stack in test_kiosk_app.py). Events
are fed to ``on_event`` as the backend's thread would hand them to the UI thread. ``App.run`` is never called.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.dialogue.wire import intent_message
from assistant.shared.config import Settings
from assistant.shared.events import (
    Alert,
    Button,
    Error,
    Reply,
    ShowRoute,
    StartIntent,
    Transcript,
    UserText,
    VoiceState,
    navigate,
)

pytestmark = pytest.mark.usefixtures("kivy_window")

SHAPE = {"start": "kiosk", "goal": "central-garden", "goal_name": "Central Garden", "nodes": ["kiosk", "garden"],
         "points": [[0.0, 0.0], [10.0, 5.0]], "length_m": 11.2, "step_free": False, "uses_stairs": True,
         "steps": [{"text": "Go out of the door.", "kind": "start", "distance_m": 0.0, "node": "kiosk"},
                   {"text": "Go down three steps.", "kind": "stairs", "distance_m": 11.2, "node": "garden"}]}
WORDS = "Go out of the door. Go down three steps."


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

    app = KioskApp(Settings(var_dir=tmp_path_factory.mktemp("var"), kiosk_location="the lobby"), voice=False)
    root = app.build()
    app.root = root
    kivy_window.add_widget(root)
    try:
        yield app
    finally:
        kivy_window.remove_widget(root)
        for name in KV_FILES:
            Builder.unload_file(str(KV_DIR / name))


@pytest.fixture
def app(built: Any) -> Iterator[Any]:
    backend = built.backend = FakeBackend()
    built.reset_conversation()
    backend.calls.clear()
    yield built
    if built.emergency_view is not None:
        built.emergency_view.dismiss()
        built.emergency_view = None
    built.backend = None


def tap(app: Any, widget_id: str) -> None:
    from kiosk_app.control import tap as control_tap

    control_tap(app, widget_id)


def bubbles(app: Any) -> list[tuple[str, str]]:
    return [(b.who, b.text) for b in reversed(app.conversation.ids.messages.children)]


def test_the_four_screens_are_screen_modules_next_to_their_kv() -> None:
    from kiosk_app.screens import conversation, guide, home, settings

    for module in (home, conversation, guide, settings):
        assert Path(module.__file__ or "").with_suffix(".kv").exists(), module.__name__


def test_a_tile_starts_its_intent_as_a_typed_command(app: Any) -> None:
    tap(app, "tile_repair")
    assert app.root.ids.sm.current == "conversation"
    assert app.backend.calls == [("start", StartIntent("report_repair"), "Report a repair")]
    app.show("home")
    tap(app, "tile_where")
    assert app.backend.calls[-1] == ("start", StartIntent("navigate_to"), "Where is…?")


def test_a_household_card_starts_a_typed_command_and_its_code_is_not_shown(app: Any) -> None:
    code = "LINLI-CARD:1:abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUV"
    app.card_shown(code)
    assert app.root.ids.sm.current == "conversation"
    assert app.backend.calls == [("start", StartIntent("resident_card", {"resident_card": code}),
                                  "(household card shown)")]
    assert intent_message(app.backend.calls[0][1]) == f'/resident_card{{"resident_card": "{code}"}}'


def test_a_conversation_turn_on_screen(app: Any) -> None:
    app.on_event(Transcript("my tap", final=False))
    assert app.conversation.partial_text == "my tap"
    app.on_event(Transcript("my tap is leaking", final=True))
    assert app.conversation.partial_text == ""
    app.on_event(UserText("k-1", "/report_repair", "button", "Report a repair"))
    app.on_event(Reply("What is broken?", buttons=(Button("Water, pipe or tap", "/inform"),)))
    app.on_event(Error("dialogue_unavailable", "Please try again."))
    assert bubbles(app) == [("resident", "Report a repair"), ("linli", "What is broken?"),
                            ("linli", "Please try again.")]
    [option] = app.conversation.ids.options.children
    option.dispatch("on_release")  # the dialogue's own payload goes back as it came, with its words shown
    assert app.backend.calls[-1] == ("send_text", "/inform", "button", "Water, pipe or tap")


def test_typing_sends_the_words(app: Any) -> None:
    from kiosk_app.control import type_text

    type_text(app, "  where is the library ")
    assert app.backend.calls == [("send_text", "where is the library", "text", "")]
    assert app.conversation.ids.typed.text == ""


def test_voice_state_changes_the_talk_button_and_explains_why_not(app: Any) -> None:
    app.on_event(VoiceState("listening"))
    assert app.conversation.ids.talk_button.text == app.tx["stop_listening"] and app.listening
    app.on_event(VoiceState("unavailable", "No microphone was found."))
    assert app.conversation.ids.talk_button.text == app.tx["speak"] and not app.listening
    assert bubbles(app)[-1] == ("linli", app.tx["voice_unavailable"].format(reason="No microphone was found."))


def test_a_route_brings_up_the_guide_with_one_step_a_line_and_offers_step_free(app: Any) -> None:
    app.show("conversation")
    app.on_event(UserText("k-1", "directions to the central garden"))
    app.on_event(Reply("", data=(ShowRoute("central-garden", shape=SHAPE, guide_url="http://box/g?sig=x"),)))
    assert app.root.ids.sm.current == "guide"
    app.on_event(Reply(WORDS))  # the words of the way may come after the route
    guide = app.guide
    assert guide.route_text == "1. Go out of the door.\n2. Go down three steps."
    assert guide.route_to == "central-garden" and guide.step_free_offer and Path(guide.qr_path).exists()
    tap(app, "step_free_button")
    assert app.backend.calls[-1] == ("start", navigate("central-garden", step_free=True), app.tx["step_free"])
    assert app.root.ids.sm.current == "guide"  # the way without steps replaces this one here


def test_a_place_without_a_map_still_shows_the_words(app: Any) -> None:
    app.on_event(UserText("k-1", "where is the library"))
    app.on_event(Reply("The library is in Building 6.", data=(ShowRoute("library"),)))
    assert app.root.ids.sm.current == "guide"
    assert app.guide.route_text == "The library is in Building 6." and not app.guide.step_free_offer


@pytest.mark.parametrize(("alert", "key"), [
    (Alert("A1001", queued=False), "emergency_sent"),
    (Alert("Q00042", queued=True), "emergency_queued"),
    (Alert("", queued=True), "emergency_failed"),
])
def test_an_alert_opens_the_emergency_overlay_with_the_truth(app: Any, alert: Alert, key: str) -> None:
    app.on_event(Reply("Help is coming.", data=(alert,)))  # a reply's alert is published by the backend
    assert app.emergency_view is None
    app.on_event(alert)
    assert app.emergency_view is not None
    assert app.emergency_view.message == app.tx[key].format(place="the lobby", ref=alert.reference)


@pytest.mark.parametrize(("language", "said"), [("en", "[b]Wang[/b] {x} is coming to you now."),
                                                ("zh-CN", "[b]Wang[/b] {x}正在赶来帮您。")])
def test_help_coming_is_shown_as_plain_text_and_said(app: Any, language: str, said: str) -> None:
    from assistant.shared.events import HelpComing

    app.set_language(language)
    try:
        app.on_event(HelpComing(reference="H1007", staff_name="[b]Wang[/b] {x}"))  # odd names must not break it
        view = app.emergency_view
        assert view is not None
        label = view.ids.emergency_message
        assert label.markup is False
        assert said in label.text and "H1007" in label.text
        assert app.backend.calls == [("announce", said)]
    finally:
        app.set_language("en")


def options(app: Any) -> list[str]:
    return [w.text for w in reversed(app.conversation.ids.options.children)]


def test_a_person_talking_through_the_kiosk(app: Any) -> None:
    """docs/handoff.md: "Back to the assistant" stays while a person talks; their words are shown as plain
    text and said; the end (the assistant's reply) takes the button away."""
    from assistant.shared.events import HandoffEnded, HandoffJoined, HandoffMessage, HandoffOpened

    app.on_event(Reply("I have asked the office."))
    app.on_event(HandoffOpened("F1003"))
    assert options(app) == ["Back to the assistant"]
    app.on_event(UserText("k-1", "is anyone there?"))
    assert options(app) == ["Back to the assistant"]  # the resident's own turn keeps it
    app.on_event(HandoffJoined("F1003", "Li Wei"))
    app.on_event(HandoffMessage("F1003", "Li Wei", "I am coming [b]down[/b] now."))
    app.on_event(HandoffMessage("F0001", "Someone", "an earlier conversation's words"))  # not this one: ignored
    assert bubbles(app)[-2:] == [
        ("linli", "Li Wei from the office is here to talk with you. Talk or type, as you like."),
        ("linli", "Li Wei (office): I am coming [b]down[/b] now.")]
    assert app.conversation.ids.messages.children[0].markup is False
    assert app.backend.calls == [("announce", "Li Wei from the office is here to talk with you."
                                  " Talk or type, as you like."),
                                 ("announce", "Li Wei says: I am coming [b]down[/b] now.")]
    app.on_event(Reply("You are back with Linli."))
    app.on_event(HandoffEnded("F1003", "resident"))
    assert options(app) == [] and app.handoff is None
    tap_back = [w for w in app.conversation.ids.options.children]
    assert not tap_back


def test_the_back_button_sends_its_payload(app: Any) -> None:
    from assistant.shared.events import HandoffOpened

    app.on_event(HandoffOpened("F1004"))
    [button] = app.conversation.ids.options.children
    button.dispatch("on_release")
    assert app.backend.calls[-1] == ("send_text", "/back_to_assistant", "button", "Back to the assistant")
    app.reset_conversation()
    assert app.handoff is None


def test_settings_screen_changes_the_voice_through_the_backend(app: Any) -> None:
    app.show("settings")
    for widget_id in ("rate_slower", "rate_faster", "volume_down", "volume_up"):
        tap(app, widget_id)
    assert app.backend.calls == [("slower",), ("faster",), ("change_volume", -0.2), ("change_volume", 0.2)]


def test_reset_clears_every_screen_and_goes_home(app: Any) -> None:
    app.on_event(UserText("k-1", "where is the library"))
    app.on_event(Reply("The library is in Building 6.", buttons=(Button("Yes", "/affirm"),),
                       data=(ShowRoute("library"),)))
    app.conversation.ids.typed.text = "half typed"
    assert not app.conversation.empty and app.conversation.unsent_words
    app.reset_conversation()
    assert app.root.ids.sm.current == "home" and app.conversation.empty
    assert not app.conversation.ids.options.children and app.conversation.partial_text == ""
    assert (app.guide.route_text, app.guide.route_to, app.guide.qr_path) == ("", "", "")
    assert ("new_conversation",) in app.backend.calls


def test_scrolling_is_a_screen_call_of_the_control_channel(app: Any) -> None:
    from kiosk_app.control import ALLOWED_CALLS, call

    assert "conversation.scroll_messages" in ALLOWED_CALLS
    call(app, "conversation.scroll_messages", [1])  # a short conversation does not scroll: no error
    call(app, "show", ["settings"])
    assert app.root.ids.sm.current == "settings"


# --- the conversation's language (docs/languages.md) ------------------------------------------------------------

LONG_ZH = ("我跟你说，那个三号楼五零二的水龙头漏水了，麻烦你下礼拜三下午两点半派人来看看，"
           "有事打我电话幺三八幺二三四五六七八，嗯，谢谢你啊。") * 2


def test_the_home_language_button_switches_the_whole_screen_and_the_backend(app: Any) -> None:
    home = app.screen("home")
    assert app.language == "en" and home.ids.language_button.text == "中文"
    tap(app, "language_button")
    assert app.language == "zh-CN" and app.backend.language == "zh-CN"
    assert home.ids.tile_repair.text == "报修" and home.ids.language_button.text == "English"
    tap(app, "language_button")
    assert app.language == "en" and home.ids.tile_repair.text == "Report a repair"


def test_typed_chinese_switches_the_screen_and_the_idle_reset_returns_to_the_default(app: Any) -> None:
    from kivy.clock import Clock

    app._from_words_thread("zh-CN")  # the backend noticed Chinese words in a typed turn
    Clock.tick()
    assert app.language == "zh-CN" and app.screen("home").ids.tile_repair.text == "报修"
    app.reset_conversation()
    assert app.language == app.default_language == "en" and app.backend.language == "en"


def test_a_long_chinese_answer_wraps_inside_its_bubble(app: Any) -> None:
    from kivy.base import EventLoop

    app.set_language("zh-CN")
    app.show("conversation")
    app.on_event(Reply(LONG_ZH))
    for _ in range(5):
        EventLoop.idle()
    [bubble] = [b for b in app.conversation.ids.messages.children if b.text == LONG_ZH]
    assert bubble.font_size >= 30
    assert bubble.texture_size[0] <= bubble.width, "the answer runs off the bubble's right edge"
    assert bubble.texture_size[1] > 2.5 * bubble.font_size, "a long Chinese answer on one clipped line"
    app.set_language("en")


def test_the_kiosk_font_draws_chinese_and_no_home_label_is_clipped_in_chinese(app: Any) -> None:
    from kivy.base import EventLoop

    from kiosk_app.control import MISSING_GLYPH, clipped, tofu

    assert tofu(MISSING_GLYPH + "A") == [MISSING_GLYPH]  # the check itself: a lacking character is caught
    assert tofu("您好报修紧急求助预约门诊垃圾分类幺三八两点半") == []
    app.set_language("zh-CN")
    try:
        app.show("home")
        for _ in range(5):
            EventLoop.idle()
        assert clipped(app) == []
    finally:
        app.set_language("en")


def test_the_camera_guides_turn_words_are_said_on_the_guide_screen_only(app: Any) -> None:
    """docs/ar.md "Which way, always": the feed hands on a changed instruction once; the app says it."""
    from kivy.uix.screenmanager import NoTransition

    sm = app.root.ids.sm
    # no sliding between screens: a transition still running when this module ends upsets the next module's app
    kept, sm.transition = sm.transition, NoTransition()
    sm.current = "guide"
    try:
        app.say_turn("Turn left")
        assert app.backend.calls == [("announce", "Turn left")]
        sm.current = "home"
        app.say_turn("Turn right")  # came late, after the resident left the guide: not said
        assert app.backend.calls == [("announce", "Turn left")]
    finally:
        sm.current = "home"
        sm.transition = kept


def test_the_camera_guide_follows_the_language(app: Any) -> None:
    from types import SimpleNamespace

    feed = SimpleNamespace(language="en")
    kept, app.guide_feed = app.guide_feed, feed  # the real feed goes back after: later tests draw maps with it
    try:
        app.set_language("zh-CN")
        assert feed.language == "zh-CN"
    finally:
        app.set_language("en")
        app.guide_feed = kept
