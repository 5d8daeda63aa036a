"""When to clear the kiosk after inactivity: pure logic, no Kivy, no clock of its own that tests can't set.

Privacy says a conversation must not stay on screen for the next person; kindness says no timer may throw
away what a resident is in the middle of. So the kiosk clears itself directly only when nothing is half
done. If a form is half filled in, or the resident is speaking (or a reply is being spoken), it asks
"Are you still there?" first, and it never clears while speech is under way — it keeps asking and waits.

The controller calls :meth:`IdlePolicy.touch` / :meth:`IdlePolicy.activity` on every tap, every utterance
and while a reply is spoken, and :meth:`IdlePolicy.tick` about once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum


class Action(Enum):
    NONE = "none"
    """Nothing to do (also: keep showing the question, if one is shown)."""
    ASK = "ask"
    """Show "Are you still there?"; any tap or answer cancels it (call ``touch``)."""
    RESET = "reset"
    """Clear the conversation on screen and in the dialogue, and go back to the home screen."""


class IdlePolicy:
    def __init__(self, idle_seconds: float = 90, confirm_seconds: float = 20, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if idle_seconds <= 0 or confirm_seconds <= 0:
            raise ValueError("idle_seconds and confirm_seconds must be positive")
        self.idle_seconds = idle_seconds
        self.confirm_seconds = confirm_seconds
        self._clock = clock
        self._last = clock()
        self._asked_at: float | None = None

    @property
    def asking(self) -> bool:
        """True while "Are you still there?" waits for an answer."""
        return self._asked_at is not None

    def touch(self, now: float | None = None) -> None:
        """The resident did something: the idle time starts again and a pending question is answered."""
        self._last = self._clock() if now is None else now
        self._asked_at = None

    def activity(self, now: float | None = None) -> None:
        """Speech heard or a reply being spoken: the same as a touch."""
        self.touch(now)

    def tick(self, now: float, *, form_in_progress: bool, speaking: bool, listening: bool, on_home: bool) -> Action:
        """What to do at ``now``. ASK and RESET are returned once, on the change; NONE otherwise.

        ``on_home`` means the home screen with nothing to clear. ``listening`` means an utterance is being
        taken (push-to-talk open), not an always-on microphone waiting for a wake phrase.
        """
        busy = speaking or listening
        if on_home:  # nothing to clear; the idle time counts from leaving home
            self._last = now
            self._asked_at = None
            return Action.NONE
        if self._asked_at is None:
            if now - self._last < self.idle_seconds:
                return Action.NONE
            if form_in_progress or busy:
                self._asked_at = now
                return Action.ASK
            return self._reset(now)
        if now - self._asked_at < self.confirm_seconds:
            return Action.NONE
        if busy:  # unanswered, but someone is talking or being talked to: never cut them off
            return Action.NONE
        return self._reset(now)

    def _reset(self, now: float) -> Action:
        self._last = now
        self._asked_at = None
        return Action.RESET
