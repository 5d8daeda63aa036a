"""outbox: stored before sending, delivered exactly once, never lost — against the real services API."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.skill_runtime.outbox import Outbox
from community_services.client import ServicesClient, ServicesRejected
from tests.dialogue.helpers import closed_port

from .helpers import LATER_KIOSK, LATER_STAFF, StartLater

DEADLINE = 15.0
"""Generous upper bound for background delivery; the loop returns as soon as it is done."""


@pytest.fixture
def live(services_server: Any) -> Iterator[ServicesClient]:
    with services_server.kiosk() as client:
        yield client


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "outbox.db"


def feedback() -> dict[str, Any]:
    """A feedback payload whose text is unique, so the staff list can count its copies."""
    return {"text": f"The lift in Building 3 is slow ({uuid.uuid4().hex})", "category": "complaint"}


def staff_rows(staff: ServicesClient, path: str) -> list[dict[str, Any]]:
    # The typed client has no staff list methods (yet); its request plumbing still does auth and errors.
    rows: list[dict[str, Any]] = staff._request("GET", path).json()
    return rows


def copies(services_server: Any, payload: dict[str, Any]) -> int:
    """How many feedback records the services hold with this payload's text (staff view)."""
    with services_server.staff() as staff:
        return sum(row["text"] == payload["text"] for row in staff_rows(staff, "/feedback"))


def raw_rows(path: Path) -> list[dict[str, Any]]:
    """The outbox table read with a plain connection, as another process would."""
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")]


def status(outbox: Outbox, local_ref: str) -> str:
    item = outbox.get(local_ref)
    assert item is not None, local_ref
    return item.status


def attempts(outbox: Outbox, local_ref: str) -> int:
    item = outbox.get(local_ref)
    assert item is not None, local_ref
    return item.attempts


