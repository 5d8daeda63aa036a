"""Facilities: the places of the community, their hours and how to get there."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import models, schemas
from ..matching import best_match
from .deps import AnyRole, SearchQuery, SessionDep
from .errors import AUTH_ERRORS, NOT_FOUND, not_found
from .queries import search_terms

router = APIRouter(tags=["facilities"])


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


def _facilities(session: Session) -> list[models.Facility]:
    return list(session.scalars(select(models.Facility).order_by(models.Facility.position, models.Facility.id)))


@router.get("/facilities", response_model=list[schemas.Facility], responses=AUTH_ERRORS)
def list_facilities(_: AnyRole, session: SessionDep) -> list[schemas.Facility]:
    return [_facility(row) for row in _facilities(session)]


@router.get(
    "/facilities/search",
    response_model=schemas.Facility,
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="Best match for a place name",
)
def search_facilities(q: SearchQuery, _: AnyRole, session: SessionDep) -> schemas.Facility:
    found = best_match(q, [(row, search_terms(row)) for row in _facilities(session)])
    if found is None:
        raise not_found("I could not find a place with that name.")
    return _facility(found)


@router.get("/facilities/{slug}", response_model=schemas.Facility, responses={**AUTH_ERRORS, **NOT_FOUND})
def get_facility(slug: str, _: AnyRole, session: SessionDep) -> schemas.Facility:
    row = session.scalar(select(models.Facility).where(models.Facility.slug == slug.strip().lower()))
    if row is None:
        raise not_found("There is no such place.")
    return _facility(row)
