"""The tickets desk: the office's queue of repair tickets, assignment, status changes with notes, overdue.

``Ticket.status`` is the current status; every change is a ``TicketUpdate`` row (who, when, from, to, a
public note the resident may hear, an internal note, an assignee). The current assignee and the latest
public note are the newest rows that carry one. The building of a ticket is parsed from its place once and
kept in ``ticket_buildings`` (indexed), filled for new tickets on creation and for older ones on the first
queue request. Overdue times per category come from ``config/overdue.yml``.

Functions take the session and the time; they flush but leave the commit to the caller (one request, one
transaction). Refusals raise ``desk_errors.Unknown`` or ``desk_errors.NotAllowed`` with a plain sentence.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from foundation.errors import YamlError
from foundation.yaml_lines import more_problems, pydantic_problem, read_yaml

from . import models, schemas
from .desk_errors import NotAllowed, Unknown

OVERDUE_FILE = Path(__file__).with_name("config") / "overdue.yml"

STATUSES: tuple[str, ...] = ("open", "assigned", "in_progress", "waiting", "resolved", "cancelled")
FINISHED = frozenset({"resolved", "cancelled"})
"""Statuses in which a ticket no longer waits for anyone (never overdue)."""
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"assigned", "in_progress", "waiting", "resolved", "cancelled"}),
    "assigned": frozenset({"open", "in_progress", "waiting", "resolved", "cancelled"}),
    "in_progress": frozenset({"assigned", "waiting", "resolved", "cancelled"}),
    "waiting": frozenset({"assigned", "in_progress", "resolved", "cancelled"}),
    "resolved": frozenset({"open"}),  # reopened: the problem came back
    "cancelled": frozenset({"open"}),
}
"""Which status may follow which. The same status again is allowed only to add a note."""

STATUS_WORDS = {
    "open": "open", "assigned": "assigned", "in_progress": "in progress", "waiting": "waiting",
    "resolved": "resolved", "cancelled": "cancelled",
}


# --- overdue times ----------------------------------------------------------------------------


class _OverdueFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default: int = Field(gt=0, le=24 * 365)
    categories: dict[str, int] = {}


@dataclass(frozen=True)
class OverdueRules:
    """Hours after which an unfinished ticket is overdue, per category (problem type)."""

    default_hours: int = 72
    hours: dict[str, int] = field(default_factory=dict)

    def hours_for(self, category: str) -> int:
        return self.hours.get(category, self.default_hours)

    def is_overdue(self, category: str, status: str, created_at: datetime, now: datetime) -> bool:
        return status not in FINISHED and now - created_at > timedelta(hours=self.hours_for(category))


def load_overdue_rules(path: Path = OVERDUE_FILE) -> OverdueRules:
    """Read the overdue file; a mistake is a ``YamlError`` naming file and line."""
    lined = read_yaml(path)
    try:
        parsed = _OverdueFile.model_validate(lined.data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        first = errors[0]
        raise YamlError(
            f"{lined.where(first['loc'])}: {pydantic_problem(first)}{more_problems(len(errors) - 1)}",
            hint="Write `default: 72` and `categories:` with hours per problem type, e.g. `lift: 4`.",
        ) from e
    bad = [name for name, hours in parsed.categories.items() if not 0 < hours <= 24 * 365]
    if bad:
        raise YamlError(f"{lined.where(('categories', bad[0]))}: hours must be between 1 and 8760.")
    return OverdueRules(default_hours=parsed.default, hours=dict(parsed.categories))


@functools.cache
def default_overdue_rules() -> OverdueRules:
    return load_overdue_rules()


# --- buildings --------------------------------------------------------------------------------

_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_BUILDING_EN = re.compile(r"\b(?:building|bldg\.?|block|blk\.?)\s*(?:no\.?\s*|number\s*)?(\d{1,3})\b", re.I)
_BUILDING_ZH = re.compile(r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:号楼|栋|幢|座)")
_FLAT_DASH = re.compile(r"^\s*(\d{1,3})\s*-\s*\d{2,4}\b")
_JUST_DIGITS = re.compile(r"^\s*(\d{1,3})\s*$")


def _zh_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if len(text) == 1:
        return _ZH_DIGITS.get(text)
    if text.startswith("十"):  # 十二
        return 10 + _ZH_DIGITS.get(text[1:], 0) if len(text) == 2 else None
    if len(text) == 2 and text.endswith("十"):  # 二十
        return _ZH_DIGITS.get(text[0], 0) * 10 or None
    if len(text) == 3 and text[1] == "十":  # 二十三
        tens, ones = _ZH_DIGITS.get(text[0]), _ZH_DIGITS.get(text[2])
        return tens * 10 + ones if tens and ones else None
    return None


def building_of(place: str) -> str | None:
    """``"3"`` from "Building 3, flat 201", "the lift in building 3", "3号楼", "三栋" or "3-201"; else ``None``."""
    match = _BUILDING_EN.search(place)
    if match:
        return str(int(match.group(1)))
    match = _BUILDING_ZH.search(place)
    if match:
        number = _zh_number(match.group(1))
        return str(number) if number else None
    match = _FLAT_DASH.match(place)
    return str(int(match.group(1))) if match else None


def building_filter(value: str) -> str | None:
    """What staff typed in the building filter ("3", "Building 3", "3号楼") as the stored key."""
    match = _JUST_DIGITS.match(value)
    return str(int(match.group(1))) if match else building_of(value)


def record_building(session: Session, ticket: models.Ticket) -> None:
    """Remember a new ticket's building (call after the ticket has its id)."""
    session.add(models.TicketBuilding(ticket_id=ticket.id, building=building_of(ticket.place) or ""))


