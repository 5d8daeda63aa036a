"""The feedback desk in the console: feedback by category and status (``handoff`` requests too), one message
with its replies, the reply form (the resident hears the newest reply at the kiosk by reference) and the
status (new, in progress; answered comes with a reply). Changes are audited; the staff name is the login's.
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import feedback_desk, models, schemas
from ..desk_errors import DeskError, Unknown
from . import audit
from .auth import ConsoleStaff, CsrfChecked, StaffMember, now_of
from .pages import render
from .paging import PAGE_SIZE, filtered_url, page_number, with_server_timing

router = APIRouter()

STATUS_WORDS = {"new": "new", "in_progress": "in progress", "answered": "answered"}
DONE = {"reply": "The reply is saved; the feedback is answered.", "status": "The status is changed."}


def category_words(category: str) -> str:
    """How a category reads on the page; ``handoff`` says what it is."""
    if category == feedback_desk.HANDOFF:
        return "wants to talk to a person (handoff)"
    return category.replace("_", " ")


def _categories(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(models.Feedback.category).distinct())) | {feedback_desk.HANDOFF})


@router.get("/feedback")
def feedback_list_page(request: Request, staff: ConsoleStaff, category: str = "", status: str = "",
                       page: str = "1") -> Response:
    started = time.perf_counter()
    filters = {
        "category": category.strip().lower()[: schemas.MAX_NAME],
        "status": status if status in feedback_desk.STATUSES else "",
    }
    number = page_number(page)
    with request.app.state.db.session() as session:
        rows = feedback_desk.feedback_list(session, category=filters["category"] or None,
                                           status=filters["status"] or None, limit=PAGE_SIZE + 1,
                                           offset=(number - 1) * PAGE_SIZE)
        categories = _categories(session)
    more = len(rows) > PAGE_SIZE
    response = render(
        request, "feedback_list.html", staff, rows=rows[:PAGE_SIZE], filters=filters, categories=categories,
        statuses=feedback_desk.STATUSES, status_words=STATUS_WORDS, category_words=category_words, number=number,
        first=(number - 1) * PAGE_SIZE + 1, any_filter=any(filters.values()),
        prev_url=filtered_url("/console/feedback", filters, number - 1) if number > 1 else "",
        next_url=filtered_url("/console/feedback", filters, number + 1) if more else "",
    )
    return with_server_timing(response, "feedback", started)


def _replies(session: Session, reference: str) -> list[models.FeedbackReply]:
    row = feedback_desk.get_feedback(session, reference)
    return list(session.scalars(select(models.FeedbackReply).where(models.FeedbackReply.feedback_id == row.id)
                                .order_by(models.FeedbackReply.id)))


def _not_found(request: Request, staff: StaffMember, message: str) -> Response:
    return render(request, "error.html", staff, status_code=404, heading="No such feedback", message=message,
                  back_href="/console/feedback", back_label="Back to the feedback")


def _feedback_page(request: Request, staff: StaffMember, reference: str, *, status_code: int = 200,
                   error: str = "", done: str = "", reply_text: str = "") -> Response:
    with request.app.state.db.session() as session:
        try:
            record = feedback_desk.feedback_record(session, reference)
            replies = _replies(session, reference)
        except Unknown as e:
            return _not_found(request, staff, e.message)
    return render(request, "feedback.html", staff, status_code=status_code, item=record, replies=replies,
                  status_words=STATUS_WORDS, category_words=category_words, error=error, done=done,
                  reply_text=reply_text, max_reply=schemas.MAX_REPLY)


@router.get("/feedback/{reference}")
def feedback_page(request: Request, staff: ConsoleStaff, reference: str, done: str = "") -> Response:
    return _feedback_page(request, staff, reference, done=DONE.get(done, ""))


def _changed(request: Request, staff: StaffMember, reference: str, action: str, change: Any,
             after: dict[str, Any], done: str, reply_text: str = "") -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            record = feedback_desk.feedback_record(session, reference)
            change(session, now)
        except DeskError as e:
            session.rollback()
            if isinstance(e, Unknown):
                return _not_found(request, staff, e.message)
            return _feedback_page(request, staff, reference, status_code=409, error=e.message,
                                  reply_text=reply_text)
        audit.record(session, staff, action, f"feedback:{record.reference}", before={"status": record.status},
                     after=after, at=now)
        session.commit()
    return RedirectResponse(f"/console/feedback/{quote(record.reference)}?done={done}", status_code=303)


@router.post("/feedback/{reference}/reply")
def reply(request: Request, staff: CsrfChecked, reference: str, text: Annotated[str, Form()] = "") -> Response:
    cleaned = str(schemas.clean_text(text, multiline=True))
    return _changed(request, staff, reference, "feedback.reply",
                    lambda session, now: feedback_desk.reply(session, reference, text, staff.name, now),
                    {"status": "answered", "reply": cleaned}, "reply", reply_text=text)


@router.post("/feedback/{reference}/status")
def set_status(request: Request, staff: CsrfChecked, reference: str,
               status: Annotated[str, Form()] = "") -> Response:
    return _changed(request, staff, reference, "feedback.status",
                    lambda session, now: feedback_desk.set_status(session, reference, status, staff.name, now),
                    {"status": status}, "status")
