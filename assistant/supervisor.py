"""``linli run`` watches its children: a part that dies is started again with backoff, and everyone can see it.

One thread per part (services, action server, Rasa) runs the loop in ``docs/supervision.md``: spawn, wait until
the part's *own* health check answers while the process we spawned is alive, watch it, and when it dies keep its
exit code, kill its process group, wait out the backoff (1, 2, 4 … 30 s) and start it again. A taken port is
not a crash: the part is ``down`` with a plain message and retried on the same backoff. A part that fails
``LOUD_AFTER`` times in a row is ``failing``: logged at ERROR with its last log lines, still retried every 30 s.

The state goes to ``var/run/stack-status.json`` (``assistant/shared/stack_status.py``) on every change and every
``STATUS_EVERY`` seconds, and to ``progress`` (``linli run`` prints it and logs it to ``var/logs/supervisor.log``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.shared.stack_status import (
    STATUS_FILE,
    WHAT,
    PartState,
    PartStatus,
    StackState,
    StackStatus,
    write_status,
)
from assistant.stack import Child, Stack, port_hint, port_message, port_taken

log = logging.getLogger("linli.supervisor")

Progress = Callable[[str], None]

BACKOFF_START = 1.0
BACKOFF_CAP = 30.0
LOUD_AFTER = 5
"""Failures in a row after which a part is ``failing`` (reported loudly; still retried at the cap)."""
STABLE_AFTER = 60.0
"""Seconds up after which the next crash starts the backoff from the beginning again."""
HEALTH_EVERY = 2.0
HEALTH_MISSES = 3
"""Health checks missed in a row before a live part counts as ``unhealthy`` (not ready)."""
STATUS_EVERY = 5.0
START_TIMEOUTS = {"services": 60.0, "actions": 90.0, "rasa": 240.0}
"""Seconds a part may take from spawn to answering its check (Rasa loads a model: ~20 s idle, more under load)."""


def backoff(failures: int, start: float = BACKOFF_START, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait before the next start after ``failures`` failures in a row (1, 2, 4 … cap)."""
    return min(cap, start * 2 ** max(0, failures - 1))


def _seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay >= 1 else f"{delay:.1f} s"


def _quiet(_: str) -> None:
    pass


@dataclass
class PartSpec:
    """How to run one part; ``Supervisor.for_stack`` makes the three of a ``Stack``."""

    name: str
    host: str
    port: int
    variable: str
    spawn: Callable[[], Child]
    healthy: Callable[[], bool]
    stop: Callable[[], None]
    start_timeout: float = 60.0
    also_ports: tuple[tuple[str, int, str], ...] = ()
    """Other listeners of the same process (host, port, variable): the services' walking-guide listener."""

    def taken_port(self) -> tuple[int, str] | None:
        """The first of the part's ports some other program holds (port, variable), or ``None``."""
        for host, port, variable in ((self.host, self.port, self.variable), *self.also_ports):
            if port_taken(host, port):
                return port, variable
        return None

    @property
    def what(self) -> str:
        return WHAT.get(self.name, self.name)


@dataclass
class Recovery:
    """One crash seen and its end: for the log and the soak benchmark."""

    name: str
    exit_code: int | None
    died_at: float
    """``time.monotonic()`` when the death was noticed."""
    up_at: float | None = None
    """``time.monotonic()`` when the new process answered its health check."""


