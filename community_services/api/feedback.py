"""Feedback: residents leave it, staff read it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import models, schemas
from . import log
from .deps import AnyRole, SessionDep, StaffRole
from .errors import AUTH_ERRORS, STAFF_ERRORS
from .idempotency import CreateOnce
from .references import add_numbered

router = APIRouter(tags=["feedback"])


def _feedback(row: models.Feedback) -> schemas.Feedback:
    return schemas.Feedback.model_validate(row)


@router.post(
    "/feedback",
    response_model=schemas.Feedback,
    status_code=status.HTTP_201_CREATED,
    responses=AUTH_ERRORS,
)
def submit_feedback(payload: schemas.FeedbackCreate, _: AnyRole, create: CreateOnce) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.Feedback:
        row = models.Feedback(text=payload.text, category=payload.category, created_at=now)
        add_numbered(session, row)
        log.info("feedback %s received (%s)", row.reference, row.category)
        return _feedback(row)

    return create(payload, build)


@router.get("/feedback", response_model=list[schemas.Feedback], responses=STAFF_ERRORS)
def list_feedback(_: StaffRole, session: SessionDep) -> list[schemas.Feedback]:
    return [_feedback(row) for row in session.scalars(select(models.Feedback).order_by(models.Feedback.id.desc()))]
