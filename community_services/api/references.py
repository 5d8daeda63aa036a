"""Public references of created rows (``R1001``, ``A1001``, ...): how they are given and looked up.

A reference is a letter per kind of row plus 1000 + the row id, so references are sequential and unique
without a separate counter. Lookups accept them in any case, with spaces or dashes (``r-1001``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import QueryableAttribute, Session

from .. import models
from .errors import not_found

Numbered = models.Ticket | models.Appointment | models.Registration | models.Alert | models.Feedback

PREFIXES: dict[type[Any], str] = {
    models.Ticket: "R",  # repair
    models.Appointment: "A",
    models.Registration: "E",  # event
    models.Alert: "H",  # help
    models.Feedback: "F",
}

RowT = TypeVar("RowT")


def add_numbered(session: Session, row: Numbered) -> str:
    """Add ``row``, give it its reference (a ticket's is its ``number``) and return the reference."""
    session.add(row)
    session.flush()
    reference = f"{PREFIXES[type(row)]}{1000 + row.id}"
    if isinstance(row, models.Ticket):
        row.number = reference
    else:
        row.reference = reference
    session.flush()
    return reference


def normalize_reference(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def find_by_reference(
    session: Session, query: Select[RowT], column: QueryableAttribute[str | None], value: str, missing: str
) -> RowT:
    """The row of ``query`` whose ``column`` is the reference ``value``; 404 with ``missing`` if none."""
    row = session.scalar(query.where(column == normalize_reference(value)))
    if row is None:
        raise not_found(missing)
    return row
