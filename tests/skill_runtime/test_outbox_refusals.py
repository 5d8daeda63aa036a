"""outbox: no request is final-failed silently — one test per class of answer, against the real services API on
a loopback port, and a kiosk token rotated under a running outbox (alert stuck on 401, alarm in the log, the
heartbeat and the console's kiosk list, then delivered exactly once).

Statuses the real API gives on its own are produced for real: 401 (a wrong token), 404 (an office system without
the route: the client pointed at another prefix), 422 (content the office's schema refuses), no answer (a closed
port). The others (400, 403, 409, 413, 500, 503) come from the same real app with a small middleware that answers
every ``POST`` with the status a test sets (``Surprising.answer``); with it unset, the real endpoints answer.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from assistant.skill_runtime.heartbeat import Heartbeat
from assistant.skill_runtime.outbox import Outbox, outcome_of, reason_of
from community_services import kiosk_health
from community_services.app import create_app
from community_services.client import ServicesClient, ServicesRejected
from community_services.db import Database
from community_services.testing import serve_in_thread, stop_server
from tests.conftest import free_port
from tests.dialogue.helpers import closed_port

KIOSK = "surprise-kiosk-token"
STAFF = "surprise-staff-token"
NEW_KIOSK = "rotated-kiosk-token"
DEADLINE = 15.0


@dataclass
class Surprising:
    """The real services app on a loopback port; ``answer`` set: every POST gets that status instead."""

    url: str
    db_path: Path
    server: uvicorn.Server
    thread: Any
    answer: int | None = None

    def kiosk(self, token: str = KIOSK) -> ServicesClient:
        return ServicesClient(self.url, token, timeout=3)

    def rows(self, kind: str, marker: str) -> list[dict[str, Any]]:
        """The office's records of ``kind`` carrying ``marker`` (staff view)."""
        return staff_rows(self.url, STAFF, kind, marker)


def staff_rows(url: str, staff_token: str, kind: str, marker: str) -> list[dict[str, Any]]:
    path, field = {"feedback": ("/feedback", "text"), "alert": ("/alerts", "details"),
                   "ticket": ("/tickets", "description")}[kind]
    with ServicesClient(url, staff_token) as staff:
        rows: list[dict[str, Any]] = staff._request("GET", path, params={"limit": 500}).json()
    return [row for row in rows if marker in (row.get(field) or "")]


def _serve(db_path: Path, port: int, kiosk_token: str, holder: list[Surprising]) -> tuple[uvicorn.Server, Any, str]:
    app = create_app(f"sqlite:///{db_path}", kiosk_token=kiosk_token, staff_token=STAFF)

    @app.middleware("http")
    async def surprise(request: Request, call_next: Callable[[Request], Any]) -> Response:
        answer = holder[0].answer if holder else None
        if answer is not None and request.method == "POST":
            return JSONResponse(status_code=answer, content={"detail": f"a test's answer {answer}"})
        response: Response = await call_next(request)
        return response

    return serve_in_thread(app, port)


@pytest.fixture(scope="module")
def surprising(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Surprising]:
    db_path = tmp_path_factory.mktemp("surprising") / "services.db"
    holder: list[Surprising] = []
    server, thread, url = _serve(db_path, free_port(), KIOSK, holder)
    holder.append(Surprising(url, db_path, server, thread))
    yield holder[0]
    stop_server(holder[0].server, holder[0].thread)


@pytest.fixture
def services(surprising: Surprising) -> Iterator[Surprising]:
    surprising.answer = None
    yield surprising
    surprising.answer = None


def payload(kind: str, marker: str) -> dict[str, Any]:
    if kind == "alert":
        return {"kind": "fall", "location": "Building 3 lobby", "kiosk_id": "kiosk-surprise",
                "details": f"fell near the lift {marker}"}
    if kind == "ticket":
        return {"problem_type": "plumbing", "place": "Building 3, flat 502",
                "description": f"The kitchen tap is leaking {marker}", "phone": "138 0013 8000"}
    return {"text": f"The lift is slow {marker}", "category": "complaint"}


def raw(path: Path, local_ref: str) -> dict[str, Any]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM outbox WHERE local_ref=?", (local_ref,)).fetchone())


def until(check: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


# --- the rule, as a table ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "status", "expected"), [
    ("alert", 0, "waiting"), ("alert", 503, "waiting"), ("alert", 429, "waiting"),
    ("alert", 400, "stuck"), ("alert", 401, "stuck"), ("alert", 403, "stuck"), ("alert", 404, "stuck"),
    ("alert", 409, "stuck"), ("alert", 413, "stuck"), ("alert", 422, "stuck"), ("alert", 500, "stuck"),
    ("ticket", 0, "waiting"), ("ticket", 502, "waiting"), ("ticket", 401, "stuck"), ("ticket", 403, "stuck"),
    ("ticket", 404, "stuck"), ("ticket", 405, "stuck"), ("ticket", 500, "stuck"), ("ticket", 302, "stuck"),
    ("ticket", 400, "refused"), ("ticket", 409, "refused"), ("feedback", 413, "refused"),
    ("feedback", 422, "refused"), ("feedback", -1, "stuck"),
])
def test_every_answer_has_an_outcome(kind: str, status: int, expected: str) -> None:
    assert outcome_of(kind, status) == expected


