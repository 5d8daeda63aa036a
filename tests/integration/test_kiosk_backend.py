"""The kiosk Backend against the real stack (services, action server, trained Rasa), voice off except where
a missing speech model is the point. Events are recorded exactly as the Kivy controller would receive them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.events import Alert, ConfirmEmergency, Error, Event, Reply, UserText, VoiceState
from assistant.speech.settings import SpeechSettings
from assistant.stack import Stack, free_ports
from kiosk_app.backend import UNAVAILABLE, VOICE_OFF, Backend
from tests.integration.helpers import staff_list

pytestmark = pytest.mark.integration


class Recorder:
    """Collects events from the Backend's threads, in the order they were published."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def snapshot(self) -> list[Event]:
        with self._lock:
            return list(self.events)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.snapshot() if isinstance(e, kind)]

    def clear(self) -> None:
        with self._lock:
            self.events.clear()


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def texts(events: list[Event]) -> str:
    return " | ".join(e.text for e in events if isinstance(e, Reply))


@pytest.fixture
def events() -> Recorder:
    return Recorder()


@pytest.fixture
def backend(live_stack: Stack, events: Recorder) -> Iterator[Backend]:
    b = Backend(live_stack.settings, events, voice=False)
    yield b
    b.close()


def turn(backend: Backend, events: Recorder, text: str, source: str = "text") -> list[Event]:
    """Send one turn and return the events it published."""
    events.clear()
    backend.send_text(text, source)  # type: ignore[arg-type]
    assert backend.wait_idle(60)
    return events.snapshot()


def test_sender_id_names_the_kiosk(backend: Backend, live_stack: Stack) -> None:
    prefix = f"{live_stack.settings.kiosk_id}-"
    assert backend.sender_id.startswith(prefix) and len(backend.sender_id) == len(prefix) + 8


def test_typed_turn_publishes_user_text_then_replies_in_order(backend: Backend, events: Recorder) -> None:
    published = turn(backend, events, "what can you do for me")
    assert published[0] == UserText(backend.sender_id, "what can you do for me", "text")
    assert len(published) >= 2 and all(isinstance(e, Reply) for e in published[1:])
    assert "I can help" in texts(published)
    assert any(e.buttons for e in published if isinstance(e, Reply))


def test_turns_are_answered_in_the_order_they_were_sent(backend: Backend, events: Recorder) -> None:
    events.clear()
    backend.send_text("hello there")
    backend.send_text("what can you do for me", "button")  # sent at once: queued, not interleaved
    assert backend.wait_idle(60)
    published = events.snapshot()
    users = [i for i, e in enumerate(published) if isinstance(e, UserText)]
    assert [published[i].text for i in users] == ["hello there", "what can you do for me"]  # type: ignore[attr-defined]
    assert published[users[1]].source == "button"  # type: ignore[attr-defined]
    assert "Linli" in texts(published[users[0]:users[1]])
    assert "I can help" in texts(published[users[1]:])


def test_a_tapped_tile_starts_its_skill_and_shows_its_words(backend: Backend, events: Recorder) -> None:
    """A tile sends its intent, so the tap never depends on how the model reads a sentence; the resident
    sees the tile's words, not the payload."""
    events.clear()
    backend.send_text("/report_repair", "button", shown="Report a repair")
    assert backend.wait_idle(60)
    published = events.snapshot()
    assert published[0] == UserText(backend.sender_id, "/report_repair", "button", "Report a repair")
    assert "what is broken" in texts(published).lower()


def test_empty_text_is_refused_kindly_without_a_turn(backend: Backend, events: Recorder) -> None:
    published = turn(backend, events, "   ")
    assert [type(e) for e in published] == [Error]
    assert "words" in published[0].message  # type: ignore[attr-defined]


def test_help_i_have_fallen_publishes_an_alert(backend: Backend, events: Recorder, live_stack: Stack) -> None:
    published = turn(backend, events, "help I have fallen and cannot get up")
    alerts = [e for e in published if isinstance(e, Alert)]
    assert len(alerts) == 1 and alerts[0].reference and alerts[0].queued is False
    assert "help is coming" in texts(published).lower()
    stored = [a for a in staff_list(live_stack, "alerts") if a["reference"] == alerts[0].reference]
    assert len(stored) == 1 and stored[0]["kiosk_id"] == live_stack.settings.kiosk_id


