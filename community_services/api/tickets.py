"""Repair tickets: residents report, staff follow up (the tickets desk); the kiosk may ask a ticket's status.

The work is in ``ticket_desk``; a refusal there (unknown number, a status that cannot follow) is turned into
404/409 by ``errors.add_handlers``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from .. import models, schemas, ticket_desk
from . import log
from .deps import AnyRole, NowDep, Role, SessionDep, StaffRole
from .errors import AUTH_ERRORS, CONFLICT, NOT_FOUND, STAFF_ERRORS
from .idempotency import CreateOnce
from .references import add_numbered
from .residents import ResidentDep, owns

router = APIRouter(tags=["tickets"])


def _ticket(row: models.Ticket) -> schemas.Ticket:
    return schemas.Ticket.model_validate(row)


@router.post(
    "/tickets",
    response_model=schemas.Ticket,
    status_code=status.HTTP_201_CREATED,
    responses=AUTH_ERRORS,
    summary="Report a repair",
)
def create_ticket(payload: schemas.TicketCreate, _: AnyRole, create: CreateOnce) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.Ticket:
        row = models.Ticket(**payload.model_dump(), status="open", created_at=now, updated_at=now)
        add_numbered(session, row)
        ticket_desk.record_building(session, row)
        log.info("repair ticket %s created (%s)", row.number, row.problem_type)
        return _ticket(row)

    return create(payload, build)


@router.get(
    "/tickets",
    response_model=list[schemas.TicketQueueRow],
    responses=STAFF_ERRORS,
    summary="The tickets queue, oldest first, with assignee, age and overdue flag",
)
def list_tickets(
    _: StaffRole,
    session: SessionDep,
    now: NowDep,
    status_: Annotated[schemas.TicketStatusValue | None, Query(alias="status")] = None,
    category: Annotated[str | None, Query(max_length=schemas.MAX_NAME, description="Problem type, e.g. lift")] = None,
    building: Annotated[str | None, Query(max_length=50, description='"3", "Building 3" or "3号楼"')] = None,
    older_than_hours: Annotated[float | None, Query(ge=0, le=24 * 3650)] = None,
    overdue: Annotated[bool, Query(description="Only unfinished tickets past their category's time")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[schemas.TicketQueueRow]:
    rows = ticket_desk.ticket_queue(
        session, now, status=status_, category=category, building=building, older_than_hours=older_than_hours,
        overdue_only=overdue, limit=limit, offset=offset,
    )
    session.commit()  # the buildings of older tickets, parsed on the first request
    return rows


@router.get(
    "/tickets/{number}",
    response_model=schemas.Ticket | schemas.TicketStatus | schemas.TicketProgress,
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="A ticket: everything for staff; for a kiosk the progress, and the place and latest public note "
    "with X-Resident-Token of the household whose phone reported it",
)
def get_ticket(
    number: str, role: AnyRole, household: ResidentDep, session: SessionDep
) -> schemas.Ticket | schemas.TicketStatus | schemas.TicketProgress:
    if role is Role.STAFF:
        return ticket_desk.ticket_record(session, number)
    if owns(household, ticket_desk.get_ticket(session, number).phone):
        return ticket_desk.ticket_status(session, number)
    return ticket_desk.ticket_progress(session, number)


@router.get(
    "/tickets/{number}/history",
    response_model=list[schemas.TicketHistoryEntry],
    responses={**STAFF_ERRORS, **NOT_FOUND},
    summary="Every change of a ticket, oldest first",
)
def ticket_history(number: str, _: StaffRole, session: SessionDep) -> list[schemas.TicketHistoryEntry]:
    return ticket_desk.ticket_history(session, number)


@router.post(
    "/tickets/{number}/assign",
    response_model=schemas.Ticket,
    responses={**STAFF_ERRORS, **NOT_FOUND, **CONFLICT},
    summary="Give a ticket to a worker (an open ticket becomes assigned)",
)
def assign_ticket(
    number: str, body: schemas.TicketAssign, _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.Ticket:
    ticket_desk.assign(session, number, body.assignee, body.staff_name, now,
                       public_note=body.public_note, internal_note=body.internal_note)
    session.commit()
    log.info("repair ticket %s assigned", ticket_desk.normalize_reference(number))
    return ticket_desk.ticket_record(session, number)


@router.post(
    "/tickets/{number}/status",
    response_model=schemas.Ticket,
    responses={**STAFF_ERRORS, **NOT_FOUND, **CONFLICT},
    summary="Change a ticket's status, with a note the resident may hear",
)
def change_ticket_status(
    number: str, body: schemas.TicketStatusChange, _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.Ticket:
    ticket_desk.change_status(session, number, body.status, body.staff_name, body.public_note, body.internal_note,
                              now)
    session.commit()
    record = ticket_desk.ticket_record(session, number)
    log.info("repair ticket %s is now %s", record.number, record.status)
    return record


@router.patch(
    "/tickets/{number}",
    response_model=schemas.Ticket,
    responses={**STAFF_ERRORS, **NOT_FOUND},
    summary="Set a ticket's status without checks (older clients; the desk uses POST .../status)",
)
def update_ticket(
    number: str, update_: Annotated[schemas.TicketUpdate, Body()], _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.Ticket:
    row = ticket_desk.get_ticket(session, number)
    ticket_desk.set_status_unchecked(session, row, update_.status, now)
    session.commit()
    log.info("repair ticket %s is now %s", row.number, row.status)
    return ticket_desk.ticket_record(session, number)