def fill_missing_buildings(session: Session, batch: int = 2000) -> int:
    """Parse the building of tickets that have none recorded yet (made before the desk existed); how many."""
    done = 0
    missing = (
        select(models.Ticket.id, models.Ticket.place)
        .where(~exists().where(models.TicketBuilding.ticket_id == models.Ticket.id))
        .limit(batch)
    )
    while rows := session.execute(missing).all():
        session.add_all(models.TicketBuilding(ticket_id=i, building=building_of(p) or "") for i, p in rows)
        session.flush()
        done += len(rows)
    return done


# --- reading ----------------------------------------------------------------------------------


def normalize_reference(value: str) -> str:
    """``"r-1001 "`` → ``"R1001"`` (as the API's lookups do)."""
    return "".join(value.split()).replace("-", "").upper()


def get_ticket(session: Session, number: str) -> models.Ticket:
    row = session.scalar(select(models.Ticket).where(models.Ticket.number == normalize_reference(number)))
    if row is None:
        raise Unknown("There is no repair ticket with that number.")
    return row


def latest_public_note(session: Session, number: str) -> tuple[str, datetime] | None:
    """The newest note the resident may hear and when it was written; ``None`` if there is none."""
    ticket = get_ticket(session, number)
    return _latest_notes(session, [ticket.id]).get(ticket.id)


def _latest_notes(session: Session, ticket_ids: Iterable[int]) -> dict[int, tuple[str, datetime]]:
    return {
        ticket_id: (note, at)
        for ticket_id, note, at in session.execute(
            _newest_with(models.TicketUpdate.public_note, ticket_ids, models.TicketUpdate.at)
        )
    }


def _assignees(session: Session, ticket_ids: Iterable[int]) -> dict[int, str]:
    return {
        ticket_id: name
        for ticket_id, name in session.execute(
            _newest_with(models.TicketUpdate.assignee, ticket_ids)
        )
    }


def _newest_with(column: Any, ticket_ids: Iterable[int], *extra: Any) -> Any:
    """For each ticket, ``column`` (and ``extra``) of its newest update where ``column`` is set."""
    ids = list(ticket_ids)
    newest = (
        select(func.max(models.TicketUpdate.id).label("id"))
        .where(models.TicketUpdate.ticket_id.in_(ids), column.is_not(None))
        .group_by(models.TicketUpdate.ticket_id)
        .subquery()
    )
    return select(models.TicketUpdate.ticket_id, column, *extra).join(newest, newest.c.id == models.TicketUpdate.id)


