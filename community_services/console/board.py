"""The duty board (``/console/board``): open emergency alerts and "talk to a person" requests, live.

* ``GET /console/board``: the page, server-rendered (works without JavaScript), oldest request first.
* ``GET /console/board/items``: the same list as JSON (``board.js`` reloads it after a ``stream.gap``).
* ``GET /console/board/events``: the live stream (``live.event_stream``) behind the console login. The session
  is re-checked at every heartbeat; when it has expired (or the account was switched off) the stream ends and
  the browser's reconnect gets 401, which the board shows.
* ``POST /console/board/{kind}/{reference}/going`` and ``.../resolve`` (CSRF: header ``X-CSRF-Token`` from
  ``board.js``, or the form field without JavaScript). ``kind`` is ``alert`` or ``handoff``.

Alerts go through ``alert_desk`` (one wins; the kiosk polls the status and says who is coming). A handoff is
feedback of category ``handoff`` not yet answered: "I'm going" sets it ``in_progress`` under the staff
member's name, "Resolve" stores the note as the feedback's reply (so it becomes ``answered``; the resident can
hear the reply with the reference). Every action is audited; changes are published on the live stream.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import alert_desk, feedback_desk, handoff_desk, models, schemas
from ..desk_errors import NotAllowed, Unknown
from ..live import LiveBroker, event_stream, parse_last_event_id
from . import audit
from .auth import COOKIE, ConsoleStaff, CsrfChecked, StaffMember, idle_limit, now_of, token_hash
from .pages import SECURITY_HEADERS, render

router = APIRouter()

Kind = Literal["alert", "handoff"]
MAX_NOTE = 1000
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KIND_WORDS = {"fall": "Fall", "medical": "Medical", "fire": "Fire", "help": "Help", "button": "Emergency button"}


@dataclass(frozen=True)
class BoardItem:
    """One row of the board (also the JSON of ``/items`` and of the ``handoff.*`` events)."""

    key: str
    """``alert:A1001`` or ``handoff:F1003``: the row's id in the page."""
    kind: Kind
    label: str
    reference: str
    kiosk_id: str
    location: str
    details: str
    """Resident text: escaped by the template, ``textContent`` in JavaScript."""
    created_at: str
    waited_seconds: int
    acknowledged_by: str | None
    escalated: bool
    conversation: str = ""
    """A handoff's live conversation: ``waiting``, ``joined``, ``ended``; ``""`` when it has none (an alert, or a
    handoff that came through a kiosk's outbox as plain feedback)."""
    status_line: str = ""
    """How an ended conversation ended ("The resident has left the kiosk.")."""
    href: str = ""
    """The handoff page (``/console/handoffs/F1003``) when there is a live conversation."""


def _alert_item(request: alert_desk.OpenRequest) -> BoardItem:
    word = KIND_WORDS.get(request.kind.lower(), request.kind)
    return BoardItem(f"alert:{request.reference}", "alert", f"Emergency: {word}", request.reference,
                     request.kiosk_id, request.location, request.details, request.created_at.isoformat(),
                     request.waited_seconds, request.acknowledged_by,
                     request.escalated_at is not None and request.acknowledged_by is None)


def _handoff_item(record: Any, now: datetime, handoff: models.Handoff | None = None) -> BoardItem:
    waited = max(0, int((now - record.created_at).total_seconds()))
    if handoff is None:  # came through a kiosk's outbox: plain feedback, no live conversation
        taken = record.status_by if record.status == "in_progress" else None
        return BoardItem(f"handoff:{record.reference}", "handoff", "Talk to a person", record.reference, "", "",
                         record.text, record.created_at.isoformat(), waited, taken, False)
    status_line = handoff_desk.ENDED_WORDS.get(handoff.ended_reason or "", "") if handoff.status == "ended" else ""
    return BoardItem(f"handoff:{record.reference}", "handoff", "Talk to a person", record.reference,
                     handoff.kiosk_id, handoff.location, handoff.said or record.text, record.created_at.isoformat(),
                     waited, handoff.staff_name, False, handoff.status,
                     status_line.format(name=handoff.staff_name or "Staff"),
                     f"/console/handoffs/{quote(record.reference, safe='')}")


