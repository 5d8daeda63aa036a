"""Request dependencies the routers share: the database session, the clock and the caller's role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from .. import content, schemas
from ..auth import AnyRole, Role, StaffRole
from ..db import Database
from ..live import LiveBroker

__all__ = ["AnyRole", "BrokerDep", "LangDep", "NowDep", "Role", "SearchQuery", "SessionDep", "StaffRole"]


def _session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.db
    with database.session() as session:
        yield session


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _broker(request: Request) -> LiveBroker:
    broker: LiveBroker = request.app.state.live
    return broker


SessionDep = Annotated[Session, Depends(_session)]
NowDep = Annotated[datetime, Depends(_now)]
SearchQuery = Annotated[str, Query(min_length=1, max_length=schemas.MAX_KEY, description="What was asked.")]
BrokerDep = Annotated[LiveBroker, Depends(_broker)]
"""The live event broker (``live.py``): publish after the commit."""


def _lang(
    lang: Annotated[str | None, Query(
        max_length=35, description="The reader's language (`en`, `zh-CN`); English when missing or unknown.")] = None,
) -> str:
    return content.normalize(lang)


LangDep = Annotated[str, Depends(_lang)]
"""The language to answer in: a supported code, English for anything else (an odd code is no reason to fail)."""
