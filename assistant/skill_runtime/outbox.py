"""A durable local outbox: repair tickets, feedback and emergency alerts are never lost.

Each item is written to SQLite (one transaction) with a fresh idempotency key *before* the services API
is tried. Delivery reuses the same key, and the API returns the first result for a repeated key, so an
item is created exactly once even if a response is lost or the kiosk restarts mid-send.

No item fails silently (``docs/outbox.md``). Every failed attempt is recorded on the item (``attempts``,
``last_error``, ``last_status``) and sorted by :func:`outcome_of` into one of three outcomes:

* ``waiting`` - the office cannot be reached (no answer, 408/425/429, 502/503/504): the item stays pending and
  is retried; the backlog is what the kiosk's heartbeat reports.
* ``stuck`` - the office answered with an error a person can fix (401/403: the token; 404 or another odd
  status: an older office system, a missing route; 500: a bug on the office side; an answer that cannot be
  read). The item stays pending, is retried with backoff, and raises an operator alarm (``alarm``).
* ``refused`` - a ticket or feedback the office refused for its content (400/409/413/422): it would be refused
  again, so it is marked ``rejected``, kept for staff, and raises an alarm. An emergency alert is never
  refused here: whatever the office answers, it stays pending and is retried until it is delivered.

The alarm is one ERROR log line per change of an item's state (not one per retry) and, through the heartbeat
(``heartbeat.py``), a flag with the reason on the console's kiosk list.

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
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from assistant.shared.errors import LinliError
from community_services.client import NotFound, ServicesClient, ServicesError, ServicesRejected, ServicesUnavailable
from community_services.schemas import AlertCreate
from foundation.private_files import create_private, make_private

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
_ADDED_COLUMNS = {
    # added after the first release: an existing outbox file gets them on open (ALTER TABLE ADD COLUMN)
    "last_status": "INTEGER",  # the HTTP status of the last failed attempt; 0: no answer; NULL: none failed
    "alarm": "TEXT",           # the reason a person must look at the item (stuck or refused); NULL otherwise
    "failed_at": "TEXT",       # when the last attempt failed
    "sender_id": "TEXT",       # the conversation that created the item (NULL: the kiosk's button, older rows)
    "forget": "INTEGER",       # 1: the conversation ended (privacy reset): delete the row once it is delivered
}
DELIVERED_PAYLOAD = "{}"
"""A delivered item's payload: the office has it; the row keeps its reference, kind, status and times."""

CONVERSATION: ContextVar[str | None] = ContextVar("linli_outbox_conversation", default=None)
"""The conversation (Rasa ``sender_id``) an action runs for: the action server sets it around each action, and
:meth:`Outbox.enqueue` stores it on the item, so the idle reset can forget the conversation's items."""

TRANSIENT_STATUSES = frozenset({0, 408, 425, 429, 502, 503, 504})
"""No answer (0), or an answer that means "later": the item waits, nobody needs to act yet."""
FINAL_STATUSES = frozenset({400, 409, 413, 422})
"""A ticket's or feedback's content the office refuses: the same request would be refused again."""
UNREADABLE = -1
"""``last_status`` of an answer the kiosk could not read (the office system sent something unexpected)."""

Outcome = Literal["waiting", "stuck", "refused"]

_REASONS = {
    UNREADABLE: "the office system sent an answer the kiosk cannot read",
    400: "the office system called the request malformed",
    401: "token not accepted",
    403: "token not allowed to send this",
    404: "the office system does not know this request (an older version?)",
    409: "the office system reports a conflict",
    413: "the request is too large for the office system",
    422: "details not accepted",
    500: "the office system failed on this request",
    **{code: "the office system is busy or restarting" for code in (408, 425, 429, 502, 503, 504)},
}


def outcome_of(kind: str, status: int) -> Outcome:
    """What a failed attempt with ``status`` (0: no answer) means for an item of ``kind``."""
    if status in TRANSIENT_STATUSES:
        return "waiting"
    if kind != "alert" and status in FINAL_STATUSES:
        return "refused"
    return "stuck"  # an alert always; 401/403/404, a 3xx, a 500 and any other surprise: a person can fix it


