"""The handoff page (``/console/handoffs/{reference}``): a member of staff talks with a resident at a kiosk.

* ``GET /console/handoffs/{reference}``: the conversation so far (the transcript the kiosk sent, then the live
  messages), who has it, how it ended; server-rendered, so it works without JavaScript. ``handoff.js`` keeps it
  live through the board's stream (``/console/board/events``: ``handoff.message``, ``handoff.joined``,
  ``handoff.ended``, ``handoff.resolved``), posts replies without a reload and sends on Enter.
* ``GET /console/handoffs/{reference}/messages?after=N``: the handoff as JSON (``HandoffView``, messages after
  N), for ``handoff.js`` after a gap in the stream.
* ``POST /console/handoffs/{reference}/reply`` (``text``): a message to the resident; replying while nobody has
  joined joins you (one wins, as "I'm going" on the board). 409 when someone else has joined or it has ended.
* ``POST /console/handoffs/{reference}/end`` (``note``, optional): "End, back to the assistant": the handoff
  ends with reason ``staff`` (the kiosk learns it by polling) and its feedback row is resolved (answered; the
  note becomes the reply the resident can hear with the reference). Also closes a request the resident ended.

Every staff action is audited in the commit of the change (``handoff.join``, ``handoff.reply``,
``handoff.end``). Form posts come back as a 303 to the page; ``Accept: application/json`` gets JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from .. import feedback_desk, handoff_desk, schemas
from ..desk_errors import DeskError, Unknown
from ..live import LiveBroker
from . import audit
from .auth import ConsoleStaff, CsrfChecked, StaffMember, now_of
from .board import MAX_NOTE, publish_handoff_ended, publish_handoff_joined, publish_handoff_message
from .pages import SECURITY_HEADERS, render

router = APIRouter()

SENDER_WORDS = {"resident": "Resident", "assistant": "Assistant", "staff": "Staff", "system": ""}
VIA_WORDS = {"typed": "typed", "spoken": "spoken"}


@dataclass(frozen=True)
class PageState:
    view: schemas.HandoffView
    record: schemas.FeedbackRecord


def _page_url(reference: str) -> str:
    return f"/console/handoffs/{quote(reference, safe='')}"


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def status_words(view: schemas.HandoffView, me: str) -> str:
    """The page's status line."""
    if view.status == "ended":
        return handoff_desk.ended_words(view)
    if view.status == "joined":
        if view.staff_name == me:
            return "You are talking with the resident."
        return f"{view.staff_name} is talking with the resident."
    return "Nobody has joined yet. Your first reply joins you (or press “I'm going” on the board)."


def _not_found(request: Request, staff: StaffMember, message: str) -> Response:
    return render(request, "error.html", staff, status_code=404, heading="No such conversation",
                  message=f"{message} A request that reached the office through a kiosk's outbox has no live "
                          "conversation: find it on the duty board or under Feedback.",
                  back_href="/console/board", back_label="Back to the duty board")


def _page(request: Request, staff: StaffMember, reference: str, *, status_code: int = 200, error: str = "",
          done: str = "", reply_text: str = "") -> Response:
    broker: LiveBroker = request.app.state.live
    last_event_id = broker.last_id  # before reading: anything later is replayed by the stream
    with request.app.state.db.session() as session:
        try:
            view = handoff_desk.view(session, reference)
            record = feedback_desk.feedback_record(session, view.reference)
        except Unknown as e:
            return _not_found(request, staff, e.message)
    last_message_id = view.messages[-1].id if view.messages else 0
    return render(request, "handoff.html", staff, status_code=status_code, view=view, record=record,
                  status_line=status_words(view, staff.name), last_event_id=last_event_id,
                  last_message_id=last_message_id, sender_words=SENDER_WORDS, via_words=VIA_WORDS,
                  waited_seconds=max(0, int((now_of(request) - (view.created_at or record.created_at))
                                            .total_seconds())),
                  error=error[:300], done=done[:300], reply_text=reply_text, max_text=schemas.MAX_HANDOFF_TEXT,
                  max_note=MAX_NOTE, closed=record.status == "answered")


