"""The alert desk: open emergency alerts, who takes one ("I'm going"), resolving, and what is due to escalate.

Plain functions on a SQLAlchemy session, used by the JSON API (``api/alerts.py``), the escalation loop
(``escalation.py``) and, later, the staff console's pages. Each state change commits and then, if a
``publish`` callable is given, announces itself on the live stream (``live.py``) — after the commit, so a
console never hears of a change that could still roll back.

**One wins.** ``acknowledge`` makes sure the alert's ``alert_handling`` row exists (an insert that does nothing
if it is already there: ``alert_id`` is unique) and then runs ONE conditional statement::

    UPDATE alert_handling SET acknowledged_by=:name, acknowledged_at=:now
     WHERE alert_id=:id AND acknowledged_by IS NULL AND resolved_at IS NULL

The statement that changes a row wins; a concurrent one changes nothing (``rowcount == 0``) and reads the
winner's name instead. On SQLite the first write of a transaction takes the database's write lock and keeps it
to the commit, so the two updates run one after the other and the second sees the first's name. On PostgreSQL
(READ COMMITTED) the second ``UPDATE`` waits on the row lock of the first and, once that commits, re-checks its
``WHERE`` against the new row version: it matches nothing. The insert of the row is ``ON CONFLICT DO NOTHING``
on both, so two first-ever presses never fail on the unique constraint either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, and_, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import models

MAX_ALERT_DELAY = timedelta(days=7)
"""An alert's ``raised_at`` older than this is not believed (a kiosk clock far off): the arrival time is kept."""

Publish = Callable[[str, dict[str, Any]], object]
"""``publish(event_type, data)``: the live broker's ``publish`` (``live.LiveBroker.publish``)."""


class AlertNotFound(LookupError):
    """No alert has that reference."""


def normalize_reference(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def created_time(raised_at: datetime | None, now: datetime) -> datetime:
    """The time an alert is stored under: the kiosk's ``raised_at`` when it is believable, else ``now``.

    Believable: not in the future and not older than ``MAX_ALERT_DELAY``. An aware time is turned into the
    service's local time (times in the database are naive local times).
    """
    if raised_at is None:
        return now
    if raised_at.tzinfo is not None:
        raised_at = raised_at.astimezone().replace(tzinfo=None)
    if raised_at > now or now - raised_at > MAX_ALERT_DELAY:
        return now
    return raised_at


@dataclass(frozen=True)
class OpenRequest:
    """One alert on the duty board: not resolved yet."""

    reference: str
    kind: str
    kiosk_id: str
    location: str
    details: str
    """What the resident said (or that the button was pressed). Resident text: escape it in HTML."""
    created_at: datetime
    """When the resident asked (the original time if the alert waited in the kiosk's outbox)."""
    waited_seconds: int
    """How long the resident has waited, at ``now``."""
    status: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    escalated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference, "kind": self.kind, "kiosk_id": self.kiosk_id, "location": self.location,
            "details": self.details, "created_at": self.created_at.isoformat(), "waited_seconds": self.waited_seconds,
            "status": self.status, "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": _iso(self.acknowledged_at), "escalated_at": _iso(self.escalated_at),
        }


@dataclass(frozen=True)
class HandlingState:
    """Where one alert stands (the answer of ``status``, ``acknowledge`` and ``resolve``)."""

    reference: str
    status: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "status": self.status, "acknowledged_by": self.acknowledged_by,
                "acknowledged_at": _iso(self.acknowledged_at), "resolved_by": self.resolved_by,
                "resolved_at": _iso(self.resolved_at)}


@dataclass(frozen=True)
class AckOutcome:
    """``won``: this staff member has the alert (also when they had already pressed). Otherwise ``reason`` says
    why not and ``state`` names who has it."""

    won: bool
    state: HandlingState
    reason: Literal["", "taken", "resolved"] = ""


@dataclass(frozen=True)
class ResolveOutcome:
    resolved: bool
    state: HandlingState


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _waited(created_at: datetime, now: datetime) -> int:
    return max(0, int((now - created_at).total_seconds()))


def _find(session: Session, reference: str) -> models.Alert:
    alert = session.scalar(select(models.Alert).where(models.Alert.reference == normalize_reference(reference)))
    if alert is None:
        raise AlertNotFound(reference)
    return alert


def _handling(session: Session, alert_id: int) -> models.AlertHandling | None:
    return session.scalar(
        select(models.AlertHandling).where(models.AlertHandling.alert_id == alert_id).execution_options(
            populate_existing=True)
    )


def _ensure_handling_row(session: Session, alert_id: int) -> None:
    """Insert the alert's handling row unless it exists; never fails on a concurrent insert of the same row."""
    name = session.get_bind().dialect.name
    values = {"alert_id": alert_id}
    if name == "sqlite":
        session.execute(sqlite.insert(models.AlertHandling).values(values).on_conflict_do_nothing())
    elif name == "postgresql":
        session.execute(postgresql.insert(models.AlertHandling).values(values).on_conflict_do_nothing())
    else:  # any other database: the unique constraint refuses the second insert inside a savepoint
        try:
            with session.begin_nested():
                session.execute(insert(models.AlertHandling).values(values))
        except IntegrityError:
            pass


def _state(alert: models.Alert, handling: models.AlertHandling | None) -> HandlingState:
    return HandlingState(
        reference=alert.reference or "",
        status=alert.status,
        acknowledged_by=handling.acknowledged_by if handling else None,
        acknowledged_at=handling.acknowledged_at if handling else None,
        resolved_by=handling.resolved_by if handling else None,
        resolved_at=handling.resolved_at if handling else None,
    )


