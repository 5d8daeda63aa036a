"""The back end's state as ``linli run``'s supervisor sees it, in ``var/run/stack-status.json``.

Written by ``assistant/supervisor.py`` (atomically: a temporary file in the same folder, ``fsync``, ``os.replace``)
on every change and every few seconds; read by the kiosk's heartbeat (which carries a summary to the office) and
by anyone curious (``cat var/run/stack-status.json``). Nothing here imports the supervisor.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

STATUS_FILE = Path("run") / "stack-status.json"
"""Relative to the var folder."""
STALE_AFTER = 60.0
"""A status not rewritten for this long means its supervisor is gone: its contents are no longer true."""

PartState = Literal["starting", "up", "unhealthy", "restarting", "down", "failing", "stopped"]
StackState = Literal["starting", "ready", "degraded", "stopped", "unknown"]

WHAT = {"services": "community services", "actions": "action server", "rasa": "dialogue engine (Rasa)"}
"""The parts' names as people read them."""


@dataclass
class PartStatus:
    name: str
    """``services``, ``actions`` or ``rasa``."""
    state: PartState = "starting"
    """``up``: answered its own health check; ``unhealthy``: alive but its check fails; ``restarting``: died, waiting
    out the backoff; ``down``: cannot be started now (its port is taken); ``failing``: died at start again and
    again (still retried, at most every 30 s)."""
    pid: int | None = None
    restarts: int = 0
    """Times the supervisor started it again after it died or failed to start."""
    last_exit_code: int | None = None
    """The exit code of the last process that died (negative: killed by that signal, -9 for ``kill -9``)."""
    since: float = field(default_factory=time.time)
    """Unix time the part entered ``state``."""
    message: str = ""
    """What is wrong, in plain words; empty when it is up."""


@dataclass
class StackStatus:
    state: StackState
    parts: list[PartStatus]
    updated: float = field(default_factory=time.time)
    supervisor_pid: int = field(default_factory=os.getpid)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StackStatus:
        parts = [PartStatus(**{k: v for k, v in p.items() if k in PartStatus.__dataclass_fields__})
                 for p in data.get("parts", []) if isinstance(p, dict)]
        return cls(state=data.get("state", "unknown"), parts=parts, updated=float(data.get("updated", 0.0)),
                   supervisor_pid=int(data.get("supervisor_pid", 0)))

    def part(self, name: str) -> PartStatus | None:
        return next((p for p in self.parts if p.name == name), None)

    def summary(self) -> str:
        """``"Degraded: action server restarting (3 restarts)"``; ``"Ready"``."""
        troubled = [p for p in self.parts if p.state != "up"]
        if not troubled or self.state in ("ready", "stopped"):
            return self.state.capitalize()
        return f"{self.state.capitalize()}: " + "; ".join(describe(p) for p in troubled)


def describe(part: PartStatus) -> str:
    restarts = f" ({part.restarts} restart{'s' if part.restarts != 1 else ''})" if part.restarts else ""
    return f"{WHAT.get(part.name, part.name)} {part.state}{restarts}"


def write_status(path: Path, status: StackStatus) -> None:
    """Replace ``path`` with ``status`` in one step: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".stack-status-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(status.to_json(), f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_status(path: Path, *, now: float | None = None, stale_after: float = STALE_AFTER) -> StackStatus | None:
    """The status in ``path``; ``None`` if there is none (not supervised here). A status its supervisor has not
    rewritten for ``stale_after`` seconds comes back with state ``unknown``."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        status = StackStatus.from_json(data)
    except (TypeError, ValueError):
        return None
    if (now if now is not None else time.time()) - status.updated > stale_after and status.state != "stopped":
        status.state = "unknown"
    return status
