"""voice_session: the typed events a reply carries, commands, and the voice controls the kiosk uses.

The spoken loop itself (real Vosk, real espeak) is tested in tests/integration/test_voice.py; here the
recogniser and the dialogue are fakes, the synthesizer is the real one (nothing is spoken: no text).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.safety.words import words
from assistant.shared.events import Alert, Event, Reply, ShowRoute, SpeechRate, StartIntent, UserText, navigate
from assistant.speech.settings import MIN_RATE_WPM, SpeechSettings
from assistant.speech.tts import Synthesizer
from assistant.speech.voice_session import VoiceSession


class FakeRecognizer:
    heard_speech = False

    def reset(self) -> None:
        pass

    def set_grammar(self, phrases: Any) -> None:
        pass


class FakeDialogue:
    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.sent: list[tuple[str, str | StartIntent]] = []

    def send(self, sender_id: str, message: str | StartIntent,
             metadata: dict[str, Any] | None = None) -> list[Reply]:
        self.sent.append((sender_id, message))
        return self.replies


@pytest.fixture
def synth() -> Iterator[Synthesizer]:
    s = Synthesizer(SpeechSettings(rate_wpm=150, volume=0.8))
    yield s
    s.close()


def session(synth: Synthesizer, replies: list[Reply] | None = None) -> tuple[VoiceSession, FakeDialogue, list[Event]]:
    events: list[Event] = []
    dialogue = FakeDialogue(replies or [])
    s = VoiceSession(recognizer=FakeRecognizer(), synthesizer=synth, speaker=None,  # type: ignore[arg-type]
                     dialogue=dialogue, settings=SpeechSettings(rate_wpm=150, volume=0.8, mode="push_to_talk"),
                     on_event=events.append, sender_id="kiosk-1")
    return s, dialogue, events


def test_rate_controls(synth: Synthesizer) -> None:
    s, _, _ = session(synth)
    try:
        assert s.rate == 150
        assert s.slower() == 120
        assert s.slower() == MIN_RATE_WPM  # 120 x 0.8 = 96 would be slower than the floor
        s.set_rate(120)
        assert s.faster() == 150  # back up one step
        assert s.faster() == 150  # never above the configured rate
        assert s.set_rate(130) == 130 and synth.rate == 130
    finally:
        s.close()


def test_volume_is_kept_between_a_tenth_and_full(synth: Synthesizer) -> None:
    s, _, _ = session(synth)
    try:
        assert s.volume == pytest.approx(0.8)
        assert s.set_volume(s.volume + 0.2) == pytest.approx(1.0)
        assert s.set_volume(5.0) == 1.0
        assert s.set_volume(-1.0) == pytest.approx(0.1)  # never silent
        assert synth.volume == pytest.approx(0.1)
    finally:
        s.close()


@pytest.mark.parametrize("alert", [Alert("A1001", queued=False), Alert("Q1", queued=True), Alert("", queued=True)])
def test_a_replys_alert_is_published_even_when_not_stored(synth: Synthesizer, alert: Alert) -> None:
    """One rule with the kiosk's backend: an alert without a reference is published (the screen says 120)."""
    reply = Reply("", data=(alert, ShowRoute("clinic")))
    s, _, events = session(synth, [reply])
    try:
        s.submit_text("help I have fallen")
        assert s.wait_idle(10)
    finally:
        s.close()
    at = events.index(reply)
    assert events[at + 1] == alert
    assert ShowRoute("clinic") not in events  # a route travels inside its reply, for the screen to read


def test_a_speech_rate_change_slows_the_voice(synth: Synthesizer) -> None:
    s, _, _ = session(synth, [Reply("", data=(SpeechRate(),))])
    try:
        s.submit_text("please speak more slowly")
        assert s.wait_idle(10)
        assert s.rate == 120
    finally:
        s.close()


