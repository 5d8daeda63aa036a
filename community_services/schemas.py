"""Pydantic v2 models of the community services API, shared by the server and the client.

Input models (``*Create``, ``*Update``, ``CancelRequest``) clean what residents typed or said:
control characters are removed, whitespace is stripped, empty strings are refused and lengths are
capped, so the database only ever holds tidy text. Phone numbers are stored as digits only.

Times are naive local datetimes of the community (the kiosk and the service share one clock zone).
This module imports nothing but pydantic, so the client can use it without the server's dependencies.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

MAX_NAME = 100
"""Names of people, problem types, categories."""
MAX_PLACE = 200
"""Places and locations."""
MAX_TEXT = 2000
"""Free text: ticket descriptions, feedback, alert details."""
MAX_KEY = 200
"""Idempotency keys and search queries."""
MAX_ID = 2**31 - 1
"""Largest row id accepted in requests (fits every database's integer column)."""

# Unicode bidi overrides/isolates can make text display differently from what it is; never store them.
_BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_MANY_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r" {2,}")
_PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def clean_text(value: Any, *, multiline: bool = False) -> Any:
    """Tidy a string from a resident: drop control characters, normalise, strip.

    Single-line text has every whitespace run collapsed to one space. Multi-line text keeps line
    breaks and tabs but no other control characters. Emoji and any other printable text are kept.
    Non-strings are returned unchanged so the model reports a normal type error.
    """
    if not isinstance(value, str):
        return value
    text = _LINE_BREAKS.sub("\n", value)
    kept: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs" or ord(ch) in _BIDI_CONTROLS:  # lone surrogates cannot even be stored
            continue
        if category == "Cc":
            if ch in "\n\t":
                kept.append(ch if multiline else " ")
            continue
        kept.append(ch)
    text = unicodedata.normalize("NFC", "".join(kept))
    if multiline:
        text = "\n".join(_SPACES.sub(" ", line).rstrip() for line in text.split("\n"))
        text = _MANY_BLANK_LINES.sub("\n\n", text)
    else:
        text = " ".join(text.split())
    return text.strip()


def normalize_phone(value: Any) -> Any:
    """Digits of a Chinese mobile (11 digits starting with 1) or landline (7-8 digits) number.

    Spaces and dashes are allowed between digits. Raises ``ValueError`` (which never repeats the
    number itself, so it cannot leak into logs) when the number has another shape.
    """
    if not isinstance(value, str):
        return value
    digits = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if not _ASCII_DIGITS.fullmatch(digits):
        raise ValueError("a phone number may only contain digits, spaces and dashes")
    if (len(digits) == 11 and digits.startswith("1")) or 7 <= len(digits) <= 8:
        return digits
    raise ValueError("a phone number must be an 11-digit mobile number starting with 1 or a 7-8 digit landline number")


def _line(value: Any) -> Any:
    return clean_text(value, multiline=False)


def _multiline(value: Any) -> Any:
    return clean_text(value, multiline=True)


Name = Annotated[str, BeforeValidator(_line), Field(min_length=1, max_length=MAX_NAME)]
Place = Annotated[str, BeforeValidator(_line), Field(min_length=1, max_length=MAX_PLACE)]
LongText = Annotated[str, BeforeValidator(_multiline), Field(min_length=1, max_length=MAX_TEXT)]
OptionalLongText = Annotated[str, BeforeValidator(_multiline), Field(max_length=MAX_TEXT)]
Phone = Annotated[
    str,
    BeforeValidator(normalize_phone),
    Field(description="11-digit mobile starting with 1, or 7-8 digit landline; spaces and dashes allowed"),
]


class _Input(BaseModel):
    """Requests: unknown fields are ignored so older and newer kiosks keep working."""

    model_config = ConfigDict(extra="ignore")


