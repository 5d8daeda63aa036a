"""The emergency button against the real services API: raised at once when it is up, queued in a real outbox
file when it is down (and then delivered exactly once), and never an exception for the UI."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request, Response

from assistant.shared.config import Settings
from assistant.shared.events import Alert, Error, Event
from assistant.skill_runtime.outbox import Outbox
from community_services.app import create_app
from community_services.client import ServicesClient
from community_services.testing import serve_in_thread, stop_server
from kiosk_app.backend import Backend
from kiosk_app.emergency import BUTTON_DETAILS, DIRECT_TIMEOUT, MAX_DETAILS, raise_emergency
from tests.conftest import KIOSK_TOKEN, STAFF_TOKEN, RunningServices, free_port, start_services, stop_services

LOCATION = "Community Service Centre lobby"
KIOSK_ID = "kiosk-emergency-test"


def settings_for(services_url: str, var_dir: Path, **changes: Any) -> Settings:
    base = Settings(var_dir=var_dir, services_url_override=services_url, kiosk_token=KIOSK_TOKEN,
                    staff_token=STAFF_TOKEN, kiosk_id=KIOSK_ID, kiosk_location=LOCATION)
    return replace(base, **changes)


def down_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # a free port: nothing listens there


def stored_alerts(url: str) -> list[dict[str, Any]]:
    """Every alert the services API holds (the staff view)."""
    with ServicesClient(url, STAFF_TOKEN) as staff:
        rows: list[dict[str, Any]] = staff._request("GET", "/alerts").json()
    return rows


def with_details(url: str, details: str) -> list[dict[str, Any]]:
    return [a for a in stored_alerts(url) if a["details"] == details]


def outbox_rows(path: Path) -> list[dict[str, Any]]:
    """The outbox table read with a plain connection, as the action server's process would."""
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")]


def marker() -> str:
    return f"I fell in the lobby ({uuid.uuid4().hex[:8]})"


# --- services up ---------------------------------------------------------------------------------

def test_services_up_raises_the_alert_at_once(services_server: RunningServices, tmp_path: Path) -> None:
    details = marker()
    alert = raise_emergency(settings_for(services_server.url, tmp_path / "var"), details)
    assert isinstance(alert, Alert)
    assert alert.queued is False and alert.reference
    [stored] = with_details(services_server.url, details)
    assert stored["reference"] == alert.reference
    assert (stored["kind"], stored["location"], stored["kiosk_id"], stored["status"]) == (
        "help", LOCATION, KIOSK_ID, "open")
    assert not (tmp_path / "var" / "outbox.db").exists()  # nothing queued when it went through


def test_button_press_without_words_says_so(services_server: RunningServices, tmp_path: Path) -> None:
    before = len(with_details(services_server.url, BUTTON_DETAILS))
    alert = raise_emergency(settings_for(services_server.url, tmp_path / "var"))
    assert not alert.queued
    stored = with_details(services_server.url, BUTTON_DETAILS)
    assert len(stored) == before + 1 and alert.reference in {a["reference"] for a in stored}


def test_each_press_is_its_own_alert(services_server: RunningServices, tmp_path: Path) -> None:
    details = marker()
    settings = settings_for(services_server.url, tmp_path / "var")
    first, second = raise_emergency(settings, details), raise_emergency(settings, details)
    assert first.reference != second.reference
    assert len(with_details(services_server.url, details)) == 2


