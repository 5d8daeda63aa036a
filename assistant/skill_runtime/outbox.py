"""A durable local outbox: repair tickets, feedback and emergency alerts are never lost.

Each item is written to SQLite (one transaction) with a fresh idempotency key *before* the services API
is tried. Delivery reuses the same key, and the API returns the first result for a repeated key, so an
item is created exactly once even if a response is lost or the kiosk restarts mid-send.

When the file cannot be written (the disk is full, another program holds it locked for longer than
``busy_timeout``) storing raises :class:`OutboxUnavailable` and nothing of the item is kept: SQLite rolls the
transaction back, so there is never a half-written item. The caller tells the resident to ask the office (or call
120 for an emergency). An item the office accepted but whose "delivered" mark cannot be written stays pending
and the next flush gets the same answer back for its key: still exactly once.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.shared.errors import LinliError
from community_services.client import ServicesClient, ServicesRejected, ServicesUnavailable

log = logging.getLogger(__name__)

Kind = Literal["ticket", "alert", "feedback"]
KINDS: tuple[Kind, ...] = ("ticket", "alert", "feedback")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    local_ref TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',   -- pending | delivered | rejected
    attempts INTEGER NOT NULL DEFAULT 0,
    reference TEXT,                           -- the services API's reference once delivered
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
)
"""


BUSY_TIMEOUT = 10.0
"""Seconds to wait for another connection's lock on the outbox file before giving up with a clear error."""


class OutboxUnavailable(LinliError):
    """The outbox file could not be written: nothing was stored."""

    code = "outbox_unavailable"


def _disk_full(path: Path) -> bool:
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def _unavailable(e: sqlite3.Error, path: Path) -> OutboxUnavailable:
    text = str(e).lower()
    if "full" in text or _disk_full(path):  # in WAL mode a full disk often shows as "disk I/O error"
        why = "this kiosk's disk is full"
    elif "locked" in text or "busy" in text:
        why = "this kiosk's outbox file is busy"
    else:
        why = "this kiosk's outbox file cannot be written"
    return OutboxUnavailable(f"The request could not be saved on this kiosk ({why}). Nothing was stored.",
                             hint="Please ask at the Property Management Office; for an emergency call 120.")


