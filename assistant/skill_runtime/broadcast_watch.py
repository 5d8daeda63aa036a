"""Urgent notices from the office (``docs/notices.md``): the kiosk asks for them every second and confirms each
one its screen has shown.

``BroadcastWatch.start()`` runs a daemon thread (``kiosk-broadcast-watch``, never the UI thread) that asks
``GET /broadcasts`` (through the typed client) every ``interval`` seconds (``LINLI_KIOSK_BROADCAST_SECONDS``, 1.0)
for this kiosk's buildings (``LINLI_KIOSK_BUILDINGS``; none: the whole community). Each notice, and each new
revision of one, reaches ``on_event`` once as an ``UrgentNotice``; a notice that left the list (withdrawn, over)
as an ``UrgentNoticeEnded``. ``confirm()`` queues the receipt; the same thread posts it (before the next poll) and
keeps it until the office took it. The office down or slow: the round is skipped quietly, and the next one is
tried on time; nothing here raises to the caller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from assistant.shared.events import Event, UrgentNotice, UrgentNoticeEnded
from community_services.client import NotFound, ServicesClient, ServicesError
from community_services.schemas import Broadcast, ReceiptIn

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
TIMEOUT_SECONDS = 2.0


def notice_event(broadcast: Broadcast) -> UrgentNotice:
    return UrgentNotice(notice_id=broadcast.id, revision=broadcast.revision, title=broadcast.title,
                        body=broadcast.body, kind=broadcast.kind, safety=broadcast.safety)


class BroadcastWatch:
    def __init__(
        self,
        services_url: str,
        token: str,
        kiosk_id: str,
        buildings: tuple[str, ...],
        on_event: Callable[[Event], None],
        *,
        interval: float = INTERVAL_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.kiosk_id = kiosk_id
        self.buildings = buildings
        self.on_event = on_event
        self.interval = interval
        self._client = ServicesClient(services_url, token, timeout=timeout)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._seen: dict[int, int] = {}
        """Notice id → the revision told to ``on_event``."""
        self._receipts: dict[tuple[int, int], datetime] = {}
        """Receipts waiting to be posted: (notice id, revision) → shown at."""
        self.confirmed: set[tuple[int, int]] = set()
        """Receipts the office took (for tests and the log)."""
        self.polls = 0
        """Rounds the office answered."""

    @property
    def active(self) -> dict[int, int]:
        """The notices in force as last seen: id → revision."""
        with self._lock:
            return dict(self._seen)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-broadcast-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and close the client (waits for a round under way, at most its timeout)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=TIMEOUT_SECONDS * 2 + 2)
        self._client.close()

    def confirm(self, notice_id: int, revision: int, shown_at: datetime | None = None) -> None:
        """The screen has shown this notice: tell the office (posted by the watch's thread, retried until taken)."""
        with self._lock:
            self._receipts.setdefault((notice_id, revision), shown_at or datetime.now())
        self._wake.set()

    def poll(self) -> bool:
        """One round now (receipts first, then the notices); True if the office answered. Never raises."""
        self._send_receipts()
        try:
            broadcasts = self._client.list_broadcasts(self.kiosk_id, self.buildings)
        except ServicesError as e:  # the office is down or refused: try again next round, quietly
            log.debug("broadcast watch: %s", e.message)
            return False
        except Exception:
            log.warning("broadcast watch: the check failed", exc_info=True)
            return False
        self.polls += 1
        new: list[UrgentNotice] = []
        with self._lock:
            ended = [notice_id for notice_id in self._seen if notice_id not in {b.id for b in broadcasts}]
            for notice_id in ended:
                del self._seen[notice_id]
            for broadcast in broadcasts:
                if self._seen.get(broadcast.id) != broadcast.revision:
                    self._seen[broadcast.id] = broadcast.revision
                    new.append(notice_event(broadcast))
        for notice_id in ended:
            self._tell(UrgentNoticeEnded(notice_id))
        for event in new:
            self._tell(event)
        return True

    def _send_receipts(self) -> None:
        with self._lock:
            waiting = list(self._receipts.items())
        for (notice_id, revision), shown_at in waiting:
            try:
                self._client.confirm_broadcast(notice_id, ReceiptIn(kiosk_id=self.kiosk_id, revision=revision,
                                                                    shown_at=shown_at))
            except NotFound:  # withdrawn and gone, or not urgent any more: nothing to confirm
                log.info("broadcast watch: notice %s is no longer an urgent notice; receipt dropped", notice_id)
            except ServicesError as e:
                log.debug("broadcast watch: receipt for %s not delivered (%s)", notice_id, e.message)
                continue
            except Exception:
                log.warning("broadcast watch: receipt failed", exc_info=True)
                continue
            else:
                self.confirmed.add((notice_id, revision))
            with self._lock:
                self._receipts.pop((notice_id, revision), None)

    def _tell(self, event: Event) -> None:
        if self._stop.is_set():
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("broadcast watch: the handler failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.poll()
            self._wake.wait(self.interval)
