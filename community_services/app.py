"""The community services HTTP API (FastAPI). ``create_app()`` builds a ready-to-serve app.

Every write is one transaction. Create endpoints honour ``Idempotency-Key``: the response is stored in
the same transaction as the created row, and a repeat with the same key returns it unchanged (same
status code, header ``Idempotent-Replayed: true``) without creating anything. Reusing a key for a
different request is refused with 422.

Nothing here logs request bodies, phone numbers or names.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Depends, FastAPI, Header, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload, selectinload
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import API_PREFIX, models, schemas
from . import seed as seed_data
from .auth import AnyRole, Role, StaffRole, Tokens
from .db import Database
from .matching import best_match

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
"""Requests bigger than this are refused with 413 before they are parsed."""


# --- dependencies -----------------------------------------------------------------------------


def _session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.db
    with database.session() as session:
        yield session


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


SessionDep = Annotated[Session, Depends(_session)]
NowDep = Annotated[datetime, Depends(_now)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=schemas.MAX_KEY,
        description="Any unique string. A repeat with the same key returns the first result and creates nothing new.",
    ),
]
EventId = Annotated[int, Path(ge=1, le=schemas.MAX_ID)]
SearchQuery = Annotated[str, Query(min_length=1, max_length=schemas.MAX_KEY, description="What was asked.")]

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorMessage, "description": "Missing or unknown token"},
}
_STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    **_AUTH_ERRORS,
    403: {"model": schemas.ErrorMessage, "description": "Staff token required"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": schemas.ErrorMessage, "description": "Not found"}}
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": schemas.ErrorMessage, "description": "Conflict"}}


def _not_found(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=detail)


def _conflict(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_409_CONFLICT, detail=detail)


def _reference(prefix: str, row_id: int) -> str:
    return f"{prefix}{1000 + row_id}"


def _normalize_reference(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


# --- converters -------------------------------------------------------------------------------


def _facility(row: models.Facility) -> schemas.Facility:
    return schemas.Facility(
        slug=row.slug,
        name=row.name,
        name_zh=row.name_zh,
        aliases=list(row.aliases),
        kind=row.kind,
        location=row.location,
        directions=row.directions,
        hours=[schemas.OpeningHours(**h) for h in row.hours],
        hours_text=row.hours_text,
        notes=row.notes,
    )


def _ticket(row: models.Ticket) -> schemas.Ticket:
    return schemas.Ticket(
        number=row.number or "",
        status=cast(schemas.TicketStatusValue, row.status),
        problem_type=row.problem_type,
        place=row.place,
        description=row.description,
        phone=row.phone,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _ticket_status(row: models.Ticket) -> schemas.TicketStatus:
    return schemas.TicketStatus(
        number=row.number or "",
        status=cast(schemas.TicketStatusValue, row.status),
        problem_type=row.problem_type,
        place=row.place,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _department(row: models.Department) -> schemas.Department:
    return schemas.Department(
        slug=row.slug, name=row.name, doctors=[d.name for d in row.doctors], schedule_text=row.schedule_text
    )


def _slot(row: models.Slot) -> schemas.Slot:
    return schemas.Slot(id=row.id, department=row.department.name, doctor=row.doctor.name, start=row.start, end=row.end)


def _appointment(row: models.Appointment) -> schemas.Appointment:
    return schemas.Appointment(
        reference=row.reference or "",
        department=row.slot.department.name,
        doctor=row.slot.doctor.name,
        start=row.slot.start,
        end=row.slot.end,
        patient_name=row.patient_name,
        status=cast(schemas.AppointmentStatus, row.status),
    )


def _appointment_record(row: models.Appointment) -> schemas.AppointmentRecord:
    return schemas.AppointmentRecord(
        **_appointment(row).model_dump(), slot_id=row.slot_id, phone=row.phone, created_at=row.created_at
    )


def _event(row: models.Event) -> schemas.Event:
    return schemas.Event(
        id=row.id,
        slug=row.slug,
        title=row.title,
        place=row.place,
        start=row.start,
        end=row.end,
        signup_required=row.signup_required,
        capacity=row.capacity,
        registered=row.registered,
        description=row.description,
    )


def _registration(row: models.Registration) -> schemas.Registration:
    return schemas.Registration(
        reference=row.reference or "", event_id=row.event_id, name=row.name, status="registered"
    )


def _registration_record(row: models.Registration) -> schemas.RegistrationRecord:
    return schemas.RegistrationRecord(**_registration(row).model_dump(), phone=row.phone, created_at=row.created_at)


def _announcement(row: models.Announcement) -> schemas.Announcement:
    return schemas.Announcement(
        id=row.id, title=row.title, body=row.body, valid_from=row.valid_from, valid_until=row.valid_until
    )


def _alert(row: models.Alert) -> schemas.Alert:
    return schemas.Alert(
        reference=row.reference or "",
        kind=row.kind,
        location=row.location,
        kiosk_id=row.kiosk_id,
        details=row.details,
        status=cast(schemas.AlertStatus, row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _feedback(row: models.Feedback) -> schemas.Feedback:
    return schemas.Feedback(
        reference=row.reference or "", text=row.text, category=row.category, created_at=row.created_at
    )


# --- idempotent creation ----------------------------------------------------------------------


def _digest(payload: BaseModel) -> str:
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _replay(session: Session, scope: str, key: str, digest: str) -> JSONResponse | None:
    record = session.scalar(
        select(models.IdempotencyRecord).where(
            models.IdempotencyRecord.scope == scope, models.IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != digest:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="This Idempotency-Key was already used for a different request.",
        )
    return JSONResponse(
        status_code=record.status_code, content=record.response, headers={"Idempotent-Replayed": "true"}
    )


def _create(
    request: Request,
    session: Session,
    now: datetime,
    key: str | None,
    payload: BaseModel,
    build: Callable[[], BaseModel],
) -> JSONResponse:
    """Run ``build`` (which adds rows and returns the response model) exactly once per key."""
    scope = f"{request.method} {request.url.path}"
    digest = _digest(payload)
    if key is not None:
        replay = _replay(session, scope, key, digest)
        if replay is not None:
            return replay
    try:
        body = build().model_dump(mode="json")
        if key is not None:
            session.add(
                models.IdempotencyRecord(
                    scope=scope, key=key, request_hash=digest, status_code=201, response=body, created_at=now
                )
            )
        session.commit()
    except IntegrityError:
        session.rollback()
        # a concurrent request with the same key won the race: answer with its result
        if key is not None and (replay := _replay(session, scope, key, digest)) is not None:
            return replay
        raise
    return JSONResponse(status_code=status.HTTP_201_CREATED, content=body)


# --- routes -----------------------------------------------------------------------------------

health_router = APIRouter(tags=["health"])
router = APIRouter(prefix=API_PREFIX)


@health_router.get("/health", response_model=schemas.HealthStatus, summary="Health (no token needed)")
@router.get("/health", response_model=schemas.HealthStatus, summary="Health (no token needed)", tags=["health"])
def health() -> schemas.HealthStatus:
    return schemas.HealthStatus()


# facilities


@router.get("/facilities", response_model=list[schemas.Facility], tags=["facilities"], responses=_AUTH_ERRORS)
def list_facilities(_: AnyRole, session: SessionDep) -> list[schemas.Facility]:
    rows = session.scalars(select(models.Facility).order_by(models.Facility.position, models.Facility.id))
    return [_facility(row) for row in rows]


def facility_terms(row: models.Facility) -> list[str]:
    return [row.name, row.name_zh, row.slug.replace("-", " "), *row.aliases]


@router.get(
    "/facilities/search",
    response_model=schemas.Facility,
    tags=["facilities"],
    responses={**_AUTH_ERRORS, **_NOT_FOUND},
    summary="Best match for a place name",
)
def search_facilities(q: SearchQuery, _: AnyRole, session: SessionDep) -> schemas.Facility:
    rows = list(session.scalars(select(models.Facility).order_by(models.Facility.position, models.Facility.id)))
    found = best_match(q, [(row, facility_terms(row)) for row in rows])
    if found is None:
        raise _not_found("I could not find a place with that name.")
    return _facility(found)


@router.get(
    "/facilities/{slug}",
    response_model=schemas.Facility,
    tags=["facilities"],
    responses={**_AUTH_ERRORS, **_NOT_FOUND},
)
def get_facility(slug: str, _: AnyRole, session: SessionDep) -> schemas.Facility:
    row = session.scalar(select(models.Facility).where(models.Facility.slug == slug.strip().lower()))
    if row is None:
        raise _not_found("There is no such place.")
    return _facility(row)


# repair tickets


@router.post(
    "/tickets",
    response_model=schemas.Ticket,
    status_code=status.HTTP_201_CREATED,
    tags=["tickets"],
    responses=_AUTH_ERRORS,
    summary="Report a repair",
)
def create_ticket(
    payload: schemas.TicketCreate,
    request: Request,
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def build() -> schemas.Ticket:
        row = models.Ticket(**payload.model_dump(), status="open", created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        row.number = _reference("R", row.id)
        session.flush()
        log.info("repair ticket %s created (%s)", row.number, row.problem_type)
        return _ticket(row)

    return _create(request, session, now, idempotency_key, payload, build)


@router.get("/tickets", response_model=list[schemas.Ticket], tags=["tickets"], responses=_STAFF_ERRORS)
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
    row = session.scalar(select(models.Ticket).where(models.Ticket.number == _normalize_reference(number)))
    if row is None:
        raise _not_found("There is no repair ticket with that number.")
    return row


@router.get(
    "/tickets/{number}",
    response_model=schemas.Ticket | schemas.TicketStatus,
    tags=["tickets"],
    responses={**_AUTH_ERRORS, **_NOT_FOUND},
    summary="A ticket: its status for the kiosk, everything for staff",
)
def get_ticket(number: str, role: AnyRole, session: SessionDep) -> schemas.Ticket | schemas.TicketStatus:
    row = _get_ticket(session, number)
    return _ticket(row) if role is Role.STAFF else _ticket_status(row)


@router.patch(
    "/tickets/{number}",
    response_model=schemas.Ticket,
    tags=["tickets"],
    responses={**_STAFF_ERRORS, **_NOT_FOUND},
)
def update_ticket(
    number: str, update_: Annotated[schemas.TicketUpdate, Body()], _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.Ticket:
    row = _get_ticket(session, number)
    row.status = update_.status
    row.updated_at = now
    session.commit()
    log.info("repair ticket %s is now %s", row.number, row.status)
    return _ticket(row)


# clinic


def _departments(session: Session) -> list[models.Department]:
    query = (
        select(models.Department)
        .options(selectinload(models.Department.doctors))
        .order_by(models.Department.position, models.Department.id)
    )
    return list(session.scalars(query))


def find_department(session: Session, text: str) -> models.Department | None:
    departments = _departments(session)
    wanted = " ".join(text.split()).casefold()
    for row in departments:
        if wanted in (row.slug, row.name.casefold(), row.name_zh):
            return row
    terms = [(row, [row.name, row.name_zh, row.slug.replace("-", " "), *row.aliases]) for row in departments]
    return best_match(text, terms)


@router.get("/clinic/departments", response_model=list[schemas.Department], tags=["clinic"], responses=_AUTH_ERRORS)
def list_departments(_: AnyRole, session: SessionDep) -> list[schemas.Department]:
    return [_department(row) for row in _departments(session)]


def _slot_query() -> Select[Any]:
    return select(models.Slot).options(joinedload(models.Slot.department), joinedload(models.Slot.doctor))


@router.get(
    "/clinic/slots",
    response_model=list[schemas.Slot],
    tags=["clinic"],
    responses={**_AUTH_ERRORS, **_NOT_FOUND},
    summary="Free appointment slots of a department",
)
def list_free_slots(
    department: Annotated[str, Query(min_length=1, max_length=schemas.MAX_NAME, description="Slug or name")],
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    day: Annotated[date | None, Query(description="Only this day; default: from now on")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[schemas.Slot]:
    found = find_department(session, department)
    if found is None:
        raise _not_found("There is no clinic department with that name.")
    query = (
        _slot_query()
        .join(models.Doctor, models.Slot.doctor_id == models.Doctor.id)
        .where(models.Slot.department_id == found.id, models.Slot.booked.is_(False), models.Slot.start > now)
        .order_by(models.Slot.start, models.Doctor.position)
        .limit(limit)
    )
    if day is not None:
        midnight = datetime.combine(day, datetime.min.time())
        query = query.where(models.Slot.start >= midnight, models.Slot.start < midnight + timedelta(days=1))
    return [_slot(row) for row in session.scalars(query)]


def _appointment_query() -> Select[Any]:
    return select(models.Appointment).options(
        joinedload(models.Appointment.slot).joinedload(models.Slot.department),
        joinedload(models.Appointment.slot).joinedload(models.Slot.doctor),
    )


@router.post(
    "/clinic/appointments",
    response_model=schemas.Appointment,
    status_code=status.HTTP_201_CREATED,
    tags=["clinic"],
    responses={**_AUTH_ERRORS, **_NOT_FOUND, **_CONFLICT},
    summary="Book a slot",
)
def book_appointment(
    payload: schemas.AppointmentCreate,
    request: Request,
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def build() -> schemas.Appointment:
        slot = session.get(models.Slot, payload.slot_id)
        if slot is None:
            raise _not_found("There is no such appointment time.")
        if slot.start <= now:
            raise _conflict("That appointment time has already passed. Please choose another time.")
        taken = session.execute(
            update(models.Slot)
            .where(models.Slot.id == slot.id, models.Slot.booked.is_(False))
            .values(booked=True)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(taken) != 1:
            raise _conflict("Sorry, that time has just been booked. Please choose another time.")
        row = models.Appointment(
            slot_id=slot.id,
            patient_name=payload.patient_name,
            phone=payload.phone,
            status="booked",
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        row.reference = _reference("A", row.id)
        session.flush()
        log.info("appointment %s booked (slot %s)", row.reference, slot.id)
        return _appointment(row)

    return _create(request, session, now, idempotency_key, payload, build)


@router.post(
    "/clinic/appointments/{reference}/cancel",
    response_model=schemas.Appointment,
    tags=["clinic"],
    responses={
        **_AUTH_ERRORS,
        **_NOT_FOUND,
        403: {"model": schemas.ErrorMessage, "description": "Phone number does not match"},
    },
    summary="Cancel a booking (needs the phone number it was booked with)",
)
def cancel_appointment(
    reference: str, payload: schemas.CancelRequest, _: AnyRole, session: SessionDep, now: NowDep
) -> schemas.Appointment:
    row = session.scalar(_appointment_query().where(models.Appointment.reference == _normalize_reference(reference)))
    if row is None:
        raise _not_found("There is no appointment with that reference.")
    if payload.phone != row.phone:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="That phone number does not match the booking.",
        )
    if row.status == "booked":
        row.status = "cancelled"
        row.updated_at = now
        session.execute(
            update(models.Slot)
            .where(models.Slot.id == row.slot_id)
            .values(booked=False)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        log.info("appointment %s cancelled", row.reference)
    return _appointment(row)


@router.get(
    "/clinic/appointments",
    response_model=list[schemas.AppointmentRecord],
    tags=["clinic"],
    responses=_STAFF_ERRORS,
)
def list_appointments(
    _: StaffRole,
    session: SessionDep,
    day: Annotated[date | None, Query()] = None,
    status_: Annotated[schemas.AppointmentStatus | None, Query(alias="status")] = None,
) -> list[schemas.AppointmentRecord]:
    query = _appointment_query().join(models.Slot, models.Appointment.slot_id == models.Slot.id)
    if day is not None:
        midnight = datetime.combine(day, datetime.min.time())
        query = query.where(models.Slot.start >= midnight, models.Slot.start < midnight + timedelta(days=1))
    if status_ is not None:
        query = query.where(models.Appointment.status == status_)
    query = query.order_by(models.Slot.start, models.Appointment.id)
    return [_appointment_record(row) for row in session.scalars(query)]


# events


def _upcoming(now: datetime) -> Any:
    return func.coalesce(models.Event.end, models.Event.start) > now


@router.get("/events", response_model=list[schemas.Event], tags=["events"], responses=_AUTH_ERRORS)
def list_events(
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    day: Annotated[date | None, Query(description="Events of this day; default: everything upcoming")] = None,
) -> list[schemas.Event]:
    query = select(models.Event).order_by(models.Event.start, models.Event.id)
    if day is None:
        query = query.where(_upcoming(now))
    else:
        midnight = datetime.combine(day, datetime.min.time())
        query = query.where(models.Event.start >= midnight, models.Event.start < midnight + timedelta(days=1))
    return [_event(row) for row in session.scalars(query)]


@router.get(
    "/events/search",
    response_model=schemas.Event,
    tags=["events"],
    responses={**_AUTH_ERRORS, **_NOT_FOUND},
    summary="The next occurrence of the event that best matches",
)
def search_events(q: SearchQuery, _: AnyRole, session: SessionDep, now: NowDep) -> schemas.Event:
    rows = session.scalars(select(models.Event).where(_upcoming(now)).order_by(models.Event.start, models.Event.id))
    first_of_series: dict[str, models.Event] = {}
    for row in rows:
        first_of_series.setdefault(row.series, row)
    candidates = [(row, [row.title, row.series.replace("-", " "), *row.keywords]) for row in first_of_series.values()]
    found = best_match(q, candidates)
    if found is None:
        raise _not_found("I could not find an event like that.")
    return _event(found)


@router.get(
    "/events/{event_id}", response_model=schemas.Event, tags=["events"], responses={**_AUTH_ERRORS, **_NOT_FOUND}
)
def get_event(event_id: EventId, _: AnyRole, session: SessionDep) -> schemas.Event:
    row = session.get(models.Event, event_id)
    if row is None:
        raise _not_found("There is no such event.")
    return _event(row)


@router.post(
    "/events/{event_id}/registrations",
    response_model=schemas.Registration,
    status_code=status.HTTP_201_CREATED,
    tags=["events"],
    responses={
        **_AUTH_ERRORS,
        **_NOT_FOUND,
        **_CONFLICT,
        400: {"model": schemas.ErrorMessage, "description": "This event needs no sign-up"},
    },
    summary="Sign up for an event",
)
def register_for_event(
    event_id: EventId,
    payload: schemas.RegistrationCreate,
    request: Request,
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def build() -> schemas.Registration:
        event = session.get(models.Event, event_id)
        if event is None:
            raise _not_found("There is no such event.")
        if not event.signup_required:
            raise HTTPException(
                status_code=status.HTTP_400_BAD_REQUEST,
                detail="This event needs no sign-up. Just come along.",
            )
        if event.start <= now:
            raise _conflict("This event has already started.")
        already = session.scalar(
            select(models.Registration.id).where(
                models.Registration.event_id == event.id, models.Registration.phone == payload.phone
            )
        )
        if already is not None:
            raise _conflict("This phone number is already signed up for this event.")
        seat = session.execute(
            update(models.Event)
            .where(
                models.Event.id == event.id,
                or_(models.Event.capacity.is_(None), models.Event.registered < models.Event.capacity),
            )
            .values(registered=models.Event.registered + 1)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(seat) != 1:
            raise _conflict("Sorry, this event is full.")
        row = models.Registration(
            event_id=event.id, name=payload.name, phone=payload.phone, status="registered", created_at=now
        )
        session.add(row)
        session.flush()
        row.reference = _reference("E", row.id)
        session.flush()
        log.info("registration %s for event %s", row.reference, event.id)
        return _registration(row)

    return _create(request, session, now, idempotency_key, payload, build)


@router.get(
    "/events/{event_id}/registrations",
    response_model=list[schemas.RegistrationRecord],
    tags=["events"],
    responses={**_STAFF_ERRORS, **_NOT_FOUND},
)
def list_registrations(event_id: EventId, _: StaffRole, session: SessionDep) -> list[schemas.RegistrationRecord]:
    if session.get(models.Event, event_id) is None:
        raise _not_found("There is no such event.")
    rows = session.scalars(
        select(models.Registration).where(models.Registration.event_id == event_id).order_by(models.Registration.id)
    )
    return [_registration_record(row) for row in rows]


# announcements


@router.get("/announcements", response_model=list[schemas.Announcement], tags=["announcements"], responses=_AUTH_ERRORS)
def list_announcements(_: AnyRole, session: SessionDep, now: NowDep) -> list[schemas.Announcement]:
    query = (
        select(models.Announcement)
        .where(
            models.Announcement.valid_from <= now,
            or_(models.Announcement.valid_until.is_(None), models.Announcement.valid_until > now),
        )
        .order_by(models.Announcement.valid_from.desc(), models.Announcement.id.desc())
    )
    return [_announcement(row) for row in session.scalars(query)]


# emergency alerts


@router.post(
    "/alerts",
    response_model=schemas.Alert,
    status_code=status.HTTP_201_CREATED,
    tags=["alerts"],
    responses=_AUTH_ERRORS,
    summary="Raise an emergency alert",
)
def raise_alert(
    payload: schemas.AlertCreate,
    request: Request,
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def build() -> schemas.Alert:
        row = models.Alert(**payload.model_dump(), status="open", created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        row.reference = _reference("H", row.id)
        session.flush()
        log.warning("EMERGENCY alert %s (%s) from kiosk %s", row.reference, row.kind, row.kiosk_id)
        return _alert(row)

    return _create(request, session, now, idempotency_key, payload, build)


@router.get("/alerts", response_model=list[schemas.Alert], tags=["alerts"], responses=_STAFF_ERRORS)
def list_alerts(
    _: StaffRole,
    session: SessionDep,
    status_: Annotated[schemas.AlertStatus | None, Query(alias="status")] = None,
) -> list[schemas.Alert]:
    query = select(models.Alert).order_by(models.Alert.id.desc())
    if status_ is not None:
        query = query.where(models.Alert.status == status_)
    return [_alert(row) for row in session.scalars(query)]


@router.patch(
    "/alerts/{reference}", response_model=schemas.Alert, tags=["alerts"], responses={**_STAFF_ERRORS, **_NOT_FOUND}
)
def update_alert(
    reference: str, update_: Annotated[schemas.AlertUpdate, Body()], _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.Alert:
    row = session.scalar(select(models.Alert).where(models.Alert.reference == _normalize_reference(reference)))
    if row is None:
        raise _not_found("There is no alert with that reference.")
    row.status = update_.status
    row.updated_at = now
    session.commit()
    log.info("alert %s is now %s", row.reference, row.status)
    return _alert(row)


# feedback


@router.post(
    "/feedback",
    response_model=schemas.Feedback,
    status_code=status.HTTP_201_CREATED,
    tags=["feedback"],
    responses=_AUTH_ERRORS,
)
def submit_feedback(
    payload: schemas.FeedbackCreate,
    request: Request,
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def build() -> schemas.Feedback:
        row = models.Feedback(text=payload.text, category=payload.category, created_at=now)
        session.add(row)
        session.flush()
        row.reference = _reference("F", row.id)
        session.flush()
        log.info("feedback %s received (%s)", row.reference, row.category)
        return _feedback(row)

    return _create(request, session, now, idempotency_key, payload, build)


@router.get("/feedback", response_model=list[schemas.Feedback], tags=["feedback"], responses=_STAFF_ERRORS)
def list_feedback(_: StaffRole, session: SessionDep) -> list[schemas.Feedback]:
    return [_feedback(row) for row in session.scalars(select(models.Feedback).order_by(models.Feedback.id.desc()))]


# --- errors and limits ------------------------------------------------------------------------


def _error(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"detail": detail})


async def _on_integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    return _error(status.HTTP_409_CONFLICT, "This conflicts with something that already exists.")


async def _on_operational_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", type(exc).__name__)
    return _error(status.HTTP_503_SERVICE_UNAVAILABLE, "The service is busy. Please try again in a moment.")


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(status.HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side.")


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by declared length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(scope, receive, send)
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(status.HTTP_413_CONTENT_TOO_LARGE, "The request is too large.")
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


# --- the app ----------------------------------------------------------------------------------


def _shifted_clock(shift: timedelta) -> Callable[[], datetime]:
    def clock() -> datetime:
        return datetime.now() + shift

    return clock


def create_app(
    database_url: str,
    kiosk_token: str,
    staff_token: str,
    seed: bool = True,
    today: date | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """Build the API on ``database_url`` (tables are created; seeded with Sunny Garden if empty).

    ``today`` moves the seed data *and* the service's clock to that date (the time of day stays
    real); ``clock`` replaces the clock entirely (tests). Raises ``ValueError`` for missing or equal
    tokens.
    """
    tokens = Tokens(kiosk=kiosk_token, staff=staff_token)
    if clock is None:
        clock = datetime.now if today is None else _shifted_clock(today - date.today())

    database = Database(database_url)
    database.create_schema()
    shown_url = make_url(database_url).render_as_string(hide_password=True)
    if seed:
        with database.session() as session:
            outcome = seed_data.seed_or_top_up(session, today or clock().date())
        log.info("database %s: %s", shown_url, outcome)
    else:
        log.info("database %s: not seeded", shown_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        database.dispose()

    app = FastAPI(
        title="Linli community services",
        version="1.0.0",
        description="Facilities, repairs, clinic, events, announcements, emergency alerts and feedback "
        "for the residential community. Every endpoint except /health needs a bearer token: the kiosk "
        "token or the staff token. Create endpoints honour Idempotency-Key.",
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.tokens = tokens
    app.state.clock = clock
    app.include_router(health_router)
    app.include_router(router)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(OperationalError, _on_operational_error)
    app.add_exception_handler(Exception, _on_unexpected_error)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    return app
