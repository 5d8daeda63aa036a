"""Files with residents' data are readable by their owner only (mode 600; folders 700).

Every process calls :func:`private_umask` at start, so whatever it creates (databases, their ``-wal``/``-shm``,
logs) is private from the first byte. The places that create databases and logs also call :func:`make_private`
right after creating them: tests and embedded use do not go through a ``main``, and files made by an older
version keep their old mode until then. SQLite gives ``-wal``/``-shm``/``-journal`` the mode of the database
file, so a database made private before its first connection has private companions too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_umask() -> int:
    """Set the process's umask to 077 (new files 600, new folders 700); returns the previous one."""
    return os.umask(0o077)


def make_private(*paths: Path | str) -> None:
    """``chmod 600`` each existing path and its SQLite companions; a path that does not exist is skipped."""
    for path in paths:
        base = Path(path)
        for candidate in (base, *(base.with_name(base.name + s) for s in SQLITE_COMPANIONS)):
            with contextlib.suppress(FileNotFoundError, PermissionError):
                if candidate.is_file() and (candidate.stat().st_mode & 0o777) != FILE_MODE:
                    os.chmod(candidate, FILE_MODE)


def create_private(path: Path | str) -> Path:
    """Create ``path`` empty with mode 600 if it does not exist (its folder too), else make it private."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    make_private(target)
    return target


def make_folder_private(folder: Path | str, patterns: tuple[str, ...] = ("*.db", "*.db-wal", "*.db-shm",
                                                                         "*.db-journal")) -> None:
    """``chmod 600`` the files of ``folder`` that match ``patterns`` (e.g. ``var/*.db`` or ``var/logs/*``)."""
    base = Path(folder)
    if not base.is_dir():
        return
    for pattern in patterns:
        for path in base.glob(pattern):
            make_private(path)