class _Output(BaseModel):
    """Responses: unknown fields are ignored so the client tolerates a newer server. Built straight from
    ORM rows (``from_attributes``) where the fields match, instead of copying them by hand."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)


class HealthStatus(_Output):
    status: Literal["ok"] = "ok"


class ErrorMessage(_Output):
    detail: str
    """A short sentence that may be shown or read to a resident."""


class CodedError(ErrorMessage):
    code: str
    """What the kiosk acts on: ``verification_required``, ``not_your_household``, ``no_match``, ``locked``,
    ``rate_limited``."""


# --- facilities -------------------------------------------------------------------------------


class OpeningHours(_Output):
    days: str
    """Day range such as ``"Mon-Sat"``, ``"Sat"`` or ``"Mon-Sun"``."""
    opens: str
    """``"HH:MM"``, 24-hour clock."""
    closes: str
    """``"HH:MM"``; ``"24:00"`` means midnight at the end of the day."""


class Facility(_Output):
    slug: str
    name: str
    name_zh: str
    aliases: list[str]
    kind: str
    """``service``, ``office``, ``clinic``, ``building``, ``gate``, ``garden``, ..."""
    location: str
    directions: str
    """Short spoken walking directions from the kiosk in the Community Service Centre lobby."""
    hours: list[OpeningHours]
    hours_text: str
    """Opening hours as a spoken sentence, e.g. ``"Monday to Saturday, 8:30 am to 5:30 pm."``."""
    notes: str | None = None


# --- repair tickets ---------------------------------------------------------------------------

TicketStatusValue = Literal["open", "assigned", "in_progress", "waiting", "resolved", "cancelled"]
"""``resolved`` is the done state (the name predates the tickets desk; stored rows keep it)."""
MAX_PUBLIC_NOTE = 300
"""A ticket's public note is read aloud to the resident: a sentence or two."""
MAX_REPLY = 1000
"""The office's reply to feedback is read aloud at the kiosk."""


class TicketCreate(_Input):
    problem_type: Name
    place: Place
    description: LongText
    phone: Phone


class TicketProgress(_Output):
    """What a kiosk hears of a ticket without its household's verification: where the repair stands."""

    number: str
    status: TicketStatusValue
    problem_type: str
    created_at: datetime
    updated_at: datetime


class TicketStatus(TicketProgress):
    """What the kiosk may see of a ticket once its household is verified: no phone number, no description."""

    place: str
    public_note: str | None = None
    """The office's latest note for the resident ("A plumber comes on Thursday morning."), if any."""
    public_note_at: datetime | None = None


class Ticket(TicketStatus):
    description: str
    phone: str


class TicketUpdate(_Input):
    status: TicketStatusValue


def _optional_note(value: Any) -> Any:
    """Notes are plain text kept as typed (markup too: the pages escape it); blank means no note."""
    value = clean_text(value, multiline=True)
    return None if value == "" else value


PublicNote = Annotated[Annotated[str, Field(max_length=MAX_PUBLIC_NOTE)] | None, BeforeValidator(_optional_note)]
InternalNote = Annotated[Annotated[str, Field(max_length=MAX_TEXT)] | None, BeforeValidator(_optional_note)]


class TicketAssign(_Input):
    assignee: Name
    """The worker or team who takes the ticket, e.g. ``"Wang (plumber)"``."""
    staff_name: Name
    """Who in the office made the change (the history records it)."""
    public_note: PublicNote = None
    internal_note: InternalNote = None


class TicketStatusChange(_Input):
    status: TicketStatusValue
    """The new status; the same status with a note only adds the note."""
    staff_name: Name
    public_note: PublicNote = None
    """What the resident may hear, at most 300 characters of plain text."""
    internal_note: InternalNote = None


class TicketQueueRow(Ticket):
    """A ticket in the office's queue: the ticket, who has it, and whether it is overdue."""

    building: str | None
    """The building parsed from the place (``"3"`` for "Building 3, flat 201"), ``None`` if it names none."""
    assignee: str | None
    age_hours: float
    """Hours since it was reported."""
    overdue_after_hours: int
    """The category's time (``community_services/config/overdue.yml``)."""
    overdue: bool
    """Still unfinished (not resolved or cancelled) after ``overdue_after_hours``."""


class TicketHistoryEntry(_Output):
    at: datetime
    staff_name: str
    status_from: str
    status_to: str
    public_note: str | None
    internal_note: str | None
    assignee: str | None


# --- clinic -----------------------------------------------------------------------------------


class Department(_Output):
    slug: str
    name: str
    doctors: list[str]
    schedule_text: str


class Slot(_Output):
    id: int
    department: str
    """The department's name, e.g. ``"Dental"``."""
    doctor: str
    start: datetime
    end: datetime


class AppointmentCreate(_Input):
    slot_id: int = Field(gt=0, le=MAX_ID)
    patient_name: Name
    phone: Phone


AppointmentStatus = Literal["booked", "cancelled"]


class Appointment(_Output):
    reference: str
    department: str
    doctor: str
    start: datetime
    end: datetime
    patient_name: str
    status: AppointmentStatus