def status(session: Session, reference: str) -> HandlingState:
    """Where the alert ``reference`` stands. Raises ``AlertNotFound``."""
    alert = _find(session, reference)
    return _state(alert, _handling(session, alert.id))


def _open_query() -> Select[models.Alert, models.AlertHandling]:
    return (
        select(models.Alert, models.AlertHandling)
        .outerjoin(models.AlertHandling, models.AlertHandling.alert_id == models.Alert.id)
        .where(models.Alert.status != "resolved")
        .order_by(models.Alert.created_at, models.Alert.id)
    )


def _request(alert: models.Alert, handling: models.AlertHandling | None, now: datetime) -> OpenRequest:
    return OpenRequest(
        reference=alert.reference or "", kind=alert.kind, kiosk_id=alert.kiosk_id, location=alert.location,
        details=alert.details, created_at=alert.created_at, waited_seconds=_waited(alert.created_at, now),
        status=alert.status,
        acknowledged_by=handling.acknowledged_by if handling else None,
        acknowledged_at=handling.acknowledged_at if handling else None,
        escalated_at=handling.escalated_at if handling else None,
    )


def open_requests(session: Session, now: datetime) -> list[OpenRequest]:
    """Every alert not resolved yet, the one waiting longest first."""
    return [_request(alert, handling, now) for alert, handling in session.execute(_open_query()).all()]


def open_request(session: Session, reference: str, now: datetime) -> OpenRequest:
    """One alert as the board shows it (for the ``alert.raised`` event). Raises ``AlertNotFound``."""
    alert = _find(session, reference)
    return _request(alert, _handling(session, alert.id), now)


def acknowledge(
    session: Session, reference: str, staff_name: str, now: datetime, *, publish: Publish | None = None
) -> AckOutcome:
    """``staff_name`` takes the alert ("I'm going"). Exactly one of two concurrent callers wins; see the module
    docstring. Raises ``AlertNotFound``."""
    alert = _find(session, reference)
    _ensure_handling_row(session, alert.id)
    H = models.AlertHandling
    result = session.execute(
        update(H)
        .where(H.alert_id == alert.id, H.acknowledged_by.is_(None), H.resolved_at.is_(None))
        .values(acknowledged_by=staff_name, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    won = getattr(result, "rowcount", 0) == 1
    if won:
        session.execute(
            update(models.Alert).where(models.Alert.id == alert.id, models.Alert.status == "open")
            .values(status="acknowledged", updated_at=now).execution_options(synchronize_session=False)
        )
    session.commit()
    session.refresh(alert)
    state = _state(alert, _handling(session, alert.id))
    if won:
        if publish is not None:
            publish("alert.acknowledged", state.to_dict())
        return AckOutcome(True, state)
    if state.resolved_at is not None or alert.status == "resolved":
        return AckOutcome(False, state, "resolved")
    if state.acknowledged_by == staff_name:  # a second press by the same person: still theirs
        return AckOutcome(True, state)
    return AckOutcome(False, state, "taken")


def resolve(
    session: Session, reference: str, staff_name: str, note: str, now: datetime, *, publish: Publish | None = None
) -> ResolveOutcome:
    """Close the alert with a note (once). An alert nobody acknowledged counts as taken by ``staff_name`` too.
    Raises ``AlertNotFound``."""
    alert = _find(session, reference)
    _ensure_handling_row(session, alert.id)
    H = models.AlertHandling
    result = session.execute(
        update(H).where(H.alert_id == alert.id, H.resolved_at.is_(None))
        .values(resolved_by=staff_name, resolved_at=now, resolution_note=note,
                acknowledged_by=_coalesce(H.acknowledged_by, staff_name),
                acknowledged_at=_coalesce(H.acknowledged_at, now))
        .execution_options(synchronize_session=False)
    )
    done = getattr(result, "rowcount", 0) == 1
    if done:
        session.execute(update(models.Alert).where(models.Alert.id == alert.id)
                        .values(status="resolved", updated_at=now).execution_options(synchronize_session=False))
    session.commit()
    session.refresh(alert)
    state = _state(alert, _handling(session, alert.id))
    if done and publish is not None:
        publish("alert.resolved", state.to_dict())
    return ResolveOutcome(done, state)


def _coalesce(column: Any, value: Any) -> Any:
    return func.coalesce(column, literal(value))


def due_for_escalation(session: Session, now: datetime, after_seconds: float) -> list[OpenRequest]:
    """Open alerts nobody acknowledged within ``after_seconds`` and not escalated yet, oldest first."""
    limit = now - timedelta(seconds=after_seconds)
    H = models.AlertHandling
    query = _open_query().where(
        models.Alert.status == "open",
        models.Alert.created_at <= limit,
        or_(H.id.is_(None), and_(H.acknowledged_by.is_(None), H.escalated_at.is_(None))),
    )
    return [_request(alert, handling, now) for alert, handling in session.execute(query).all()]


def mark_escalated(session: Session, reference: str, now: datetime) -> bool:
    """Note that the alert went to the escalation channels; True only for the one call that set it."""
    alert = _find(session, reference)
    _ensure_handling_row(session, alert.id)
    H = models.AlertHandling
    result = session.execute(
        update(H).where(H.alert_id == alert.id, H.escalated_at.is_(None), H.acknowledged_by.is_(None))
        .values(escalated_at=now).execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(result, "rowcount", 0) == 1
