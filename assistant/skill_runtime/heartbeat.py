"""The kiosk's heartbeat to the office (issue 14, point 7: kiosk health in the staff console).

``Heartbeat.start()`` runs a daemon thread (``kiosk-heartbeat``, never the UI thread) that sends one beat at once
and then one every ``interval`` seconds (``LINLI_KIOSK_HEARTBEAT_SECONDS``, 30): the kiosk's name and location
(settings), the dialogue model in use and the outbox's counts, with ``PUT /kiosks/{id}/heartbeat`` through the
typed services client. The office stamps its own time as "last seen".

* The model comes from ``model()``, a callable the caller passes in (the kiosk backend asks Rasa's ``/status`` for
  ``model_file`` through its conversation client; this module does not import the dialogue package, which
  imports this one). ``None`` or an exception: the beat goes without a model ("not known" in the console).
* The counts: the outbox file's items ``pending`` (backlog), ``rejected`` (refused by the services) and stuck
  (pending, answered with an error a person must fix), with the latest reason (``Outbox.health``).
* The back end's state, when ``stack_status`` names ``linli run``'s status file (``var/run/stack-status.json``,
  ``docs/supervision.md``): ready or degraded, and each part's state and restarts. No file: no ``stack`` field.
* The office down or slow, the outbox file locked: the beat is skipped quietly (logged at debug level) and the
  next one is tried at the next interval. Nothing here raises to the caller.
* The office refusing the beat itself (401/403: this kiosk's token is not accepted) is an operator's problem: it
  is logged at ERROR once, again only when the answer changes, and the beats go on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from assistant.shared.stack_status import read_status
from community_services.client import ServicesClient, ServicesError, ServicesRejected
from community_services.schemas import KioskHeartbeatIn, KioskStackHealth, KioskStackPart

from .outbox import Outbox

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 30.0
TIMEOUT_SECONDS = 3.0


class Heartbeat:
    def __init__(
        self,
        services_url: str,
        token: str,
        kiosk_id: str,
        location: str,
        outbox_path: Path,
        model: Callable[[], str | None],
        *,
        interval: float = INTERVAL_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        stack_status: Path | None = None,
    ) -> None:
        self.kiosk_id = kiosk_id
        self.location = location
        self.model = model
        self.interval = interval
        self._client = ServicesClient(services_url, token, timeout=timeout)
        self._outbox_path = outbox_path
        self._stack_status = stack_status
        self._outbox: Outbox | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        """Beats the office accepted (for tests and the log)."""
        self._refused: int | None = None
        """The status of the office's last refusal of a beat, so it is logged once per change."""

    def _model(self) -> str | None:
        try:
            return self.model()
        except Exception as e:  # Rasa down or slow: the beat still goes, without a model
            log.debug("heartbeat: model not known (%s)", e)
            return None

    def _stack(self) -> KioskStackHealth | None:
        status = read_status(self._stack_status) if self._stack_status is not None else None
        if status is None:
            return None
        return KioskStackHealth(state=status.state, parts=[
            KioskStackPart(name=p.name, state=p.state, restarts=p.restarts, last_exit_code=p.last_exit_code,
                           message=p.message or None) for p in status.parts])

    def beat(self) -> bool:
        """Send one heartbeat now; True if the office took it. Never raises."""
        try:
            self._outbox = self._outbox or Outbox(self._outbox_path, self._client)
            health = self._outbox.health()
            body = KioskHeartbeatIn(location=self.location, model=self._model(), outbox_backlog=health.backlog,
                                    outbox_refused=health.refused, outbox_stuck=health.stuck,
                                    outbox_problem=health.problem[:300] if health.problem else None,
                                    stack=self._stack())
            self._client.send_heartbeat(self.kiosk_id, body)
        except ServicesRejected as e:  # this kiosk's token or its beat refused: someone must look, say it once
            if e.status != self._refused:
                log.error("heartbeat: the office refused this kiosk's heartbeat (%s: %s); the console cannot see "
                          "this kiosk until it is fixed (LINLI_KIOSK_TOKEN?)", e.status, e.message)
            self._refused = e.status
            return False
        except ServicesError as e:  # the office is down: try again next time, quietly
            log.debug("heartbeat: not delivered (%s)", e.message)
            return False
        except Exception:  # a locked outbox file, a bad setting: the next beat may do better
            log.warning("heartbeat: failed", exc_info=True)
            return False
        if self._refused is not None:
            log.warning("heartbeat: the office accepts this kiosk's heartbeat again")
            self._refused = None
        self.sent += 1
        return True

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and close the client (waits for a beat under way, at most its timeout)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=TIMEOUT_SECONDS + 5)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self.interval)
