"""Public references of created rows (``R7K3M9P2X``, ``A…``, ...): how they are given and looked up.

A reference is a letter per kind of row and 8 random characters from :data:`ALPHABET` (no 0/O/1/I, which are
misread on a slip and misheard when said): 32⁸ ≈ 1.1 × 10¹² values, so a reference cannot be guessed from
another one. Rows made before (``R1001``: 1000 + the row id) keep their sequential references, and lookups
still find them. Lookups accept references in any case, with spaces or dashes (``r-7k3m 9p2x``).
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from sqlalchemy import Select, select
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
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""32 characters that cannot be taken for one another: no 0, O, 1 or I."""
CODE_LENGTH = 8
"""Characters after the letter: 40 bits, short enough to read out (``R 7K3M 9P2X``)."""

RowT = TypeVar("RowT")


def random_reference(prefix: str) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def spaced(reference: str) -> str:
    """``R7K3M9P2X`` → ``R 7K3M 9P2X``: how a random reference is printed and shown (easier to read back)."""
    if len(reference) == 1 + CODE_LENGTH and not reference[1:].isdigit():
        return f"{reference[0]} {reference[1:5]} {reference[5:]}"
    return reference


def add_numbered(session: Session, row: Numbered) -> str:
    """Add ``row`` with a new random reference (a ticket's is its ``number``) and return the reference."""
    column: QueryableAttribute[str | None] = (
        models.Ticket.number if isinstance(row, models.Ticket) else type(row).reference
    )
    prefix = PREFIXES[type(row)]
    for _ in range(10):  # a clash is a one-in-10¹² event; ten in a row means a broken random source
        reference = random_reference(prefix)
        if session.scalar(select(column).where(column == reference)) is None:
            break
    else:
        raise RuntimeError("could not find an unused reference")
    if isinstance(row, models.Ticket):
        row.number = reference
    else:
        row.reference = reference
    session.add(row)
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