class AppointmentRecord(Appointment):
    """Staff view of an appointment."""

    slot_id: int
    phone: str
    created_at: datetime


class CancelRequest(_Input):
    phone: Phone | None = None
    """Not needed any more: a kiosk proves the household with ``X-Resident-Token``. When sent, it must match."""


# --- events -----------------------------------------------------------------------------------


class Event(_Output):
    id: int
    slug: str
    """Unique per occurrence: series and date, e.g. ``"calligraphy-class-2026-11-24"``."""
    title: str
    place: str
    start: datetime
    end: datetime | None
    """``None`` when the community did not announce an end time."""
    signup_required: bool
    capacity: int | None
    registered: int
    description: str


class RegistrationCreate(_Input):
    name: Name
    phone: Phone


class Registration(_Output):
    reference: str
    event_id: int
    name: str
    status: Literal["registered"]


class RegistrationRecord(Registration):
    """Staff view of a registration."""

    phone: str
    created_at: datetime


# --- announcements ----------------------------------------------------------------------------


NoticeKind = Literal["fire", "gas", "water", "lift", "other"]
"""What an urgent notice is about; ``fire`` and ``gas`` are safety alerts (the kiosk shows the assembly point)."""
SAFETY_KINDS: tuple[str, ...] = ("fire", "gas")
BUILDING_NUMBERS: tuple[str, ...] = tuple(str(n) for n in range(1, 13))
"""Sunny Garden's buildings, as notices name them."""
Building = Annotated[str, BeforeValidator(_line), Field(pattern=r"^(?:[1-9]|1[0-2])$",
                                                        description="A building number, 1-12.")]


class Announcement(_Output):
    id: int
    title: str
    body: str
    valid_from: datetime
    valid_until: datetime | None
    """``None`` for standing notices."""
    buildings: list[str] = []
    """The buildings it is for (``["3"]``); empty: every building."""
    urgent: bool = False
    kind: NoticeKind | None = None
    """For an urgent notice: what it is about."""


class Broadcast(_Output):
    """An urgent notice in force, as a kiosk shows it (``GET /broadcasts``)."""

    id: int
    revision: int
    """Goes up with every edit: a kiosk shows a changed notice again."""
    title: str
    body: str
    kind: NoticeKind
    safety: bool
    """Fire or gas: the kiosk also shows the way to the assembly point."""
    buildings: list[str]
    """Empty: every building."""
    valid_from: datetime
    valid_until: datetime | None


class ReceiptIn(_Input):
    """A kiosk showed an urgent notice (``POST /broadcasts/{id}/receipts``)."""

    kiosk_id: Annotated[str, BeforeValidator(_line), Field(min_length=1, max_length=100)]
    revision: int = Field(default=1, ge=1, le=MAX_ID)
    shown_at: datetime
    """When the kiosk's screen showed it (the kiosk's clock)."""


class Receipt(_Output):
    notice_id: int
    revision: int
    kiosk_id: str
    shown_at: datetime
    received_at: datetime
    """The office's clock when the first receipt arrived."""


# --- emergency alerts -------------------------------------------------------------------------

AlertStatus = Literal["open", "acknowledged", "resolved"]


class AlertCreate(_Input):
    kind: Name
    """What happened, e.g. ``"fall"``, ``"medical"``, ``"fire"``, ``"help"``."""
    location: Place
    kiosk_id: Name
    details: OptionalLongText = ""
    raised_at: datetime | None = None
    """When the resident pressed the button or asked for help, by the kiosk's clock (local time). An alert
    that waited in the kiosk's outbox keeps its original time; the service uses it when it is neither in the
    future nor older than ``MAX_ALERT_DELAY`` (otherwise the time it arrived)."""


class Alert(_Output):
    reference: str
    kind: str
    location: str
    kiosk_id: str
    details: str
    status: AlertStatus
    created_at: datetime
    updated_at: datetime | None = None


class AlertUpdate(_Input):
    status: Literal["acknowledged", "resolved"]


class AcknowledgeRequest(_Input):
    staff_name: Name
    """Who is going to the resident; the kiosk says this name aloud."""


class ResolveRequest(_Input):
    staff_name: Name
    note: OptionalLongText = ""
    """What was done, for the record."""


class AlertHandlingState(_Output):
    """Who has an alert in hand: the answer of acknowledge/resolve and of the kiosk's status look-up."""

    reference: str
    status: AlertStatus
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None


class AlertStatusView(_Output):
    """What a kiosk may learn of its alert: whether someone is coming, and who."""

    reference: str
    status: AlertStatus
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