def reason_of(status: int, detail: str = "") -> str:
    """A short reason for staff and the log: ``"token not accepted (401)"``."""
    if status == 0:
        text = "the office system cannot be reached"
    else:
        text = _REASONS.get(status) or ("unexpected answer from the office system" if status > 0 else "error")
        if status > 0:
            text += f" ({status})"
    detail = " ".join(detail.split())
    return f"{text}: {detail[:300]}" if detail and status in (400, 409, 413, 422, UNREADABLE) else text


def _status_of(error: ServicesError) -> int:
    if isinstance(error, NotFound):
        return 404
    if error.status is not None:
        return int(error.status)
    if isinstance(error, ServicesUnavailable) and isinstance(error.__cause__, ValidationError):
        return UNREADABLE
    if isinstance(error, ServicesUnavailable):
        return 0
    return UNREADABLE  # a closed client or another error of the client itself


def _detail_text(error: ServicesError) -> str:
    detail = error.detail
    if isinstance(detail, list):  # pydantic's errors: the fields, not the whole structure
        return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                         for e in detail if isinstance(e, dict))
    return str(detail) if detail is not None else error.message


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
    last_error: str | None = None
    last_status: int | None = None
    """The HTTP status of the last failed attempt (0: no answer, -1: an unreadable answer); ``None``: none failed."""
    alarm: str | None = None
    """Why a person must look at this item (stuck or refused); ``None`` while it only waits or is delivered."""
    sender_id: str | None = None
    """The conversation that created it (``None``: the kiosk's emergency button, or an older row)."""
    created_at: str | None = None