def ticket_status(session: Session, number: str) -> schemas.TicketStatus:
    """The kiosk's view: the status and the latest public note."""
    ticket = get_ticket(session, number)
    note = _latest_notes(session, [ticket.id]).get(ticket.id)
    return schemas.TicketStatus.model_validate(ticket).model_copy(
        update={"public_note": note[0] if note else None, "public_note_at": note[1] if note else None}
    )


def ticket_progress(session: Session, number: str) -> schemas.TicketProgress:
    """What anyone with the number hears: the status, the kind of problem, the dates (no place, no note)."""
    return schemas.TicketProgress.model_validate(get_ticket(session, number))


def ticket_record(session: Session, number: str) -> schemas.Ticket:
    """The staff view of one ticket: everything, with the latest public note."""
    ticket = get_ticket(session, number)
    note = _latest_notes(session, [ticket.id]).get(ticket.id)
    return schemas.Ticket.model_validate(ticket).model_copy(
        update={"public_note": note[0] if note else None, "public_note_at": note[1] if note else None}
    )


def ticket_history(session: Session, number: str) -> list[schemas.TicketHistoryEntry]:
    """Every change of a ticket, oldest first."""
    ticket = get_ticket(session, number)
    rows = session.scalars(
        select(models.TicketUpdate).where(models.TicketUpdate.ticket_id == ticket.id).order_by(models.TicketUpdate.id)
    )
    return [schemas.TicketHistoryEntry.model_validate(row) for row in rows]


def ticket_queue(
    session: Session,
    now: datetime,
    *,
    status: str | None = None,
    category: str | None = None,
    building: str | None = None,
    older_than_hours: float | None = None,
    overdue_only: bool = False,
    limit: int = 100,
    offset: int = 0,
    rules: OverdueRules | None = None,
) -> list[schemas.TicketQueueRow]:
    """Tickets for the office, oldest first, filtered; each with its building, assignee, age and overdue flag.

    ``building`` accepts what staff type ("3", "Building 3", "3号楼"); one that names no building matches
    nothing. ``overdue_only`` is done in SQL per category, so paging stays right.
    """
    rules = rules or default_overdue_rules()
    fill_missing_buildings(session)
    query = (
        select(models.Ticket, models.TicketBuilding.building)
        .join(models.TicketBuilding, models.TicketBuilding.ticket_id == models.Ticket.id)
        .order_by(models.Ticket.created_at, models.Ticket.id)
    )
    if status is not None:
        query = query.where(models.Ticket.status == status)
    if category is not None:
        query = query.where(models.Ticket.problem_type == category)
    if building is not None:
        query = query.where(models.TicketBuilding.building == (building_filter(building) or "-"))
    if older_than_hours is not None:
        query = query.where(models.Ticket.created_at <= now - timedelta(hours=older_than_hours))
    if overdue_only:
        query = query.where(models.Ticket.status.not_in(FINISHED), _overdue_condition(rules, now))
    rows = session.execute(query.limit(limit).offset(offset)).all()
    ids = [ticket.id for ticket, _ in rows]
    notes = _latest_notes(session, ids)
    assignees = _assignees(session, ids)
    out = []
    for ticket, place_building in rows:
        note = notes.get(ticket.id)
        out.append(schemas.TicketQueueRow.model_validate({
            **schemas.Ticket.model_validate(ticket).model_dump(),
            "public_note": note[0] if note else None,
            "public_note_at": note[1] if note else None,
            "building": place_building or None,
            "assignee": assignees.get(ticket.id),
            "age_hours": round((now - ticket.created_at).total_seconds() / 3600, 1),
            "overdue_after_hours": rules.hours_for(ticket.problem_type),
            "overdue": rules.is_overdue(ticket.problem_type, ticket.status, ticket.created_at, now),
        }))
    return out


def _overdue_condition(rules: OverdueRules, now: datetime) -> Any:
    named = [
        and_(models.Ticket.problem_type == category, models.Ticket.created_at < now - timedelta(hours=hours))
        for category, hours in rules.hours.items()
    ]
    other = and_(
        models.Ticket.problem_type.not_in(list(rules.hours)),
        models.Ticket.created_at < now - timedelta(hours=rules.default_hours),
    )
    return or_(*named, other)