class AlertConflict(_Output):
    """409 of acknowledge/resolve: someone else was first (``detail`` says who)."""

    detail: str
    status: AlertStatus
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


# --- feedback ---------------------------------------------------------------------------------


class FeedbackCreate(_Input):
    text: LongText
    category: Name = "general"
    """Free word such as ``"general"``, ``"complaint"``, ``"praise"``; missing or blank means general."""

    @field_validator("category", mode="before")
    @classmethod
    def _default_category(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not clean_text(value)):
            return "general"
        return value


class Feedback(_Output):
    reference: str
    text: str
    category: str
    created_at: datetime


FeedbackStatusValue = Literal["new", "in_progress", "answered"]
ReplyText = Annotated[str, BeforeValidator(_multiline), Field(min_length=1, max_length=MAX_REPLY)]


class FeedbackRecord(Feedback):
    """Staff view of a feedback message: where the office is with it and its latest reply."""

    status: FeedbackStatusValue
    status_by: str | None = None
    """Who set the status last (``None`` while new)."""
    status_at: datetime | None = None
    reply: str | None = None
    replied_at: datetime | None = None
    replied_by: str | None = None


class FeedbackStatusChange(_Input):
    status: Literal["new", "in_progress"]
    """``answered`` is set by replying."""
    staff_name: Name


class FeedbackReplyCreate(_Input):
    text: ReplyText
    """Read aloud to the resident at the kiosk; plain text, at most 1000 characters."""
    staff_name: Name


class FeedbackAnswer(_Output):
    """What a kiosk may learn of a feedback message by its reference: where it is and the reply, nothing else."""

    reference: str
    status: FeedbackStatusValue
    reply: str | None = None
    replied_at: datetime | None = None


MAX_KIOSK_ID = 100
MAX_MODEL = 200
MAX_OUTBOX_COUNT = 1_000_000



def _optional_line(value: Any) -> Any:
    """One line of text, or ``None`` for an empty one."""
    return (clean_text(value, multiline=False) or None) if isinstance(value, str) else value


ModelName = Annotated[Annotated[str, Field(max_length=MAX_MODEL)] | None, BeforeValidator(_optional_line)]
Version = Annotated[Annotated[str, Field(max_length=50)] | None, BeforeValidator(_optional_line)]
MAX_OUTBOX_PROBLEM = 300
OutboxProblem = Annotated[Annotated[str, Field(max_length=MAX_OUTBOX_PROBLEM)] | None, BeforeValidator(_optional_line)]


StackState = Literal["starting", "ready", "degraded", "stopped", "unknown"]
MAX_STACK_PARTS = 10
Short = Annotated[str, BeforeValidator(_line), Field(min_length=1, max_length=40)]
PartMessage = Annotated[Annotated[str, Field(max_length=MAX_TEXT)] | None, BeforeValidator(_optional_line)]


class KioskStackPart(_Input):
    """One part of the kiosk's back end (``services``, ``actions``, ``rasa``) as its supervisor sees it."""

    name: Short
    state: Short
    """``up``, ``starting``, ``unhealthy``, ``restarting``, ``down``, ``failing``, ``stopped``."""
    restarts: int = Field(default=0, ge=0, le=MAX_OUTBOX_COUNT)
    last_exit_code: int | None = None
    message: PartMessage = None


class KioskStackHealth(_Input):
    """The kiosk's back end (``linli run``'s supervisor, ``var/run/stack-status.json``): ``ready`` only while every
    part answers its own health check; ``unknown`` when the supervisor stopped writing its state."""

    state: StackState
    parts: list[KioskStackPart] = Field(default_factory=list, max_length=MAX_STACK_PARTS)


class KioskHeartbeatIn(_Input):
    """What a kiosk reports every half minute (``PUT /kiosks/{kiosk_id}/heartbeat``)."""

    location: Place
    model: ModelName = None
    """The dialogue model file the kiosk's assistant runs; ``None`` (or empty) when it could not tell."""
    outbox_backlog: int = Field(ge=0, le=MAX_OUTBOX_COUNT)
    """Requests waiting in the kiosk's outbox to be sent to the office."""
    outbox_refused: int = Field(ge=0, le=MAX_OUTBOX_COUNT)
    """Requests in the outbox the office refused (kept for staff; never retried)."""
    version: Version = None
    outbox_stuck: int = Field(default=0, ge=0, le=MAX_OUTBOX_COUNT)
    """Requests of the backlog the office answers with an error a person must fix (a token not accepted, a route
    missing): retried until delivered, but they will not arrive by themselves. Older kiosks do not send it."""
    outbox_problem: OutboxProblem = None
    """The latest reason of a stuck or refused request, e.g. ``"alert Q12345: token not accepted (401)"``."""

    stack: KioskStackHealth | None = None
    """The back end's state (optional: a kiosk without a supervisor, or an older one, sends none)."""