@router.get("/handoffs/{reference}")
def handoff_page(request: Request, staff: ConsoleStaff, reference: str, done: str = "", error: str = "") -> Response:
    return _page(request, staff, reference, done=done, error=error)


@router.get("/handoffs/{reference}/messages")
def handoff_messages(request: Request, staff: ConsoleStaff, reference: str,
                     after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None) -> JSONResponse:
    with request.app.state.db.session() as session:
        try:
            view = handoff_desk.view(session, reference, after)
        except Unknown as e:
            return JSONResponse({"detail": e.message}, status_code=404, headers=SECURITY_HEADERS)
    body = view.model_dump(mode="json")
    body["status_line"] = status_words(view, staff.name)
    return JSONResponse(body, headers=SECURITY_HEADERS)


def _answer(request: Request, staff: StaffMember, reference: str, status: int, sentence: str, *,
            reply_text: str = "", **extra: Any) -> Response:
    """JSON for ``handoff.js``; a form post: a 303 back to the page (success), or the page with the error."""
    if _wants_json(request):
        return JSONResponse({"detail": sentence, **extra}, status_code=status, headers=SECURITY_HEADERS)
    if status < 300:
        return RedirectResponse(f"{_page_url(reference)}?done={quote(sentence, safe='')}", status_code=303)
    if status == 404:
        return _not_found(request, staff, sentence)
    return _page(request, staff, reference, status_code=status, error=sentence, reply_text=reply_text)


@router.post("/handoffs/{reference}/reply")
def reply(request: Request, staff: CsrfChecked, reference: str, text: Annotated[str, Form()] = "") -> Response:
    now = now_of(request)
    live: LiveBroker = request.app.state.live
    with request.app.state.db.session() as session:
        try:
            message, joined = handoff_desk.add_staff_message(session, reference, staff.name, text, now)
        except DeskError as e:
            session.rollback()
            status = 404 if isinstance(e, Unknown) else 409
            return _answer(request, staff, reference, status, e.message, reply_text=text[:2000])
        ref = handoff_desk.normalize_reference(reference)
        target = f"handoff:{ref}"
        if joined is not None:
            audit.record(session, staff, "handoff.join", target,
                         after={"won": joined.won, "staff_name": joined.handoff.staff_name, "by": "reply"}, at=now)
        audit.record(session, staff, "handoff.reply", target, after={"text": message.text}, at=now)
        session.commit()
        if joined is not None and joined.joined_now:
            publish_handoff_joined(live, session, joined, now)
        publish_handoff_message(live, ref, message)
    return _answer(request, staff, reference, 201 if _wants_json(request) else 200, "Sent.",
                   message=message.model_dump(mode="json"))


@router.post("/handoffs/{reference}/end")
def end(request: Request, staff: CsrfChecked, reference: str,
        note: Annotated[str, Form(max_length=MAX_NOTE)] = "") -> Response:
    """"End, back to the assistant": end the conversation (reason ``staff``) and resolve the request."""
    now = now_of(request)
    live: LiveBroker = request.app.state.live
    with request.app.state.db.session() as session:
        try:
            view = handoff_desk.view(session, reference)
            record = feedback_desk.feedback_record(session, view.reference)
            if record.status == "answered":
                return _answer(request, staff, reference, 409,
                               f"This request was already closed by {record.status_by or 'someone'}.")
            outcome = handoff_desk.close(session, view.reference, staff.name, note, now)
        except DeskError as e:
            session.rollback()
            return _answer(request, staff, reference, 404 if isinstance(e, Unknown) else 409, e.message)
        audit.record(session, staff, "handoff.end", f"handoff:{view.reference}",
                     before={"status": view.status, "feedback": record.status},
                     after={"status": "ended", "ended_reason": outcome.handoff.ended_reason, "feedback": "answered",
                            "note": note.strip()}, at=now)
        session.commit()
        publish_handoff_ended(live, session, outcome, now, resolved=True)
    if outcome.ended_now:
        sentence = "The conversation has ended; the resident is back with the assistant. The request is closed."
    else:
        sentence = "The request is closed."
    return _answer(request, staff, view.reference, 200, sentence)
