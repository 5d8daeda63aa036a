"""While a person from the office talks through the kiosk, fetch their words: the kiosk side of a handoff.

``HandoffWatch.watch(reference)`` starts a daemon thread that asks the office every ``interval`` seconds
(``GET /handoffs/{ref}?after=N`` through the typed client) for what is new, and publishes typed events:
``HandoffJoined`` once when a staff member joins, ``HandoffMessage`` for each of their messages, in order and
once each, and ``HandoffEnded`` when the conversation is over (then the watch ends). ``stop()`` ends it too
(the kiosk's idle reset, a new handoff, shutdown). The office being down or slow is not a reason to stop: it
keeps asking, quietly. See ``docs/handoff.md``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from assistant.shared.events import Event, HandoffEnded, HandoffJoined, HandoffMessage
from community_services.client import ServicesClient, ServicesError
from community_services.schemas import HandoffEnd

log = logging.getLogger(__name__)

SPOKEN: dict[str, dict[str, str]] = {
    "en": {"joined": "{name} from the office is here to talk with you.", "says": "{name} says: {text}"},
    "zh-CN": {"joined": "物业办公室的{name}来和您说话了。", "says": "{name}说：{text}"},
}
"""What the voice terminal says (the kiosk's own words are in ``kiosk_app/texts.py``); other locales: English."""

INTERVAL_SECONDS = 1.0
GIVE_UP_AFTER_SECONDS = 60 * 60.0
TIMEOUT_SECONDS = 3.0


def spoken(event: HandoffJoined | HandoffMessage, locale: str) -> str:
    words = SPOKEN.get(locale, SPOKEN["en"])
    if isinstance(event, HandoffJoined):
        return words["joined"].format(name=event.staff_name)
    return words["says"].format(name=event.staff_name, text=event.text)


class HandoffWatch:
    def __init__(self, services_url: str, token: str, on_event: Callable[[Event], None], *,
                 interval: float = INTERVAL_SECONDS, give_up_after: float = GIVE_UP_AFTER_SECONDS) -> None:
        self.services_url = services_url
        self.token = token
        self.on_event = on_event
        self.interval = interval
        self.give_up_after = give_up_after
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._reference: str | None = None

    @property
    def reference(self) -> str | None:
        """The handoff being watched (``None``: no person is talking through this kiosk)."""
        thread = self._thread
        return self._reference if thread is not None and thread.is_alive() else None

    def watch(self, reference: str) -> None:
        """Start watching the handoff ``reference`` (replacing any earlier watch)."""
        stop = threading.Event()
        thread = threading.Thread(target=self._run, args=(reference, stop), name="kiosk-handoff-watch",
                                  daemon=True)
        with self._lock:
            if self._stop is not None:
                self._stop.set()
            self._stop, self._thread, self._reference = stop, thread, reference
        thread.start()

    def stop(self) -> str | None:
        """Stop watching; returns the reference that was being watched, if any."""
        with self._lock:
            reference = self.reference
            if self._stop is not None:
                self._stop.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=TIMEOUT_SECONDS + 2)
        return reference

    def resident_left(self, reference: str) -> None:
        """The idle reset ended the conversation: tell the office (so the console shows it), in the background."""
        def tell() -> None:
            try:
                with ServicesClient(self.services_url, self.token, timeout=TIMEOUT_SECONDS) as client:
                    client.end_handoff(reference, HandoffEnd(reason="resident_left"))
            except ServicesError as e:
                log.warning("handoff %s: could not tell the office the resident left (%s)", reference, e.message)
        threading.Thread(target=tell, name="kiosk-handoff-left", daemon=True).start()

    def _run(self, reference: str, stop: threading.Event) -> None:
        deadline = time.monotonic() + self.give_up_after
        after: int | None = None
        joined = False
        with ServicesClient(self.services_url, self.token, timeout=TIMEOUT_SECONDS) as client:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    view = client.get_handoff(reference, after=after)
                    if view is None:
                        log.warning("handoff watch: the office does not know %s; not watching it", reference)
                        return
                    if view.staff_name and not joined:
                        joined = True
                        self._tell(HandoffJoined(reference, view.staff_name), stop)
                    for message in view.messages:
                        after = max(after or 0, message.id)
                        if message.sender == "staff":
                            self._tell(HandoffMessage(reference, message.name or view.staff_name or "", message.text),
                                       stop)
                    if view.status == "ended":
                        by = view.ended_reason if view.ended_reason in ("resident", "resident_left") else "staff"
                        self._tell(HandoffEnded(reference, by, view.staff_name or ""), stop)
                        return
                except ServicesError as e:  # the office is down or slow: keep asking, quietly
                    log.debug("handoff watch: %s", e.message)
                except Exception:
                    log.warning("handoff watch: check failed", exc_info=True)
                stop.wait(self.interval)
        if not stop.is_set():
            log.info("handoff watch: gave up on %s after %g s", reference, self.give_up_after)

    def _tell(self, event: Event, stop: threading.Event) -> None:
        if stop.is_set():  # stopped while the words were on their way: the resident has gone
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("handoff watch: the handler failed")
