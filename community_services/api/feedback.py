"""Feedback: residents leave it, staff list it by category and status and reply (the feedback desk); a kiosk
may ask for the reply by the feedback's reference."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from .. import feedback_desk, models, schemas
from ..console.board import publish_handoff_raised
from . import log
from .deps import AnyRole, BrokerDep, NowDep, Role, SessionDep, StaffRole
from .errors import AUTH_ERRORS, CONFLICT, NOT_FOUND, STAFF_ERRORS
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
def submit_feedback(
    payload: schemas.FeedbackCreate, _: AnyRole, create: CreateOnce, session: SessionDep, now: NowDep, live: BrokerDep
) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.Feedback:
        row = models.Feedback(text=payload.text, category=payload.category, created_at=now)
        add_numbered(session, row)
        log.info("feedback %s received (%s)", row.reference, row.category)
        return _feedback(row)

    response = create(payload, build)
    if response.status_code == status.HTTP_201_CREATED and "Idempotent-Replayed" not in response.headers:
        created = schemas.Feedback.model_validate_json(bytes(response.body))
        if created.category == feedback_desk.HANDOFF:  # "talk to a person": on the duty board at once
            publish_handoff_raised(live, session, created.reference, now)
    return response


@router.get(
    "/feedback",
    response_model=list[schemas.FeedbackRecord],
    responses=STAFF_ERRORS,
    summary="Feedback, newest first, by category (handoff included) and status, with the latest reply",
)
def list_feedback(
    _: StaffRole,
    session: SessionDep,
    category: Annotated[str | None, Query(max_length=schemas.MAX_NAME)] = None,
    status_: Annotated[schemas.FeedbackStatusValue | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[schemas.FeedbackRecord]:
    return feedback_desk.feedback_list(session, category=category, status=status_, limit=limit, offset=offset)


@router.get(
    "/feedback/{reference}",
    response_model=schemas.FeedbackRecord | schemas.FeedbackAnswer,
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="One feedback: its status and reply for the kiosk, everything for staff",
)
def get_feedback(
    reference: str, role: AnyRole, session: SessionDep
) -> schemas.FeedbackRecord | schemas.FeedbackAnswer:
    if role is Role.STAFF:
        return feedback_desk.feedback_record(session, reference)
    return feedback_desk.feedback_answer(session, reference)


@router.post(
    "/feedback/{reference}/status",
    response_model=schemas.FeedbackRecord,
    responses={**STAFF_ERRORS, **NOT_FOUND, **CONFLICT},
    summary="Mark feedback new or in progress (replying marks it answered)",
)
def set_feedback_status(
    reference: str, body: schemas.FeedbackStatusChange, _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.FeedbackRecord:
    feedback_desk.set_status(session, reference, body.status, body.staff_name, now)
    session.commit()
    return feedback_desk.feedback_record(session, reference)


@router.post(
    "/feedback/{reference}/reply",
    response_model=schemas.FeedbackRecord,
    responses={**STAFF_ERRORS, **NOT_FOUND, **CONFLICT},
    summary="Reply to feedback; the resident hears the reply at the kiosk",
)
def reply_to_feedback(
    reference: str, body: schemas.FeedbackReplyCreate, _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.FeedbackRecord:
    feedback_desk.reply(session, reference, body.text, body.staff_name, now)
    session.commit()
    record = feedback_desk.feedback_record(session, reference)
    log.info("feedback %s answered", record.reference)
    return record