def test_emergency_button_raises_the_alert_in_the_services_db(backend: Backend, events: Recorder,
                                                              live_stack: Stack) -> None:
    alert = backend.emergency("The resident pressed the button on the guide screen").result(timeout=10)
    assert alert.queued is False and events.of(Alert) == [alert]
    [stored] = [a for a in staff_list(live_stack, "alerts") if a["reference"] == alert.reference]
    assert stored["kind"] == "help" and stored["location"] == live_stack.settings.kiosk_location


def test_form_in_progress_during_a_repair_request_and_not_after_cancel(backend: Backend, events: Recorder) -> None:
    assert backend.form_in_progress() is False
    assert "what is broken" in texts(turn(backend, events, "I need to report a repair")).lower()
    assert backend.form_in_progress() is True
    assert "where is the problem" in texts(turn(backend, events, "/report_repair{\"problem_type\": \"lift\"}",
                                                "button")).lower()
    assert backend.form_in_progress() is True
    assert "stopped" in texts(turn(backend, events, "never mind, stop")).lower()
    assert backend.form_in_progress() is False


def test_new_conversation_gives_a_new_sender_and_resets_the_old(backend: Backend, events: Recorder,
                                                                chat: ConversationClient) -> None:
    turn(backend, events, "my kitchen tap is leaking")
    old = backend.sender_id
    assert backend.form_in_progress() is True
    backend.new_conversation()
    assert backend.sender_id != old and backend.sender_id.startswith(old.rsplit("-", 1)[0])
    assert backend.form_in_progress() is False  # the new conversation has nothing half done
    assert backend.wait_idle(30)
    tracker = chat.tracker(old)
    assert not (tracker.get("active_loop") or {}).get("name")
    assert not [e for e in tracker["events"] if e.get("event") == "user"], "the old conversation is forgotten"
    assert not tracker.get("slots", {}).get("problem_type")
    published = turn(backend, events, "hello there")
    assert published[0] == UserText(backend.sender_id, "hello there", "text")


def test_repeat_without_voice_shows_the_last_answer_again(backend: Backend, events: Recorder) -> None:
    first = [e for e in turn(backend, events, "what can you do for me") if isinstance(e, Reply)]
    events.clear()
    backend.repeat()
    assert events.of(Reply) == first
    assert backend.slower() is None  # nothing is spoken without voice


def test_rasa_down_publishes_a_plain_error_and_never_raises(live_stack: Stack, events: Recorder) -> None:
    dead = replace(live_stack.settings, rasa_port=free_ports(1)[0])
    backend = Backend(dead, events, voice=False)
    try:
        published = turn(backend, events, "what can you do for me")
        assert isinstance(published[0], UserText)
        errors = [e for e in published if isinstance(e, Error)]
        assert len(errors) == 1 and errors[0].message == UNAVAILABLE
        assert "Traceback" not in errors[0].message and "http" not in errors[0].message.lower()
        assert backend.form_in_progress() is False
        backend.new_conversation()  # the reset cannot reach Rasa: logged, not raised
        assert backend.wait_idle(30)
        alert = backend.emergency().result(timeout=10)  # the services API is up: the alert goes through
        assert alert.queued is False
    finally:
        backend.close()


def test_missing_speech_model_makes_voice_unavailable_and_typing_still_works(live_stack: Stack, events: Recorder,
                                                                             tmp_path: Path) -> None:
    speech = SpeechSettings(model=str(tmp_path / "no-such-model"))
    backend = Backend(live_stack.settings, events, speech=speech, voice=True)
    try:
        backend.start_voice()
        assert wait_for(lambda: any(e.state == "unavailable" for e in events.of(VoiceState)))
        [state] = [e for e in events.of(VoiceState) if e.state == "unavailable"]
        assert "does not exist" in state.detail and "LINLI_SPEECH_MODEL" in state.detail  # names the fix
        assert not backend.voice_ready and not backend.listening and not backend.speaking
        events.clear()
        backend.talk()
        assert events.of(VoiceState) == [state]  # the talk button explains itself
        assert "I can help" in texts(turn(backend, events, "what can you do for me"))
    finally:
        backend.close()


def test_voice_switched_off(backend: Backend, events: Recorder) -> None:
    backend.start_voice()
    backend.talk()
    assert [(e.state, e.detail) for e in events.of(VoiceState)] == [("unavailable", VOICE_OFF)] * 2



# --- emergency triage (docs/emergency-triage.md) -------------------------------------------------------------

def stored_alert(live_stack: Stack, reference: str) -> dict[str, Any]:
    [stored] = [a for a in staff_list(live_stack, "alerts") if a["reference"] == reference]
    return stored


