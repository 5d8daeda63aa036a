"""Community events: what is on, finding one by name, signing up (staff see who signed up)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from .. import content, models, schemas
from ..matching import best_match
from . import log
from .deps import AnyRole, LangDep, NowDep, SearchQuery, SessionDep, StaffRole
from .errors import AUTH_ERRORS, CONFLICT, NOT_FOUND, STAFF_ERRORS, conflict, not_found
from .idempotency import CreateOnce
from .queries import changed_one_row, on_day
from .references import add_numbered

router = APIRouter(tags=["events"])

EventId = Annotated[int, Path(ge=1, le=schemas.MAX_ID)]


def _event(row: models.Event, lang: str = content.DEFAULT) -> schemas.Event:
    english = schemas.Event(
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
    words = content.event(row.series, lang)  # by series: every Tuesday's calligraphy class reads the same
    return english.model_copy(update={key: words[key] for key in ("title", "place", "description") if words.get(key)})


def _registration(row: models.Registration) -> schemas.Registration:
    return schemas.Registration(
        reference=row.reference or "", event_id=row.event_id, name=row.name, status="registered"
    )


def _registration_record(row: models.Registration) -> schemas.RegistrationRecord:
    return schemas.RegistrationRecord(**_registration(row).model_dump(), phone=row.phone, created_at=row.created_at)


def _get_event(session: Session, event_id: int) -> models.Event:
    row = session.get(models.Event, event_id)
    if row is None:
        raise not_found("There is no such event.")
    return row


def _titles(series: str) -> list[str]:
    """An event's titles in every language, so 书法班 finds the calligraphy class."""
    return [str(content.event(series, lang)["title"]) for lang in content.available()[1:]
            if content.event(series, lang).get("title")]


def _upcoming(now: datetime) -> Any:
    return func.coalesce(models.Event.end, models.Event.start) > now


@router.get("/events", response_model=list[schemas.Event], responses=AUTH_ERRORS)
def list_events(
    _: AnyRole,
    session: SessionDep,
    now: NowDep,
    lang: LangDep,
    day: Annotated[date | None, Query(description="Events of this day; default: everything upcoming")] = None,
) -> list[schemas.Event]:
    query = select(models.Event).order_by(models.Event.start, models.Event.id)
    query = query.where(_upcoming(now)) if day is None else query.where(*on_day(models.Event.start, day))
    return [_event(row, lang) for row in session.scalars(query)]


@router.get(
    "/events/search",
    response_model=schemas.Event,
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="The next occurrence of the event that best matches",
)
def search_events(q: SearchQuery, _: AnyRole, session: SessionDep, now: NowDep, lang: LangDep) -> schemas.Event:
    rows = session.scalars(select(models.Event).where(_upcoming(now)).order_by(models.Event.start, models.Event.id))
    first_of_series: dict[str, models.Event] = {}
    for row in rows:
        first_of_series.setdefault(row.series, row)
    candidates = [(row, [row.title, row.series.replace("-", " "), *row.keywords, *_titles(row.series)])
                  for row in first_of_series.values()]
    found = best_match(q, candidates)
    if found is None:
        raise not_found("I could not find an event like that.")
    return _event(found, lang)


@router.get("/events/{event_id}", response_model=schemas.Event, responses={**AUTH_ERRORS, **NOT_FOUND})
def get_event(event_id: EventId, _: AnyRole, session: SessionDep, lang: LangDep) -> schemas.Event:
    return _event(_get_event(session, event_id), lang)


@router.post(
    "/events/{event_id}/registrations",
    response_model=schemas.Registration,
    status_code=status.HTTP_201_CREATED,
    responses={
        **AUTH_ERRORS,
        **NOT_FOUND,
        **CONFLICT,
        400: {"model": schemas.ErrorMessage, "description": "This event needs no sign-up"},
    },
    summary="Sign up for an event",
)
def register_for_event(
    event_id: EventId, payload: schemas.RegistrationCreate, _: AnyRole, create: CreateOnce
) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.Registration:
        event = _get_event(session, event_id)
        if not event.signup_required:
            raise HTTPException(
                status_code=status.HTTP_400_BAD_REQUEST,
                detail="This event needs no sign-up. Just come along.",
            )
        if event.start <= now:
            raise conflict("This event has already started.")
        already = session.scalar(
            select(models.Registration.id).where(
                models.Registration.event_id == event.id, models.Registration.phone == payload.phone
            )
        )
        if already is not None:
            raise conflict("This phone number is already signed up for this event.")
        take_seat = (
            update(models.Event)
            .where(
                models.Event.id == event.id,
                or_(models.Event.capacity.is_(None), models.Event.registered < models.Event.capacity),
            )
            .values(registered=models.Event.registered + 1)
            .execution_options(synchronize_session=False)
        )
        if not changed_one_row(session, take_seat):
            raise conflict("Sorry, this event is full.")
        row = models.Registration(
            event_id=event.id, name=payload.name, phone=payload.phone, status="registered", created_at=now
        )
        add_numbered(session, row)
        log.info("registration %s for event %s", row.reference, event.id)
        return _registration(row)

    return create(payload, build)


@router.get(
    "/events/{event_id}/registrations",
    response_model=list[schemas.RegistrationRecord],
    responses={**STAFF_ERRORS, **NOT_FOUND},
)
def list_registrations(event_id: EventId, _: StaffRole, session: SessionDep) -> list[schemas.RegistrationRecord]:
    _get_event(session, event_id)
    rows = session.scalars(
        select(models.Registration).where(models.Registration.event_id == event_id).order_by(models.Registration.id)
    )
    return [_registration_record(row) for row in rows]
