"""Typed client of the community services API.

Every method returns the pydantic models of ``schemas.py`` and raises only ``ServicesError`` subclasses:

* ``ServicesUnavailable`` - connection refused, timeout, 5xx, 408/429 or a malformed answer. Safe to
  retry later with the same idempotency key; the outbox queues the item. A 429 is ``TooManyRequests``
  (``retry_after`` seconds; its ``message`` is a kind sentence for the resident).
* ``ServicesRejected`` - the API refused the request (4xx other than 404); carries ``status`` and
  ``detail``. Retrying the same content will not help, unless someone fixes the cause first (401/403: the
  token); the outbox sorts these out (``docs/outbox.md``).
* ``NotFound`` - 404. Lookups that may legitimately find nothing return ``None`` instead.

``.message`` is always a short sentence that may be shown or read to a resident.
"""

from __future__ import annotations

import logging
from datetime import date
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from . import API_PREFIX
from .redact import RedactPhoneNumbers
from .schemas import (
    AcknowledgeRequest,
    Alert,
    AlertConflict,
    AlertCreate,
    AlertHandlingState,
    AlertStatusView,
    Announcement,
    Appointment,
    AppointmentCreate,
    Broadcast,
    Department,
    Event,
    Facility,
    Feedback,
    FeedbackAnswer,
    FeedbackCreate,
    FeedbackRecord,
    FeedbackReplyCreate,
    FeedbackStatusChange,
    FeedbackStatusValue,
    HandoffCreate,
    HandoffEnd,
    HandoffMessage,
    HandoffMessageCreate,
    HandoffView,
    KioskHeartbeat,
    KioskHeartbeatIn,
    Receipt,
    ReceiptIn,
    Registration,
    RegistrationCreate,
    ResidentVerification,
    ResolveRequest,
    Slot,
    Ticket,
    TicketAssign,
    TicketCreate,
    TicketHistoryEntry,
    TicketProgress,
    TicketQueueRow,
    TicketStatus,
    TicketStatusChange,
    TicketStatusValue,
    VerifyRequest,
)

M = TypeVar("M", bound=BaseModel)

SubmitKind = Literal["ticket", "alert", "feedback"]
_SUBMIT: dict[str, tuple[type[BaseModel], str, type[BaseModel]]] = {
    "ticket": (TicketCreate, "/tickets", Ticket),
    "alert": (AlertCreate, "/alerts", Alert),
    "feedback": (FeedbackCreate, "/feedback", Feedback),
}
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
RESIDENT_TOKEN_HEADER = "X-Resident-Token"

# httpx logs every request URL at INFO; a resident's words in a query may contain a phone number
_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, RedactPhoneNumbers) for f in _httpx_log.filters):
    _httpx_log.addFilter(RedactPhoneNumbers())


class ServicesError(Exception):
    """Root of the client's errors. ``message`` is fit to show to a resident."""

    default_message = "The community services could not help with that just now."

    def __init__(self, message: str | None = None, *, status: int | None = None, detail: Any = None,
                 body: Any = None) -> None:
        self.message = message or self.default_message
        self.status = status
        self.detail = detail
        self.body = body
        """The whole JSON answer of a refusal, when it had one."""
        super().__init__(self.message)

    @property
    def code(self) -> str | None:
        """The refusal's ``code`` when the service sent one (``verification_required``, ``locked``, ...)."""
        code = self.body.get("code") if isinstance(self.body, dict) else None
        return code if isinstance(code, str) else None


class ServicesUnavailable(ServicesError):
    """The service could not be reached or failed; try again later."""

    default_message = "The community office system cannot be reached right now."


class TooManyRequests(ServicesUnavailable):
    """429: too many requests from here, or a cap (e.g. bookings a day per phone). ``message`` is the service's
    sentence when it sent one, else a kind one; ``retry_after``: seconds, when the service said."""

    default_message = "Many people are using the system just now. Please wait a minute and try again."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, detail: Any = None,
                 body: Any = None) -> None:
        super().__init__(message, status=429, detail=detail, body=body)
        self.retry_after = retry_after