def open_handoffs(session: Session, now: datetime) -> list[BoardItem]:
    """"Talk to a person" requests not answered yet (new or in progress), with their live conversation if any."""
    rows = [r for status in ("new", "in_progress")
            for r in feedback_desk.feedback_list(session, category=feedback_desk.HANDOFF, status=status, limit=500)]
    handoffs = handoff_desk.by_reference(session, [r.reference for r in rows])
    return [_handoff_item(r, now, handoffs.get(r.reference)) for r in rows]


def board_items(session: Session, now: datetime) -> list[BoardItem]:
    """Everything open, the one waiting longest first."""
    items = [_alert_item(r) for r in alert_desk.open_requests(session, now)] + open_handoffs(session, now)
    return sorted(items, key=lambda item: (-item.waited_seconds, item.created_at, item.key))


def handoff_item(session: Session, reference: str, now: datetime) -> BoardItem:
    record = feedback_desk.feedback_record(session, reference)
    return _handoff_item(record, now, handoff_desk.by_reference(session, [record.reference]).get(record.reference))


def publish_handoff_raised(broker: LiveBroker, session: Session, reference: str, now: datetime) -> None:
    """For the feedback and handoff APIs: announce a new "talk to a person" request on the live stream."""
    broker.publish("handoff.raised", asdict(handoff_item(session, reference, now)))


def publish_handoff_message(broker: LiveBroker, reference: str, message: schemas.HandoffMessage) -> None:
    """``handoff.message``: one new line of a conversation (the handoff page appends it)."""
    broker.publish("handoff.message", {"key": f"handoff:{reference}", "reference": reference,
                                       "message": message.model_dump(mode="json")})


def publish_handoff_joined(broker: LiveBroker, session: Session, outcome: handoff_desk.JoinOutcome,
                           now: datetime) -> None:
    """After a join's commit: its system line, then ``handoff.joined`` (the board row's data + ``staff_name``)."""
    reference = outcome.handoff.reference
    if outcome.message is not None:
        publish_handoff_message(broker, reference, outcome.message)
    item = asdict(handoff_item(session, reference, now))
    broker.publish("handoff.joined", {**item, "staff_name": outcome.handoff.staff_name})


def publish_handoff_ended(broker: LiveBroker, session: Session, outcome: handoff_desk.EndOutcome, now: datetime,
                          *, resolved: bool = False) -> None:
    """After an end's commit: its system line, ``handoff.ended`` (the board row's data + ``ended_reason``), and
    ``handoff.resolved`` when staff closed the request too (the board drops the row)."""
    view = outcome.handoff
    if outcome.message is not None:
        publish_handoff_message(broker, view.reference, outcome.message)
    item = asdict(handoff_item(session, view.reference, now))
    item.update(ended_reason=view.ended_reason, status_line=handoff_desk.ended_words(view))
    broker.publish("handoff.ended", item)
    if resolved:
        broker.publish("handoff.resolved", {"key": f"handoff:{view.reference}", "reference": view.reference})


# --- pages ---


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/board")
def board_page(request: Request, staff: ConsoleStaff, error: str = "", done: str = "") -> Response:
    broker: LiveBroker = request.app.state.live
    last_id = broker.last_id  # before reading the list: an event after this is replayed by the stream
    with request.app.state.db.session() as session:
        items = board_items(session, now_of(request))
    return render(request, "board.html", staff, items=items, last_event_id=last_id, error=error[:300],
                  done=done[:300])


@router.get("/board/items")
def board_list(request: Request, staff: ConsoleStaff) -> JSONResponse:
    broker: LiveBroker = request.app.state.live
    last_id = broker.last_id
    with request.app.state.db.session() as session:
        items = board_items(session, now_of(request))
    return JSONResponse({"last_event_id": last_id, "items": [asdict(i) for i in items]}, headers=SECURITY_HEADERS)