@dataclass(frozen=True)
class Submission:
    """What a skill tells the resident: a reference, and whether it is still waiting to be sent."""

    reference: str
    queued: bool
    result: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutboxItem:
    local_ref: str
    kind: Kind
    payload: dict[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    reference: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def raised_now() -> str:
    """An alert's ``raised_at``: the kiosk's local time (the office's times are local, without a zone)."""
    return datetime.now().isoformat(timespec="seconds")


class Outbox:
    def __init__(self, path: Path, client: ServicesClient, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path
        self.client = client
        self.busy_timeout = busy_timeout
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
            try:  # outside a transaction: inside one, SQLite silently keeps the old journal mode
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
            with self._db() as db:
                db.execute(_SCHEMA)
        except sqlite3.OperationalError as e:
            raise _unavailable(e, self.path) from e

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One transaction; a file that cannot be opened, locked or written is :class:`OutboxUnavailable`."""
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.OperationalError as e:
            raise _unavailable(e, self.path) from e
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as e:
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # a failed COMMIT on a full disk has rolled back already
                    conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError):
                raise _unavailable(e, self.path) from e
            raise
        finally:
            conn.close()

    def enqueue(self, kind: Kind, payload: dict[str, Any], key: str | None = None) -> str:
        """Store an item without trying to send it; returns its local reference.

        ``key`` keeps the idempotency key of an attempt already made elsewhere (the kiosk's emergency
        button calls the API directly first), so a late success and the outbox cannot both create it.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind: {kind!r}")
        if kind == "alert" and not payload.get("raised_at"):
            # the office shows an alert that waited here at the time it was raised, not when it arrived; it is
            # part of the stored payload, so every delivery attempt sends the same request for the same key
            payload = {**payload, "raised_at": raised_now()}
        local_ref = f"Q{uuid.uuid4().int % 100000:05d}"
        try:
            with self._db() as db:
                while db.execute("SELECT 1 FROM outbox WHERE local_ref=?", (local_ref,)).fetchone():
                    local_ref = f"Q{uuid.uuid4().int % 100000:05d}"
                db.execute(
                    "INSERT INTO outbox (local_ref, kind, payload, idempotency_key, created_at) VALUES (?,?,?,?,?)",
                    (local_ref, kind, json.dumps(payload, ensure_ascii=False), key or str(uuid.uuid4()), _now()),
                )
        except OutboxUnavailable as e:  # rolled back: nothing of the item is in the file
            log.error("outbox: could not store a %s in %s: %s", kind, self.path, e.__cause__ or e)
            raise
        return local_ref

    def submit(self, kind: Kind, payload: dict[str, Any]) -> Submission:
        """Store, then try to deliver now. Raises ``ServicesRejected`` if the API refuses the content."""
        local_ref = self.enqueue(kind, payload)
        item = self.get(local_ref)
        assert item is not None
        try:
            result = self._deliver(item)
        except ServicesUnavailable:
            self._wake.set()
            return Submission(reference=local_ref, queued=True)
        return Submission(reference=str(result.get("reference") or result.get("number")), queued=False,
                          result=result)

    def _deliver(self, item: OutboxItem) -> dict[str, Any]:
        with self._send_lock:
            current = self.get(item.local_ref)
            if current is not None and current.status == "delivered":
                return {"reference": current.reference}  # another sender got there first
            if current is None or current.status == "rejected":
                raise ServicesRejected(status=422, detail="this item was refused by the services API")
            try:
                result = self.client.submit(item.kind, item.payload, item.idempotency_key)
            except ServicesUnavailable as e:
                self._record_failure(item.local_ref, str(e), final=False)
                raise
            except ServicesRejected as e:
                # Kept (not deleted) for staff to see; never retried, since it would be refused again.
                self._record_failure(item.local_ref, f"{e.status}: {e.detail}", final=True)
                raise
            reference = str(result.get("reference") or result.get("number") or "")
            try:
                with self._db() as db:
                    db.execute(
                        "UPDATE outbox SET status='delivered', reference=?, delivered_at=?, attempts=attempts+1 "
                        "WHERE local_ref=?",
                        (reference, _now(), item.local_ref),
                    )
            except OutboxUnavailable as e:
                # the office has it; the item stays pending here and a later flush gets the same answer back for
                # its key (no second row), so the resident is told the truth: it arrived
                log.warning("outbox: %s %s delivered as %s but not marked so (%s); it is confirmed again later",
                            item.kind, item.local_ref, reference, e)
                return result
            log.info("outbox: delivered %s %s as %s", item.kind, item.local_ref, reference)
            return result

    def _record_failure(self, local_ref: str, error: str, *, final: bool) -> None:
        try:
            with self._db() as db:
                db.execute(
                    "UPDATE outbox SET attempts=attempts+1, last_error=?, status=? WHERE local_ref=?",
                    (error[:500], "rejected" if final else "pending", local_ref),
                )
        except OutboxUnavailable as e:  # a full disk: the item stays as it was (pending), tried again later
            log.warning("outbox: could not note the failure of %s (%s)", local_ref, e)

    def get(self, local_ref: str) -> OutboxItem | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM outbox WHERE local_ref=?", (local_ref,)).fetchone()
        return _item(row) if row else None

    def items(self, status: str | None = None) -> list[OutboxItem]:
        with self._db() as db:
            if status is None:
                rows = db.execute("SELECT * FROM outbox ORDER BY id").fetchall()
            else:
                rows = db.execute("SELECT * FROM outbox WHERE status=? ORDER BY id", (status,)).fetchall()
        return [_item(r) for r in rows]

    def count(self, status: str) -> int:
        """How many items have ``status`` (``pending``: the backlog; ``rejected``: refused by the services)."""
        with self._db() as db:
            return int(db.execute("SELECT COUNT(*) FROM outbox WHERE status=?", (status,)).fetchone()[0])

    def flush(self) -> int:
        """Deliver pending items oldest first; stop at the first sign the API is still down."""
        delivered = 0
        for item in self.items("pending"):
            try:
                self._deliver(item)
                delivered += 1
            except ServicesUnavailable:
                break
            except ServicesRejected:
                continue
        return delivered

    def start_sender(self, interval: float = 5.0) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="outbox-sender", daemon=True)
        self._thread.start()

    def stop_sender(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self, interval: float) -> None:
        wait = interval
        while not self._stop.is_set():
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.flush()
                wait = interval if not self.items("pending") else min(interval, 2.0)
            except Exception:  # the sender must outlive any single bad item or a locked database
                log.exception("outbox: flush failed")
                wait = interval


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        local_ref=row["local_ref"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        idempotency_key=row["idempotency_key"],
        status=row["status"],
        attempts=row["attempts"],
        reference=row["reference"],
    )
