"""Announcements: the notices valid now, newest first."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import or_, select

from .. import models, schemas
from .deps import AnyRole, NowDep, SessionDep
from .errors import AUTH_ERRORS

router = APIRouter(tags=["announcements"])


def _announcement(row: models.Announcement) -> schemas.Announcement:
    return schemas.Announcement.model_validate(row)


@router.get("/announcements", response_model=list[schemas.Announcement], responses=AUTH_ERRORS)
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
