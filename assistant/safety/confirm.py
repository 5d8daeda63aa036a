"""The confirm question's timer: "Do you need help right now?" unanswered for its timeout sends the alert.

It lives in the front end because the person who cannot answer is the case that matters, and the dialogue
only acts on turns (docs/emergency-triage.md). One question at a time; it fires at most once, on its own
daemon thread, unless the resident answered first — and an answer after it fired is reported as such, so a
late tap on "Yes, send help" does not raise a second alert.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from assistant.shared.events import ConfirmEmergency

log = logging.getLogger(__name__)

State = Literal["none", "pending", "fired"]


@dataclass(frozen=True)
class Asked:
    """A question the front end is waiting on."""

    sender_id: str
    """The conversation it was asked in (the timeout's confirming turn goes there)."""
    question: ConfirmEmergency


@dataclass(frozen=True)
class Answer:
    """What :meth:`ConfirmTimer.answer` found: the question's state when the resident spoke."""

    state: State
    asked: Asked | None


class ConfirmTimer:
    def __init__(self, on_timeout: Callable[[Asked], None], seconds: float | None = None) -> None:
        """``seconds``: overrides every question's own timeout (tests use 1 s); ``None`` keeps the question's."""
        self._on_timeout = on_timeout
        self._seconds = seconds
        self._lock = threading.Lock()
        self._state: State = "none"
        self._asked: Asked | None = None
        self._timer: threading.Timer | None = None
        self._generation = 0

    @property
    def state(self) -> State:
        return self._state

    @property
    def asked(self) -> Asked | None:
        return self._asked

    def start(self, sender_id: str, question: ConfirmEmergency) -> None:
        """Wait for an answer to ``question``; a question still pending is replaced (one question at a time)."""
        seconds = self._seconds if self._seconds is not None else question.timeout
        with self._lock:
            self._stop_timer()
            self._generation += 1
            generation = self._generation
            self._state, self._asked = "pending", Asked(sender_id, question)
            timer = threading.Timer(max(0.0, seconds), self._fire, args=(generation,))
            timer.name, timer.daemon = "linli-confirm-emergency", True
            self._timer = timer
            timer.start()

    def answer(self) -> Answer:
        """The resident took a turn: stop waiting. Says whether a question was pending or had already fired."""
        with self._lock:
            found = Answer(self._state, self._asked)
            self._stop_timer()
            self._state, self._asked = "none", None
            return found

    def cancel(self) -> None:
        self.answer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._state != "pending" or self._asked is None:
                return  # answered (or replaced) just before the timer ran
            self._state, asked = "fired", self._asked
            self._timer = None
        log.warning("emergency: no answer to the confirm question within its time; sending the alert")
        try:
            self._on_timeout(asked)
        except Exception:  # never silently: the handler's own failure is logged loudly
            log.critical("emergency: the unanswered question's alert handler failed", exc_info=True)
