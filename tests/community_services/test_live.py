"""The live stream over a real uvicorn server and httpx streaming clients: an alert raised reaches every open
stream, taking and resolving it too, and a reconnect with Last-Event-ID gets what was missed."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from community_services.app import create_app
from community_services.client import ServicesClient
from community_services.live import GAP, LiveBroker
from community_services.schemas import AlertCreate

KIOSK = "kiosk-token-for-tests"
STAFF = "staff-token-for-tests"
T0 = datetime(2026, 3, 2, 21, 0)
WAIT = 10.0


class StreamReader:
    """Reads an SSE stream on a thread; parsed events (and heartbeat comments) arrive in ``events``."""

    def __init__(self, url: str, token: str, last_event_id: int | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.status: int | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(WAIT, read=60))
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(f"{url}/api/v1/events/stream", headers),
                                        daemon=True)
        self._thread.start()
        assert self._connected.wait(WAIT), "the stream did not open"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self._connected.set()
                current: dict[str, Any] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.events.put({"comment": line[1:].strip()})
                    elif line == "":
                        if "event" in current:
                            self.events.put(current)
                        current = {}
                    else:
                        field, _, value = line.partition(":")
                        current[field] = value.removeprefix(" ")
        except httpx.HTTPError:
            pass
        finally:
            self._connected.set()

    def next_event(self) -> dict[str, Any]:
        while True:
            item = self.events.get(timeout=WAIT)
            if "event" in item:
                return {"id": int(item["id"]), "type": item["event"], "data": json.loads(item["data"])}

    def close(self) -> None:
        self._client.close()
        self._thread.join(WAIT)


@pytest.fixture
def server(tmp_path: Path, app_server: Callable[[FastAPI, Path], Any]) -> Any:
    db = tmp_path / "live.db"
    app = create_app(f"sqlite:///{db}", KIOSK, STAFF, seed=False, clock=lambda: T0, heartbeat_seconds=0.3)
    return app_server(app, db)


@pytest.fixture
def readers() -> Iterator[list[StreamReader]]:
    opened: list[StreamReader] = []
    yield opened
    for reader in opened:
        reader.close()


def _raise(url: str, details: str = "I have fallen") -> str:
    with ServicesClient(url, KIOSK) as kiosk:
        return kiosk.raise_alert(AlertCreate(kind="fall", location="Building 3 lobby", kiosk_id="kiosk-b3",
                                             details=details)).reference


def test_an_alert_reaches_two_open_streams_then_its_acknowledgement_and_resolution(
    server: Any, readers: list[StreamReader]
) -> None:
    readers += [StreamReader(server.url, STAFF), StreamReader(server.url, STAFF)]
    reference = _raise(server.url, "<b>help</b> [b]me[/b]")
    for reader in readers:
        event = reader.next_event()
        assert event["type"] == "alert.raised"
        data = event["data"]
        assert (data["reference"], data["kiosk_id"], data["location"]) == (reference, "kiosk-b3", "Building 3 lobby")
        assert data["details"] == "<b>help</b> [b]me[/b]"  # as said: the page escapes it
        assert data["status"] == "open" and data["waited_seconds"] == 0
    with ServicesClient(server.url, STAFF) as staff:
        staff.acknowledge_alert(reference, "Wang Fang")
        staff.resolve_alert(reference, "Wang Fang", "All well")
    for reader in readers:
        taken, done = reader.next_event(), reader.next_event()
        assert (taken["type"], taken["data"]["acknowledged_by"]) == ("alert.acknowledged", "Wang Fang")
        assert (done["type"], done["data"]["resolved_by"]) == ("alert.resolved", "Wang Fang")
        assert taken["id"] < done["id"]


def test_a_quiet_stream_gets_heartbeats(server: Any, readers: list[StreamReader]) -> None:
    readers.append(StreamReader(server.url, STAFF))
    comments = [readers[0].events.get(timeout=WAIT) for _ in range(3)]
    assert {"comment": "heartbeat"} in comments


def test_a_reconnect_with_last_event_id_gets_what_was_missed(server: Any, readers: list[StreamReader]) -> None:
    first = StreamReader(server.url, STAFF)
    readers.append(first)
    seen = _raise(server.url)
    last_id = first.next_event()["id"]
    first.close()  # the console's network drops
    missed = [_raise(server.url, f"missed {i}") for i in range(2)]
    again = StreamReader(server.url, STAFF, last_event_id=last_id)
    readers.append(again)
    replayed = [again.next_event(), again.next_event()]
    assert [e["data"]["reference"] for e in replayed] == missed
    assert seen not in [e["data"]["reference"] for e in replayed]
    live = _raise(server.url, "after the reconnect")
    assert again.next_event()["data"]["reference"] == live


def test_a_replayed_create_is_not_announced_twice(server: Any, readers: list[StreamReader]) -> None:
    reader = StreamReader(server.url, STAFF)
    readers.append(reader)
    with ServicesClient(server.url, KIOSK) as kiosk:
        payload = AlertCreate(kind="help", location="Gate", kiosk_id="k1")
        first = kiosk.raise_alert(payload, idempotency_key="same").reference
        kiosk.raise_alert(payload, idempotency_key="same")
        second = kiosk.raise_alert(payload).reference
    assert [reader.next_event()["data"]["reference"] for _ in range(2)] == [first, second]


def test_the_stream_needs_the_staff_token(server: Any, readers: list[StreamReader]) -> None:
    with httpx.Client(timeout=WAIT) as http:
        assert http.get(f"{server.url}/api/v1/events/stream",
                        headers={"Authorization": f"Bearer {KIOSK}"}).status_code == 403
        assert http.get(f"{server.url}/api/v1/events/stream").status_code == 401


# --- the broker alone -------------------------------------------------------------------------


def test_broker_says_gap_when_missed_events_are_gone() -> None:
    import asyncio

    async def scenario() -> None:
        broker = LiveBroker(buffer_size=3, first_id=1)
        for i in range(6):
            broker.publish("alert.raised", {"n": i})
        sub = broker.subscribe(last_event_id=1)  # ids 2 and 3 are no longer kept
        assert [e.type for e in sub.backlog] == [GAP, "alert.raised", "alert.raised", "alert.raised"]
        assert [e.data["n"] for e in sub.backlog[1:]] == [3, 4, 5]
        restarted = broker.subscribe(last_event_id=10_000)  # an id from before a restart
        assert [e.type for e in restarted.backlog] == [GAP]
        current = broker.subscribe(last_event_id=broker.last_id)
        assert current.backlog == []
        threading.Thread(target=broker.publish, args=("alert.escalated", {"n": 6})).start()  # another thread
        event = await asyncio.wait_for(current.queue.get(), 5)
        assert event is not None and event.type == "alert.escalated"
        broker.close()
        assert await asyncio.wait_for(current.queue.get(), 5) is None

    asyncio.run(scenario())
