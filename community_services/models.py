"""SQLAlchemy ORM models. Times are naive local datetimes; phone numbers are digits only.

Public references are a letter and 8 random characters (``R7K3M9P2X``; ``api/references.py``); rows made
before keep their sequential ones (``R1001``). ``sqlite_autoincrement`` stops SQLite from ever reusing an id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


_AUTOINCREMENT = {"sqlite_autoincrement": True}


class Meta(Base):
    """Key/value facts about the database itself, e.g. when it was seeded."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Facility(Base):
    __tablename__ = "facilities"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(100))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(40))
    location: Mapped[str] = mapped_column(Text)
    directions: Mapped[str] = mapped_column(Text)
    hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hours_text: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(100))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    schedule_text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    doctors: Mapped[list[Doctor]] = relationship(back_populates="department", order_by="Doctor.position")


class Doctor(Base):
    __tablename__ = "doctors"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    name: Mapped[str] = mapped_column(String(100))
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{"weekdays": [0, 2, 4], "sessions": [["08:00", "12:00"], ["14:00", "17:00"]]}``"""
    position: Mapped[int] = mapped_column(Integer, default=0)
    department: Mapped[Department] = relationship(back_populates="doctors")


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("doctor_id", "start"),
        Index("ix_slots_department_start", "department_id", "start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    start: Mapped[datetime] = mapped_column(DateTime)
    end: Mapped[datetime] = mapped_column(DateTime)
    booked: Mapped[bool] = mapped_column(Boolean, default=False)
    department: Mapped[Department] = relationship()
    doctor: Mapped[Doctor] = relationship()


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        # at most one live booking per slot, whatever happens to the ``booked`` flag
        Index(
            "uq_appointments_booked_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        _AUTOINCREMENT,
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    patient_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    slot: Mapped[Slot] = relationship()


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (_AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    problem_type: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_start", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    series: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime] = mapped_column(DateTime)
    end: Mapped[datetime | None] = mapped_column(DateTime)
    signup_required: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("event_id", "phone"), _AUTOINCREMENT)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="registered")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Announcement(Base):
    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(DateTime)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime)
    texts: Mapped[list[AnnouncementText]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    """The notice in other languages (the seed's Chinese, or what staff wrote); none: English only."""


class AnnouncementText(Base):
    """A notice's title and body in one more language (a new table: older databases gain it, nothing changes)."""

    __tablename__ = "announcement_texts"
    __table_args__ = (UniqueConstraint("announcement_id", "lang"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"), index=True)
    lang: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (_AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(200))
    kiosk_id: Mapped[str] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (_AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class IdempotencyRecord(Base):
    """The response of a create request, stored in the same transaction as the thing it created."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(300))
    """``"POST /api/v1/tickets"``: the same key may be used on different endpoints."""
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)


# --- the office's desks (tickets and feedback); new tables only, so existing databases keep working ---------


class TicketUpdate(Base):
    """One step of a ticket's history: a status change, an assignment or a note. ``Ticket.status`` stays the
    current status; the current assignee and the latest public note are the newest rows that carry them."""

    __tablename__ = "ticket_updates"
    __table_args__ = (Index("ix_ticket_updates_ticket", "ticket_id", "id"), _AUTOINCREMENT)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    staff_name: Mapped[str] = mapped_column(String(100))
    status_from: Mapped[str] = mapped_column(String(20))
    status_to: Mapped[str] = mapped_column(String(20))
    public_note: Mapped[str | None] = mapped_column(Text)
    """What the resident may hear (``repair_status`` reads the latest one); plain text, at most 300 characters."""
    internal_note: Mapped[str | None] = mapped_column(Text)
    """For the office only; never sent to a kiosk."""
    assignee: Mapped[str | None] = mapped_column(String(100))
    """Set on an assignment: the worker or team who has the ticket from then on."""


class TicketBuilding(Base):
    """The building a ticket's place names ("Building 3, flat 201" → ``"3"``), parsed once, for a fast,
    indexed building filter without a column change to ``tickets``. ``""``: no building in the place."""

    __tablename__ = "ticket_buildings"
    __table_args__ = (Index("ix_ticket_buildings_building", "building"),)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    building: Mapped[str] = mapped_column(String(20))


class FeedbackStatus(Base):
    """Where the office is with one feedback message: ``new`` (no row yet counts as new), ``in_progress``,
    ``answered``."""

    __tablename__ = "feedback_status"
    __table_args__ = (Index("ix_feedback_status_status", "status"),)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    staff_name: Mapped[str] = mapped_column(String(100))


class FeedbackReply(Base):
    """The office's answer to a feedback message, which the resident hears at the kiosk (the newest one)."""

    __tablename__ = "feedback_replies"
    __table_args__ = (Index("ix_feedback_replies_feedback", "feedback_id", "id"), _AUTOINCREMENT)
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    staff_name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


# --- staff console (issue 14): new tables only; existing databases gain them through create_all ---


class StaffAccount(Base):
    """A person who logs in to the staff console. The password is kept only as an Argon2id hash."""

    __tablename__ = "staff_accounts"
    __table_args__ = (_AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    """``duty`` (alerts, handoffs, tickets, feedback, notices) or ``admin`` (also staff accounts, audit log)."""
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    """Wrong passwords since the last good login or lock."""
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ConsoleSession(Base):
    """A console login. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "console_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """One staff action: who, when, what, on what, before and after. Written with the change; never edited."""

    __tablename__ = "audit_log"
    __table_args__ = (_AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    staff_name: Mapped[str] = mapped_column(String(120))
    """The staff member's name, or ``cli:<unix user>`` for ``linli staff``: kept even if the account goes."""
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AlertHandling(Base):
    """Who took an emergency alert, who closed it, and when it escalated (one row per alert at most).

    Kept beside ``alerts`` (not new columns on it) so existing databases keep working: the table is created
    on start and a missing row means "nobody has touched it yet". The unique ``alert_id`` is what makes
    "two staff press *I'm going* at once" end with exactly one name (``alert_desk.acknowledge``).
    """

    __tablename__ = "alert_handling"
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), unique=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    """The staff member's name as they gave it ("I'm going")."""
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When the alert was sent to the escalation channels (set once)."""


class KioskHeartbeat(Base):
    """A kiosk's latest heartbeat (one row per kiosk, replaced by each beat): when the office last heard from it,
    the dialogue model it runs and its outbox (requests waiting to be sent, requests the office refused).

    ``last_seen`` is the office's clock at the beat, never the kiosk's (a kiosk's clock may be wrong).
    """

    __tablename__ = "kiosk_heartbeats"
    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(100), unique=True)
    location: Mapped[str] = mapped_column(String(200))
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    model: Mapped[str | None] = mapped_column(Text)
    """The dialogue model's file name as the kiosk reported it; ``None`` when the kiosk could not tell."""
    outbox_backlog: Mapped[int] = mapped_column(Integer, default=0)
    outbox_refused: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str | None] = mapped_column(String(50))
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """More facts than the first release's columns (there are no migrations, so no new columns here):
    ``outbox_stuck`` and ``outbox_problem`` (read through the properties below)."""

    @property
    def outbox_stuck(self) -> int:
        """Requests retried but stuck on an error a person must fix (0 when an older kiosk did not say)."""
        value = (self.extra or {}).get("outbox_stuck", 0)
        return value if isinstance(value, int) else 0

    @property
    def outbox_problem(self) -> str | None:
        """The latest reason of a stuck or refused request, as the kiosk reported it."""
        value = (self.extra or {}).get("outbox_problem")
        return value if isinstance(value, str) else None


class KioskStackHealth(Base):
    """A kiosk's back end as its last heartbeat reported it (one row per kiosk, replaced by each beat that carries
    it, removed by one that does not). A side table: ``kiosk_heartbeats`` gets no new column (no migrations)."""

    __tablename__ = "kiosk_stack_health"
    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    """``ready``, ``degraded``, ``starting``, ``stopped`` or ``unknown``."""
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Each part as reported: name, state, restarts, last exit code, message."""
    reported_at: Mapped[datetime] = mapped_column(DateTime)


# --- a person talks through the kiosk (handoff, issue 14 point 3): new tables only ---


class Handoff(Base):
    """A live conversation between a resident at a kiosk and a member of staff (``docs/handoff.md``).

    Each handoff is still a feedback row of category ``handoff`` (``feedback_id``; its ``F…`` reference is the
    handoff's), so feedback lists and counts keep working. ``status``: ``waiting`` (nobody has joined),
    ``joined`` (``staff_name`` has it), ``ended`` (``ended_reason``: ``resident``, ``resident_left``, ``staff``).
    The conditional update on ``status`` is what lets exactly one of two staff join (``handoff_desk.join``).
    """

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status", "status"), _AUTOINCREMENT)
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), unique=True)
    kiosk_id: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(200))
    said: Mapped[str] = mapped_column(Text)
    """The resident's request as they said or typed it (resident text: escape it in HTML)."""
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    staff_name: Mapped[str | None] = mapped_column(String(100))
    joined_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class HandoffMessage(Base):
    """One line of a handoff's conversation: the transcript the kiosk sent, then the live messages. Ids only
    increase, so ``?after=N`` gives a kiosk or a page exactly what it has not seen."""

    __tablename__ = "handoff_messages"
    __table_args__ = (Index("ix_handoff_messages_handoff", "handoff_id", "id"), _AUTOINCREMENT)
    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    sender: Mapped[str] = mapped_column(String(20))
    """``resident``, ``assistant``, ``staff`` or ``system`` (joined, ended)."""
    name: Mapped[str | None] = mapped_column(String(100))
    """The staff member's name on a staff message (and on the system line of a join)."""
    text: Mapped[str] = mapped_column(Text)
    via: Mapped[str | None] = mapped_column(String(20))
    """``typed`` or ``spoken`` for a resident's live message; ``typed`` for staff; ``None`` otherwise."""
    at: Mapped[datetime] = mapped_column(DateTime)


# --- notices and safety broadcasts: new tables beside ``announcements`` (which keeps its columns) ---


class NoticeDetails(Base):
    """What staff said about a notice besides its words and dates (one row per notice staff wrote or changed).

    The notice itself is the ``announcements`` row, so the ``ask_announcements`` skill reads staff notices as it
    reads the seeded ones. A notice without a row here is ordinary and for every building.
    """

    __tablename__ = "notice_details"
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"), primary_key=True)
    buildings: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Building numbers as text (``["3", "9"]``); empty: every building."""
    urgency: Mapped[str] = mapped_column(String(20), default="ordinary")
    """``ordinary`` or ``urgent`` (urgent ones interrupt the kiosks)."""
    kind: Mapped[str | None] = mapped_column(String(20))
    """For an urgent notice: ``fire``, ``gas``, ``water``, ``lift`` or ``other``."""
    revision: Mapped[int] = mapped_column(Integer, default=1)
    """Goes up with every edit: a kiosk shows a changed urgent notice again."""
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(120))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)


class NoticeReceipt(Base):
    """A kiosk showed an urgent notice (one row per notice, revision and kiosk: a repeated receipt is the same)."""

    __tablename__ = "notice_receipts"
    __table_args__ = (UniqueConstraint("announcement_id", "revision", "kiosk_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    kiosk_id: Mapped[str] = mapped_column(String(100))
    shown_at: Mapped[datetime] = mapped_column(DateTime)
    """When the kiosk says its screen showed it (the kiosk's clock)."""
    received_at: Mapped[datetime] = mapped_column(DateTime)
    """The office's clock when the receipt arrived."""


# --- resident verification ("only who should"; docs/resident-verification.md): new tables only ---


class Household(Base):
    """A flat whose residents can prove who they are at a kiosk: its card (a signed QR code) or a phone, with the
    household's PIN. The PIN is kept only as an Argon2id hash; the card key signs the card's QR code."""

    __tablename__ = "households"
    __table_args__ = (_AUTOINCREMENT,)
    id: Mapped[int] = mapped_column(primary_key=True)
    flat: Mapped[str] = mapped_column(String(40), unique=True)
    """As the office writes it, e.g. ``3-502`` (building 3, flat 502)."""
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    """``None`` until a PIN is set: such a household cannot be verified yet."""
    card_id: Mapped[str] = mapped_column(String(40), unique=True)
    """Random, printed in the card's QR code; a reissued card gets a new one (the old card stops working)."""
    card_key: Mapped[str] = mapped_column(String(64))
    """The household's own HMAC key for its card's signature (never leaves the office)."""
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class HouseholdPhone(Base):
    """A phone number of a household (digits only); a number belongs to one household at most."""

    __tablename__ = "household_phones"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)


class VerificationLock(Base):
    """Wrong PINs counted against one key (``phone:…``, ``household:…``, ``kiosk:…``, ``address:…``) and its
    lockout. In the database, so neither a new conversation nor a restart resets it."""

    __tablename__ = "verification_locks"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    """Lockouts since ``first_lockout_at``; at the limit the key stays locked until the office unlocks it."""
    first_lockout_at: Mapped[datetime | None] = mapped_column(DateTime)


class ResidentToken(Base):
    """A household verified at a kiosk: the token's SHA-256, for whom, where, until when."""

    __tablename__ = "resident_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    kiosk_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