class ServicesRejected(ServicesError):
    """The service refused the request (4xx other than 404)."""

    default_message = "The community office system did not accept that."
    status: int

    def __init__(self, message: str | None = None, *, status: int, detail: Any = None, body: Any = None) -> None:
        super().__init__(message, status=status, detail=detail, body=body)


class AlertTaken(ServicesRejected):
    """409 of acknowledge/resolve: another staff member has the alert, or it is resolved. ``conflict`` says who."""

    default_message = "Someone else has already taken this alert."

    def __init__(self, conflict: AlertConflict) -> None:
        super().__init__(conflict.detail, status=409, detail=conflict.detail)
        self.conflict = conflict


class HandoffEnded(ServicesRejected):
    """409 of ``add_handoff_message``: the conversation has ended (``status`` is 409)."""

    default_message = "This conversation has ended."


class VerificationRefused(ServicesRejected):
    """``verify_resident`` was refused: ``locked`` (423: too many wrong PINs, ask at the office) or not
    (403: the phone or card and the PIN do not match — one message whatever was wrong)."""

    default_message = "That did not match."

    @property
    def locked(self) -> bool:
        return self.status == 423


class NotFound(ServicesError):
    """The thing asked for does not exist (404)."""

    default_message = "I could not find that."


def _detail_of(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or None
    return body.get("detail", body) if isinstance(body, dict) else body


def _body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _sentence(detail: Any) -> str | None:
    """The server's own sentence if it sent one (validation errors are lists, not sentences)."""
    if isinstance(detail, str) and detail.strip() and len(detail) <= 300:
        return detail.strip()
    return None


class ServicesClient:
    """``with ServicesClient("http://127.0.0.1:8700", token) as services: services.list_facilities()``"""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        if not base.endswith(API_PREFIX):
            base += API_PREFIX
        self.base_url = base
        self._closed = False
        self._http = httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    # --- plumbing ------------------------------------------------------------------------------

    def close(self) -> None:
        self._closed = True
        self._http.close()

    def __enter__(self) -> ServicesClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServicesClient({self.base_url!r})"

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        resident_token: str | None = None,
    ) -> httpx.Response:
        if self._closed:
            raise ServicesError("The services client was closed.")
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else {}
        if resident_token:
            headers[RESIDENT_TOKEN_HEADER] = resident_token
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TimeoutException as e:
            raise ServicesUnavailable("The community office system did not answer in time.") from e
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as e:
            raise ServicesUnavailable() from e
        code = response.status_code
        if code == 429:
            detail = _detail_of(response)
            raise TooManyRequests(_sentence(detail), retry_after=_retry_after(response), detail=detail,
                                  body=_body_of(response))
        if code >= 500 or code in _TRANSIENT_STATUSES:
            raise ServicesUnavailable(status=code, detail=_detail_of(response))
        if code == 404:
            detail = _detail_of(response)
            raise NotFound(_sentence(detail), status=code, detail=detail)
        if code >= 400:
            detail = _detail_of(response)
            raise ServicesRejected(_sentence(detail), status=code, detail=detail, body=_body_of(response))
        if code >= 300:
            raise ServicesUnavailable(status=code, detail=f"unexpected redirect to {response.headers.get('location')}")
        return response

    @staticmethod
    def _parse(model: type[M], response: httpx.Response) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as e:
            raise ServicesUnavailable(
                "The community office system sent an answer I could not read.", detail=str(e)
            ) from e

    @staticmethod
    def _parse_list(model: type[M], response: httpx.Response) -> list[M]:
        try:
            return TypeAdapter(list[model]).validate_json(response.content)  # type: ignore[valid-type]
        except ValidationError as e:
            raise ServicesUnavailable(
                "The community office system sent an answer I could not read.", detail=str(e)
            ) from e

    def _create(self, path: str, payload: BaseModel, model: type[M], idempotency_key: str | None) -> M:
        response = self._request("POST", path, json=payload.model_dump(mode="json"), idempotency_key=idempotency_key)
        return self._parse(model, response)

    # --- API -----------------------------------------------------------------------------------

    def health(self) -> bool:
        """True if the service answers its health check; never raises."""
        try:
            response = self._request("GET", "/health")
            return bool(response.json().get("status") == "ok")
        except (ServicesError, ValueError, AttributeError):
            return False

    def list_facilities(self, *, lang: str | None = None) -> list[Facility]:
        return self._parse_list(Facility, self._request("GET", "/facilities", params=_lang({}, lang)))

    def find_facility(self, query: str, *, lang: str | None = None) -> Facility | None:
        """The best match for a place name as a resident said it; ``None`` if nothing matches."""
        if not query.strip():
            return None
        try:
            params = _lang({"q": query[:200]}, lang)
            return self._parse(Facility, self._request("GET", "/facilities/search", params=params))
        except NotFound:
            return None

    def get_facility(self, slug: str, *, lang: str | None = None) -> Facility:
        return self._parse(Facility, self._request("GET", f"/facilities/{_path(slug)}", params=_lang({}, lang)))

    def create_ticket(self, ticket: TicketCreate, idempotency_key: str | None = None) -> Ticket:
        return self._create("/tickets", ticket, Ticket, idempotency_key)

    def get_ticket_status(self, number: str, resident_token: str | None = None) -> TicketStatus | TicketProgress | None:
        """A repair ticket by its number (e.g. ``"R7K3M9P2X"``); ``None`` if there is none. With the token of the
        household that reported it: a ``TicketStatus`` (the place and the office's note too); else the
        ``TicketProgress`` only."""
        if not number.strip():
            return None
        try:
            response = self._request("GET", f"/tickets/{_path(number)}", resident_token=resident_token)
        except NotFound:
            return None
        body = _body_of(response)
        return self._parse(TicketStatus if isinstance(body, dict) and "place" in body else TicketProgress, response)

    def list_departments(self, *, lang: str | None = None) -> list[Department]:
        return self._parse_list(Department, self._request("GET", "/clinic/departments", params=_lang({}, lang)))

    def list_free_slots(self, department: str, day: date | None = None, *, lang: str | None = None) -> list[Slot]:
        """Free slots of a department (slug or name) on ``day``, or from now on if ``day`` is None."""
        params: dict[str, Any] = {"department": department}
        if day is not None:
            params["day"] = day.isoformat()
        return self._parse_list(Slot, self._request("GET", "/clinic/slots", params=_lang(params, lang)))

    def book_appointment(self, appointment: AppointmentCreate, idempotency_key: str | None = None) -> Appointment:
        """Raises ``ServicesRejected`` with status 409 if the slot was taken meanwhile."""
        return self._create("/clinic/appointments", appointment, Appointment, idempotency_key)

    def cancel_appointment(self, reference: str, phone: str | None = None,
                           resident_token: str | None = None) -> Appointment:
        """A kiosk needs ``resident_token`` of the booking's household: else ``ServicesRejected`` 403 with ``code``
        ``verification_required`` or ``not_your_household`` (or a ``phone`` that is not the booking's)."""
        body = {"phone": phone} if phone is not None else {}
        response = self._request("POST", f"/clinic/appointments/{_path(reference)}/cancel", json=body,
                                 resident_token=resident_token)
        return self._parse(Appointment, response)

    def verify_resident(self, kiosk_id: str, pin: str, *, phone: str | None = None,
                        card: str | None = None) -> ResidentVerification:
        """Phone (or the card's QR code) + PIN → a token for personal requests (about 10 minutes). Raises
        ``VerificationRefused`` (``.locked`` after too many wrong PINs), ``TooManyRequests``,
        ``ServicesUnavailable``."""
        try:
            payload = VerifyRequest(kiosk_id=kiosk_id, pin=pin, phone=phone, card=card)
        except ValidationError as e:
            raise VerificationRefused(status=422, detail=e.errors(include_url=False, include_input=False)) from e
        try:
            response = self._request("POST", "/residents/verify", json=payload.model_dump(mode="json"))
        except ServicesRejected as e:
            if e.status in (403, 423):
                raise VerificationRefused(e.message, status=e.status, detail=e.detail, body=e.body) from e
            raise
        return self._parse(ResidentVerification, response)

    def list_events(self, day: date | None = None, *, lang: str | None = None) -> list[Event]:
        """Events on ``day``, or all upcoming events."""
        params = {"day": day.isoformat()} if day is not None else {}
        return self._parse_list(Event, self._request("GET", "/events", params=_lang(params, lang)))

    def find_event(self, query: str, *, lang: str | None = None) -> Event | None:
        """The next occurrence of the event that best matches ``query``; ``None`` if nothing matches."""
        if not query.strip():
            return None
        try:
            params = _lang({"q": query[:200]}, lang)
            return self._parse(Event, self._request("GET", "/events/search", params=params))
        except NotFound:
            return None

    def register_event(
        self, event_id: int, registration: RegistrationCreate, idempotency_key: str | None = None
    ) -> Registration:
        """Raises ``ServicesRejected`` with 409 (full, already signed up) or 400 (no sign-up needed)."""
        return self._create(f"/events/{int(event_id)}/registrations", registration, Registration, idempotency_key)

    def list_announcements(self, buildings: tuple[str, ...] | list[str] = (), *,
                           lang: str | None = None) -> list[Announcement]:
        """The notices in force, newest first; with ``buildings`` (``("3",)``) only those for one of them and
        those for every building."""
        params: dict[str, Any] = {"building": list(buildings)} if buildings else {}
        return self._parse_list(Announcement, self._request("GET", "/announcements", params=_lang(params, lang)))

    def list_broadcasts(self, kiosk_id: str, buildings: tuple[str, ...] | list[str] = (), *,
                        lang: str | None = None) -> list[Broadcast]:
        """Urgent notices in force for this kiosk's ``buildings`` and for every building (none named: all)."""
        params: dict[str, Any] = {"kiosk_id": kiosk_id}
        if buildings:
            params["building"] = list(buildings)
        return self._parse_list(Broadcast, self._request("GET", "/broadcasts", params=_lang(params, lang)))

    def confirm_broadcast(self, notice_id: int, receipt: ReceiptIn) -> Receipt:
        """Tell the office this kiosk's screen showed urgent notice ``notice_id`` (kiosk token; idempotent).
        ``NotFound`` when it is not an urgent notice."""
        response = self._request("POST", f"/broadcasts/{int(notice_id)}/receipts",
                                 json=receipt.model_dump(mode="json"))
        return self._parse(Receipt, response)

    def raise_alert(self, alert: AlertCreate, idempotency_key: str | None = None) -> Alert:
        return self._create("/alerts", alert, Alert, idempotency_key)

    def acknowledge_alert(self, reference: str, staff_name: str) -> AlertHandlingState:
        """``staff_name`` takes the alert ("I'm going"). Raises ``AlertTaken`` (with the winner's name) when
        someone else was first or it is resolved, ``NotFound`` for an unknown reference. Staff token."""
        body = AcknowledgeRequest(staff_name=staff_name).model_dump(mode="json")
        return self._handle(f"/alerts/{_path(reference)}/acknowledge", body)

    def resolve_alert(self, reference: str, staff_name: str, note: str = "") -> AlertHandlingState:
        """Close the alert with a note. Raises ``AlertTaken`` if it was resolved already. Staff token."""
        body = ResolveRequest(staff_name=staff_name, note=note).model_dump(mode="json")
        return self._handle(f"/alerts/{_path(reference)}/resolve", body)

    def _handle(self, path: str, body: dict[str, Any]) -> AlertHandlingState:
        try:
            return self._parse(AlertHandlingState, self._request("POST", path, json=body))
        except ServicesRejected as e:
            if e.status == 409 and isinstance(e.body, dict):
                try:
                    raise AlertTaken(AlertConflict.model_validate(e.body)) from e
                except ValidationError:
                    pass
            raise

    def get_alert_status(self, reference: str) -> AlertStatusView | None:
        """Whether someone is coming to an alert, and who; ``None`` for an unknown reference. Kiosk token."""
        if not reference.strip():
            return None
        try:
            return self._parse(AlertStatusView, self._request("GET", f"/alerts/{_path(reference)}/status"))
        except NotFound:
            return None

    def submit_feedback(self, feedback: FeedbackCreate, idempotency_key: str | None = None) -> Feedback:
        return self._create("/feedback", feedback, Feedback, idempotency_key)

    def get_feedback_answer(self, reference: str) -> FeedbackAnswer | None:
        """The office's reply to feedback by its reference (e.g. ``"F1001"``); ``None`` if there is none."""
        if not reference.strip():
            return None
        try:
            return self._parse(FeedbackAnswer, self._request("GET", f"/feedback/{_path(reference)}"))
        except NotFound:
            return None

    # --- a person talks through the kiosk (handoff; kiosk token) -----------------------------------

    def open_handoff(self, handoff: HandoffCreate, idempotency_key: str | None = None) -> HandoffView:
        """Open a live conversation with the office; the answer's ``reference`` (``F…``) names it and its
        ``messages`` are the transcript sent (remember the last id for ``get_handoff(ref, after=...)``)."""
        return self._create("/handoffs", handoff, HandoffView, idempotency_key)

    def get_handoff(self, reference: str, after: int | None = None) -> HandoffView | None:
        """The handoff (status, who joined, how it ended) with its messages whose id is above ``after`` (all
        without); ``None`` for an unknown reference."""
        if not reference.strip():
            return None
        params = {"after": int(after)} if after is not None else None
        try:
            return self._parse(HandoffView, self._request("GET", f"/handoffs/{_path(reference)}", params=params))
        except NotFound:
            return None

    def add_handoff_message(self, reference: str, message: HandoffMessageCreate) -> HandoffMessage:
        """The resident's words for the member of staff. Raises ``HandoffEnded`` (a ``ServicesRejected`` with
        ``status == 409``) once the conversation has ended, ``NotFound`` for an unknown reference."""
        try:
            response = self._request("POST", f"/handoffs/{_path(reference)}/messages",
                                     json=message.model_dump(mode="json"))
        except ServicesRejected as e:
            if e.status == 409:
                raise HandoffEnded(e.message if e.detail else None, status=409, detail=e.detail, body=e.body) from e
            raise
        return self._parse(HandoffMessage, response)

    def end_handoff(self, reference: str, end: HandoffEnd) -> HandoffView:
        """End the conversation (``resident`` or ``resident_left``); ending an ended one changes nothing.
        The answer carries no messages. Raises ``NotFound`` for an unknown reference."""
        response = self._request("POST", f"/handoffs/{_path(reference)}/end", json=end.model_dump(mode="json"))
        return self._parse(HandoffView, response)

    # --- the office's desks (staff token) -------------------------------------------------------

    def list_tickets(
        self,
        *,
        status: TicketStatusValue | None = None,
        category: str | None = None,
        building: str | None = None,
        older_than_hours: float | None = None,
        overdue: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> list[TicketQueueRow]:
        """The tickets queue, oldest first, with assignee, age and overdue flag."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        for name, value in (("status", status), ("category", category), ("building", building),
                            ("older_than_hours", older_than_hours)):
            if value is not None:
                params[name] = value
        if overdue:
            params["overdue"] = "true"
        return self._parse_list(TicketQueueRow, self._request("GET", "/tickets", params=params))

    def get_ticket(self, number: str) -> Ticket:
        """Everything about one ticket (staff); raises ``NotFound``."""
        return self._parse(Ticket, self._request("GET", f"/tickets/{_path(number)}"))

    def ticket_history(self, number: str) -> list[TicketHistoryEntry]:
        return self._parse_list(TicketHistoryEntry, self._request("GET", f"/tickets/{_path(number)}/history"))

    def assign_ticket(self, number: str, assignment: TicketAssign) -> Ticket:
        """Raises ``ServicesRejected`` (409) for a finished ticket, ``NotFound`` for an unknown number."""
        response = self._request("POST", f"/tickets/{_path(number)}/assign", json=assignment.model_dump(mode="json"))
        return self._parse(Ticket, response)

    def change_ticket_status(self, number: str, change: TicketStatusChange) -> Ticket:
        """Raises ``ServicesRejected`` (409) for a status that cannot follow the current one."""
        response = self._request("POST", f"/tickets/{_path(number)}/status", json=change.model_dump(mode="json"))
        return self._parse(Ticket, response)

    def list_feedback(
        self,
        *,
        category: str | None = None,
        status: FeedbackStatusValue | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[FeedbackRecord]:
        """Feedback, newest first, with status and latest reply (category ``handoff``: talk-to-a-person)."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if category is not None:
            params["category"] = category
        if status is not None:
            params["status"] = status
        return self._parse_list(FeedbackRecord, self._request("GET", "/feedback", params=params))

    def set_feedback_status(self, reference: str, change: FeedbackStatusChange) -> FeedbackRecord:
        response = self._request("POST", f"/feedback/{_path(reference)}/status", json=change.model_dump(mode="json"))
        return self._parse(FeedbackRecord, response)

    def reply_to_feedback(self, reference: str, reply: FeedbackReplyCreate) -> FeedbackRecord:
        """Store the reply the resident will hear and mark the feedback answered."""
        response = self._request("POST", f"/feedback/{_path(reference)}/reply", json=reply.model_dump(mode="json"))
        return self._parse(FeedbackRecord, response)

    def send_heartbeat(self, kiosk_id: str, beat: KioskHeartbeatIn) -> KioskHeartbeat:
        """Report this kiosk to the office (kiosk token); the office stores its own time as last seen."""
        response = self._request("PUT", f"/kiosks/{_path(kiosk_id)}/heartbeat", json=beat.model_dump(mode="json"))
        return self._parse(KioskHeartbeat, response)

    def submit(self, kind: SubmitKind, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Create a ticket, alert or feedback from a plain dict (the outbox's path).

        The payload is validated first; invalid content raises ``ServicesRejected`` (status 422)
        without contacting the service. Returns the created resource as a JSON-ready dict.
        """
        try:
            create_model, path, model = _SUBMIT[kind]
        except KeyError:
            raise ServicesRejected(f"Unknown kind of submission: {kind!r}.", status=422, detail=kind) from None
        try:
            payload_model = create_model.model_validate(payload)
        except ValidationError as e:
            raise ServicesRejected(
                "Some of the details were not accepted.",
                status=422,
                detail=e.errors(include_url=False, include_input=False),
            ) from e
        return self._create(path, payload_model, model, idempotency_key).model_dump(mode="json")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def _path(segment: str) -> str:
    """A single, safe path segment (no slashes, dots or empty segment can change the route)."""
    cleaned = segment.strip()
    return quote(cleaned, safe="") if cleaned not in ("", ".", "..") else "-"


def _lang(params: dict[str, Any], lang: str | None) -> dict[str, Any] | None:
    """``params`` with the reader's language when one is asked for (the office answers in English without)."""
    if lang:
        params = {**params, "lang": lang}
    return params or None
