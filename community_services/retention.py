"""Privacy by retention, office side (``docs/privacy.md``): resident words are kept only as long as needed.

:func:`sweep` runs in the services process at start and every hour (``create_app(..., retention=...)``):

* ``idempotency_keys`` older than ``idempotency_days`` are deleted (their responses are stored without resident
  fields anyway: :func:`private_response`);
* a handoff that ended (or began) before the retention loses its messages, and its ``said`` and its feedback
  row's text become :data:`REMOVED`; the handoff row (kiosk, staff, status, times) stays;
* a resolved alert last changed before the retention loses its ``details`` and its resolution note;
* audit entries older than the retention keep who, when, action and target, and lose ``before``/``after``.

Tickets, appointments, registrations and feedback are the office's work records and are kept;
``linli privacy erase --phone N`` removes one resident's (``community_services/privacy.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, null, or_, select, update
from sqlalchemy.orm import Session

from . import models
from .db import Database

log = logging.getLogger(__name__)

REMOVED = "(removed after the retention period)"
SWEEP_EVERY_SECONDS = 3600.0
RESIDENT_FIELDS = frozenset({"phone", "description", "patient_name", "name", "text", "details", "said", "place"})
"""Fields of a stored create response that hold what a resident said or who they are."""


@dataclass(frozen=True)
class Retention:
    days: float = 30.0
    """Resident words (handoff conversations, alert details, audit before/after) are kept this many days."""
    idempotency_days: float = 7.0
    """A create's ``Idempotency-Key`` replays for this many days (a kiosk retries within minutes or hours)."""
    every_seconds: float = SWEEP_EVERY_SECONDS


def private_response(body: Any) -> Any:
    """A create's response as its idempotency record keeps it: the same shape, resident fields blanked.

    A replay only has to tell the retrying kiosk the reference (the kiosk has the content already), and the
    response models' text fields are plain strings, so a blank one still reads."""
    if isinstance(body, dict):
        return {k: ("" if k in RESIDENT_FIELDS and isinstance(v, str) else private_response(v))
                for k, v in body.items()}
    if isinstance(body, list):
        return [private_response(v) for v in body]
    return body


def sweep(session: Session, now: datetime, retention: Retention) -> dict[str, int]:
    """Delete or blank what is older than the retention; commit; return how many rows each step touched."""
    cutoff = now - timedelta(days=retention.days)
    counts: dict[str, int] = {}

    def count(name: str, statement: Any) -> None:
        result = session.execute(statement.execution_options(synchronize_session=False))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)

    count("idempotency_keys", delete(models.IdempotencyRecord).where(
        models.IdempotencyRecord.created_at < now - timedelta(days=retention.idempotency_days)))
    old = func.coalesce(models.Handoff.ended_at, models.Handoff.created_at) < cutoff
    old_handoffs = select(models.Handoff.id).where(old)
    count("handoff_messages", delete(models.HandoffMessage).where(models.HandoffMessage.handoff_id.in_(old_handoffs)))
    count("handoffs", update(models.Handoff).where(old, models.Handoff.said != REMOVED).values(said=REMOVED))
    count("handoff_feedback", update(models.Feedback).where(
        models.Feedback.id.in_(select(models.Handoff.feedback_id).where(old)), models.Feedback.text != REMOVED,
    ).values(text=REMOVED))
    old_alert = (models.Alert.status == "resolved") & (models.Alert.updated_at < cutoff)
    count("alerts", update(models.Alert).where(old_alert, models.Alert.details != "").values(details=""))
    count("alert_notes", update(models.AlertHandling).where(
        models.AlertHandling.alert_id.in_(select(models.Alert.id).where(old_alert)),
        models.AlertHandling.resolution_note.is_not(None)).values(resolution_note=None))
    count("audit_log", update(models.AuditEntry).where(
        models.AuditEntry.at < cutoff,
        or_(models.AuditEntry.before.is_not(None), models.AuditEntry.after.is_not(None)),
    ).values(before=null(), after=null()))
    session.commit()
    return counts


def sweep_database(database: Database, clock: Callable[[], datetime], retention: Retention) -> dict[str, int]:
    with database.session() as session:
        counts = sweep(session, clock(), retention)
    touched = {k: v for k, v in counts.items() if v}
    if touched:
        log.info("retention: removed resident data older than %g days: %s", retention.days,
                 ", ".join(f"{k} {v}" for k, v in touched.items()))
    return counts


async def run(database: Database, clock: Callable[[], datetime], retention: Retention) -> None:
    """Sweep at start and every ``retention.every_seconds`` until cancelled; a failed sweep is logged, not fatal."""
    while True:
        try:
            await asyncio.to_thread(sweep_database, database, clock, retention)
        except Exception:
            log.exception("retention: the sweep failed; it is tried again in %g s", retention.every_seconds)
        await asyncio.sleep(retention.every_seconds)
