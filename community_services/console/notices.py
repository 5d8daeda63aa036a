"""Notices in the console (``docs/notices.md``): the lists (current, upcoming, past), writing, editing and
withdrawing a notice, and for an urgent one which kiosks have shown it (live, from the console's event stream).

* ``GET /console/notices``, ``GET /console/notices/new``, ``POST /console/notices`` (create),
  ``GET /console/notices/{id}``, ``POST /console/notices/{id}`` (edit), ``POST /console/notices/{id}/withdraw``,
  ``GET /console/notices/{id}/kiosks`` (JSON: the kiosk rows, for ``notices.js`` after a gap in the stream).
* Saving an urgent notice asks first: the page comes back with what was typed and a second button, "Send to the
  kiosks now" (``confirmed=1``); nothing is stored before it.
* Any staff member; CSRF on every POST; each change is audited in its own commit (``notice.create``,
  ``notice.edit``, ``notice.withdraw``, target ``notice:12``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from .. import notice_desk, schemas
from ..desk_errors import DeskError, Unknown
from ..live import LiveBroker
from . import audit
from .auth import ConsoleStaff, CsrfChecked, StaffMember, now_of
from .pages import SECURITY_HEADERS, render

router = APIRouter()

DONE = {"created": "The notice is saved.", "sent": "The urgent notice is sent to the kiosks.",
        "edited": "The changes are saved.", "withdrawn": "The notice is withdrawn: kiosks no longer show or read it."}
STATE_WORDS = {"current": "In force", "upcoming": "Upcoming", "past": "Over"}


def _local(value: datetime | None) -> str:
    """A time as the ``datetime-local`` field wants it."""
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""


def _form_of(notice: notice_desk.NoticeInput) -> dict[str, Any]:
    return {"title": notice.title, "body": notice.body, "valid_from": _local(notice.valid_from),
            "valid_until": _local(notice.valid_until), "for": "some" if notice.buildings else "all",
            "buildings": list(notice.buildings), "urgency": notice.urgency, "kind": notice.kind or ""}


async def _posted(request: Request) -> dict[str, Any]:
    data = await request.form()
    fields: dict[str, Any] = {key: str(data.get(key, ""))[:5000] for key in
                              ("title", "body", "valid_from", "valid_until", "for", "urgency", "kind", "confirmed")}
    fields["buildings"] = [str(b) for b in data.getlist("buildings")][:20]
    return fields


def _kiosk_rows(request: Request, session: Any, record: notice_desk.NoticeRecord) -> list[dict[str, Any]]:
    rows = notice_desk.kiosks_shown(session, record, request.app.state.kiosk_buildings)
    return [{"kiosk_id": r.kiosk_id, "location": r.location, "concerned": r.concerned,
             "shown_at": r.shown_at.isoformat() if r.shown_at else None,
             "shown": f"shown at {r.shown_at.strftime('%H:%M:%S')}" if r.shown_at else (
                 "not for its buildings" if r.concerned is False else "not yet")} for r in rows]


def _form_page(request: Request, staff: StaffMember, form: dict[str, Any], *, notice_id: int | None = None,
               errors: list[str] | None = None, confirm: notice_desk.NoticeInput | None = None,
               status_code: int = 200) -> Response:
    return render(request, "notice_form.html", staff, status_code=status_code, form=form, notice_id=notice_id,
                  errors=errors or [], confirm=confirm, kinds=notice_desk.KINDS, kind_words=notice_desk.KIND_WORDS,
                  buildings=schemas.BUILDING_NUMBERS, max_title=notice_desk.MAX_TITLE, max_body=notice_desk.MAX_BODY,
                  safety_kinds=schemas.SAFETY_KINDS, now_for_confirm=now_of(request))


@router.get("/notices")
def notices_page(request: Request, staff: ConsoleStaff, done: str = "") -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        lists = notice_desk.notice_lists(session, now)
    return render(request, "notices.html", staff, lists=lists, now=now, done=DONE.get(done, ""),
                  past_shown=notice_desk.PAST_SHOWN)


@router.get("/notices/new")
def new_notice(request: Request, staff: ConsoleStaff) -> Response:
    form = {"title": "", "body": "", "valid_from": _local(now_of(request)), "valid_until": "", "for": "all",
            "buildings": [], "urgency": "ordinary", "kind": ""}
    return _form_page(request, staff, form)


def _save(request: Request, staff: StaffMember, form: dict[str, Any], notice_id: int | None) -> Response:
    now = now_of(request)
    notice, errors = notice_desk.parse_form(form, now)
    if notice is None:
        return _form_page(request, staff, form, notice_id=notice_id, errors=errors, status_code=422)
    if notice.urgent and form.get("confirmed") != "1":  # an urgent notice interrupts the kiosks: ask first
        return _form_page(request, staff, _form_of(notice), notice_id=notice_id, confirm=notice)
    with request.app.state.db.session() as session:
        try:
            if notice_id is None:
                notice_id = notice_desk.create_notice(session, notice, staff.name, now)
                audit.record(session, staff, "notice.create", f"notice:{notice_id}", after=notice.as_audit(), at=now)
                done = "sent" if notice.urgent and notice.in_force(now) else "created"
            else:
                before = notice_desk.notice_record(session, notice_id, now)
                notice_desk.update_notice(session, notice_id, notice, staff.name, now)
                audit.record(session, staff, "notice.edit", f"notice:{notice_id}", before=before.as_input().as_audit(),
                             after=notice.as_audit(), at=now)
                done = "sent" if notice.urgent and notice.in_force(now) else "edited"
            session.commit()
        except DeskError as e:
            session.rollback()
            if isinstance(e, Unknown):
                return _missing(request, staff, e)
            return _form_page(request, staff, form, notice_id=notice_id, errors=[e.message], status_code=409)
    return RedirectResponse(f"/console/notices/{notice_id}?done={done}", status_code=303)


def _missing(request: Request, staff: StaffMember, e: DeskError) -> Response:
    return render(request, "error.html", staff, status_code=404, heading="No such notice", message=e.message,
                  back_href="/console/notices", back_label="Back to the notices")


@router.post("/notices")
async def create(request: Request, staff: CsrfChecked) -> Response:
    return _save(request, staff, await _posted(request), None)


@router.get("/notices/{notice_id}")
def notice_page(request: Request, staff: ConsoleStaff, notice_id: int, done: str = "") -> Response:
    now = now_of(request)
    broker: LiveBroker = request.app.state.live
    last_id = broker.last_id  # before reading the receipts: a later one is replayed by the stream
    with request.app.state.db.session() as session:
        try:
            record = notice_desk.notice_record(session, notice_id, now)
        except Unknown as e:
            return _missing(request, staff, e)
        kiosks = _kiosk_rows(request, session, record) if record.urgent else []
    return render(request, "notice.html", staff, notice=record, kiosks=kiosks, last_event_id=last_id,
                  done=DONE.get(done, ""), form=_form_of(record.as_input()), state_words=STATE_WORDS,
                  kinds=notice_desk.KINDS, kind_words=notice_desk.KIND_WORDS, buildings=schemas.BUILDING_NUMBERS,
                  max_title=notice_desk.MAX_TITLE, max_body=notice_desk.MAX_BODY, errors=[], confirm=None,
                  notice_id=record.id, safety_kinds=schemas.SAFETY_KINDS, now_for_confirm=now,
                  shown_count=sum(1 for k in kiosks if k["shown_at"]))


@router.get("/notices/{notice_id}/kiosks")
def notice_kiosks(request: Request, staff: ConsoleStaff, notice_id: int) -> JSONResponse:
    broker: LiveBroker = request.app.state.live
    last_id = broker.last_id
    with request.app.state.db.session() as session:
        try:
            record = notice_desk.notice_record(session, notice_id, now_of(request))
        except Unknown as e:
            return JSONResponse({"detail": e.message}, status_code=404, headers=SECURITY_HEADERS)
        rows = _kiosk_rows(request, session, record)
    return JSONResponse({"last_event_id": last_id, "revision": record.revision, "kiosks": rows},
                        headers=SECURITY_HEADERS)


@router.post("/notices/{notice_id}")
async def edit(request: Request, staff: CsrfChecked, notice_id: int) -> Response:
    return _save(request, staff, await _posted(request), notice_id)


@router.post("/notices/{notice_id}/withdraw")
def withdraw(request: Request, staff: CsrfChecked, notice_id: int) -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            before = notice_desk.notice_record(session, notice_id, now)
            notice_desk.withdraw_notice(session, notice_id, staff.name, now)
        except Unknown as e:
            return _missing(request, staff, e)
        except DeskError as e:
            session.rollback()
            return render(request, "error.html", staff, status_code=409, heading="Not withdrawn", message=e.message,
                          back_href=f"/console/notices/{notice_id}", back_label="Back to the notice")
        audit.record(session, staff, "notice.withdraw", f"notice:{notice_id}",
                     before={"valid_until": before.valid_until.isoformat() if before.valid_until else None},
                     after={"valid_until": now.isoformat(), "withdrawn_by": staff.name}, at=now)
        session.commit()
    return RedirectResponse(f"/console/notices/{notice_id}?done=withdrawn", status_code=303)

