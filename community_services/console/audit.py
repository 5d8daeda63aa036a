"""The audit log: who did what, when, to what, before and after. Admins read it at ``/console/audit``.

``record`` adds the entry to the caller's session, so it is committed in the same transaction as the change
it records (or rolled back with it). No route edits or deletes entries, and the ORM refuses to: an attempt to
update or delete an ``AuditEntry`` through a session raises ``AuditLogIsAppendOnly``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..models import AuditEntry
from .auth import StaffMember

PAGE_SIZE = 50
_MAX_TARGET = 300


class AuditLogIsAppendOnly(RuntimeError):
    """Someone tried to change or delete an audit entry."""


def record(session: Session, staff: StaffMember, action: str, target: str, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, *, at: datetime | None = None) -> None:
    """Add one entry to ``session`` (not committed: it goes with the change it records).

    ``action`` is a short dotted verb (``staff.add``); ``target`` names what changed (``staff:Li Wei``);
    ``before``/``after`` hold the changed fields (never a password or a hash). ``at``: the app's clock.
    """
    session.add(AuditEntry(at=at or datetime.now(), staff_name=staff.name[:120], action=action[:80],
                           target=target[:_MAX_TARGET], before=before, after=after))


def page(session: Session, number: int, size: int = PAGE_SIZE) -> tuple[list[AuditEntry], int]:
    """Entries of page ``number`` (1 = newest), newest first, and the number of pages (at least 1)."""
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).offset((number - 1) * size)
                           .limit(size))
    return list(rows), pages


@event.listens_for(AuditEntry, "before_update")
def _no_update(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be deleted")
