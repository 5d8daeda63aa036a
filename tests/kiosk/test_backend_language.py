"""The kiosk's conversation language (docs/languages.md): every turn the backend sends to Rasa carries
``{"locale": ...}``; the 中文 button (the app sets ``backend.language``) and typed Chinese switch it, the idle reset
returns to ``LINLI_DEFAULT_LANGUAGE``; the words the kiosk says by itself with the dialogue down are the
conversation's language.

Rasa is a small HTTP server here (the process edge): it records each REST turn and answers one line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.safety.words import words
from assistant.shared.events import Error, Event, StartIntent
from kiosk_app.backend import Backend
from kiosk_app.texts import TEXTS_PATH, texts
from tests.conftest import free_port
from tests.kiosk.test_emergency import settings_for


class FakeRasa:
    """Rasa's REST channel: ``turns`` holds every posted body; the answer is one line of text."""

    def __init__(self) -> None:
        self.turns: list[dict[str, Any]] = []
        turns = self.turns

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path.startswith("/webhooks/rest/webhook"):
                    turns.append(body)
                answer = json.dumps([{"text": "OK 好的"}]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def locales(self) -> list[str | None]:
        return [t["metadata"].get("locale") for t in self.turns]


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    yield server
    server.server.shutdown()
    server.server.server_close()


def backend_for(rasa_port: int, tmp_path: Path, switched: list[str] | None = None, **changes: Any) -> tuple[
        Backend, list[Event]]:
    settings = settings_for(f"http://127.0.0.1:{free_port()}", tmp_path / "var", rasa_port=rasa_port, **changes)
    events: list[Event] = []
    on_language = switched.append if switched is not None else None
    return Backend(settings, events.append, voice=False, on_language=on_language), events


def test_every_turn_carries_the_locale_and_the_button_switches_it(rasa: FakeRasa, tmp_path: Path) -> None:
    backend, _ = backend_for(rasa.port, tmp_path)
    try:
        backend.send_text("hello")
        backend.start(StartIntent("report_repair"), "Report a repair")
        assert backend.wait_idle(10)
        backend.language = "zh-CN"  # the 中文 button
        backend.start(StartIntent("report_repair"), "报修")
        backend.send_text("/affirm", source="button", shown="是的")
        backend.send_text("3")
        assert backend.wait_idle(10)
    finally:
        backend.close()
    assert rasa.locales() == ["en", "en", "zh-CN", "zh-CN", "zh-CN"]
    assert [t["metadata"]["source"] for t in rasa.turns] == ["text", "button", "button", "button", "text"]


def test_typed_chinese_switches_the_conversation_and_tells_the_screen(rasa: FakeRasa, tmp_path: Path) -> None:
    switched: list[str] = []
    backend, _ = backend_for(rasa.port, tmp_path, switched)
    try:
        backend.send_text("请问那个诊所几点开门？")
        backend.send_text("/affirm", source="button")
        assert backend.wait_idle(10)
        assert backend.language == "zh-CN"
    finally:
        backend.close()
    assert rasa.locales() == ["zh-CN", "zh-CN"]  # the switching turn itself already carries it
    assert switched == ["zh-CN"]


def test_the_idle_reset_returns_to_the_default_language(rasa: FakeRasa, tmp_path: Path) -> None:
    backend, _ = backend_for(rasa.port, tmp_path, default_language="zh-CN")
    try:
        assert backend.language == "zh-CN"
        backend.send_text("I want to book the clinic")  # an English speaker at a Chinese kiosk
        assert backend.wait_idle(10)
        assert backend.language == "en"
        backend.new_conversation()
        assert backend.language == "zh-CN"
        backend.send_text("3")
        assert backend.wait_idle(10)
    finally:
        backend.close()
    assert rasa.locales() == ["en", "zh-CN"]


def test_with_the_dialogue_down_the_kiosk_speaks_the_conversations_language(tmp_path: Path) -> None:
    backend, events = backend_for(free_port(), tmp_path)  # nothing listens there
    try:
        backend.language = "zh-CN"
        backend.send_text("3")
        assert backend.wait_idle(15)
    finally:
        backend.close()
    [error] = [e for e in events if isinstance(e, Error)]
    assert error.message == words("zh-CN")["dialogue_down"]
    assert "120" in error.message and "紧急" in error.message


def test_every_kiosk_text_and_safety_word_exists_in_chinese() -> None:
    import yaml

    table = yaml.safe_load(TEXTS_PATH.read_text(encoding="utf-8"))
    missing = sorted(set(table["en"]) - set(table["zh-CN"]))
    assert missing == [], f"kiosk_app/texts.yml zh-CN lacks {missing}"
    zh, en = texts("zh-CN"), texts("en")
    for key in ("emergency", "emergency_sent", "emergency_queued", "emergency_failed", "dialogue_down",
                "confirm_question", "confirm_yes", "alert_failed", "voice_off", "turn_failed"):
        assert zh[key] != en[key], f"{key} is English on the Chinese screen"
    assert zh["language_name"] == "中文"