@dataclass(frozen=True)
class OutboxHealth:
    """What the heartbeat reports about the outbox."""

    backlog: int
    """Items waiting to be sent (pending, including the stuck ones)."""
    refused: int
    """Tickets and feedback the office refused for their content (kept for staff; never retried)."""
    stuck: int
    """Pending items the office answered with an error a person must fix; retried until delivered."""
    problem: str | None
    """The latest reason of a stuck or refused item (``"alert Q12345: token not accepted (401)"``)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def raised_now() -> str:
    """An alert's ``raised_at``: the kiosk's local time (the office's times are local, without a zone)."""
    return datetime.now().isoformat(timespec="seconds")


class Outbox:
    retry_cap_alert = 30.0
    """Longest wait, in seconds, between two tries of a stuck alert (the backoff doubles up to it)."""
    retry_cap_other = 300.0
    """Longest wait between two tries of a stuck ticket or feedback."""

    def __init__(self, path: Path, client: ServicesClient, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path
        self.client = client
        self.busy_timeout = busy_timeout
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._interval = 5.0
        self._retry: dict[str, tuple[int, float]] = {}
        """Stuck items' backoff in this process: local_ref -> (tries so far, monotonic time of the next try).
        Kept in memory on purpose: a restarted sender (an operator who fixed the token) tries everything at once."""
        create_private(path)  # before the first connection: SQLite gives -wal and -shm the file's mode
        try:
            conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
            try:  # outside a transaction: inside one, SQLite silently keeps the old journal mode
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
            with self._db() as db:
                db.execute(_SCHEMA)
                have = {row["name"] for row in db.execute("PRAGMA table_info(outbox)")}
                for name, kind in _ADDED_COLUMNS.items():
                    if name not in have:
                        db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")
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

        An alert whose content the office's schema refuses raises ``ServicesRejected`` (422) and is not stored:
        a stored alert is retried until it is delivered, which such content never would be. The caller sends a
        plainer alert at once instead (``kiosk_app/emergency.py``, ``skills/emergency_help``).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind: {kind!r}")
        if kind == "alert" and not payload.get("raised_at"):
            # the office shows an alert that waited here at the time it was raised, not when it arrived; it is
            # part of the stored payload, so every delivery attempt sends the same request for the same key
            payload = {**payload, "raised_at": raised_now()}
        if kind == "alert":
            try:
                AlertCreate.model_validate(payload)
            except ValidationError as e:
                raise ServicesRejected("Some of the details of the alert were not accepted.", status=422,
                                       detail=e.errors(include_url=False, include_input=False)) from e
        local_ref = f"Q{uuid.uuid4().int % 100000:05d}"
        try:
            with self._db() as db:
                while db.execute("SELECT 1 FROM outbox WHERE local_ref=?", (local_ref,)).fetchone():
                    local_ref = f"Q{uuid.uuid4().int % 100000:05d}"
                db.execute(
                    "INSERT INTO outbox (local_ref, kind, payload, idempotency_key, created_at, sender_id) "
                    "VALUES (?,?,?,?,?,?)",
                    (local_ref, kind, json.dumps(payload, ensure_ascii=False), key or str(uuid.uuid4()), _now(),
                     CONVERSATION.get()),
                )
        except OutboxUnavailable as e:  # rolled back: nothing of the item is in the file
            log.error("outbox: could not store a %s in %s: %s", kind, self.path, e.__cause__ or e)
            raise
        return local_ref

    def submit(self, kind: Kind, payload: dict[str, Any]) -> Submission:
        """Store, then try to deliver now.

        Delivered: the office's reference. Not delivered but kept pending (the office down, or stuck on an error
        a person can fix; alerts always): ``queued=True`` with the local reference. Raises ``ServicesRejected``
        only when the office refused a ticket's or feedback's content (the item is kept as ``rejected``) or an
        alert's content cannot be stored (see ``enqueue``).
        """
        local_ref = self.enqueue(kind, payload)
        item = self.get(local_ref)
        assert item is not None
        try:
            result = self._deliver(item)
        except ServicesError:
            after = self.get(local_ref)
            if after is not None and after.status == "rejected":
                raise
            self._wake.set()
            return Submission(reference=local_ref, queued=True)
        return Submission(reference=str(result.get("reference") or result.get("number")), queued=False,
                          result=result)

    def _deliver(self, item: OutboxItem) -> dict[str, Any]:
        """Send one item. Raises the client's ``ServicesError`` after recording the failure on the item."""
        with self._send_lock:
            current = self.get(item.local_ref)
            if current is not None and current.status == "delivered":
                return {"reference": current.reference}  # another sender got there first
            if current is None or current.status == "rejected":
                raise ServicesRejected(status=422, detail="this item was refused by the services API")
            try:
                result = self.client.submit(item.kind, item.payload, item.idempotency_key)
            except ServicesError as e:
                self._record_failure(current, e)
                raise
            reference = str(result.get("reference") or result.get("number") or "")
            try:
                with self._db() as db:  # the office has it: the resident's words leave this file (docs/privacy.md)
                    db.execute(
                        "UPDATE outbox SET status='delivered', reference=?, delivered_at=?, attempts=attempts+1, "
                        "alarm=NULL, payload=? WHERE local_ref=?",
                        (reference, _now(), DELIVERED_PAYLOAD, item.local_ref),
                    )
                    db.execute("DELETE FROM outbox WHERE local_ref=? AND forget=1", (item.local_ref,))
            except OutboxUnavailable as e:
                # the office has it; the item stays pending here and a later flush gets the same answer back for
                # its key (no second row), so the resident is told the truth: it arrived
                log.warning("outbox: %s %s delivered as %s but not marked so (%s); it is confirmed again later",
                            item.kind, item.local_ref, reference, e)
                return result
            self._retry.pop(item.local_ref, None)
            if current.alarm:
                log.warning("outbox: %s %s delivered as %s after %d attempts; it was stuck (%s)", item.kind,
                            item.local_ref, reference, current.attempts + 1, current.alarm)
            else:
                log.info("outbox: delivered %s %s as %s", item.kind, item.local_ref, reference)
            return result

    def _record_failure(self, before: OutboxItem, error: ServicesError) -> None:
        status = _status_of(error)
        outcome = outcome_of(before.kind, status)
        reason = reason_of(status, _detail_text(error))
        alarm = None if outcome == "waiting" else reason
        try:
            with self._db() as db:
                db.execute(
                    "UPDATE outbox SET attempts=attempts+1, last_error=?, last_status=?, alarm=?, failed_at=?, "
                    "status=? WHERE local_ref=? AND status='pending'",
                    (reason[:500], status, alarm, _now(), "rejected" if outcome == "refused" else "pending",
                     before.local_ref),
                )
        except OutboxUnavailable as e:  # a full disk: the item stays as it was (pending), tried again later
            log.warning("outbox: could not note the failure of %s (%s)", before.local_ref, e)
        if outcome == "stuck":
            tries, _ = self._retry.get(before.local_ref, (0, 0.0))
            cap = self.retry_cap_alert if before.kind == "alert" else self.retry_cap_other
            delay = min(cap, self._interval * 2 ** tries)
            self._retry[before.local_ref] = (tries + 1, time.monotonic() + delay)
        else:
            self._retry.pop(before.local_ref, None)
        if status == before.last_status:
            return  # the same state as the last attempt: said already (once per change, not once per retry)
        if outcome == "waiting":
            log.warning("outbox: %s %s waits: %s; it is kept and retried", before.kind, before.local_ref, reason)
        elif outcome == "stuck":
            log.error("outbox: ALARM %s %s is not accepted by the office: %s. It is kept and retried until it is "
                      "delivered; someone must fix this (attempt %d)", before.kind, before.local_ref, reason,
                      before.attempts + 1)
        else:
            log.error("outbox: ALARM %s %s was refused by the office: %s. It is kept as refused and not retried; "
                      "a person must follow it up", before.kind, before.local_ref, reason)

    def forget_conversation(self, sender_id: str) -> int:
        """The privacy reset: delete the conversation's delivered and refused items now, and mark its pending ones
        to be deleted once delivered (nothing is lost). Returns how many rows were deleted."""
        with self._db() as db:
            deleted = db.execute("DELETE FROM outbox WHERE sender_id=? AND status!='pending'", (sender_id,)).rowcount
            db.execute("UPDATE outbox SET forget=1 WHERE sender_id=? AND status='pending'", (sender_id,))
        return int(deleted)

    def sweep(self, cutoff: datetime) -> int:
        """Retention: delete delivered and refused items created before ``cutoff`` (an aware time) and blank the
        payload of any delivered item that still has one (written by an older version). Pending items stay."""
        with self._db() as db:
            deleted = db.execute("DELETE FROM outbox WHERE status!='pending' AND created_at < ?",
                                 (cutoff.astimezone(UTC).isoformat(timespec="seconds"),)).rowcount
            db.execute("UPDATE outbox SET payload=? WHERE status='delivered' AND payload!=?",
                       (DELIVERED_PAYLOAD, DELIVERED_PAYLOAD))
        make_private(self.path)
        return int(deleted)

    def remove(self, local_refs: list[str]) -> int:
        """Delete these items, whatever their state (``linli privacy erase``)."""
        with self._db() as db:
            return sum(int(db.execute("DELETE FROM outbox WHERE local_ref=?", (ref,)).rowcount) for ref in local_refs)

    def forget_on_delivery(self, local_refs: list[str]) -> None:
        """Mark pending items to be deleted once delivered."""
        with self._db() as db:
            for ref in local_refs:
                db.execute("UPDATE outbox SET forget=1 WHERE local_ref=? AND status='pending'", (ref,))

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

    def health(self) -> OutboxHealth:
        """Backlog, refused and stuck counts and the latest reason a person must know, in one read."""
        with self._db() as db:
            backlog, refused, stuck = db.execute(
                "SELECT COALESCE(SUM(status='pending'), 0), COALESCE(SUM(status='rejected'), 0), "
                "COALESCE(SUM(status='pending' AND alarm IS NOT NULL), 0) FROM outbox").fetchone()
            latest = db.execute(
                "SELECT kind, local_ref, COALESCE(alarm, last_error, 'refused') AS why FROM outbox "
                "WHERE (status='pending' AND alarm IS NOT NULL) OR status='rejected' "
                "ORDER BY failed_at IS NULL, failed_at DESC, id DESC LIMIT 1").fetchone()
        problem = f"{latest['kind']} {latest['local_ref']}: {latest['why']}" if latest else None
        return OutboxHealth(backlog=int(backlog), refused=int(refused), stuck=int(stuck), problem=problem)

    def flush(self, *, due_only: bool = False) -> int:
        """Deliver pending items oldest first; stop at the first sign the API is still down.

        An item the office answers with an error (stuck or refused) does not stop the others. ``due_only`` (the
        sender thread) skips stuck items whose backoff has not run out; a direct call tries every pending item.
        """
        delivered = 0
        now = time.monotonic()
        for item in self.items("pending"):
            if due_only and self._retry.get(item.local_ref, (0, 0.0))[1] > now:
                continue
            try:
                self._deliver(item)
                delivered += 1
            except ServicesError as e:
                if outcome_of(item.kind, _status_of(e)) == "waiting":
                    break
                continue
        return delivered

    def start_sender(self, interval: float = 5.0) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._interval = interval
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
                self.flush(due_only=True)
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
        last_error=row["last_error"],
        last_status=row["last_status"],
        alarm=row["alarm"],
        sender_id=row["sender_id"],
        created_at=row["created_at"],
    )
