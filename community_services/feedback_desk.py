"""The feedback desk: feedback listed by category and status, a status per message, the office's reply.

A message with no ``feedback_status`` row is ``new`` (so feedback stored before the desk existed is new);
replying stores a ``FeedbackReply`` and makes it ``answered``. The resident hears the newest reply at the
kiosk by the message's reference. "I want to talk to a person" is stored as feedback of category
``handoff``; it is listed like the rest (the live handoff itself is the console's).

Functions flush and leave the commit to the caller; refusals raise ``desk_errors`` with a plain sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import models, schemas
from .desk_errors import NotAllowed, Unknown

STATUSES = ("new", "in_progress", "answered")
HANDOFF = "handoff"
"""The category of "I want to talk to a person"."""


def normalize_reference(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def get_feedback(session: Session, reference: str) -> models.Feedback:
    row = session.scalar(select(models.Feedback).where(models.Feedback.reference == normalize_reference(reference)))
    if row is None:
        raise Unknown("There is no feedback with that reference.")
    return row


def _latest_replies(session: Session, feedback_ids: Iterable[int]) -> dict[int, models.FeedbackReply]:
    ids = list(feedback_ids)
    newest = (
        select(func.max(models.FeedbackReply.id).label("id"))
        .where(models.FeedbackReply.feedback_id.in_(ids))
        .group_by(models.FeedbackReply.feedback_id)
        .subquery()
    )
    rows = session.scalars(select(models.FeedbackReply).join(newest, newest.c.id == models.FeedbackReply.id))
    return {row.feedback_id: row for row in rows}


def _record(
    row: models.Feedback, state: models.FeedbackStatus | None, reply: models.FeedbackReply | None
) -> schemas.FeedbackRecord:
    return schemas.FeedbackRecord(
        reference=row.reference or "",
        text=row.text,
        category=row.category,
        created_at=row.created_at,
        status=state.status if state else "new",  # type: ignore[arg-type]
        status_by=state.staff_name if state else None,
        status_at=state.updated_at if state else None,
        reply=reply.text if reply else None,
        replied_at=reply.at if reply else None,
        replied_by=reply.staff_name if reply else None,
    )


def feedback_list(
    session: Session,
    *,
    category: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[schemas.FeedbackRecord]:
    """Feedback for the office, newest first, by category (``handoff`` included) and status."""
    query = (
        select(models.Feedback, models.FeedbackStatus)
        .outerjoin(models.FeedbackStatus, models.FeedbackStatus.feedback_id == models.Feedback.id)
        .order_by(models.Feedback.id.desc())
    )
    if category is not None:
        query = query.where(models.Feedback.category == category.strip().lower())
    if status == "new":
        query = query.where((models.FeedbackStatus.status == "new") | models.FeedbackStatus.status.is_(None))
    elif status is not None:
        query = query.where(models.FeedbackStatus.status == status)
    rows = session.execute(query.limit(limit).offset(offset)).all()
    replies = _latest_replies(session, [row.id for row, _ in rows])
    return [_record(row, state, replies.get(row.id)) for row, state in rows]


def feedback_record(session: Session, reference: str) -> schemas.FeedbackRecord:
    row = get_feedback(session, reference)
    return _record(row, session.get(models.FeedbackStatus, row.id), _latest_replies(session, [row.id]).get(row.id))


def feedback_answer(session: Session, reference: str) -> schemas.FeedbackAnswer:
    """What the kiosk may tell the resident: the status and the newest reply, no other personal data."""
    record = feedback_record(session, reference)
    return schemas.FeedbackAnswer(
        reference=record.reference, status=record.status, reply=record.reply, replied_at=record.replied_at
    )


def _set(session: Session, row: models.Feedback, status: str, staff_name: str, now: datetime) -> None:
    state = session.get(models.FeedbackStatus, row.id)
    if state is None:
        session.add(models.FeedbackStatus(feedback_id=row.id, status=status, updated_at=now, staff_name=staff_name))
    else:
        state.status, state.updated_at, state.staff_name = status, now, staff_name
    session.flush()


def set_status(session: Session, reference: str, status: str, staff_name: str, now: datetime) -> None:
    """``new`` or ``in_progress``; ``answered`` comes with a reply (``reply``)."""
    row = get_feedback(session, reference)
    if status == "answered":
        raise NotAllowed("Feedback becomes answered when you write the reply the resident will hear.")
    if status not in STATUSES:
        raise NotAllowed(f"{status!r} is not a feedback status; use new or in_progress.")
    _set(session, row, status, staff_name, now)


def reply(session: Session, reference: str, text: str, staff_name: str, now: datetime) -> models.FeedbackReply:
    """Store the office's reply (plain text, read aloud at the kiosk) and mark the feedback answered."""
    row = get_feedback(session, reference)
    cleaned = str(schemas.clean_text(text, multiline=True))
    if not cleaned:
        raise NotAllowed("The reply is empty.")
    if len(cleaned) > schemas.MAX_REPLY:
        raise NotAllowed(f"The reply is {len(cleaned)} characters long; at most {schemas.MAX_REPLY} fit.")
    answer = models.FeedbackReply(feedback_id=row.id, at=now, staff_name=staff_name, text=cleaned)
    session.add(answer)
    _set(session, row, "answered", staff_name, now)
    return answer


def mark_answered(session: Session, reference: str, staff_name: str, now: datetime) -> None:
    """Mark feedback answered without a reply: a handoff staff ended without a note (the conversation itself was
    the answer). Other feedback is answered by ``reply``."""
    row = get_feedback(session, reference)
    if row.category != HANDOFF:
        raise NotAllowed("Feedback becomes answered when you write the reply the resident will hear.")
    _set(session, row, "answered", staff_name, now)