def test_a_typed_emergency_with_rasa_down_raises_the_alert_directly(live_stack: Stack, events: Recorder) -> None:
    dead = replace(live_stack.settings, rasa_port=free_ports(1)[0])
    backend = Backend(dead, events, voice=False)
    try:
        published = turn(backend, events, "please help, my husband has collapsed in the kitchen")
    finally:
        backend.close()
    [alert] = [e for e in published if isinstance(e, Alert)]
    assert alert.queued is False and alert.kind == "medical"
    assert not [e for e in published if isinstance(e, Error)], "the alert's words, not 'I can't answer'"
    assert "help is coming" in texts(published).lower()
    stored = stored_alert(live_stack, alert.reference)
    assert stored["kind"] == "medical" and "collapsed" in stored["details"]


def test_an_emergency_with_the_action_server_stopped_raises_the_alert_directly(live_stack: Stack,
                                                                               events: Recorder) -> None:
    """The issue: "help, I've fallen in the bathroom" got no reply and no alert (Rasa's answer was empty)."""
    live_stack.stop("actions")  # the live_stack fixture starts it again for the next test
    backend = Backend(live_stack.settings, events, voice=False)
    try:
        published = turn(backend, events, "help, I've fallen over in the hall and my hip hurts")
        [alert] = [e for e in published if isinstance(e, Alert)]
        assert alert.kind == "fall" and stored_alert(live_stack, alert.reference)["kind"] == "fall"
        # an ordinary question is never silent either
        ordinary = turn(backend, events, "I need to report a repair")
        assert [e for e in ordinary if isinstance(e, Error | Reply) and (getattr(e, "text", "") or
                                                                         getattr(e, "message", ""))]
    finally:
        backend.close()


def test_a_possible_emergency_with_rasa_stopped_asks_and_silence_sends_the_alert(live_stack: Stack,
                                                                                 events: Recorder) -> None:
    live_stack.stop("actions")
    live_stack.stop("rasa")  # the live_stack fixture starts both again for the next test
    backend = Backend(live_stack.settings, events, voice=False, confirm_seconds=1)
    try:
        published = turn(backend, events, "I feel very dizzy and weak")
        [question] = [e for e in published if isinstance(e, ConfirmEmergency)]
        assert question.local and not [e for e in published if isinstance(e, Alert)]
        [asked] = [e for e in published if isinstance(e, Reply) and e.buttons]
        assert asked.text == "Do you need help right now?"
        assert [b.title for b in asked.buttons] == ["Yes, send help", "No, I am all right"]
        assert wait_for(lambda: bool(events.of(Alert)), timeout=15), "no answer in 1 s: the alert is sent"
        [alert] = events.of(Alert)
        assert stored_alert(live_stack, alert.reference)["details"] == "I feel very dizzy and weak"
        # a late "Yes, send help" is not a second alert
        late = turn(backend, events, "/emergency_confirmed", "button")
        assert not [e for e in late if isinstance(e, Alert)]
        assert "already been called" in texts(late)
    finally:
        backend.close()


def test_the_dialogues_question_unanswered_sends_the_confirming_intent(live_stack: Stack, events: Recorder) -> None:
    backend = Backend(live_stack.settings, events, voice=False, confirm_seconds=1)
    try:
        published = turn(backend, events, "I don't feel very well today")
        [question] = [e for e in published if isinstance(e, ConfirmEmergency)]
        assert question.local is False and question.timeout == 15  # Rasa's utter_confirm_emergency
        assert not [e for e in published if isinstance(e, Alert)]
        assert wait_for(lambda: bool(events.of(Alert)), timeout=20)
        [alert] = events.of(Alert)
        assert alert.queued is False and "help is coming" in texts(events.snapshot()).lower()
        details = stored_alert(live_stack, alert.reference)["details"]
        assert details.startswith("I don't feel very well today") and "No answer" in details
    finally:
        backend.close()


def test_answering_no_to_the_question_sends_nothing(backend: Backend, events: Recorder, live_stack: Stack) -> None:
    before = len(staff_list(live_stack, "alerts"))
    turn(backend, events, "I don't feel very well today")
    declined = turn(backend, events, "/emergency_declined", "button")
    assert "all right" in texts(declined).lower()
    assert backend.safety.timer.state == "none"
    assert len(staff_list(live_stack, "alerts")) == before


@pytest.mark.parametrize("text", ["the heating is cold and the flat is freezing",
                                  "the bulb on the landing has gone again"])
def test_everyday_complaints_raise_no_alert(backend: Backend, events: Recorder, text: str) -> None:
    published = turn(backend, events, text)
    assert not [e for e in published if isinstance(e, Alert)]
