"""Privacy by retention, kiosk side: the tracker database and the outbox (docs/privacy.md), and
``linli privacy export|erase`` round trip over the office database and this kiosk's files."""

from __future__ import annotations

import json
import sqlite3
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant import cli
from assistant.skill_runtime import retention
from assistant.skill_runtime.outbox import CONVERSATION, DELIVERED_PAYLOAD, Outbox
from community_services.client import ServicesClient, ServicesUnavailable
from community_services.db import Database
from community_services.models import Ticket

PHONE = "13800138000"

RASA_EVENTS = """CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"""


def add_turn(db: Path, sender: str, text: str, at: float) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(RASA_EVENTS.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
        for kind in ("user", "bot"):
            conn.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?,?,?,?)",
                         (sender, kind, at, json.dumps({"event": kind, "text": text, "timestamp": at})))


def senders(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT sender_id FROM events")}


class Delivering(ServicesClient):
    """Answers every submission with a reference, as the office does (no network)."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "token")
        self.up = True

    def submit(self, kind: Any, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        if not self.up:
            raise ServicesUnavailable("down")
        return {"reference": "F1001"}


@pytest.fixture(autouse=True)
def _process_wide_settings_restored() -> Iterator[None]:
    """``linli``'s main sets the umask and installs the redaction for the whole process: undo both after a test."""
    import logging
    import os
    import sys
    import threading

    saved = os.umask(0o022), logging.getLogRecordFactory(), sys.excepthook, threading.excepthook
    os.umask(saved[0])
    yield
    os.umask(saved[0])
    logging.setLogRecordFactory(saved[1])
    sys.excepthook, threading.excepthook = saved[2], saved[3]


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    client = Delivering()
    yield Outbox(tmp_path / "outbox.db", client)
    client.close()


def created_by(outbox: Outbox, sender: str, payload: dict[str, Any]) -> str:
    token = CONVERSATION.set(sender)
    try:
        return outbox.enqueue("feedback", payload)
    finally:
        CONVERSATION.reset(token)


def test_a_delivered_payload_is_blanked_but_the_row_stays(outbox: Outbox) -> None:
    submission = outbox.submit("feedback", {"text": f"call {PHONE}", "category": "general"})
    item = outbox.get(outbox.items()[0].local_ref)
    assert not submission.queued and item is not None
    assert item.status == "delivered" and item.reference == "F1001" and item.kind == "feedback"
    assert item.payload == json.loads(DELIVERED_PAYLOAD)
    with sqlite3.connect(outbox.path) as conn:
        assert conn.execute("SELECT payload FROM outbox").fetchone()[0] == DELIVERED_PAYLOAD


def test_a_conversation_older_than_the_retention_is_gone(tmp_path: Path, outbox: Outbox) -> None:
    trackers = tmp_path / "trackers.db"
    now = datetime.now(UTC)
    add_turn(trackers, "old", f"my phone is {PHONE}", (now - timedelta(days=31)).timestamp())
    add_turn(trackers, "recent", "hello", (now + timedelta(days=30)).timestamp())
    delivered = created_by(outbox, "old", {"text": "a", "category": "general"})
    outbox.flush()
    outbox.client.up = False  # type: ignore[attr-defined]
    pending = created_by(outbox, "old", {"text": "b", "category": "general"})
    counts = retention.sweep(trackers, outbox, 30, now=now + timedelta(days=31))
    assert senders(trackers) == {"recent"} and counts.conversations == 1 and counts.tracker_rows == 2
    assert outbox.get(delivered) is None  # finished and old: gone
    assert outbox.get(pending) is not None  # never lose a request that has not arrived
    assert stat.S_IMODE(trackers.stat().st_mode) == 0o600


def test_the_idle_reset_erases_the_conversation_and_its_delivered_items(tmp_path: Path, outbox: Outbox) -> None:
    trackers = tmp_path / "trackers.db"
    add_turn(trackers, "ended", f"my name is Li, {PHONE}", time.time())
    add_turn(trackers, "other", "hello", time.time())
    delivered = created_by(outbox, "ended", {"text": "a", "category": "general"})
    outbox.flush()
    outbox.client.up = False  # type: ignore[attr-defined]
    pending = created_by(outbox, "ended", {"text": "b", "category": "general"})
    kept = created_by(outbox, "other", {"text": "c", "category": "general"})
    assert retention.forget_conversation(trackers, outbox, "ended") == 2
    assert senders(trackers) == {"other"}
    assert outbox.get(delivered) is None and outbox.get(pending) is not None
    outbox.client.up = True  # type: ignore[attr-defined]
    assert outbox.flush() == 2
    assert outbox.get(pending) is None, "deleted once delivered"
    assert outbox.get(kept) is not None


def test_export_and_erase_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    var = tmp_path / "var"
    var.mkdir()
    for name, value in (("LINLI_VAR_DIR", str(var)), ("LINLI_KIOSK_TOKEN", "k"), ("LINLI_STAFF_TOKEN", "s"),
                        ("LINLI_RASA_TOKEN", "r"), ("LINLI_SERVICES_URL", "http://127.0.0.1:9")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LINLI_SERVICES_DB_URL", raising=False)
    database = Database(f"sqlite:///{var / 'services.db'}")
    database.create_schema()
    with database.session() as session:
        now = datetime.now()
        session.add(Ticket(problem_type="plumbing", place="Building 3, flat 201", description="Tap leaks",
                           phone=PHONE, created_at=now, updated_at=now))
        session.commit()
    database.dispose()
    add_turn(var / "trackers.db", "kiosk-1", "please call 138-0013-8000", time.time())
    client = Delivering()
    client.up = False
    Outbox(var / "outbox.db", client).enqueue("feedback", {"text": f"call +86 {PHONE}", "category": "general"})
    client.close()

    out = tmp_path / "export.json"
    assert cli.main(["privacy", "export", "--phone", "138 0013 8000", "--out", str(out)]) == 0
    data = json.loads(out.read_text("utf-8"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [t["phone"] for t in data["office"]["tickets"]] == [PHONE]
    assert list(data["kiosk"]["conversations"]) == ["kiosk-1"] and len(data["kiosk"]["outbox"]) == 1
    assert "1 tickets" in capsys.readouterr().err

    assert cli.main(["privacy", "erase", "--phone", PHONE, "--yes"]) == 0
    assert "Recorded in the audit log" in capsys.readouterr().out
    assert cli.main(["privacy", "export", "--phone", PHONE]) == 0
    again = json.loads(capsys.readouterr().out)
    assert not again["office"]["tickets"] and not again["kiosk"]["conversations"]
    assert len(again["kiosk"]["outbox"]) == 1  # a request not yet delivered is kept until it is (then deleted)
    database = Database(f"sqlite:///{var / 'services.db'}")
    with database.session() as session:
        from sqlalchemy import func, select

        from community_services.models import AuditEntry

        assert session.scalar(select(func.count()).select_from(Ticket)) == 1  # counts stay
        actions = [(e.action, e.staff_name.startswith("cli:")) for e in session.scalars(select(AuditEntry))]
    database.dispose()
    assert ("privacy.erase", True) in actions and ("privacy.export", True) in actions
