"""Privacy by retention, kiosk side (``docs/privacy.md``): Rasa's tracker database and the outbox.

* :func:`forget_conversation` — the idle reset: after Rasa has saved the ``restart``, delete every row of the
  ended conversation from the tracker database (Rasa's ``SQLTrackerStore`` table ``events``, keyed by
  ``sender_id``; it reads the rows afresh on every turn and keeps nothing in memory), and the conversation's
  outbox items (delivered ones now, pending ones once delivered).
* :func:`sweep` — conversations whose newest event is older than the retention, and delivered or refused outbox
  items older than it; the action server runs it at start and every hour (:class:`Sweeper`).
* :func:`find_phone` / :func:`erase_phone` — ``linli privacy export|erase --phone N``, this kiosk's part.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from community_services.client import ServicesClient
from foundation.private_files import make_folder_private, make_private
from foundation.redact import mentions_phone

from .outbox import Outbox

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 3600.0
BUSY_TIMEOUT = 10.0
_TEXT_KEYS = ("text", "data")


@contextmanager
def _trackers(path: Path) -> Iterator[sqlite3.Connection | None]:
    """The tracker database, or ``None`` when Rasa has not made it (or its table) yet."""
    if not path.is_file():
        yield None
        return
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT)) as conn:
        has_events = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'").fetchone()
        if not has_events:
            yield None
            return
        with conn:  # one transaction: committed at the end of the block
            yield conn


def delete_conversation(tracker_db: Path, sender_id: str) -> int:
    """Delete every tracker row of ``sender_id``; returns how many."""
    with _trackers(tracker_db) as db:
        if db is None:
            return 0
        return int(db.execute("DELETE FROM events WHERE sender_id=?", (sender_id,)).rowcount)


def forget_conversation(tracker_db: Path, outbox: Outbox | None, sender_id: str) -> int:
    """The privacy reset's erasure (call it after Rasa has taken the ``restart``); returns tracker rows deleted."""
    rows = delete_conversation(tracker_db, sender_id)
    items = outbox.forget_conversation(sender_id) if outbox is not None else 0
    log.info("privacy: conversation %s erased (%d tracker rows, %d delivered outbox items)", sender_id, rows, items)
    return rows


@contextmanager
def local_outbox(path: Path, services_url: str, token: str) -> Iterator[Outbox]:
    """The outbox file for reading and erasing; its client is never used to send (the action server sends)."""
    with ServicesClient(services_url, token) as unused:
        yield Outbox(path, unused)


@dataclass
class SweepCounts:
    conversations: int = 0
    tracker_rows: int = 0
    outbox_items: int = 0


def sweep(tracker_db: Path, outbox: Outbox | None, days: float, now: datetime | None = None) -> SweepCounts:
    """Delete conversations and finished outbox items older than ``days``; make the files private."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=days)
    counts = SweepCounts()
    with _trackers(tracker_db) as db:
        if db is not None:
            old = [row[0] for row in db.execute(
                "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < ?", (cutoff.timestamp(),))]
            for sender in old:
                counts.tracker_rows += int(db.execute("DELETE FROM events WHERE sender_id=?", (sender,)).rowcount)
            counts.conversations = len(old)
    if outbox is not None:
        counts.outbox_items = outbox.sweep(cutoff)
    make_private(tracker_db)
    make_folder_private(tracker_db.parent)
    make_folder_private(tracker_db.parent / "logs", ("*",))
    if counts.conversations or counts.outbox_items:
        log.info("retention: removed %d conversations (%d tracker rows) and %d outbox items older than %g days",
                 counts.conversations, counts.tracker_rows, counts.outbox_items, days)
    return counts


class Sweeper:
    """A daemon thread: :func:`sweep` at start and every ``every`` seconds (a failure is logged, then retried)."""

    def __init__(self, tracker_db: Path, outbox: Outbox | None, days: float,
                 every: float = SWEEP_EVERY_SECONDS) -> None:
        self.tracker_db, self.outbox, self.days, self.every = tracker_db, outbox, days, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="linli-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                sweep(self.tracker_db, self.outbox, self.days)
            except Exception:
                log.exception("retention: the sweep failed; it is tried again in %g s", self.every)
            self._stop.wait(max(1.0, self.every - (time.monotonic() - started)))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


@dataclass
class KioskFindings:
    conversations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """sender_id -> the conversation's user and bot lines (``{"who", "text", "at"}``)."""
    outbox: list[dict[str, Any]] = field(default_factory=list)


def find_phone(tracker_db: Path, outbox: Outbox | None, phone: str) -> KioskFindings:
    """Conversations that mention ``phone`` (any line, any spelling) and outbox items whose payload does."""
    found = KioskFindings()
    with _trackers(tracker_db) as db:
        if db is not None:
            senders = sorted({sender for sender, data in db.execute("SELECT sender_id, data FROM events")
                              if mentions_phone(data, phone)})
            for sender in senders:
                lines = []
                for kind, data, at in db.execute(
                        "SELECT type_name, data, timestamp FROM events WHERE sender_id=? ORDER BY id", (sender,)):
                    if kind in ("user", "bot"):
                        text = (json.loads(data or "{}") or {}).get("text") or ""
                        lines.append({"who": "resident" if kind == "user" else "assistant", "text": text,
                                      "at": datetime.fromtimestamp(float(at), UTC).isoformat(timespec="seconds")})
                found.conversations[sender] = lines
    if outbox is not None:
        for item in outbox.items():
            if any(mentions_phone(t, phone) for t in _texts(item.payload)):
                found.outbox.append({"local_ref": item.local_ref, "kind": item.kind, "status": item.status,
                                     "reference": item.reference, "created_at": item.created_at,
                                     "payload": item.payload})
    return found


def erase_phone(tracker_db: Path, outbox: Outbox | None, phone: str) -> dict[str, int]:
    """Delete the conversations that mention ``phone`` and the outbox items that carry it: delivered and refused
    ones at once, pending ones once delivered (a request not yet sent is not thrown away)."""
    found = find_phone(tracker_db, outbox, phone)
    rows = sum(delete_conversation(tracker_db, sender) for sender in found.conversations)
    done = [i["local_ref"] for i in found.outbox if i["status"] != "pending"]
    removed = outbox.remove(done) if outbox is not None and done else 0
    pending = [i["local_ref"] for i in found.outbox if i["status"] == "pending"]
    if outbox is not None and pending:
        outbox.forget_on_delivery(pending)
    return {"conversations": len(found.conversations), "tracker_rows": rows, "outbox_items": removed,
            "outbox_pending_kept_until_delivered": len(pending)}
