"""Announcements: the notices valid now, newest first (for one building and every building, when asked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from .. import notice_desk, schemas
from .deps import AnyRole, LangDep, NowDep, SessionDep
from .errors import AUTH_ERRORS

router = APIRouter(tags=["announcements"])

Buildings = Annotated[list[schemas.Building] | None, Query(
    alias="building", max_length=12,
    description="Only notices for these buildings (1-12) and for every building; repeat for several.")]


@router.get("/announcements", response_model=list[schemas.Announcement], responses=AUTH_ERRORS)
def list_announcements(_: AnyRole, session: SessionDep, now: NowDep, lang: LangDep,
                       building: Buildings = None) -> list[schemas.Announcement]:
    return notice_desk.current_announcements(session, now, building or (), lang)
