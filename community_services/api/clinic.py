"""The community clinic: departments, free slots, booking and cancelling appointments."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, cast

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import content, models, schemas
from ..matching import best_match
from . import log
from .deps import AnyRole, LangDep, NowDep, Role, SessionDep, StaffRole
from .errors import AUTH_ERRORS, CONFLICT, NOT_FOUND, STAFF_ERRORS, conflict, not_found
from .idempotency import CreateOnce
from .queries import changed_one_row, on_day, search_terms
from .references import add_numbered, find_by_reference
from .residents import RESIDENT_ERRORS, ResidentDep, ResidentRefusal, require_owner

router = APIRouter(tags=["clinic"])

BOOKINGS_PER_PHONE_PER_DAY = 3
"""Bookings one phone number may make in a day (cancelled ones count: booking and cancelling is no way round)."""


def _department_name(row: models.Department, lang: str) -> str:
    return str(content.department(row.slug, lang).get("name") or row.name)


def _department(row: models.Department, lang: str = content.DEFAULT) -> schemas.Department:
    words = content.department(row.slug, lang)
    return schemas.Department(
        slug=row.slug,
        name=_department_name(row, lang),
        doctors=[content.doctor(d.name, lang) for d in row.doctors],
        schedule_text=words.get("schedule_text") or row.schedule_text,
    )


def _slot(row: models.Slot, lang: str = content.DEFAULT) -> schemas.Slot:
    return schemas.Slot(id=row.id, department=_department_name(row.department, lang),
                        doctor=content.doctor(row.doctor.name, lang), start=row.start, end=row.end)


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


def _departments(session: Session) -> list[models.Department]:
    query = (
        select(models.Department)
        .options(selectinload(models.Department.doctors))
        .order_by(models.Department.position, models.Department.id)
    )
    return list(session.scalars(query))


def find_department(session: Session, text: str) -> models.Department | None:
    """The department by slug or exact name (English or Chinese), else the best match by any name."""
    departments = _departments(session)
    wanted = " ".join(text.split()).casefold()
    for row in departments:
        if wanted in (row.slug, row.name.casefold(), row.name_zh):
            return row
    return best_match(text, [(row, [*search_terms(row), *content.aliases(row.slug)]) for row in departments])


@router.get("/clinic/departments", response_model=list[schemas.Department], responses=AUTH_ERRORS)
def list_departments(_: AnyRole, session: SessionDep, lang: LangDep) -> list[schemas.Department]:
    return [_department(row, lang) for row in _departments(session)]


def _slot_query() -> Select[models.Slot]:
    return select(models.Slot).options(joinedload(models.Slot.department), joinedload(models.Slot.doctor))


@router.get(
    "/clinic/slots",
    response_model=list[schemas.Slot],
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="Free appointment slots of a department",
)
def list_free_slots(
    department: Annotated[str, Query(min_length=1, max_length=schemas.MAX_NAME, description="Slug or name")],
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    lang: LangDep,
    day: Annotated[date | None, Query(description="Only this day; default: from now on")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[schemas.Slot]:
    found = find_department(session, department)
    if found is None:
        raise not_found("There is no clinic department with that name.")
    query = (
        _slot_query()
        .join(models.Doctor, models.Slot.doctor_id == models.Doctor.id)
        .where(models.Slot.department_id == found.id, models.Slot.booked.is_(False), models.Slot.start > now)
        .order_by(models.Slot.start, models.Doctor.position)
        .limit(limit)
    )
    if day is not None:
        query = query.where(*on_day(models.Slot.start, day))
    return [_slot(row, lang) for row in session.scalars(query)]


def _appointment_query() -> Select[models.Appointment]:
    return select(models.Appointment).options(
        joinedload(models.Appointment.slot).joinedload(models.Slot.department),
        joinedload(models.Appointment.slot).joinedload(models.Slot.doctor),
    )


@router.post(
    "/clinic/appointments",
    response_model=schemas.Appointment,
    status_code=status.HTTP_201_CREATED,
    responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT},
    summary="Book a slot (at most 3 bookings a day per phone number: 429)",
)
def book_appointment(payload: schemas.AppointmentCreate, role: AnyRole, create: CreateOnce) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.Appointment:
        if role is not Role.STAFF:
            _check_daily_cap(session, payload.phone, now)
        slot = session.get(models.Slot, payload.slot_id)
        if slot is None:
            raise not_found("There is no such appointment time.")
        if slot.start <= now:
            raise conflict("That appointment time has already passed. Please choose another time.")
        take = (
            update(models.Slot)
            .where(models.Slot.id == slot.id, models.Slot.booked.is_(False))
            .values(booked=True)
            .execution_options(synchronize_session=False)
        )
        if not changed_one_row(session, take):
            raise conflict("Sorry, that time has just been booked. Please choose another time.")
        row = models.Appointment(
            slot_id=slot.id,
            patient_name=payload.patient_name,
            phone=payload.phone,
            status="booked",
            created_at=now,
            updated_at=now,
        )
        add_numbered(session, row)
        log.info("appointment %s booked (slot %s)", row.reference, slot.id)
        return _appointment(row)

    return create(payload, build)


def _check_daily_cap(session: Session, phone: str, now: datetime) -> None:
    midnight = datetime.combine(now.date() + timedelta(days=1), time())
    made = session.scalar(
        select(func.count()).select_from(models.Appointment)
        .where(models.Appointment.phone == phone, *on_day(models.Appointment.created_at, now.date())))
    if (made or 0) >= BOOKINGS_PER_PHONE_PER_DAY:
        raise ResidentRefusal(
            status.HTTP_429_TOO_MANY_REQUESTS, "rate_limited",
            f"This phone number has made {BOOKINGS_PER_PHONE_PER_DAY} bookings today, which is the most for one "
            "day. Please ask at the clinic reception, or book again tomorrow.",
            {"Retry-After": str(max(1, int((midnight - now).total_seconds())))})


@router.post(
    "/clinic/appointments/{reference}/cancel",
    response_model=schemas.Appointment,
    responses={**AUTH_ERRORS, **NOT_FOUND, **RESIDENT_ERRORS},
    summary="Cancel a booking (a kiosk needs X-Resident-Token of the household the booking's phone is in)",
)
def cancel_appointment(
    reference: str, payload: schemas.CancelRequest, role: AnyRole, household: ResidentDep, session: SessionDep,
    now: NowDep
) -> schemas.Appointment:
    row = find_by_reference(
        session,
        _appointment_query(),
        models.Appointment.reference,
        reference,
        "There is no appointment with that reference.",
    )
    require_owner(role, household, row.phone)
    if payload.phone is not None and payload.phone != row.phone:
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


@router.get("/clinic/appointments", response_model=list[schemas.AppointmentRecord], responses=STAFF_ERRORS)
def list_appointments(
    _: StaffRole,
    session: SessionDep,
    day: Annotated[date | None, Query()] = None,
    status_: Annotated[schemas.AppointmentStatus | None, Query(alias="status")] = None,
) -> list[schemas.AppointmentRecord]:
    query = _appointment_query().join(models.Slot, models.Appointment.slot_id == models.Slot.id)
    if day is not None:
        query = query.where(*on_day(models.Slot.start, day))
    if status_ is not None:
        query = query.where(models.Appointment.status == status_)
    query = query.order_by(models.Slot.start, models.Appointment.id)
    return [_appointment_record(row) for row in session.scalars(query)]