# --- changing ---------------------------------------------------------------------------------


def _record(
    session: Session,
    ticket: models.Ticket,
    *,
    to_status: str,
    staff_name: str,
    now: datetime,
    public_note: str | None = None,
    internal_note: str | None = None,
    assignee: str | None = None,
) -> models.TicketUpdate:
    update = models.TicketUpdate(
        ticket_id=ticket.id, at=now, staff_name=staff_name, status_from=ticket.status, status_to=to_status,
        public_note=public_note, internal_note=internal_note, assignee=assignee,
    )
    session.add(update)
    ticket.status = to_status
    ticket.updated_at = now
    session.flush()
    return update


def _note(value: str | None, limit: int, what: str) -> str | None:
    """Validate a note as the API does (plain text kept as typed, blank = none, at most ``limit``)."""
    if value is None:
        return None
    cleaned = schemas.clean_text(value, multiline=True)
    if not cleaned:
        return None
    if len(cleaned) > limit:
        raise NotAllowed(f"The {what} is {len(cleaned)} characters long; at most {limit} fit.")
    return str(cleaned)


def assign(
    session: Session,
    number: str,
    assignee: str,
    staff_name: str,
    now: datetime,
    *,
    public_note: str | None = None,
    internal_note: str | None = None,
) -> models.TicketUpdate:
    """Give the ticket to a worker; an open ticket becomes ``assigned``, one already being handled keeps its
    status. A finished ticket must be reopened first."""
    ticket = get_ticket(session, number)
    who = str(schemas.clean_text(assignee))[: schemas.MAX_NAME]
    if not who:
        raise NotAllowed("Please say who takes the ticket.")
    if ticket.status in FINISHED:
        raise NotAllowed(f"Ticket {ticket.number} is {STATUS_WORDS[ticket.status]}; reopen it before assigning it.")
    return _record(
        session, ticket, to_status="assigned" if ticket.status == "open" else ticket.status,
        staff_name=staff_name, now=now, assignee=who,
        public_note=_note(public_note, schemas.MAX_PUBLIC_NOTE, "public note"),
        internal_note=_note(internal_note, schemas.MAX_TEXT, "internal note"),
    )


def change_status(
    session: Session,
    number: str,
    to_status: str,
    staff_name: str,
    public_note: str | None,
    internal_note: str | None,
    now: datetime,
) -> models.TicketUpdate:
    """Move a ticket to ``to_status`` (see ``TRANSITIONS``) with optional notes; the same status again only
    adds a note (and needs one)."""
    ticket = get_ticket(session, number)
    if to_status not in TRANSITIONS:
        raise NotAllowed(f"{to_status!r} is not a ticket status; use one of: {', '.join(STATUSES)}.")
    public = _note(public_note, schemas.MAX_PUBLIC_NOTE, "public note")
    internal = _note(internal_note, schemas.MAX_TEXT, "internal note")
    if to_status == ticket.status:
        if public is None and internal is None:
            raise NotAllowed(f"Ticket {ticket.number} is already {STATUS_WORDS[to_status]}.")
    elif to_status not in TRANSITIONS[ticket.status]:
        allowed = ", ".join(STATUS_WORDS[s] for s in STATUSES if s in TRANSITIONS[ticket.status])
        raise NotAllowed(
            f"Ticket {ticket.number} is {STATUS_WORDS[ticket.status]}; it cannot become "
            f"{STATUS_WORDS[to_status]}. From here it can become: {allowed}."
        )
    return _record(session, ticket, to_status=to_status, staff_name=staff_name, now=now,
                   public_note=public, internal_note=internal)


def set_status_unchecked(session: Session, ticket: models.Ticket, to_status: str, now: datetime) -> None:
    """The older ``PATCH /tickets/{number}``: any status, recorded in the history as by "staff (API)"."""
    if to_status != ticket.status:
        _record(session, ticket, to_status=to_status, staff_name="staff (API)", now=now)