class KioskHeartbeat(_Output):
    kiosk_id: str
    location: str
    last_seen: datetime
    """The office's time when the beat arrived."""
    model: str | None = None
    outbox_backlog: int
    outbox_refused: int
    version: str | None = None
    outbox_stuck: int = 0
    outbox_problem: str | None = None


# --- a person talks through the kiosk (handoff) ---------------------------------------------------

MAX_HANDOFF_TEXT = 1000
"""One line of a handoff's conversation (a transcript line, a resident's or a staff member's message)."""
MAX_TRANSCRIPT = 60
"""Transcript lines a kiosk may send when it opens a handoff."""
HandoffStatus = Literal["waiting", "joined", "ended"]
HandoffEndReason = Literal["resident", "resident_left", "staff"]
HandoffSender = Literal["resident", "assistant", "staff", "system"]
HandoffVia = Literal["typed", "spoken"]
HandoffText = Annotated[str, BeforeValidator(_multiline), Field(min_length=1, max_length=MAX_HANDOFF_TEXT)]


class HandoffTranscriptLine(_Input):
    """One turn of the conversation with the assistant before the resident asked for a person."""

    who: Literal["resident", "assistant"]
    text: HandoffText


class HandoffCreate(_Input):
    """A kiosk opens a handoff (``POST /handoffs``)."""

    kiosk_id: Name
    location: Place
    said: OptionalLongText = ""
    """What the resident said or typed to ask for a person; blank is allowed (a tapped button)."""
    transcript: list[HandoffTranscriptLine] = Field(default_factory=list, max_length=MAX_TRANSCRIPT)
    """The conversation so far, oldest first. The whole request must fit the API's 64 KiB body limit."""


class HandoffMessage(_Output):
    id: int
    """Increasing: ask ``?after=<the last id you have>`` for the newer ones."""
    sender: HandoffSender
    name: str | None = None
    """The staff member's name (staff messages, and the system line of a join)."""
    text: str
    via: HandoffVia | None = None
    at: datetime


class HandoffMessageCreate(_Input):
    """The resident's words at the kiosk, typed or spoken (``POST /handoffs/{ref}/messages``)."""

    text: HandoffText
    via: HandoffVia = "typed"


class HandoffEnd(_Input):
    """The kiosk ends a handoff: the resident pressed "Back to the assistant" (``resident``) or walked away
    (``resident_left``, the kiosk's idle reset). Staff end it in the console (``staff``)."""

    reason: Literal["resident", "resident_left"]


class HandoffView(_Output):
    """A handoff as the kiosk (and the console) sees it, with its messages (those after ``after`` only)."""

    reference: str
    """The feedback row's ``F…`` reference (a handoff is still feedback of category ``handoff``)."""
    status: HandoffStatus
    kiosk_id: str
    location: str
    said: str = ""
    staff_name: str | None = None
    """Who joined (``None`` while waiting)."""
    joined_at: datetime | None = None
    ended_reason: HandoffEndReason | None = None
    ended_at: datetime | None = None
    created_at: datetime | None = None
    messages: list[HandoffMessage] = Field(default_factory=list)


# --- resident verification (docs/resident-verification.md) ------------------------------------


def _pin(value: Any) -> Any:
    return "".join(value.split()) if isinstance(value, str) else value


class VerifyRequest(_Input):
    """Phone + PIN, or the household card's QR code + PIN, from a kiosk."""

    kiosk_id: Annotated[str, BeforeValidator(_line), Field(min_length=1, max_length=MAX_KIOSK_ID)]
    pin: Annotated[str, BeforeValidator(_pin), Field(pattern=r"^[0-9]{4}$")]
    phone: Phone | None = None
    card: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> VerifyRequest:
        if (self.phone is None) == (self.card is None):
            raise ValueError("give either a phone number or a card, not both")
        return self


class ResidentVerification(_Output):
    token: str
    """Send it as ``X-Resident-Token`` on personal requests; it works until ``expires_at``."""
    flat: str
    expires_at: datetime