def test_odd_or_long_words_still_raise_the_alert(services_server: RunningServices, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    alert = raise_emergency(settings_for(services_server.url, tmp_path / "var"),
                            f"help {tag}\x00\x07 \u202e" + "x" * 20_000)
    assert not alert.queued
    [stored] = [a for a in stored_alerts(services_server.url) if a["reference"] == alert.reference]
    assert stored["details"].startswith(f"help {tag}") and len(stored["details"]) <= MAX_DETAILS


def test_empty_location_and_id_fall_back_like_the_dialogue(services_server: RunningServices,
                                                           tmp_path: Path) -> None:
    alert = raise_emergency(settings_for(services_server.url, tmp_path / "var", kiosk_location="", kiosk_id=""))
    [stored] = [a for a in stored_alerts(services_server.url) if a["reference"] == alert.reference]
    assert stored["kiosk_id"] == "kiosk" and "North Gate" in stored["location"]


# --- services down: queued in the outbox, delivered later exactly once -------------------------------

def test_services_down_queues_in_the_outbox_then_delivers_once(tmp_path: Path) -> None:
    port = free_port()
    settings = settings_for(f"http://127.0.0.1:{port}", tmp_path / "var")
    details = marker()
    started = time.monotonic()
    alert = raise_emergency(settings, details)
    assert time.monotonic() - started < DIRECT_TIMEOUT + 3
    assert alert.queued is True and alert.reference.startswith("Q")

    [row] = outbox_rows(settings.outbox_path)
    assert (row["local_ref"], row["kind"], row["status"]) == (alert.reference, "alert", "pending")
    assert '"kind": "help"' in row["payload"] and details in row["payload"]

    running = start_services(tmp_path / "services.db", port)  # the office system comes back
    try:
        with running.kiosk() as client:
            outbox = Outbox(settings.outbox_path, client)  # as the action server's sender does
            assert outbox.flush() == 1
            assert outbox.flush() == 0  # flushing again sends nothing
            item = outbox.get(alert.reference)
            assert item is not None and item.status == "delivered" and item.reference
            assert item.idempotency_key == row["idempotency_key"]
        [stored] = with_details(running.url, details)
        assert stored["reference"] == item.reference
        assert stored["kind"] == "help" and stored["kiosk_id"] == KIOSK_ID
    finally:
        stop_services(running)


def test_a_lost_response_is_not_raised_twice(tmp_path: Path) -> None:
    """The API stores the alert but answers too late: the outbox reuses the key, so staff see one alert."""
    app = create_app(f"sqlite:///{tmp_path / 'slow.db'}", kiosk_token=KIOSK_TOKEN, staff_token=STAFF_TOKEN)
    slowed: list[str] = []

    @app.middleware("http")
    async def answer_late(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)  # the alert is committed by now
        if request.method == "POST" and request.url.path.endswith("/alerts") and not slowed:
            slowed.append(request.headers.get("Idempotency-Key", ""))
            await asyncio.sleep(DIRECT_TIMEOUT + 1.5)
        return response

    server, thread, url = serve_in_thread(app, free_port())
    try:
        settings = settings_for(url, tmp_path / "var")
        details = marker()
        alert = raise_emergency(settings, details)
        assert alert.queued and slowed  # the first answer came too late
        assert len(with_details(url, details)) == 1  # ... but the API had stored it
        [row] = outbox_rows(settings.outbox_path)
        assert row["idempotency_key"] == slowed[0]  # the same key as the direct attempt
        with ServicesClient(url, KIOSK_TOKEN) as client:
            assert Outbox(settings.outbox_path, client).flush() == 1
        assert len(with_details(url, details)) == 1  # replayed, not raised again
    finally:
        stop_server(server, thread)


def test_a_refused_token_is_queued_for_the_action_server(services_server: RunningServices, tmp_path: Path) -> None:
    settings = settings_for(services_server.url, tmp_path / "var", kiosk_token="a-wrong-token")
    details = marker()
    alert = raise_emergency(settings, details)
    assert alert.queued and alert.reference.startswith("Q")
    assert with_details(services_server.url, details) == []
    with services_server.kiosk() as client:  # the action server holds the right token
        assert Outbox(settings.outbox_path, client).flush() == 1
    assert len(with_details(services_server.url, details)) == 1


def test_outbox_write_failing_too_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    not_a_dir = tmp_path / "var"
    not_a_dir.write_text("a file where the var folder should be")
    with caplog.at_level(logging.CRITICAL, logger="assistant.safety.direct_alert"):
        alert = raise_emergency(settings_for(down_url(), not_a_dir), marker())
    # An empty reference: the screen says to call 120 and press the wall alarm.
    assert alert == Alert(reference="", queued=True)
    assert any(r.levelno == logging.CRITICAL and "LOST" in r.getMessage() for r in caplog.records)


# --- through the Backend: its own thread, before anything else, also with Rasa down -----------------

class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type[Event]) -> list[Any]:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def hanging_rasa() -> Iterator[socket.socket]:
    """A port that accepts connections and never answers: a dialogue turn that hangs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield s


def test_emergency_is_not_queued_behind_a_hanging_turn(services_server: RunningServices, tmp_path: Path,
                                                       hanging_rasa: socket.socket) -> None:
    events = Recorder()
    settings = settings_for(services_server.url, tmp_path / "var", rasa_port=hanging_rasa.getsockname()[1])
    backend = Backend(settings, events, voice=False)
    try:
        backend.send_text("my kitchen tap is leaking")  # hangs on the dialogue thread
        time.sleep(0.2)
        details = marker()
        started = time.monotonic()
        alert = backend.emergency(details).result(timeout=10)
        assert time.monotonic() - started < 5
        assert alert.queued is False
        assert events.of(Alert) == [alert]
        assert [a["reference"] for a in with_details(services_server.url, details)] == [alert.reference]
        assert events.of(Error) == []  # the turn is still waiting for its answer
    finally:
        hanging_rasa.close()  # the hung turn fails now, so closing does not wait for it
        backend.close()


def test_emergency_with_rasa_down(services_server: RunningServices, tmp_path: Path) -> None:
    events = Recorder()
    backend = Backend(settings_for(services_server.url, tmp_path / "var", rasa_port=free_port()), events,
                      voice=False)
    try:
        backend.send_text("hello")
        alert = backend.emergency("help").result(timeout=10)
        assert not alert.queued and events.of(Alert) == [alert]
        assert backend.wait_idle(30)
        [error] = events.of(Error)
        assert "can't answer right now" in error.message
    finally:
        backend.close()


def test_emergency_with_everything_down_is_queued(tmp_path: Path) -> None:
    events = Recorder()
    settings = settings_for(down_url(), tmp_path / "var", rasa_port=free_port())
    backend = Backend(settings, events, voice=False)
    try:
        alert = backend.emergency().result(timeout=10)
        assert alert.queued and alert.reference.startswith("Q")
        assert events.of(Alert) == [alert]
        assert [r["local_ref"] for r in outbox_rows(settings.outbox_path)] == [alert.reference]
    finally:
        backend.close()


def test_the_button_then_the_kiosk_learns_who_is_coming(services_server: RunningServices, tmp_path: Path) -> None:
    from assistant.shared.events import HelpComing

    events = Recorder()
    backend = Backend(settings_for(services_server.url, tmp_path / "var", rasa_port=free_port()), events,
                      voice=False)
    try:
        alert = backend.emergency().result(timeout=10)
        assert not alert.queued and backend.watching_help
        with services_server.staff() as staff:
            staff.acknowledge_alert(alert.reference, "Wang Fang")
        deadline = time.monotonic() + 10
        while not events.of(HelpComing) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert events.of(HelpComing) == [HelpComing(alert.reference, "Wang Fang")]
    finally:
        backend.close()


def test_an_idle_reset_stops_watching(services_server: RunningServices, tmp_path: Path) -> None:
    backend = Backend(settings_for(services_server.url, tmp_path / "var", rasa_port=free_port()), Recorder(),
                      voice=False)
    try:
        backend.emergency().result(timeout=10)
        assert backend.watching_help
        backend.new_conversation()
        assert not backend.watching_help
    finally:
        backend.close()
