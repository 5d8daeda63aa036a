"""A turn the dialogue answers with nothing (Rasa's call to a dead action server failed) is never silence: the kiosk
says so itself, naming the emergency button and 120, and an emergency in the words is alerted anyway (the issue:
"help, I've fallen" got no reply at all). The safety net (assistant/safety/net.py) decides; these check the kiosk's
and the voice terminal's use of it."""

from __future__ import annotations

from pathlib import Path

import httpx

from assistant.dialogue.rasa_client import ConversationClient
from assistant.safety.net import SafetyNet
from assistant.safety.words import words
from assistant.shared.events import Alert, Error, Event, Reply
from kiosk_app.backend import NO_ANSWER, Backend, _KindDialogue
from tests.conftest import free_port
from tests.kiosk.test_emergency import settings_for


def _rasa_answering(body: object) -> ConversationClient:
    return ConversationClient("http://rasa.test", "t", transport=httpx.MockTransport(
        lambda request: httpx.Response(200, json=body)))


def test_an_empty_answer_becomes_a_plain_sentence(tmp_path: Path) -> None:
    settings = settings_for(f"http://127.0.0.1:{free_port()}", tmp_path / "var", rasa_port=free_port())
    events: list[Event] = []
    backend = Backend(settings, events.append, voice=False)
    try:
        backend._net.dialogue = _rasa_answering([])
        backend.send_text("what time does the library open")
        assert backend.wait_idle(10)
        backend.send_text("help, I've fallen in the bathroom")
        assert backend.wait_idle(10)
        backend._net.dialogue = _rasa_answering([{"text": "Hello!"}])
        backend.send_text("hello")
        assert backend.wait_idle(10)
    finally:
        backend.close()
    errors = [e for e in events if isinstance(e, Error)]
    assert [e.message for e in errors] == [NO_ANSWER]  # the library question: said plainly, once
    assert "Emergency button" in NO_ANSWER and "120" in NO_ANSWER
    [alert] = [e for e in events if isinstance(e, Alert)]  # the fall: alerted directly (queued: office down)
    assert alert.stored and alert.kind == "fall"
    assert [e.text for e in events if isinstance(e, Reply)][-1] == "Hello!"


def test_the_voice_session_gets_the_same_sentence_as_an_error() -> None:
    """The voice session's turns go through the same net with the kiosk's dialogue wrapper."""
    net = SafetyNet(_KindDialogue(_rasa_answering([])), raise_alert=None, present=lambda _: None,
                    words=lambda: words("en"))
    outcome = net.turn("kiosk-1", "what time does the library open", "voice")
    assert outcome.replies == [] and outcome.error is not None and outcome.error.message == NO_ANSWER