def wait_until(condition: Any, timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


# --- delivered at once --------------------------------------------------------------------------

def test_submit_delivers_and_returns_the_api_reference(path: Path, live: ServicesClient, services_server: Any) -> None:
    outbox = Outbox(path, live)
    payload = feedback()
    sub = outbox.submit("feedback", payload)
    assert sub.queued is False
    assert sub.result is not None
    assert sub.reference == sub.result["reference"]
    assert sub.reference.startswith("F")
    [item] = outbox.items()
    assert (item.kind, item.status, item.reference, item.attempts) == ("feedback", "delivered", sub.reference, 1)
    assert item.payload == {}  # delivered: the office has it, the resident's words leave the kiosk (docs/privacy.md)
    assert item.local_ref.startswith("Q")
    assert copies(services_server, payload) == 1


def test_ticket_reference_is_its_number(path: Path, live: ServicesClient) -> None:
    sub = Outbox(path, live).submit("ticket", {"problem_type": "plumbing", "place": "Building 3, flat 502",
                                               "description": "The kitchen tap is leaking.",
                                               "phone": "138 0013 8000"})
    assert sub.queued is False
    assert sub.result is not None and sub.reference == sub.result["number"]
    assert sub.reference.startswith("R")


def test_alert_is_delivered(path: Path, live: ServicesClient, services_server: Any) -> None:
    sub = Outbox(path, live).submit("alert", {"kind": "fall", "location": "Service Centre lobby",
                                              "kiosk_id": "kiosk-test", "details": f"test {uuid.uuid4().hex}"})
    assert sub.queued is False
    with services_server.staff() as staff:
        assert sub.reference in {row["reference"] for row in staff_rows(staff, "/alerts")}


def test_unknown_kind_is_refused_and_not_stored(path: Path, live: ServicesClient) -> None:
    outbox = Outbox(path, live)
    with pytest.raises(ValueError, match="unknown outbox kind"):
        outbox.submit("appointment", feedback())  # type: ignore[arg-type]
    assert outbox.items() == []


def test_outbox_file_uses_wal(path: Path, live: ServicesClient) -> None:
    Outbox(path, live)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- services down: queued, persisted, delivered later exactly once --------------------------------

def test_services_down_queues_with_a_q_reference(path: Path, down_client: ServicesClient,
                                                 services_server: Any) -> None:
    payload = {"text": f"路灯坏了 ({uuid.uuid4().hex})", "category": "general"}
    sub = Outbox(path, down_client).submit("feedback", payload)
    assert sub.queued is True
    assert sub.result is None
    assert len(sub.reference) == 6 and sub.reference[0] == "Q" and sub.reference[1:].isdigit()
    [row] = raw_rows(path)  # on disk, readable by another connection
    assert row["local_ref"] == sub.reference
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert row["last_error"]
    assert row["reference"] is None
    assert "路灯坏了" in row["payload"]
    assert copies(services_server, payload) == 0


def test_queued_item_survives_reopening_and_flush_delivers_once(path: Path, down_client: ServicesClient,
                                                                live: ServicesClient, services_server: Any) -> None:
    payload = feedback()
    queued = Outbox(path, down_client).submit("feedback", payload)

    reopened = Outbox(path, live)  # e.g. after a kiosk restart
    [pending] = reopened.items("pending")
    assert pending.local_ref == queued.reference
    assert pending.payload == payload

    assert reopened.flush() == 1
    item = reopened.get(queued.reference)
    assert item is not None
    assert item.status == "delivered"
    assert item.reference and item.reference.startswith("F")
    assert item.attempts == 2
    assert copies(services_server, payload) == 1

    assert reopened.flush() == 0  # flushing twice sends nothing again
    assert Outbox(path, live).flush() == 0
    assert copies(services_server, payload) == 1


def test_flush_while_down_stops_at_the_first_failure(path: Path, down_client: ServicesClient) -> None:
    outbox = Outbox(path, down_client)
    refs = [outbox.submit("feedback", feedback()).reference for _ in range(3)]
    assert outbox.flush() == 0
    tried = {item.local_ref: item.attempts for item in outbox.items("pending")}
    assert tried == {refs[0]: 2, refs[1]: 1, refs[2]: 1}  # oldest first; the others were not tried


def test_flush_delivers_oldest_first(path: Path, down_client: ServicesClient, live: ServicesClient,
                                     services_server: Any) -> None:
    queued = Outbox(path, down_client)
    refs = [queued.submit("feedback", feedback()).reference for _ in range(3)]
    outbox = Outbox(path, live)
    assert outbox.flush() == 3
    delivered = [item.reference for ref in refs if (item := outbox.get(ref)) is not None]
    with services_server.staff() as staff:  # references are random: the office's list (newest first) tells
        listed = [row["reference"] for row in staff_rows(staff, "/feedback") if row["reference"] in delivered]
    assert len(delivered) == 3 and listed == delivered[::-1]


def test_lost_response_is_not_delivered_twice(path: Path, live: ServicesClient, services_server: Any) -> None:
    """The API created the record but the kiosk never marked it: the retry reuses the key and gets the same one."""
    outbox = Outbox(path, live)
    payload = feedback()
    first = outbox.submit("feedback", payload)
    with sqlite3.connect(path) as conn:  # as if the process died between the API's answer and the UPDATE
        conn.execute("UPDATE outbox SET status='pending', reference=NULL, payload=? WHERE reference=?",
                      (json.dumps(payload), first.reference))
    assert outbox.flush() == 1
    [item] = outbox.items()
    assert item.status == "delivered"
    assert item.reference == first.reference
    assert copies(services_server, payload) == 1


def test_concurrent_submit_and_flush_never_duplicate(path: Path, down_client: ServicesClient,
                                                     live: ServicesClient, services_server: Any) -> None:
    queued = Outbox(path, down_client)
    payloads = [feedback() for _ in range(6)]
    for payload in payloads:
        queued.submit("feedback", payload)

    first, second = Outbox(path, live), Outbox(path, live)  # e.g. the action server and a CLI flush
    fresh = [feedback() for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def run(target: Any, *args: Any) -> None:
        try:
            barrier.wait(timeout=10)
            target(*args)
        except BaseException as e:  # reported below; a thread must not swallow a failure
            errors.append(e)

    threads = [threading.Thread(target=run, args=(box.flush,)) for box in (first, first, second, second)]
    threads += [threading.Thread(target=run, args=(box.submit, "feedback", p))
                for box, p in zip((first, second, first, second), fresh, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert all(not t.is_alive() for t in threads)

    assert first.flush() == 0
    assert {item.status for item in first.items()} == {"delivered"}
    assert len(first.items()) == 10
    with services_server.staff() as staff:
        texts = [row["text"] for row in staff_rows(staff, "/feedback")]
    for payload in payloads + fresh:
        assert texts.count(payload["text"]) == 1
    references = [item.reference for item in first.items()]
    assert len(set(references)) == 10


# --- rejected content -----------------------------------------------------------------------------

def test_rejected_payload_is_kept_and_not_retried(path: Path, live: ServicesClient) -> None:
    outbox = Outbox(path, live)
    with pytest.raises(ServicesRejected) as err:
        outbox.submit("feedback", {"text": "   ", "category": "general"})
    assert err.value.status == 422
    [item] = outbox.items()
    assert item.status == "rejected"
    assert item.attempts == 1
    assert outbox.items("pending") == []
    assert outbox.flush() == 0
    assert attempts(outbox, item.local_ref) == 1
    [row] = raw_rows(path)
    assert row["last_status"] == 422
    assert row["last_error"].startswith("details not accepted (422)")
    assert row["alarm"] == row["last_error"]


def test_rejected_item_in_the_queue_does_not_block_the_others(path: Path, down_client: ServicesClient,
                                                               live: ServicesClient, services_server: Any) -> None:
    queued = Outbox(path, down_client)
    good = feedback()
    queued.submit("feedback", good)
    with sqlite3.connect(path) as conn:  # an item an older version queued, which the API now refuses
        conn.execute("INSERT INTO outbox (local_ref, kind, payload, idempotency_key, created_at) "
                     "VALUES ('Q99999', 'feedback', '{\"text\": \"\"}', 'old-key', '2026-01-01T00:00:00+00:00')")
    later = feedback()
    queued.submit("feedback", later)

    outbox = Outbox(path, live)
    assert outbox.flush() == 2
    assert status(outbox, "Q99999") == "rejected"
    assert outbox.flush() == 0
    assert attempts(outbox, "Q99999") == 1
    assert copies(services_server, good) == 1 and copies(services_server, later) == 1


# --- the sender thread ----------------------------------------------------------------------------

def test_sender_delivers_once_the_server_is_up(path: Path, start_services_later: StartLater) -> None:
    port = closed_port()
    with ServicesClient(f"http://127.0.0.1:{port}", LATER_KIOSK, timeout=2) as client:
        outbox = Outbox(path, client)
        payload = feedback()
        sub = outbox.submit("feedback", payload)
        assert sub.queued is True
        outbox.start_sender(interval=0.2)
        try:
            url = start_services_later(port)
            assert wait_until(lambda: status(outbox, sub.reference) == "delivered"), "not delivered in time"
        finally:
            outbox.stop_sender()
        assert outbox._thread is not None and not outbox._thread.is_alive()
    with ServicesClient(url, LATER_STAFF) as staff:
        texts = [row["text"] for row in staff_rows(staff, "/feedback")]
    assert texts.count(payload["text"]) == 1


def test_sender_starts_once_and_stops(path: Path, down_client: ServicesClient) -> None:
    outbox = Outbox(path, down_client)
    outbox.start_sender(interval=30)
    thread = outbox._thread
    outbox.start_sender(interval=30)
    assert outbox._thread is thread
    started = time.monotonic()
    outbox.stop_sender()  # wakes the thread instead of waiting for the interval
    assert thread is not None and not thread.is_alive()
    assert time.monotonic() - started < 10


def test_stop_without_start_is_harmless(path: Path, down_client: ServicesClient) -> None:
    outbox = Outbox(path, down_client)
    local_ref = outbox.enqueue("feedback", feedback())
    started = time.monotonic()
    outbox.stop_sender()  # nothing to stop: returns at once, raises nothing, touches nothing
    assert time.monotonic() - started < 1
    assert outbox._thread is None
    assert [(i.local_ref, i.status, i.attempts) for i in outbox.items()] == [(local_ref, "pending", 0)]
    outbox.start_sender(interval=30)  # an early stop does not keep the sender from starting later
    try:
        assert outbox._thread is not None and outbox._thread.is_alive()
    finally:
        outbox.stop_sender()
    assert not outbox._thread.is_alive()
