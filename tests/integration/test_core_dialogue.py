"""Core behaviour through the real REST channel: help, repeat, slower, fallback ladder, handoff,
state across a Rasa restart, and bad input that must never crash anything."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from assistant.dialogue import engine
from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import Settings
from assistant.shared.errors import InputError
from assistant.shared.events import SpeechRate
from assistant.skill_runtime.build import BuildResult
from assistant.stack import Stack


def texts(replies: list) -> str:
    return " | ".join([r.text for r in replies] + [b.title for r in replies for b in r.buttons])


def new_sender() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"


def test_rasa_data_validate_passes(built_project: BuildResult) -> None:
    # through the launcher, as training and serving run: the config names rasa_runtime's HandoffPolicy
    out = subprocess.run([*engine.rasa_command(Settings()), "data", "validate", "--domain", "domain.yml",
                          "--data", "data", "--config", "config.yml"], cwd=built_project.project, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_greet_help_repeat_and_slower(chat: ConversationClient) -> None:
    sender = new_sender()
    assert "Linli" in texts(chat.send(sender, "hello there"))
    help_replies = chat.send(sender, "what can you do for me")
    assert "I can help" in texts(help_replies)
    assert any(r.buttons for r in help_replies)
    again = chat.send(sender, "sorry, could you say that again")
    assert "I can help" in texts(again)
    slower = chat.send(sender, "you are talking too fast for me, slow down please")
    assert any(SpeechRate("slower") in r.data for r in slower)
    assert "more slowly" in texts(slower)


GIBBERISH = ["blorf zint quaxle mimsy", "wug snarp plimbo", "trelk vosh ampery glint", "zorp fladdle munk",
             "quim brastle oot", "snee gorple wix tand"]


def _low_confidence(live_stack: Stack, count: int) -> list[str]:
    """Gibberish the trained model really sends to nlu_fallback (which strings do depends on training)."""
    s = live_stack.settings
    found = []
    for text in GIBBERISH:
        parsed = httpx.post(f"{s.rasa_url}/model/parse", params={"token": s.rasa_token}, json={"text": text},
                            timeout=30).json()
        if parsed["intent"]["name"] == "nlu_fallback":
            found.append(text)
    assert len(found) >= count, f"the model is confident about gibberish: only {found} fell back"
    return found[:count]


def test_fallback_ladder_offers_guesses_then_a_person(live_stack: Stack, chat: ConversationClient) -> None:
    first_text, second_text = _low_confidence(live_stack, 2)
    sender = new_sender()
    first = chat.send(sender, first_text)
    assert "did you mean" in texts(first).lower()
    assert any(r.buttons for r in first)
    second = chat.send(sender, second_text)
    assert "person" in texts(second).lower()
    handoff = chat.send(sender, "/human_handoff")
    assert "staff" in texts(handoff).lower()


def test_cancel_with_nothing_running(chat: ConversationClient) -> None:
    assert "nothing to stop" in texts(chat.send(new_sender(), "never mind, forget it")).lower()


def test_client_refuses_bad_input_kindly(chat: ConversationClient) -> None:
    sender = new_sender()
    for bad in ["", "   ", "\x00\x07", "x" * 20_000]:
        with pytest.raises(InputError) as e:
            chat.send(sender, bad)
        assert e.value.message and "Traceback" not in e.value.message
    with pytest.raises(InputError):
        chat.send("../../etc/passwd", "hello")
    assert chat.send(sender, "hello 👋😊 \u200b there")  # emoji and odd characters still get an answer


def test_rest_channel_survives_malformed_requests(live_stack: Stack) -> None:
    url = f"{live_stack.settings.rasa_url}/webhooks/rest/webhook"
    bodies: list[dict] = [
        {"content": b"this is not json", "headers": {"Content-Type": "application/json"}},
        {"json": {"sender": "x"}},
        {"json": {"sender": 12, "message": 34}},
        {"json": {"sender": new_sender(), "message": ""}},
        {"json": {"sender": new_sender(), "message": "pipe " * 4000}},
        {"json": {"sender": new_sender(), "message": "\x01\x02 tap \x1b[31m leaking"}},
        {"json": {"sender": "never-seen-before-" + uuid.uuid4().hex, "message": "hello"}},
    ]
    for kwargs in bodies:
        response = httpx.post(url, timeout=60, **kwargs)
        assert response.status_code < 500, (kwargs, response.text[:300])
    assert httpx.get(live_stack.settings.rasa_url, timeout=5).status_code == 200


def test_conversation_state_survives_rasa_restart(live_stack: Stack, trained_model: Path) -> None:
    s = live_stack.settings
    sender = new_sender()
    with ConversationClient(s.rasa_url, s.rasa_token) as chat:
        first = texts(chat.send(sender, "I want to make a complaint about the rubbish in the stairwell"))
        assert first
        live_stack.stop("rasa")
        live_stack.start_rasa(trained_model)
        tracker = chat.tracker(sender)
        assert tracker.get("active_loop", {}).get("name") == "feedback_form"
        assert any(e.get("event") == "user" for e in tracker["events"])


@pytest.mark.parametrize("body", [{"model_file": "/etc/passwd"}, {"model_file": "/tmp/../etc/model.tar.gz"},
                                  {"model_server": {"url": "http://127.0.0.1:9/model.tar.gz"}}])
def test_put_model_loads_only_from_the_models_folder(live_stack: Stack, chat: ConversationClient,
                                                     body: dict) -> None:  # type: ignore[type-arg]
    """Issue 16: the token alone does not let anyone swap in a model from elsewhere; the running one stays."""
    s = live_stack.settings
    before = httpx.get(f"{s.rasa_url}/status", params={"token": s.rasa_token}, timeout=10).json()["model_file"]
    r = httpx.put(f"{s.rasa_url}/model", params={"token": s.rasa_token}, json=body, timeout=30)
    assert r.status_code == 400 and "models folder" in r.text
    after = httpx.get(f"{s.rasa_url}/status", params={"token": s.rasa_token}, timeout=10).json()["model_file"]
    assert after == before
    assert "Linli" in texts(chat.send(new_sender(), "hello there"))