def test_a_command_goes_to_the_dialogue_typed_and_is_shown_by_its_words(synth: Synthesizer) -> None:
    s, dialogue, events = session(synth, [])
    try:
        s.submit_text(navigate("clinic"), "button", "Way to the clinic")
        assert s.wait_idle(10)
    finally:
        s.close()
    assert dialogue.sent == [("kiosk-1", navigate("clinic"))]
    assert UserText("kiosk-1", '/navigate_to{"facility": "clinic"}', "button", "Way to the clinic") in events


class DownDialogue:
    def send(self, sender_id: str, message: str | StartIntent, metadata: dict[str, Any] | None = None) -> list[Reply]:
        from assistant.shared.errors import DialogueUnavailable

        raise DialogueUnavailable("down")


def down_session(synth: Synthesizer, alerts: list[tuple[str, str]]) -> tuple[VoiceSession, list[Event]]:
    events: list[Event] = []

    def raise_alert(details: str, kind: str) -> Alert:
        alerts.append((details, kind))
        return Alert("Q7", queued=True, kind=kind)

    s = VoiceSession(recognizer=FakeRecognizer(), synthesizer=synth, speaker=None,  # type: ignore[arg-type]
                     dialogue=DownDialogue(), settings=SpeechSettings(mode="push_to_talk"), on_event=events.append,
                     sender_id="kiosk-1", raise_alert=raise_alert, confirm_seconds=0.5)
    return s, events


def test_an_emergency_said_with_the_dialogue_down_raises_the_alert_and_is_spoken(synth: Synthesizer) -> None:
    from assistant.shared.events import Speak

    alerts: list[tuple[str, str]] = []
    s, events = down_session(synth, alerts)
    try:
        s.submit_text("help me, my husband has collapsed", "voice")
        assert s.wait_idle(10)
    finally:
        s.close()
    assert alerts == [("help me, my husband has collapsed", "medical")]
    assert Alert("Q7", queued=True, kind="medical") in events
    assert any(isinstance(e, Speak) and "Help is being called" in e.text for e in events)


def test_dialogue_down_is_spoken_in_the_sessions_language(synth: Synthesizer) -> None:
    from assistant.shared.events import Error, Speak

    s, events = down_session(synth, [])
    s.language = "zh-CN"
    try:
        s.submit_text("图书馆几点开门", "voice")
        assert s.wait_idle(10)
    finally:
        s.close()
    [error] = [e for e in events if isinstance(e, Error)]
    assert error.message == words("zh-CN")["dialogue_down"] and "120" in error.message
    assert any(isinstance(e, Speak) and e.text == error.message for e in events)


def test_an_unanswered_question_sends_the_alert_and_a_late_yes_is_not_a_second_one(synth: Synthesizer) -> None:
    import time

    from assistant.shared.events import ConfirmEmergency

    alerts: list[tuple[str, str]] = []
    s, events = down_session(synth, alerts)
    try:
        s.submit_text("I feel very dizzy", "voice")
        assert s.wait_idle(10)
        assert [e for e in events if isinstance(e, ConfirmEmergency)] and not alerts
        deadline = time.monotonic() + 10
        while not alerts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alerts == [("I feel very dizzy", "medical")]
        assert not s.press(1), "the alert's answer has no buttons"
        s.submit_text("/emergency_confirmed", "button", "Yes, send help")  # a late tap on the screen
        assert s.wait_idle(10)
    finally:
        s.close()
    assert len(alerts) == 1
    assert any(isinstance(e, Reply) and e.text.startswith("Help has already been called") for e in events)


def test_a_digit_presses_the_last_answers_button(synth: Synthesizer) -> None:
    from assistant.shared.events import Button

    s, dialogue, _ = session(synth, [Reply("Do you need help right now?", buttons=(
        Button("Yes, send help", "/emergency_confirmed"), Button("No, I am all right", "/emergency_declined")))])
    try:
        s.submit_text("I feel funny")
        assert s.wait_idle(10)
        assert s.press(2) and not s.press(3)
        assert s.wait_idle(10)
    finally:
        s.net.cancel()
        s.close()
    assert dialogue.sent[-1] == ("kiosk-1", "/emergency_declined")