@dataclass
class _Part:
    spec: PartSpec
    status: PartStatus
    child: Child | None = None
    failures: int = 0
    first_attempt: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class Supervisor:
    def __init__(self, parts: list[PartSpec], status_path: Path, *, progress: Progress = _quiet,
                 backoff_start: float = BACKOFF_START, backoff_cap: float = BACKOFF_CAP,
                 loud_after: int = LOUD_AFTER, stable_after: float = STABLE_AFTER,
                 health_every: float = HEALTH_EVERY, poll_every: float = 0.2) -> None:
        self.status_path = status_path
        self.progress = progress
        self.backoff_start, self.backoff_cap = backoff_start, backoff_cap
        self.loud_after, self.stable_after = loud_after, stable_after
        self.health_every, self.poll_every = health_every, poll_every
        self._parts = {p.name: _Part(p, PartStatus(p.name)) for p in parts}
        self._order = [p.name for p in parts]
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._changed = threading.Condition(self._lock)
        self._ever_ready = False
        self._stopped = False
        self._writer: threading.Thread | None = None
        self.recoveries: list[Recovery] = []

    @classmethod
    def for_stack(cls, stack: Stack, model: Callable[[], Path], **kwargs: object) -> Supervisor:
        """The three parts of ``stack``; Rasa is (re)started with ``model()``, the model in use at that time."""
        s = stack.settings
        spawns: dict[str, Callable[[], Child]] = {
            "services": stack.spawn_services, "actions": stack.spawn_actions,
            "rasa": lambda: stack.spawn_rasa(model()),
        }
        parts = []
        for name in ("services", "actions", "rasa"):
            port, variable = stack.port_of(name)
            parts.append(PartSpec(name=name, host=stack.host_of(name), port=port, variable=variable, spawn=spawns[name],
                                  healthy=stack.health_check(name), stop=lambda n=name: stack.stop(n),  # type: ignore[misc]
                                  start_timeout=START_TIMEOUTS[name],
                                  also_ports=((s.guide_host, s.guide_port, "LINLI_GUIDE_PORT"),)
                                  if name == "services" else ()))
        return cls(parts, s.var_dir / STATUS_FILE, **kwargs)  # type: ignore[arg-type]

    # --- what others read ----------------------------------------------------------------------------------
    def status(self) -> StackStatus:
        with self._lock:
            parts = [replace(self._parts[n].status) for n in self._order]
            return StackStatus(state=self._stack_state(parts), parts=parts)

    def _stack_state(self, parts: list[PartStatus]) -> StackState:
        if self._stopped:
            return "stopped"
        if all(p.state == "up" for p in parts):
            return "ready"
        if not self._ever_ready and all(p.state in ("starting", "up") and not p.restarts for p in parts):
            return "starting"  # the first start, nothing wrong yet
        return "degraded"

    def pid(self, name: str) -> int | None:
        """The pid of the part's process now (``None`` while it has none): the soak benchmark kills by it."""
        with self._lock:
            child = self._parts[name].child
            return child.process.pid if child is not None and child.alive() else None

    def child(self, name: str) -> Child | None:
        with self._lock:
            return self._parts[name].child

    @property
    def ready(self) -> bool:
        return self.status().state == "ready"

    def wait_ready(self, timeout: float) -> bool:
        """Block until every part is up (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._stop.is_set():
                if self.status().state == "ready":
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 1.0))
        return False

    def wait_part(self, name: str, state: PartState, timeout: float,
                  where: Callable[[PartStatus], bool] | None = None) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                st = self._parts[name].status
                if st.state == state and (where is None or where(st)):
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return False
                self._changed.wait(min(left, 0.5))

    # --- life ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start every part's thread (each part waits for the one before it to have had its first try)."""
        previous: _Part | None = None
        for name in self._order:
            part = self._parts[name]
            part.thread = threading.Thread(target=self._run_part, args=(part, previous),
                                           name=f"supervise-{name}", daemon=True)
            previous = part
        for name in self._order:
            thread = self._parts[name].thread
            assert thread is not None
            thread.start()
        self._writer = threading.Thread(target=self._write_loop, name="supervise-status", daemon=True)
        self._writer.start()
        self._write()

    def stop(self) -> None:
        """Stop supervising, then stop every part (last started first)."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        for name in self._order:
            thread = self._parts[name].thread
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=30)
        for name in reversed(self._order):
            part = self._parts[name]
            try:
                part.spec.stop()
            except Exception:
                log.exception("stopping %s failed", name)
            with self._lock:
                part.child = None
                self._set(part, "stopped", message="", pid=None)
        with self._lock:
            self._stopped = True
        self._write()

    # --- the loop ------------------------------------------------------------------------------------------
    def _set(self, part: _Part, state: PartState, **changes: object) -> None:
        """Change a part's status (under the lock); a new state is announced and written at once."""
        with self._lock:
            st = part.status
            changed = st.state != state or changes.get("message", st.message) != st.message
            if st.state != state:
                st.since = time.time()
            st.state = state
            for key, value in changes.items():
                setattr(st, key, value)
            if self.status().state == "ready":
                self._ever_ready = True
            if changed:  # under the lock: two parts changing at once cannot leave the older state on disk
                self._write()
            self._changed.notify_all()

    def _say(self, text: str, *, level: int = logging.INFO) -> None:
        log.log(level, "%s", text)
        try:
            self.progress(text)
        except Exception:
            log.exception("progress callback failed")

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopped; True if stopped."""
        return self._stop.wait(seconds)

    def _run_part(self, part: _Part, previous: _Part | None) -> None:
        if previous is not None:  # the first start only, in order: services → actions → Rasa
            while not previous.first_attempt.wait(0.5):
                if self._stop.is_set():
                    return
        spec = part.spec
        spawned_before = False
        port_waits = 0
        while not self._stop.is_set():
            taken = spec.taken_port()
            if taken is not None:  # not a crash: its own count, so it never marks the part "failing"
                port_waits += 1
                delay = backoff(port_waits, self.backoff_start, self.backoff_cap)
                message = (f"{port_message(taken[0], spec.what)} {port_hint(taken[1])} "
                           f"Trying again in {_seconds(delay)}.")
                self._say(message, level=logging.ERROR if port_waits >= self.loud_after else logging.WARNING)
                self._set(part, "down", message=message, pid=None)
                part.first_attempt.set()
                if self._sleep(delay):
                    return
                continue
            port_waits = 0
            if spawned_before:
                part.status.restarts += 1
            else:
                self._say(f"Starting the {spec.what} on port {spec.port}...")
            self._set(part, "restarting" if spawned_before else "starting",
                      message=part.status.message if spawned_before else "")
            try:
                child = spec.spawn()
            except Exception as e:  # cannot even spawn (a missing venv): same backoff, loudly
                part.failures += 1
                self._failed(part, None, f"The {spec.what} could not be started: {e}", "")
                part.first_attempt.set()
                if self._sleep(backoff(part.failures, self.backoff_start, self.backoff_cap)):
                    return
                continue
            spawned_before = True
            with self._lock:
                part.child = child
            self._set(part, part.status.state, pid=child.process.pid)
            outcome = self._wait_healthy(part, child)
            if outcome == "stopped":
                return
            if outcome == "up":
                self._set(part, "up", message="")
                part.first_attempt.set()
                outcome = self._watch(part, child)
                if outcome == "stopped":
                    return
            part.first_attempt.set()
            code = child.kill_group() if child.alive() else child.process.poll()
            if code is None:
                code = child.process.poll()
            died_at = time.monotonic()
            self.recoveries.append(Recovery(spec.name, code, died_at))
            part.failures += 1
            if outcome == "timeout":
                why = f"The {spec.what} did not answer its health check within {spec.start_timeout:.0f} s"
            elif outcome == "start":
                why = f"The {spec.what} stopped while starting (exit code {code})"
            else:
                why = f"The {spec.what} stopped (exit code {code})"
            self._failed(part, code, why, child.log_tail(8))
            if self._sleep(backoff(part.failures, self.backoff_start, self.backoff_cap)):
                return

    def _failed(self, part: _Part, code: int | None, why: str, tail: str) -> None:
        delay = backoff(part.failures, self.backoff_start, self.backoff_cap)
        loud = part.failures >= self.loud_after
        state: PartState = "failing" if loud else "restarting"
        if loud:
            message = (f"{why}; it failed {part.failures} times in a row. Linli keeps trying every "
                       f"{_seconds(delay)}; see {part.child.log_path if part.child else 'its log'}.")
            self._say(f"{message}\nIts last log lines:\n{tail}" if tail else message, level=logging.ERROR)
        else:
            message = f"{why}; restarting in {_seconds(delay)} (restart {part.status.restarts + 1})."
            self._say(message, level=logging.WARNING)
        with self._lock:
            part.child = None
        self._set(part, state, message=message, last_exit_code=code, pid=None)

    def _wait_healthy(self, part: _Part, child: Child) -> str:
        """``up``, ``start`` (died first), ``timeout`` or ``stopped``."""
        deadline = time.monotonic() + part.spec.start_timeout
        while time.monotonic() < deadline:
            if self._stop.is_set():
                return "stopped"
            if not child.alive():
                return "start"
            if part.spec.healthy() and child.alive():  # answered while *our* process is alive
                self._recovered(part.spec.name)
                return "up"
            if self._sleep(self.poll_every):
                return "stopped"
        return "timeout"

    def _recovered(self, name: str) -> None:
        with self._lock:
            for r in reversed(self.recoveries):
                if r.name == name and r.up_at is None:
                    r.up_at = time.monotonic()
                    self._say(f"The {WHAT.get(name, name)} is answering again "
                              f"({r.up_at - r.died_at:.1f} s after it stopped).")
                    break

    def _watch(self, part: _Part, child: Child) -> str:
        """Until the process dies (``died``) or supervision stops (``stopped``)."""
        up_since = time.monotonic()
        next_check = up_since + self.health_every
        misses = 0
        while True:
            if self._sleep(self.poll_every):
                return "stopped"
            if not child.alive():
                return "died"
            now = time.monotonic()
            if part.failures and now - up_since >= self.stable_after:
                part.failures = 0
            if now >= next_check:
                next_check = now + self.health_every
                if part.spec.healthy():
                    misses = 0
                    if part.status.state != "up":
                        self._set(part, "up", message="")
                else:
                    misses += 1
                    if misses >= HEALTH_MISSES and part.status.state == "up":
                        message = (f"The {part.spec.what} is running but has not answered its health check "
                                   f"{misses} times in a row.")
                        self._say(message, level=logging.WARNING)
                        self._set(part, "unhealthy", message=message)

    def _write(self) -> None:
        try:
            with self._lock:
                write_status(self.status_path, self.status())
        except OSError:  # a full disk must not stop supervision
            log.warning("could not write %s", self.status_path, exc_info=True)

    def _write_loop(self) -> None:
        while not self._stop.wait(STATUS_EVERY):
            self._write()
