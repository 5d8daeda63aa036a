"""Kiosk health (issue 14, point 7): each kiosk's heartbeat, stored, and the console's list of kiosks.

A kiosk ``PUT``s a heartbeat every half minute (``api/kiosks.py``); :func:`record_heartbeat` keeps one row per
kiosk with the office's time. :func:`kiosk_list` reads them back with four flags: ``silent`` (not heard for more
than ``silent_after``, two minutes by default), ``refused`` (the kiosk's outbox holds requests the office
refused: a resident's ticket or feedback that never arrived), ``stuck`` (requests the kiosk keeps retrying that
the office answers with an error a person must fix: a kiosk token not accepted, a route missing) and ``degraded``
(the kiosk's back end reports a part down or restarting: ``KioskHeartbeatIn.stack``, kept in the side table
``kiosk_stack_health``), and a plain sentence saying what is wrong with the kiosk's latest reason. The stuck count
and the reason are kept in the row's ``extra`` JSON (the table predates them and there are no migrations).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import models, schemas

SILENT_AFTER = timedelta(minutes=2)


def record_heartbeat(session: Session, kiosk_id: str, beat: schemas.KioskHeartbeatIn,
                     now: datetime) -> models.KioskHeartbeat:
    """Insert or replace ``kiosk_id``'s heartbeat with ``now`` as its last seen; commits."""
    for attempt in range(2):
        row = session.scalars(select(models.KioskHeartbeat).where(models.KioskHeartbeat.kiosk_id == kiosk_id)).first()
        if row is None:
            row = models.KioskHeartbeat(kiosk_id=kiosk_id)
            session.add(row)
        row.location = beat.location
        row.model = beat.model
        row.outbox_backlog = beat.outbox_backlog
        row.outbox_refused = beat.outbox_refused
        row.version = beat.version
        row.extra = {**(row.extra or {}), "outbox_stuck": beat.outbox_stuck, "outbox_problem": beat.outbox_problem}
        row.last_seen = now
        _record_stack(session, kiosk_id, beat.stack, now)
        try:
            session.commit()
            return row
        except IntegrityError:  # the same kiosk's first beat twice at once: the other one inserted, update it
            session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _record_stack(session: Session, kiosk_id: str, stack: schemas.KioskStackHealth | None, now: datetime) -> None:
    row = session.scalars(select(models.KioskStackHealth).where(models.KioskStackHealth.kiosk_id == kiosk_id)).first()
    if stack is None:  # this kiosk (no longer) reports its back end: nothing old may stay on the console
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = models.KioskStackHealth(kiosk_id=kiosk_id)
        session.add(row)
    row.state = stack.state
    row.parts = [part.model_dump() for part in stack.parts]
    row.reported_at = now


FINE_STACK_STATES = ("ready", "starting")
"""Back-end states that need nobody: every part up, or the first start under way."""


def stack_problem(state: str | None, parts: list[dict[str, Any]]) -> str | None:
    """``"Degraded: actions restarting (3 restarts)."``; ``None`` when the back end is fine or not reported."""
    if state is None or state in FINE_STACK_STATES:
        return None
    if state == "unknown":
        return "Back end state not known: its supervisor stopped reporting (is `linli run` running?)."
    troubled = []
    for part in parts:
        if part.get("state") == "up":
            continue
        restarts = int(part.get("restarts") or 0)
        count = f" ({restarts} restart{'s' if restarts != 1 else ''})" if restarts else ""
        troubled.append(f"{part.get('name')} {part.get('state')}{count}")
    return f"{state.capitalize()}: {'; '.join(troubled) if troubled else 'no part reported'}."


@dataclass(frozen=True)
class KioskHealth:
    kiosk_id: str
    location: str
    last_seen: datetime
    seconds_silent: float
    """How long since the last beat (0 if the kiosk's beat is "in the future" of ``now``)."""
    model: str | None
    outbox_backlog: int
    outbox_refused: int
    version: str | None
    silent: bool
    """Not heard from for more than ``silent_after``."""
    refused: bool
    """The outbox holds requests the office refused."""
    problem: str | None
    """What is wrong, in plain words; ``None`` when nothing is."""
    outbox_stuck: int = 0
    """Requests the kiosk retries that the office answers with an error a person must fix."""
    outbox_problem: str | None = None
    """The kiosk's latest reason for a stuck or refused request."""
    stack_state: str | None = None
    """The back end's state as last reported (``None``: the kiosk does not report it)."""
    degraded: bool = False
    """The back end reports a part not up (or its supervisor went quiet)."""

    @property
    def stuck(self) -> bool:
        """The outbox holds requests that will not arrive until someone fixes the cause."""
        return self.outbox_stuck > 0

    @property
    def flagged(self) -> bool:
        return self.silent or self.refused or self.stuck or self.degraded


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 120:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


def problem_of(seconds_silent: float, silent: bool, refused: int, stuck: int = 0,
               reason: str | None = None, stack: str | None = None) -> str | None:
    parts = [stack] if stack else []
    if silent:
        parts.append(f"Silent for {_duration(seconds_silent)}: check that the kiosk is on and on the network.")
    if stuck:
        what = "1 request is" if stuck == 1 else f"{stuck} requests are"
        parts.append(f"{what} stuck: the kiosk keeps sending, but the office answers with an error someone must "
                     "fix.")
    if refused:
        what = "1 request" if refused == 1 else f"{refused} requests"
        parts.append(f"The office refused {what} from this kiosk: a resident's ticket, alert or feedback "
                     "did not arrive.")
    if (stuck or refused) and reason:
        parts.append(f"Latest: {reason.rstrip('.')}.")
    return " ".join(parts) or None


def kiosk_list(session: Session, now: datetime, silent_after: timedelta = SILENT_AFTER) -> list[KioskHealth]:
    """Every kiosk that ever sent a heartbeat: flagged ones first, then by name."""
    rows = session.scalars(select(models.KioskHeartbeat)).all()
    stacks = {r.kiosk_id: r for r in session.scalars(select(models.KioskStackHealth)).all()}
    kiosks = []
    for row in rows:
        seconds = max(0.0, (now - row.last_seen).total_seconds())
        silent = seconds > silent_after.total_seconds()
        stack = stacks.get(row.kiosk_id)
        stack_text = stack_problem(stack.state, stack.parts or []) if stack is not None else None
        kiosks.append(KioskHealth(
            kiosk_id=row.kiosk_id, location=row.location, last_seen=row.last_seen, seconds_silent=seconds,
            model=row.model, outbox_backlog=row.outbox_backlog, outbox_refused=row.outbox_refused,
            version=row.version, silent=silent, refused=row.outbox_refused > 0,
            problem=problem_of(seconds, silent, row.outbox_refused, row.outbox_stuck, row.outbox_problem,
                               stack_text),
            outbox_stuck=row.outbox_stuck, outbox_problem=row.outbox_problem,
            stack_state=stack.state if stack is not None else None, degraded=stack_text is not None,
        ))
    kiosks.sort(key=lambda k: (not k.flagged, k.kiosk_id.casefold()))
    return kiosks
