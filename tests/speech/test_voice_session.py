"""voice_session: the typed events a reply carries, commands, and the voice controls the kiosk uses.

The spoken loop itself (real Vosk, real espeak) is tested in tests/integration/test_voice.py; here the
recogniser and the dialogue are fakes, the synthesizer is the real one (nothing is spoken: no text).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