def test_reasons_are_plain() -> None:
    assert reason_of(401) == "token not accepted (401)"
    assert reason_of(0) == "the office system cannot be reached"
    assert reason_of(418) == "unexpected answer from the office system (418)"
    assert reason_of(503, "Service Unavailable") == "the office system is busy or restarting (503)"
    assert reason_of(422, "text:\n  too short") == "details not accepted (422): text: too short"


# --- one test per class of answer, against the real API ----------------------------------------------


@pytest.mark.parametrize("kind", ["alert", "ticket", "feedback"])
def test_a_wrong_token_keeps_the_item_pending_with_the_error_and_an_alarm(
        kind: str, services: Surprising, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    marker = uuid.uuid4().hex
    path = tmp_path / "outbox.db"
    with services.kiosk("not-the-token") as wrong:
        outbox = Outbox(path, wrong)
        with caplog.at_level(logging.WARNING, logger="assistant.skill_runtime.outbox"):
            sub = outbox.submit(kind, payload(kind, marker))  # type: ignore[arg-type]
            assert outbox.flush() == 0
            assert outbox.flush() == 0
    assert sub.queued is True  # told "saved, will be sent": true, it is retried until someone fixes the token
    row = raw(path, sub.reference)
    assert (row["status"], row["last_status"], row["attempts"]) == ("pending", 401, 3)
    assert row["last_error"] == row["alarm"] == "token not accepted (401)"
    alarms = [r for r in caplog.records if r.levelno == logging.ERROR and sub.reference in r.getMessage()]
    assert len(alarms) == 1, "one alarm per change of state, not one per retry"
    assert "token not accepted (401)" in alarms[0].getMessage()
    health = Outbox(path, services.kiosk()).health()
    assert (health.backlog, health.stuck, health.refused) == (1, 1, 0)
    assert health.problem == f"{kind} {sub.reference}: token not accepted (401)"

    with services.kiosk() as right:  # the right token: delivered exactly once
        assert Outbox(path, right).flush() == 1
    assert raw(path, sub.reference)["status"] == "delivered"
    assert raw(path, sub.reference)["alarm"] is None
    assert len(services.rows(kind, marker)) == 1


@pytest.mark.parametrize("kind", ["alert", "ticket", "feedback"])
def test_an_office_without_the_route_404_is_recorded_and_retried(kind: str, services: Surprising,
                                                                  tmp_path: Path) -> None:
    """404 on a create: the office system is an older version or behind a wrong path. Fixable by a person, so
    the item stays pending with the error and an alarm (not rejected: it arrives once the route is there)."""
    marker = uuid.uuid4().hex
    path = tmp_path / "outbox.db"
    with ServicesClient(f"{services.url}/old-office", KIOSK) as old:
        sub = Outbox(path, old).submit(kind, payload(kind, marker))  # type: ignore[arg-type]
    assert sub.queued is True
    row = raw(path, sub.reference)
    assert (row["status"], row["last_status"], row["attempts"]) == ("pending", 404, 1)
    assert row["alarm"] and "(404)" in row["alarm"]
    assert services.rows(kind, marker) == []
    with services.kiosk() as fixed:
        assert Outbox(path, fixed).flush() == 1
    assert len(services.rows(kind, marker)) == 1


@pytest.mark.parametrize("status", [403, 500, 418])
@pytest.mark.parametrize("kind", ["alert", "ticket"])
def test_other_answers_a_person_can_fix_keep_the_item_pending_with_an_alarm(
        kind: str, status: int, services: Surprising, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    path = tmp_path / "outbox.db"
    services.answer = status
    with services.kiosk() as client:
        outbox = Outbox(path, client)
        sub = outbox.submit(kind, payload(kind, marker))  # type: ignore[arg-type]
        assert sub.queued is True
        row = raw(path, sub.reference)
        assert (row["status"], row["last_status"]) == ("pending", status)
        assert row["alarm"] and f"({status})" in row["alarm"]
        services.answer = None
        assert outbox.flush() == 1
    assert len(services.rows(kind, marker)) == 1


@pytest.mark.parametrize("status", [400, 409, 413, 422])
def test_content_refusals_reject_a_ticket_with_the_reason_but_never_an_alert(
        status: int, services: Surprising, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    marker = uuid.uuid4().hex
    path = tmp_path / "outbox.db"
    services.answer = status
    with services.kiosk() as client, caplog.at_level(logging.ERROR, logger="assistant.skill_runtime.outbox"):
        outbox = Outbox(path, client)
        with pytest.raises(ServicesRejected) as refused:
            outbox.submit("ticket", payload("ticket", marker))
        assert refused.value.status == status
        alert = outbox.submit("alert", payload("alert", marker))
        assert alert.queued is True
        [ticket] = outbox.items("rejected")
        services.answer = None
        assert outbox.flush() == 1  # the alert; the refused ticket is not sent again
    assert (raw(path, ticket.local_ref)["last_status"], raw(path, ticket.local_ref)["attempts"]) == (status, 1)
    assert f"({status})" in raw(path, ticket.local_ref)["alarm"]
    assert any(ticket.local_ref in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    assert services.rows("ticket", marker) == []
    assert len(services.rows("alert", marker)) == 1
    assert Outbox(path, services.kiosk()).health().refused == 1


def test_real_content_refusal_422_is_recorded_with_the_reason(services: Surprising, tmp_path: Path) -> None:
    with services.kiosk() as client:
        outbox = Outbox(tmp_path / "outbox.db", client)
        with pytest.raises(ServicesRejected):
            outbox.submit("feedback", {"text": "   ", "category": "general"})
    [item] = outbox.items("rejected")
    assert item.last_status == 422 and item.alarm is not None and item.alarm.startswith("details not accepted (422)")


def test_an_alert_the_office_schema_refuses_is_not_stored_so_the_caller_sends_a_plain_one(
        services: Surprising, tmp_path: Path) -> None:
    with services.kiosk() as client:
        outbox = Outbox(tmp_path / "outbox.db", client)
        with pytest.raises(ServicesRejected) as refused:
            outbox.submit("alert", {"kind": "fall", "location": "", "kiosk_id": "k"})
        assert refused.value.status == 422
        assert outbox.items() == []


@pytest.mark.parametrize("status", [503, 429])
def test_the_office_saying_later_is_waiting_without_an_alarm(status: int, services: Surprising,
                                                             tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    path = tmp_path / "outbox.db"
    services.answer = status
    with services.kiosk() as client:
        outbox = Outbox(path, client)
        sub = outbox.submit("feedback", payload("feedback", marker))
        row = raw(path, sub.reference)
        assert (row["status"], row["last_status"], row["alarm"]) == ("pending", status, None)
        assert outbox.health().stuck == 0 and outbox.health().backlog == 1
        services.answer = None
        assert outbox.flush() == 1
    assert len(services.rows("feedback", marker)) == 1


def test_no_answer_at_all_is_waiting_without_an_alarm(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with ServicesClient(f"http://127.0.0.1:{closed_port()}", KIOSK, timeout=2) as down:
        outbox = Outbox(tmp_path / "outbox.db", down)
        with caplog.at_level(logging.WARNING, logger="assistant.skill_runtime.outbox"):
            sub = outbox.submit("alert", payload("alert", uuid.uuid4().hex))
            outbox.flush()
    row = raw(tmp_path / "outbox.db", sub.reference)
    assert (row["status"], row["last_status"], row["alarm"], row["attempts"]) == ("pending", 0, None, 2)
    assert row["last_error"] == "the office system cannot be reached"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len([r for r in caplog.records if sub.reference in r.getMessage()]) == 1  # said once, not per retry


def test_a_stuck_item_does_not_block_the_others(services: Surprising, tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    marker = uuid.uuid4().hex
    with ServicesClient(f"{services.url}/old-office", KIOSK) as old:
        stuck = Outbox(path, old).enqueue("alert", payload("alert", marker))
    with services.kiosk() as client:
        outbox = Outbox(path, client)
        later = outbox.enqueue("feedback", payload("feedback", marker))
        with ServicesClient(f"{services.url}/old-office", KIOSK) as old:
            outbox.client = old
            assert outbox.flush() == 0
            assert raw(path, stuck)["last_status"] == raw(path, later)["last_status"] == 404
        outbox.client = client
        assert outbox.flush() == 2
    assert len(services.rows("alert", marker)) == 1 and len(services.rows("feedback", marker)) == 1


def test_an_outbox_file_of_the_first_release_gets_the_new_columns(tmp_path: Path, services: Surprising) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("""CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, local_ref TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL, payload TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, reference TEXT,
            last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT)""")
        conn.execute("INSERT INTO outbox (local_ref, kind, payload, idempotency_key, status, attempts, last_error, "
                     "created_at) VALUES ('Q00001', 'feedback', '{}', 'k1', 'rejected', 1, '422: old reason', "
                     "'2026-01-01T00:00:00+00:00')")
    with services.kiosk() as client:
        outbox = Outbox(path, client)
        health = outbox.health()
    assert (health.refused, health.stuck, health.problem) == (1, 0, "feedback Q00001: 422: old reason")
    [item] = outbox.items()
    assert (item.last_status, item.alarm) == (None, None)


# --- a token rotated under a running kiosk ----------------------------------------------------------


def _stored_health(db_path: Path, kiosk_id: str) -> kiosk_health.KioskHealth:
    database = Database(f"sqlite:///{db_path}")
    try:
        with database.session() as session:
            [kiosk] = [k for k in kiosk_health.kiosk_list(session, datetime.now()) if k.kiosk_id == kiosk_id]
            return kiosk
    finally:
        database.dispose()


@pytest.mark.parametrize("fix", ["sender restarted with the new token", "office back on the old token"])
def test_a_token_rotated_under_a_running_kiosk_alarms_then_delivers_the_alert_exactly_once(
        fix: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path, port = tmp_path / "services.db", free_port()
    outbox_path = tmp_path / "var" / "outbox.db"
    marker = uuid.uuid4().hex
    holder: list[Surprising] = []
    server, thread, url = _serve(db_path, port, KIOSK, holder)
    old_client = ServicesClient(url, KIOSK, timeout=3)
    outbox = Outbox(outbox_path, old_client)
    outbox.retry_cap_alert = 0.5
    outbox.start_sender(interval=0.1)  # the action server's sender, running with the kiosk's token
    senders = [outbox]
    try:
        # the office is restarted with a new kiosk token; the kiosk side still holds the old one
        stop_server(server, thread)
        server, thread, url = _serve(db_path, port, NEW_KIOSK, holder)
        with caplog.at_level(logging.WARNING, logger="assistant.skill_runtime.outbox"):
            sub = outbox.submit("alert", payload("alert", marker))  # a resident presses for help
            assert sub.queued is True
            assert until(lambda: raw(outbox_path, sub.reference)["attempts"] >= 3)  # retried, with backoff
        row = raw(outbox_path, sub.reference)
        assert (row["status"], row["last_status"]) == ("pending", 401)
        assert "401" in row["last_error"] and "401" in row["alarm"]
        alarms = [r for r in caplog.records if r.levelno == logging.ERROR and sub.reference in r.getMessage()]
        assert len(alarms) == 1 and "token not accepted (401)" in alarms[0].getMessage()
        assert staff_rows(url, STAFF, "alert", marker) == []

        # the kiosk app (restarted with the new token) beats: the console shows the stuck alert and why
        heart = Heartbeat(url, NEW_KIOSK, "kiosk-rotated", "Building 3 lobby", outbox_path, lambda: None)
        try:
            assert heart.beat() is True
        finally:
            heart.stop()
        kiosk = _stored_health(db_path, "kiosk-rotated")
        assert (kiosk.outbox_backlog, kiosk.outbox_stuck, kiosk.flagged) == (1, 1, True)
        assert kiosk.problem is not None
        assert "1 request is stuck" in kiosk.problem and "token not accepted (401)" in kiosk.problem
        assert f"alert {sub.reference}" in kiosk.problem

        if fix == "office back on the old token":
            stop_server(server, thread)
            server, thread, url = _serve(db_path, port, KIOSK, holder)
        else:  # the operator restarts the action server with the new token
            outbox.stop_sender()
            fixed = Outbox(outbox_path, ServicesClient(url, NEW_KIOSK, timeout=3))
            fixed.start_sender(interval=0.1)
            senders.append(fixed)
        assert until(lambda: raw(outbox_path, sub.reference)["status"] == "delivered"), "not delivered in time"
        time.sleep(0.5)  # a few more sender rounds: nothing is sent twice
        token = KIOSK if fix == "office back on the old token" else NEW_KIOSK
        heart = Heartbeat(url, token, "kiosk-rotated", "Building 3 lobby", outbox_path, lambda: None)
        try:
            assert heart.beat() is True
        finally:
            heart.stop()
    finally:
        for sender in senders:
            sender.stop_sender()
            sender.client.close()
        stop_server(server, thread)
    [delivered] = _alerts_in(db_path, marker)
    assert delivered == raw(outbox_path, sub.reference)["reference"]
    kiosk = _stored_health(db_path, "kiosk-rotated")
    assert (kiosk.outbox_backlog, kiosk.outbox_stuck, kiosk.flagged) == (0, 0, False)


def _alerts_in(db_path: Path, marker: str) -> list[str]:
    """References of the alerts in the office's database that carry ``marker`` (read after the server stopped)."""
    from sqlalchemy import select

    from community_services import models

    database = Database(f"sqlite:///{db_path}")
    try:
        with database.session() as session:
            alerts = session.scalars(select(models.Alert).where(models.Alert.details.contains(marker))).all()
            return [a.reference for a in alerts]
    finally:
        database.dispose()
