"""One ``linli run`` per installation: a second one says which is running and stops before it starts anything.

Without it a second stack started its servers on the first one's ports, they failed to bind, and its health
checks were answered by the first stack's processes, so it said "Linli is ready" while nothing of its own ran.
The lock is an ``flock`` on ``var/run/linli-run.lock``: the kernel drops it when the holder dies (even by
``kill -9``), so a crashed run never blocks the next one. The file records who holds it, for the message.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import IO, Any

from assistant.shared.config import Settings
from assistant.shared.errors import LinliError

LOCK_FILE = Path("run") / "linli-run.lock"


class AlreadyRunning(LinliError):
    """Another ``linli run`` holds the lock for this var folder."""


class RunLock:
    """Held for the lifetime of one ``linli run``; use as a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.var_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = _parse(f.read())
            f.close()
            raise _already_running(holder, self.settings) from None
        f.seek(0)
        f.truncate()
        s = self.settings
        f.write(json.dumps({"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                            "ports": {"services": s.services_port, "actions": s.actions_port, "rasa": s.rasa_port}}))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the flock; the file stays (truncating it would race a new holder)
            self._file = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def _parse(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _already_running(holder: dict[str, Any], settings: Settings) -> AlreadyRunning:
    pid = holder.get("pid")
    who = f"process {pid}" if isinstance(pid, int) else "another process"
    since = f", started {holder['started']}" if isinstance(holder.get("started"), str) else ""
    return AlreadyRunning(
        f"Linli is already running here ({who}{since}), so this one does not start.",
        hint=("Use the running one, or stop it first: Ctrl-C in its terminal"
              + (f", or `kill {pid}`" if isinstance(pid, int) else "")
              + f". (Its data folder: {settings.var_dir})"))
