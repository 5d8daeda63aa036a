"""Databases and logs are mode 600, their SQLite companions too."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from community_services.db import Database
from community_services.models import Meta
from foundation.private_files import create_private, make_folder_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_private_makes_a_600_file_even_with_an_open_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = create_private(tmp_path / "logs" / "x.out")
    finally:
        os.umask(old)
    assert mode(path) == 0o600


def test_the_services_database_and_its_wal_and_shm_are_600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        database = Database(f"sqlite:///{tmp_path / 'services.db'}")
        database.create_schema()
        with database.session() as session:
            session.add(Meta(key="k", value="v"))
            session.commit()
            files = sorted(tmp_path.glob("services.db*"))
            assert {p.name for p in files} >= {"services.db", "services.db-wal", "services.db-shm"}
            assert all(mode(p) == 0o600 for p in files), [(p.name, oct(mode(p))) for p in files]
        database.dispose()
    finally:
        os.umask(old)


def test_make_folder_private_fixes_files_made_before(tmp_path: Path) -> None:
    for name in ("trackers.db", "trackers.db-wal", "logs/rasa.log"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
        os.chmod(tmp_path / name, 0o644)
    make_folder_private(tmp_path)
    make_folder_private(tmp_path / "logs", ("*",))
    assert all(mode(tmp_path / n) == 0o600 for n in ("trackers.db", "trackers.db-wal", "logs/rasa.log"))
