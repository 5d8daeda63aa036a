"""Facilities: the places of the community, their hours and how to get there."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import content, models, schemas
from ..matching import best_match
from .deps import AnyRole, LangDep, SearchQuery, SessionDep
from .errors import AUTH_ERRORS, NOT_FOUND, not_found
from .queries import search_terms

router = APIRouter(tags=["facilities"])


def _facility(row: models.Facility, lang: str = content.DEFAULT) -> schemas.Facility:
    english = schemas.Facility(
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
    words = content.facility(row.slug, lang)  # only what is translated; the rest stays English
    fields = ("name", "location", "directions", "hours_text", "notes")
    return english.model_copy(update={key: words[key] for key in fields if words.get(key)})


def _terms(row: models.Facility) -> list[str]:
    """A place's names in every language, so 诊所 finds the clinic whichever language the answer is in."""
    return [*search_terms(row), *content.aliases(row.slug)]


def _facilities(session: Session) -> list[models.Facility]:
    return list(session.scalars(select(models.Facility).order_by(models.Facility.position, models.Facility.id)))


@router.get("/facilities", response_model=list[schemas.Facility], responses=AUTH_ERRORS)
def list_facilities(_: AnyRole, session: SessionDep, lang: LangDep) -> list[schemas.Facility]:
    return [_facility(row, lang) for row in _facilities(session)]


@router.get(
    "/facilities/search",
    response_model=schemas.Facility,
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="Best match for a place name",
)
def search_facilities(q: SearchQuery, _: AnyRole, session: SessionDep, lang: LangDep) -> schemas.Facility:
    found = best_match(q, [(row, _terms(row)) for row in _facilities(session)])
    if found is None:
        raise not_found("I could not find a place with that name.")
    return _facility(found, lang)


@router.get("/facilities/{slug}", response_model=schemas.Facility, responses={**AUTH_ERRORS, **NOT_FOUND})
def get_facility(slug: str, _: AnyRole, session: SessionDep, lang: LangDep) -> schemas.Facility:
    row = session.scalar(select(models.Facility).where(models.Facility.slug == slug.strip().lower()))
    if row is None:
        raise not_found("There is no such place.")
    return _facility(row, lang)
