"""Live events for open consoles: an in-process broker and the Server-Sent Events stream that serves it.

``LiveBroker.publish(type, data)`` may be called from any thread (the sync routes run in a thread pool, the
escalation loop's database work too): it numbers the event, keeps it in a bounded ring buffer and hands it to
each subscriber's asyncio queue with ``loop.call_soon_threadsafe``. Callers publish *after* their commit.

Event ids are integers that keep increasing, also across restarts of the service (the first id of a broker is
the time it started, in milliseconds). A client that reconnects with ``Last-Event-ID`` gets every event it missed
that is still in the buffer; when some are no longer there (a long outage, or the service restarted) it first
gets a ``stream.gap`` event, meaning "reload the whole board".

``event_stream`` is the SSE body generator; the JSON API serves it at ``GET /api/v1/events/stream`` (staff
token) and the console can serve the same generator behind its own session check.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

AlertEventType = Literal["alert.raised", "alert.acknowledged", "alert.resolved", "alert.escalated"]
ALERT_EVENTS: tuple[AlertEventType, ...] = ("alert.raised", "alert.acknowledged", "alert.resolved",
                                            "alert.escalated")
"""The alert desk's events; other areas publish their own types (``ticket.updated``, ...) through ``publish``."""
GAP = "stream.gap"
"""Sent first on a reconnect when some missed events are no longer kept: the client must reload its state."""

BUFFER_SIZE = 1000
"""Recent events kept for reconnecting clients."""
QUEUE_SIZE = 1000
"""Events one slow subscriber may have outstanding; more and its stream ends (it reconnects and catches up)."""
HEARTBEAT_SECONDS = 15.0


@dataclass(frozen=True)
class LiveEvent:
    id: int
    type: str
    """``alert.raised``, ``alert.acknowledged``, ... (``event:`` line of the stream)."""
    data: dict[str, Any]
    """JSON-ready (``data:`` line)."""

    def sse(self) -> str:
        body = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.type}\ndata: {body}\n\n"


@dataclass(eq=False)
class Subscription:
    """One connected client. ``backlog``: the events it missed (a reconnect), to send before live ones."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[LiveEvent | None]
    backlog: list[LiveEvent] = field(default_factory=list)
    overflowed: bool = False


class LiveBroker:
    def __init__(self, buffer_size: int = BUFFER_SIZE, *, first_id: int | None = None) -> None:
        self._lock = threading.Lock()
        self._buffer: deque[LiveEvent] = deque(maxlen=buffer_size)
        self._next_id = first_id if first_id is not None else int(time.time() * 1000)
        self._subscribers: set[Subscription] = set()
        self._closed = False

    @property
    def last_id(self) -> int:
        """The id of the newest event (one less than the next id if none was published yet)."""
        with self._lock:
            return self._next_id - 1

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish(self, type_: str, data: dict[str, Any]) -> LiveEvent:
        """Send an event to every subscriber (any thread; never blocks, never raises for a gone subscriber)."""
        with self._lock:
            event = LiveEvent(self._next_id, type_, data)
            self._next_id += 1
            self._buffer.append(event)
            subscribers = list(self._subscribers)
        for sub in subscribers:
            self._deliver(sub, event)
        return event

    def _deliver(self, sub: Subscription, event: LiveEvent | None) -> None:
        def put() -> None:
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.overflowed = True
                self.unsubscribe(sub)
                sub.queue.get_nowait()  # room for the end marker: the stream ends, the client reconnects
                sub.queue.put_nowait(None)

        try:
            sub.loop.call_soon_threadsafe(put)
        except RuntimeError:  # its event loop is closed: the client is gone
            self.unsubscribe(sub)

    def subscribe(self, last_event_id: int | None = None) -> Subscription:
        """Register the calling event loop's client; with ``last_event_id``, what it missed is in ``backlog``."""
        sub = Subscription(asyncio.get_running_loop(), asyncio.Queue(maxsize=QUEUE_SIZE))
        with self._lock:
            latest = self._next_id - 1
            if last_event_id is not None and last_event_id > latest:  # an id from before a restart
                sub.backlog.append(LiveEvent(latest, GAP, {"reason": "the service restarted"}))
            elif last_event_id is not None and last_event_id < latest:
                oldest = self._buffer[0].id if self._buffer else self._next_id
                if last_event_id < oldest - 1:
                    sub.backlog.append(LiveEvent(latest, GAP, {"reason": "some events were missed"}))
                sub.backlog.extend(e for e in self._buffer if e.id > last_event_id)
            if self._closed:
                sub.queue.put_nowait(None)
            else:
                self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def close(self) -> None:
        """End every stream (the service is stopping)."""
        with self._lock:
            self._closed = True
            subscribers = list(self._subscribers)
            self._subscribers.clear()
        for sub in subscribers:
            self._deliver(sub, None)


def parse_last_event_id(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


async def event_stream(
    broker: LiveBroker,
    last_event_id: int | None = None,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
    is_disconnected: Callable[[], Any] | None = None,
) -> AsyncIterator[str]:
    """The text of an SSE stream: missed events, then live ones, a ``: heartbeat`` comment when quiet.

    ``is_disconnected``: an awaitable-returning callable (``request.is_disconnected``) checked at each heartbeat.
    """
    sub = broker.subscribe(last_event_id)
    try:
        yield f"retry: 2000\n: connected, last id {broker.last_id}\n\n"
        for event in sub.backlog:
            yield event.sse()
        while True:
            try:
                item = await asyncio.wait_for(sub.queue.get(), timeout=heartbeat)
            except TimeoutError:
                if is_disconnected is not None and await is_disconnected():
                    return
                yield ": heartbeat\n\n"
                continue
            if item is None:
                return
            yield item.sse()
    finally:
        broker.unsubscribe(sub)
