"""Engine set-up: SQLite gets WAL and foreign keys; other URLs are passed through."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from community_services import models
from community_services.db import Database


def test_sqlite_file_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'nested' / 'folder' / 'services.db'}")
    database.create_schema()
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert int(connection.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 1000
    with database.session() as session:
        session.add(models.Doctor(department_id=12345, name="Nobody", schedule={}))
        with pytest.raises(IntegrityError):
            session.commit()
    database.dispose()


def test_in_memory_database_is_shared_between_sessions() -> None:
    database = Database("sqlite://")
    database.create_schema()
    with database.session() as session:
        session.add(models.Meta(key="k", value="v"))
        session.commit()
    with database.session() as session:
        assert session.get(models.Meta, "k") is not None
    database.dispose()


def test_uncommitted_work_is_rolled_back(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'services.db'}")
    database.create_schema()
    with pytest.raises(RuntimeError), database.session() as session:
        session.add(models.Meta(key="half", value="written"))
        session.flush()
        raise RuntimeError("crash mid-request")
    with database.session() as session:
        assert session.get(models.Meta, "half") is None
    database.dispose()
