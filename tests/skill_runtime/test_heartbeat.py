"""The kiosk's heartbeat against the real services API on a loopback port: what it reports (model, outbox counts
from a real outbox file), the office down (no exception, the thread goes on) and the next beat once it is back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.skill_runtime.heartbeat import Heartbeat
from assistant.skill_runtime.outbox import Outbox
from community_services import models
from community_services.client import ServicesClient
from community_services.db import Database
from tests.conftest import KIOSK_TOKEN, RunningServices, free_port, start_services, stop_services

PAYLOAD = {"problem_type": "plumbing", "place": "Building 3, flat 201", "description": "The tap leaks.",
           "phone": "13800138000"}


def _stored(db_path: Path, kiosk_id: str) -> models.KioskHeartbeat | None:
    database = Database(f"sqlite:///{db_path}")
    try:
        with database.session() as session:
            query = select(models.KioskHeartbeat).where(models.KioskHeartbeat.kiosk_id == kiosk_id)
            row = session.scalars(query).first()
            if row is not None:
                session.expunge(row)
            return row
    finally:
        database.dispose()


def _until(check: Callable[[], bool], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_a_beat_reports_the_model_and_the_outbox(services_server: RunningServices, tmp_path: Path) -> None:
    outbox_path = tmp_path / "outbox.db"
    with ServicesClient(services_server.url, KIOSK_TOKEN) as client:
        outbox = Outbox(outbox_path, client)
        outbox.enqueue("ticket", PAYLOAD)
        outbox.enqueue("ticket", PAYLOAD)
        refused = outbox.enqueue("ticket", {**PAYLOAD, "phone": "12"})
        outbox.flush()  # the two good ones are delivered, the bad one refused
        outbox.enqueue("feedback", {"text": "Thanks", "category": "praise"})  # waiting
        assert outbox.get(refused).status == "rejected"  # type: ignore[union-attr]
        assert (outbox.count("pending"), outbox.count("rejected")) == (1, 1)
    heart = Heartbeat(services_server.url, KIOSK_TOKEN, "kiosk-beat", "North Gate lobby", outbox_path,
                      lambda: "20260301-warm-tree.tar.gz")
    try:
        assert heart.beat() is True
    finally:
        heart.stop()
    row = _stored(services_server.db_path, "kiosk-beat")
    assert row is not None
    assert (row.location, row.model, row.outbox_backlog, row.outbox_refused) == (
        "North Gate lobby", "20260301-warm-tree.tar.gz", 1, 1)


def test_a_model_that_cannot_be_read_still_sends_the_beat(services_server: RunningServices, tmp_path: Path) -> None:
    def rasa_down() -> str | None:
        raise ConnectionError("Rasa is not running")

    heart = Heartbeat(services_server.url, KIOSK_TOKEN, "kiosk-no-model", "East gate", tmp_path / "o.db", rasa_down)
    try:
        assert heart.beat() is True
    finally:
        heart.stop()
    row = _stored(services_server.db_path, "kiosk-no-model")
    assert row is not None and row.model is None and row.outbox_backlog == 0


def test_the_office_down_is_skipped_quietly_and_the_next_beat_arrives(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    heart = Heartbeat(url, KIOSK_TOKEN, "kiosk-later", "West gate", tmp_path / "outbox.db", lambda: "m.tar.gz",
                      interval=0.1, timeout=0.5)
    assert heart.beat() is False  # nothing listens: no exception
    heart.start()
    running = None
    try:
        time.sleep(0.5)  # several beats missed, the thread lives on
        assert heart._thread is not None and heart._thread.is_alive() and heart.sent == 0
        running = start_services(tmp_path / "services.db", port)
        assert _until(lambda: heart.sent > 0)
        assert _until(lambda: _stored(running.db_path, "kiosk-later") is not None)
    finally:
        heart.stop()
        if running is not None:
            stop_services(running)
    assert heart._thread is not None and not heart._thread.is_alive()


def test_a_refused_beat_is_an_error_said_once_until_it_changes(services_server: RunningServices, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    wrong = Heartbeat(services_server.url, "a-rotated-away-token", "kiosk-wrong", "South gate", tmp_path / "o.db",
                      lambda: None)
    try:
        with caplog.at_level(logging.DEBUG, logger="assistant.skill_runtime.heartbeat"):
            assert [wrong.beat(), wrong.beat(), wrong.beat()] == [False, False, False]
            errors = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert len(errors) == 1 and "401" in errors[0].getMessage()
            wrong._client.close()
            wrong._client = ServicesClient(services_server.url, KIOSK_TOKEN)  # the operator fixed the token
            assert wrong.beat() is True
        assert any("accepts this kiosk's heartbeat again" in r.getMessage() for r in caplog.records)
    finally:
        wrong.stop()


def test_a_beat_carries_the_back_ends_state_from_the_supervisors_file(services_server: RunningServices,
                                                                      tmp_path: Path) -> None:
    from assistant.shared.stack_status import PartStatus, StackStatus, write_status
    from community_services import kiosk_health

    status_file = tmp_path / "run" / "stack-status.json"
    write_status(status_file, StackStatus(state="degraded", parts=[
        PartStatus("services", state="up"), PartStatus("actions", state="restarting", restarts=3, last_exit_code=-9),
        PartStatus("rasa", state="up")]))
    heart = Heartbeat(services_server.url, KIOSK_TOKEN, "kiosk-stack", "West gate", tmp_path / "o.db",
                      lambda: None, stack_status=status_file)
    try:
        assert heart.beat() is True
    finally:
        heart.stop()
    database = Database(f"sqlite:///{services_server.db_path}")
    try:
        with database.session() as session:
            rows = {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, datetime.now())}
    finally:
        database.dispose()
    assert rows["kiosk-stack"].problem == "Degraded: actions restarting (3 restarts)."
