"""Escalation with real channels: a local SMTP server (aiosmtpd) receives the e-mail, a local HTTP server the
webhook; a broken notifier does not stop the others; the loop in the app's lifespan escalates once."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from community_services import alert_desk
from community_services.alert_desk import OpenRequest
from community_services.app import create_app
from community_services.client import ServicesClient
from community_services.db import Database
from community_services.escalation import (
    EmailNotifier,
    EscalationSettings,
    Escalator,
    WebhookNotifier,
    message,
    notifiers_from_settings,
)
from community_services.live import LiveBroker
from community_services.schemas import AlertCreate
from community_services.settings import OfficeSettings

KIOSK = "kiosk-token-for-tests"
STAFF = "staff-token-for-tests"
T0 = datetime(2026, 3, 2, 21, 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[bytes] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.mails.append(envelope.content)
        self.arrived.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict[str, Any]], str]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _alert(waited: int = 185) -> OpenRequest:
    return OpenRequest(reference="H1007", kind="fall", kiosk_id="kiosk-b3", location="Building 3 lobby",
                       details="I fell and cannot get up", created_at=T0, waited_seconds=waited, status="open")


def test_the_message_says_where_what_how_long_and_the_reference() -> None:
    text = message(_alert())
    for part in ("kiosk-b3", "Building 3 lobby", "I fell and cannot get up", "3 minutes 5 seconds", "H1007"):
        assert part in text


def test_email_reaches_a_real_smtp_server(smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    EmailNotifier("127.0.0.1", port, "linli@sunny.example", ["duty@sunny.example"]).notify(_alert())
    assert inbox.arrived.wait(10)
    mail = message_from_bytes(inbox.mails[0])
    assert "H1007" in mail["Subject"] and mail["To"] == "duty@sunny.example"
    assert "I fell and cannot get up" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_webhook_reaches_a_real_http_server(webhook: tuple[list[dict[str, Any]], str]) -> None:
    received, url = webhook
    WebhookNotifier(url).notify(_alert())
    assert received[0]["type"] == "alert.escalated"
    assert received[0]["alert"]["reference"] == "H1007" and "Building 3 lobby" in received[0]["text"]


def test_a_webhook_answering_an_error_is_a_failure() -> None:
    with pytest.raises(httpx.HTTPError):
        WebhookNotifier(f"http://127.0.0.1:{_free_port()}/nobody").notify(_alert())


class _Broken:
    name = "broken"

    def notify(self, alert: OpenRequest) -> None:
        raise RuntimeError("the pager company is down")


def test_a_failing_notifier_does_not_stop_the_others_and_escalation_happens_once(
    tmp_path: Path, smtp: tuple[_Inbox, int], webhook: tuple[list[dict[str, Any]], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = smtp
    received, url = webhook
    database = Database(f"sqlite:///{tmp_path / 'esc.db'}")
    database.create_schema()
    now = [T0]
    broker = LiveBroker()
    settings = EscalationSettings(after_seconds=120, notifiers=[
        _Broken(), EmailNotifier("127.0.0.1", port, "linli@x", ["duty@x"]), WebhookNotifier(url)])
    escalator = Escalator(database, lambda: now[0], broker, settings)
    with database.session() as session:
        from community_services import models

        row = models.Alert(kind="help", location="Gate", kiosk_id="k1", details="help", status="open",
                           created_at=T0, updated_at=T0, reference="H1001")
        session.add(row)
        session.commit()
    assert escalator.run_once() == []  # not yet
    now[0] = T0 + timedelta(seconds=121)
    assert [a.reference for a in escalator.run_once()] == ["H1001"]
    assert inbox.arrived.wait(10) and received and received[0]["alert"]["reference"] == "H1001"
    assert "pager company" in caplog.text
    assert escalator.run_once() == []  # once
    with database.session() as session:
        assert alert_desk.open_requests(session, now[0])[0].escalated_at == now[0]


def test_settings_choose_the_channels() -> None:
    office = OfficeSettings.from_env({"LINLI_SMTP_HOST": "mail.local", "LINLI_SMTP_TO": "a@x, b@x",
                                      "LINLI_ESCALATION_WEBHOOK": "http://hook.local/x",
                                      "LINLI_ESCALATE_AFTER_SECONDS": "90"})
    kinds = [n.name for n in notifiers_from_settings(office)]
    assert kinds == ["e-mail", "webhook"]
    assert EscalationSettings.from_office(office).after_seconds == 90  # type: ignore[union-attr]
    assert EscalationSettings.from_office(OfficeSettings.from_env({"LINLI_ESCALATE_AFTER_SECONDS": "0"})) is None
    with pytest.raises(ValueError, match="LINLI_ESCALATE_AFTER_SECONDS"):
        OfficeSettings.from_env({"LINLI_ESCALATE_AFTER_SECONDS": "soon"})


def test_the_lifespan_loop_escalates_and_every_console_hears_it(
    tmp_path: Path, app_server: Callable[[FastAPI, Path], Any], smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    now = [T0]
    db = tmp_path / "loop.db"
    settings = EscalationSettings(after_seconds=60, interval=0.1,
                                  notifiers=[EmailNotifier("127.0.0.1", port, "linli@x", ["duty@x"])])
    app = create_app(f"sqlite:///{db}", KIOSK, STAFF, seed=False, clock=lambda: now[0], escalation=settings)
    server = app_server(app, db)
    with ServicesClient(server.url, KIOSK) as kiosk:
        reference = kiosk.raise_alert(AlertCreate(kind="help", location="Gate", kiosk_id="k1")).reference
    broker: LiveBroker = app.state.live
    before = broker.last_id
    now[0] = T0 + timedelta(seconds=61)
    assert inbox.arrived.wait(10)
    assert reference in message_from_bytes(inbox.mails[0])["Subject"]
    deadline = time.monotonic() + 5
    while broker.last_id == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert broker.last_id == before + 1