def _session_alive(request: Request) -> bool:
    """Is this request's console session still valid (not idle past the limit, account active)? Read only: the
    open stream itself does not count as activity."""
    token = request.cookies.get(COOKIE, "")
    with request.app.state.db.session() as session:
        row = session.execute(
            select(models.ConsoleSession.last_seen, models.StaffAccount.disabled)
            .join(models.StaffAccount, models.StaffAccount.id == models.ConsoleSession.staff_id)
            .where(models.ConsoleSession.token_hash == token_hash(token))
        ).first()
    return row is not None and not row.disabled and row.last_seen + idle_limit(request) >= now_of(request)


@router.get("/board/events")
def board_events(
    request: Request,
    staff: ConsoleStaff,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    since: Annotated[str | None, Query(alias="last_event_id", max_length=30)] = None,
) -> StreamingResponse:
    async def gone() -> bool:
        if await request.is_disconnected():
            return True
        return not await anyio.to_thread.run_sync(_session_alive, request)

    stream = event_stream(request.app.state.live, parse_last_event_id(last_event_id or since),
                          heartbeat=request.app.state.heartbeat_seconds, is_disconnected=gone)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)


# --- actions ---


def _answer(request: Request, status: int, message: str, *, page: str = "/console/board", **extra: Any) -> Response:
    """JSON for ``board.js``; for a plain form post, back to ``page`` (the board) with the message."""
    if _wants_json(request):
        return JSONResponse({"detail": message, **extra}, status_code=status)
    key = "done" if status < 300 else "error"
    return RedirectResponse(f"{page}?{key}={quote(message, safe='')}", status_code=303)


def _going_alert(request: Request, staff: StaffMember, reference: str) -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            outcome = alert_desk.acknowledge(session, reference, staff.name, now,
                                             publish=request.app.state.live.publish)
        except alert_desk.AlertNotFound:
            return _answer(request, 404, "There is no alert with that reference.")
        state = outcome.state
        # alert_desk commits the change itself (then publishes); the audit entry is the next commit
        audit.record(session, staff, "alert.going", f"alert:{state.reference}",
                     after={"won": outcome.won, "acknowledged_by": state.acknowledged_by}, at=now)
        session.commit()
    if outcome.won:
        return _answer(request, 200, f"You are going to {state.reference}.", acknowledged_by=state.acknowledged_by)
    if outcome.reason == "resolved":
        return _answer(request, 409, f"Already resolved by {state.resolved_by or 'someone'}.",
                       acknowledged_by=state.acknowledged_by)
    return _answer(request, 409, f"{state.acknowledged_by} is already going.", acknowledged_by=state.acknowledged_by)


def join_handoff(request: Request, staff: StaffMember, reference: str) -> tuple[int, str, handoff_desk.JoinOutcome]:
    """Join a live handoff (one wins), audit it in the same commit, publish after. (status, sentence, outcome)."""
    now = now_of(request)
    with request.app.state.db.session() as session:
        outcome = handoff_desk.join(session, reference, staff.name, now)
        view = outcome.handoff
        audit.record(session, staff, "handoff.join", f"handoff:{view.reference}",
                     after={"won": outcome.won, "staff_name": view.staff_name, "status": view.status}, at=now)
        session.commit()
        if outcome.joined_now:
            publish_handoff_joined(request.app.state.live, session, outcome, now)
    if outcome.won:
        return 200, f"You are talking with the resident at {view.reference}.", outcome
    if outcome.reason == "ended":
        return 409, handoff_desk.ended_words(view) or "This conversation has ended.", outcome
    return 409, f"{view.staff_name} is already going.", outcome


