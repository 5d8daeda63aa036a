"""Query pieces several routers share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update
from sqlalchemy.orm import QueryableAttribute, Session

from .. import models


def on_day(column: QueryableAttribute[datetime], day: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Conditions for ``column`` falling on ``day`` (for ``query.where(*on_day(...))``)."""
    midnight = datetime.combine(day, datetime.min.time())
    return column >= midnight, column < midnight + timedelta(days=1)


def changed_one_row(session: Session, statement: Update) -> bool:
    """Run a guarded ``UPDATE`` (e.g. "book this slot if it is free"); whether it hit exactly one row."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount == 1


def search_terms(row: models.Facility | models.Department) -> list[str]:
    """What a place or a clinic department may be called, for ``matching.best_match``."""
    return [row.name, row.name_zh, row.slug.replace("-", " "), *row.aliases]
