"""Repair tickets: residents report, staff follow up; the kiosk may ask a ticket's status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import models, schemas
from . import log
from .deps import AnyRole, NowDep, Role, SessionDep, StaffRole
from .errors import AUTH_ERRORS, NOT_FOUND, STAFF_ERRORS
from .idempotency import CreateOnce
from .references import add_numbered, find_by_reference

router = APIRouter(tags=["tickets"])


def _ticket(row: models.Ticket) -> schemas.Ticket:
    return schemas.Ticket.model_validate(row)


def _ticket_status(row: models.Ticket) -> schemas.TicketStatus:
    return schemas.TicketStatus.model_validate(row)


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
        log.info("repair ticket %s created (%s)", row.number, row.problem_type)
        return _ticket(row)

    return create(payload, build)


@router.get("/tickets", response_model=list[schemas.Ticket], responses=STAFF_ERRORS)
def list_tickets(
    _: StaffRole,
    session: SessionDep,
    status_: Annotated[schemas.TicketStatusValue | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[schemas.Ticket]:
    query = select(models.Ticket).order_by(models.Ticket.id.desc()).limit(limit)
    if status_ is not None:
        query = query.where(models.Ticket.status == status_)
    return [_ticket(row) for row in session.scalars(query)]


def _get_ticket(session: Session, number: str) -> models.Ticket:
    return find_by_reference(
        session, select(models.Ticket), models.Ticket.number, number, "There is no repair ticket with that number."
    )


@router.get(
    "/tickets/{number}",
    response_model=schemas.Ticket | schemas.TicketStatus,
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="A ticket: its status for the kiosk, everything for staff",
)
def get_ticket(number: str, role: AnyRole, session: SessionDep) -> schemas.Ticket | schemas.TicketStatus:
    row = _get_ticket(session, number)
    return _ticket(row) if role is Role.STAFF else _ticket_status(row)


@router.patch("/tickets/{number}", response_model=schemas.Ticket, responses={**STAFF_ERRORS, **NOT_FOUND})
def update_ticket(
    number: str, update_: Annotated[schemas.TicketUpdate, Body()], _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.Ticket:
    row = _get_ticket(session, number)
    row.status = update_.status
    row.updated_at = now
    session.commit()
    log.info("repair ticket %s is now %s", row.number, row.status)
    return _ticket(row)