def _going_handoff(request: Request, staff: StaffMember, reference: str) -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            record = feedback_desk.feedback_record(session, reference)
        except Unknown as e:
            return _answer(request, 404, str(e))
        live_conversation = bool(handoff_desk.by_reference(session, [record.reference]))
    if live_conversation:  # a live handoff: "I'm going" joins the conversation; the winner goes to its page
        status, sentence, outcome = join_handoff(request, staff, record.reference)
        href = f"/console/handoffs/{quote(record.reference, safe='')}"
        if status == 200:
            return _answer(request, 200, sentence, page=href, acknowledged_by=staff.name, href=href)
        return _answer(request, status, sentence, acknowledged_by=outcome.handoff.staff_name)
    with request.app.state.db.session() as session:
        if record.status == "answered":
            return _answer(request, 409, f"Already resolved by {record.replied_by or 'someone'}.")
        if record.status == "in_progress" and record.status_by and record.status_by != staff.name:
            return _answer(request, 409, f"{record.status_by} is already going.", acknowledged_by=record.status_by)
        feedback_desk.set_status(session, reference, "in_progress", staff.name, now)
        audit.record(session, staff, "handoff.going", f"feedback:{record.reference}",
                     before={"status": record.status}, after={"status": "in_progress", "staff": staff.name}, at=now)
        session.commit()
        item = handoff_item(session, reference, now)
    request.app.state.live.publish("handoff.acknowledged", asdict(item))
    return _answer(request, 200, f"You are going to {item.reference}.", acknowledged_by=staff.name)


@router.post("/board/{kind}/{reference}/going")
def going(request: Request, kind: Kind, reference: str, staff: CsrfChecked) -> Response:
    """"I'm going": take the alert or handoff under the logged-in staff member's name."""
    if kind == "alert":
        return _going_alert(request, staff, reference)
    return _going_handoff(request, staff, reference)


@router.post("/board/{kind}/{reference}/resolve")
def resolve(request: Request, kind: Kind, reference: str, staff: CsrfChecked,
            note: Annotated[str, Form(max_length=MAX_NOTE)] = "") -> Response:
    """Close the alert or handoff with a note (required)."""
    note = note.strip()
    if not note:
        return _answer(request, 422, "Write a short note of what was done.")
    now = now_of(request)
    with request.app.state.db.session() as session:
        if kind == "alert":
            try:
                outcome = alert_desk.resolve(session, reference, staff.name, note, now,
                                             publish=request.app.state.live.publish)
            except alert_desk.AlertNotFound:
                return _answer(request, 404, "There is no alert with that reference.")
            if not outcome.resolved:
                return _answer(request, 409, f"Already resolved by {outcome.state.resolved_by or 'someone'}.")
            audit.record(session, staff, "alert.resolve", f"alert:{outcome.state.reference}",
                         after={"note": note}, at=now)
            session.commit()
            return _answer(request, 200, f"Resolved {outcome.state.reference}.")
        ended: handoff_desk.EndOutcome | None = None
        try:
            record = feedback_desk.feedback_record(session, reference)
            if record.status == "answered":
                return _answer(request, 409, f"Already resolved by {record.replied_by or 'someone'}.")
            if handoff_desk.by_reference(session, [record.reference]):  # a live conversation ends with it
                ended = handoff_desk.close(session, record.reference, staff.name, note, now)
            else:
                feedback_desk.reply(session, reference, note, staff.name, now)
        except Unknown as e:
            return _answer(request, 404, str(e))
        except NotAllowed as e:
            return _answer(request, 422, str(e))
        after: dict[str, Any] = {"status": "answered", "note": note}
        if ended is not None:
            after.update(conversation="ended", ended_reason=ended.handoff.ended_reason)
        audit.record(session, staff, "handoff.resolve", f"feedback:{record.reference}",
                     before={"status": record.status}, after=after, at=now)
        session.commit()
        if ended is not None and ended.ended_now:
            publish_handoff_ended(request.app.state.live, session, ended, now)
    request.app.state.live.publish("handoff.resolved", {"key": f"handoff:{record.reference}",
                                                        "reference": record.reference})
    return _answer(request, 200, f"Resolved {record.reference}.")
