"""The tickets desk in the console: the queue (filtered, paged, overdue marked) and one ticket's page with its
history and the forms to assign it and to change its status with a public and an internal note.

The work is ``ticket_desk``'s; this module reads the forms, names the logged-in staff member as the one who
made the change, audits it and shows the desk's refusals (404, 409) as a plain message on the page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import models, schemas, ticket_desk
from ..desk_errors import DeskError, Unknown
from . import audit
from .auth import ConsoleStaff, CsrfChecked, StaffMember, now_of
from .pages import render
from .paging import PAGE_SIZE, filtered_url, page_number, with_server_timing

router = APIRouter()

AGES: tuple[tuple[str, str], ...] = (
    ("", "Any age"),
    ("4", "Older than 4 hours"),
    ("24", "Older than 1 day"),
    ("72", "Older than 3 days"),
    ("168", "Older than 1 week"),
)
EMPTY_FORM = dict.fromkeys(
    ("status", "public_note", "internal_note", "assignee", "assign_public_note", "assign_internal_note"), "")
"""What the forms show when nothing was typed (the page shows a refused form again with what was typed)."""
DONE = {
    "assigned": "The ticket is assigned.",
    "status": "The status is changed.",
    "note": "The note is added.",
}


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    category: str = ""
    building: str = ""
    age: str = ""
    overdue: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, "category": self.category, "building": self.building, "age": self.age,
                "overdue": self.overdue}


def _filters(status: str, category: str, building: str, age: str, overdue: str) -> QueueFilters:
    """The filters as typed in the URL; values the desk would not know are dropped, not an error."""
    return QueueFilters(
        status=status if status in ticket_desk.STATUSES else "",
        category=category.strip()[: schemas.MAX_NAME],
        building=building.strip()[:40],
        age=age if age in {value for value, _ in AGES} else "",
        overdue="1" if overdue else "",
    )


def _categories(session: Session) -> list[str]:
    """Problem types to filter by: those with an overdue time and those tickets have."""
    known = set(ticket_desk.default_overdue_rules().hours)
    known.update(session.scalars(select(models.Ticket.problem_type).distinct()))
    return sorted(known)


def age_words(hours: float) -> str:
    """``"3 h"``, ``"2 days 4 h"``."""
    whole = int(hours)
    if whole < 1:
        return "under 1 h"
    if whole < 48:
        return f"{whole} h"
    return f"{whole // 24} days {whole % 24} h"


@router.get("/tickets")
def queue_page(request: Request, staff: ConsoleStaff, status: str = "", category: str = "", building: str = "",
               age: str = "", overdue: str = "", page: str = "1") -> Response:
    started = time.perf_counter()
    filters = _filters(status, category, building, age, overdue)
    number = page_number(page)
    now = now_of(request)
    with request.app.state.db.session() as session:
        rows = ticket_desk.ticket_queue(
            session, now,
            status=filters.status or None,
            category=filters.category or None,
            building=filters.building or None,
            older_than_hours=float(filters.age) if filters.age else None,
            overdue_only=bool(filters.overdue),
            limit=PAGE_SIZE + 1,  # one more: is there a next page?
            offset=(number - 1) * PAGE_SIZE,
        )
        categories = _categories(session)
        session.commit()  # buildings of older tickets, filled on the first request
    more = len(rows) > PAGE_SIZE
    shown = filters.as_dict()
    response = render(
        request, "tickets.html", staff, rows=rows[:PAGE_SIZE], filters=shown, categories=categories,
        statuses=ticket_desk.STATUSES, status_words=ticket_desk.STATUS_WORDS, ages=AGES, number=number,
        first=(number - 1) * PAGE_SIZE + 1,
        prev_url=filtered_url("/console/tickets", shown, number - 1) if number > 1 else "",
        next_url=filtered_url("/console/tickets", shown, number + 1) if more else "",
        any_filter=any(shown.values()), age_words=age_words,
    )
    return with_server_timing(response, "queue", started)


# --- one ticket ---


def _ticket_page(request: Request, staff: StaffMember, number: str, *, status_code: int = 200, error: str = "",
                 done: str = "", form: dict[str, str] | None = None) -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            ticket = ticket_desk.ticket_record(session, number)
            history = ticket_desk.ticket_history(session, number)
        except Unknown as e:
            return render(request, "error.html", staff, status_code=404, heading="No such ticket",
                          message=e.message, back_href="/console/tickets", back_label="Back to the tickets")
    rules = ticket_desk.default_overdue_rules()
    assignee = next((h.assignee for h in reversed(history) if h.assignee), None)
    allowed = [s for s in ticket_desk.STATUSES if s in ticket_desk.TRANSITIONS[ticket.status]]
    # as repair_status reads it: a note older than the change that finished the ticket is not read out
    stale_note = (ticket.status in ticket_desk.FINISHED and ticket.public_note_at is not None
                  and ticket.public_note_at < ticket.updated_at)
    return render(
        request, "ticket.html", staff, status_code=status_code, ticket=ticket, history=history, assignee=assignee,
        overdue=rules.is_overdue(ticket.problem_type, ticket.status, ticket.created_at, now),
        overdue_after=rules.hours_for(ticket.problem_type), stale_note=stale_note,
        age=age_words((now - ticket.created_at).total_seconds() / 3600),
        allowed=allowed, status_words=ticket_desk.STATUS_WORDS, finished=ticket.status in ticket_desk.FINISHED,
        error=error, done=done, form={**EMPTY_FORM, **(form or {})},
        max_public=schemas.MAX_PUBLIC_NOTE, max_internal=schemas.MAX_TEXT,
    )


@router.get("/tickets/{number}")
def ticket_page(request: Request, staff: ConsoleStaff, number: str, done: str = "") -> Response:
    return _ticket_page(request, staff, number, done=DONE.get(done, ""))


def _changed(request: Request, staff: StaffMember, number: str, form: dict[str, str], action: str,
             change: Any) -> Response:
    """Run ``change(session, now)`` (a desk call returning the ``TicketUpdate``), audit it, commit; then back to
    the ticket's page. A refusal shows the page again with the message and what was typed."""
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            ticket = ticket_desk.get_ticket(session, number)
            before_assignee = next(
                (h.assignee for h in reversed(ticket_desk.ticket_history(session, number)) if h.assignee), None)
            update: models.TicketUpdate = change(session, now)
        except DeskError as e:
            session.rollback()
            if isinstance(e, Unknown):
                return render(request, "error.html", staff, status_code=404, heading="No such ticket",
                              message=e.message, back_href="/console/tickets", back_label="Back to the tickets")
            return _ticket_page(request, staff, number, status_code=409, error=e.message, form=form)
        before: dict[str, Any] = {"status": update.status_from}
        after: dict[str, Any] = {"status": update.status_to}
        if update.assignee is not None:
            before["assignee"], after["assignee"] = before_assignee, update.assignee
        if update.public_note is not None:
            after["public_note"] = update.public_note
        if update.internal_note is not None:
            after["internal_note"] = update.internal_note
        audit.record(session, staff, action, f"ticket:{ticket.number}", before=before, after=after, at=now)
        session.commit()
        done = "assigned" if action == "ticket.assign" else (
            "note" if update.status_from == update.status_to else "status")
        reference = ticket.number or number
    return RedirectResponse(f"/console/tickets/{quote(reference)}?done={done}", status_code=303)


@router.post("/tickets/{number}/assign")
def assign(
    request: Request,
    staff: CsrfChecked,
    number: str,
    assignee: Annotated[str, Form()] = "",
    public_note: Annotated[str, Form()] = "",
    internal_note: Annotated[str, Form()] = "",
) -> Response:
    form = {"assignee": assignee, "assign_public_note": public_note, "assign_internal_note": internal_note}
    return _changed(request, staff, number, form, "ticket.assign", lambda session, now: ticket_desk.assign(
        session, number, assignee, staff.name, now, public_note=public_note, internal_note=internal_note))


@router.post("/tickets/{number}/status")
def change_status(
    request: Request,
    staff: CsrfChecked,
    number: str,
    status: Annotated[str, Form()] = "",
    public_note: Annotated[str, Form()] = "",
    internal_note: Annotated[str, Form()] = "",
) -> Response:
    form = {"status": status, "public_note": public_note, "internal_note": internal_note}
    return _changed(request, staff, number, form, "ticket.status", lambda session, now: ticket_desk.change_status(
        session, number, status, staff.name, public_note, internal_note, now))
