"""Engine and session factory. Any SQLAlchemy URL works; SQLite gets WAL, foreign keys and a busy wait."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from foundation.private_files import create_private

from .models import Base

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 15.0
"""How long a writer waits for another writer before the request fails with 503."""


def _is_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or "mode=memory" in database


def make_engine(database_url: str) -> Engine:
    """Create an engine for ``database_url``; for a SQLite file, create its folder too."""
    url = make_url(database_url)
    kwargs: dict[str, Any] = {}
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        if _is_memory(url.database):
            kwargs["poolclass"] = StaticPool  # one shared connection, or each session sees an empty DB
        elif url.database and not url.database.startswith("file:"):
            # mode 600 before the first connection: SQLite gives -wal and -shm the database file's mode
            create_private(Path(url.database).expanduser())
    engine = create_engine(url, **kwargs)
    if sqlite:
        memory = _is_memory(url.database)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                if not memory:
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            finally:
                cursor.close()

    return engine


class Database:
    """One engine, its session factory and the schema."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session; anything not committed when the block ends is rolled back."""
        with self.sessions() as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
