"""After an alert is raised, learn who is coming: watch the alert's status until a staff member takes it.

``HelpWatch.watch(alert)`` starts a daemon thread (never the UI thread) that asks the office every ``interval``
seconds (``GET /alerts/{ref}/status`` through the typed client). When someone acknowledged it, ``on_help`` gets a
``HelpComing(reference, staff_name)`` once and the watch ends. It also ends when the alert is resolved, on
``stop()`` (the kiosk's idle reset, a new alert, shutdown) or after ``give_up_after`` seconds. The office being
down or slow is not a reason to stop: it keeps trying, quietly.

An alert that is still in the outbox has only the outbox's local reference (``Q12345``). The watch then reads the
outbox item (same SQLite file as the sender: ``settings.outbox_path``) until the sender has delivered it and
recorded the office's reference, and goes on with that one. A refused item ends the watch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.shared.events import Alert, HelpComing
from community_services.client import ServicesClient, ServicesError

from .outbox import Outbox

log = logging.getLogger(__name__)

HELP_COMING_SPOKEN: dict[str, str] = {
    "en": "{name} is coming to you now.",
    "zh-CN": "{name}正在赶来帮您。",
}
"""What the voice terminal says (the kiosk's own words are in ``kiosk_app/texts.py``); other locales: English."""

INTERVAL_SECONDS = 2.0
GIVE_UP_AFTER_SECONDS = 30 * 60.0
TIMEOUT_SECONDS = 3.0


class HelpWatch:
    def __init__(
        self,
        services_url: str,
        token: str,
        outbox_path: Path,
        on_help: Callable[[HelpComing], None],
        *,
        interval: float = INTERVAL_SECONDS,
        give_up_after: float = GIVE_UP_AFTER_SECONDS,
    ) -> None:
        self.services_url = services_url
        self.token = token
        self.outbox_path = outbox_path
        self.on_help = on_help
        self.interval = interval
        self.give_up_after = give_up_after
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def watching(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def watch(self, alert: Alert) -> None:
        """Start watching ``alert`` (replacing any earlier watch). An alert that was not stored is not watched."""
        if not alert.stored:
            return
        stop = threading.Event()
        thread = threading.Thread(target=self._run, args=(alert, stop), name="kiosk-help-watch", daemon=True)
        with self._lock:
            if self._stop is not None:
                self._stop.set()
            self._stop, self._thread = stop, thread
        thread.start()

    def stop(self) -> None:
        with self._lock:
            if self._stop is not None:
                self._stop.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=TIMEOUT_SECONDS + 2)

    def _run(self, alert: Alert, stop: threading.Event) -> None:
        deadline = time.monotonic() + self.give_up_after
        reference: str | None = None if alert.queued else alert.reference
        with ServicesClient(self.services_url, self.token, timeout=TIMEOUT_SECONDS) as client:
            outbox: Outbox | None = None
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    if reference is None:
                        outbox = outbox or Outbox(self.outbox_path, client)
                        item = outbox.get(alert.reference)
                        if item is None or item.status == "rejected":
                            log.warning("help watch: outbox item %s is %s; not watching it", alert.reference,
                                        "gone" if item is None else "refused")
                            return
                        if item.status == "delivered" and item.reference:
                            reference = item.reference
                            log.info("help watch: %s was delivered as %s", alert.reference, reference)
                            continue
                    else:
                        seen = client.get_alert_status(reference)
                        if seen is not None and seen.acknowledged_by and seen.status == "acknowledged":
                            self._tell(HelpComing(reference, seen.acknowledged_by), stop)
                            return
                        if seen is not None and seen.status == "resolved":
                            return
                except ServicesError as e:  # the office is down or slow: keep trying, quietly
                    log.debug("help watch: %s", e.message)
                except Exception:  # a locked outbox file, anything: the next round may do better
                    log.warning("help watch: check failed", exc_info=True)
                stop.wait(self.interval)
        if not stop.is_set():
            log.info("help watch: gave up on %s after %g s", alert.reference, self.give_up_after)

    def _tell(self, event: HelpComing, stop: threading.Event) -> None:
        if stop.is_set():  # stopped while the answer was on its way: the resident has gone
            return
        try:
            self.on_help(event)
        except Exception:
            log.exception("help watch: the handler failed")
