"""The notices desk: staff-written notices (valid from/until, buildings, ordinary or urgent) and the urgent ones
kiosks must show (``docs/notices.md``).

A notice is an ``announcements`` row (what ``ask_announcements`` reads) with a ``notice_details`` side row for the
rest; a notice without one (the seeded ones) is ordinary and for every building. Withdrawing ends its validity
now. Functions take a session; the write functions do not commit (the console audits in the same commit), except
:func:`record_receipt`, which is the kiosk's own write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import models, schemas
from .desk_errors import NotAllowed, Unknown

MAX_TITLE = 200
MAX_BODY = 1000
KINDS: tuple[str, ...] = ("fire", "gas", "water", "lift", "other")
KIND_WORDS = {"fire": "Fire", "gas": "Gas leak", "water": "Water cut", "lift": "Lift failure", "other": "Other"}
URGENCIES: tuple[str, ...] = ("ordinary", "urgent")
State = Literal["current", "upcoming", "past"]
PAST_SHOWN = 50
"""The past list shows the newest 50."""


@dataclass(frozen=True)
class NoticeInput:
    """A notice as staff wrote it, checked (see :func:`parse_form`)."""

    title: str
    body: str
    valid_from: datetime
    valid_until: datetime | None
    buildings: tuple[str, ...]
    """Sorted by number; empty: every building."""
    urgency: str
    kind: str | None
    title_zh: str = ""
    body_zh: str = ""
    """The notice in Chinese, when staff wrote it too (optional: without it residents get the English)."""

    @property
    def urgent(self) -> bool:
        return self.urgency == "urgent"

    def in_force(self, now: datetime) -> bool:
        return self.valid_from <= now and (self.valid_until is None or self.valid_until > now)

    def as_audit(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None,
                "buildings": list(self.buildings), "urgency": self.urgency, "kind": self.kind}


@dataclass(frozen=True)
class NoticeRecord:
    """A notice as the console shows it."""

    id: int
    title: str
    body: str
    valid_from: datetime
    valid_until: datetime | None
    buildings: tuple[str, ...]
    urgency: str
    kind: str | None
    revision: int
    created_by: str | None
    """``None`` for a seeded notice (nobody wrote it in the console)."""
    updated_by: str | None
    updated_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    state: State

    @property
    def urgent(self) -> bool:
        return self.urgency == "urgent"

    @property
    def safety(self) -> bool:
        return self.urgent and self.kind in schemas.SAFETY_KINDS

    @property
    def kind_words(self) -> str:
        return KIND_WORDS.get(self.kind or "", "")

    @property
    def buildings_words(self) -> str:
        if not self.buildings:
            return "All buildings"
        return ("Building " if len(self.buildings) == 1 else "Buildings ") + ", ".join(self.buildings)

    def as_input(self) -> NoticeInput:
        return NoticeInput(self.title, self.body, self.valid_from, self.valid_until, self.buildings, self.urgency,
                           self.kind)


def _state(valid_from: datetime, valid_until: datetime | None, now: datetime) -> State:
    if valid_until is not None and valid_until <= now:
        return "past"
    return "upcoming" if valid_from > now else "current"


def _record(row: models.Announcement, details: models.NoticeDetails | None, now: datetime) -> NoticeRecord:
    return NoticeRecord(
        id=row.id, title=row.title, body=row.body, valid_from=row.valid_from, valid_until=row.valid_until,
        buildings=tuple(details.buildings) if details else (), urgency=details.urgency if details else "ordinary",
        kind=details.kind if details else None, revision=details.revision if details else 1,
        created_by=details.created_by if details else None, updated_by=details.updated_by if details else None,
        updated_at=details.updated_at if details else None, withdrawn_by=details.withdrawn_by if details else None,
        withdrawn_at=details.withdrawn_at if details else None, state=_state(row.valid_from, row.valid_until, now),
    )


# --- reading the forms ---


def _when(text: str, label: str, errors: list[str]) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        errors.append(f"{label}: write a date and time like 2026-03-02 14:30.")
        return None


def sort_buildings(buildings: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(buildings), key=int))


def parse_form(form: Mapping[str, Any], now: datetime) -> tuple[NoticeInput | None, list[str]]:
    """Check a notice form (``title``, ``body``, ``valid_from``, ``valid_until``, ``for`` = ``all``/``some``,
    ``buildings`` (a list), ``urgency``, ``kind``). Returns the notice or the problems, in plain sentences."""
    errors: list[str] = []
    title = schemas.clean_text(str(form.get("title", "")))
    body = schemas.clean_text(str(form.get("body", "")), multiline=True)
    if not title:
        errors.append("Write a title.")
    elif len(title) > MAX_TITLE:
        errors.append(f"The title is {len(title)} characters long; at most {MAX_TITLE}.")
    if not body:
        errors.append("Write the notice itself.")
    elif len(body) > MAX_BODY:
        errors.append(f"The notice is {len(body)} characters long; at most {MAX_BODY}.")
    valid_from = _when(str(form.get("valid_from", "")), "Valid from", errors) or now.replace(second=0,
                                                                                           microsecond=0)
    valid_until = _when(str(form.get("valid_until", "")), "Valid until", errors)
    if valid_until is not None and valid_until <= valid_from:
        errors.append("“Valid until” must be after “valid from”.")
    chosen = form.get("buildings") or []
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    buildings: tuple[str, ...] = ()
    if form.get("for", "all") == "some":
        unknown = [b for b in chosen if b not in schemas.BUILDING_NUMBERS]
        if unknown or not chosen:
            errors.append("Choose at least one building (1 to 12), or “all buildings”.")
        else:
            buildings = sort_buildings(chosen)
    urgency = str(form.get("urgency", "ordinary"))
    if urgency not in URGENCIES:
        errors.append("Choose ordinary or urgent.")
    kind = str(form.get("kind", "")) or None
    if urgency == "urgent":
        if kind not in KINDS:
            errors.append("An urgent notice needs a kind: fire, gas, water cut, lift failure or other.")
    else:
        kind = None
    if errors:
        return None, errors
    title_zh = schemas.clean_text(str(form.get("title_zh", "")))
    body_zh = schemas.clean_text(str(form.get("body_zh", "")), multiline=True)
    if bool(title_zh) != bool(body_zh):
        return None, ["Write both the Chinese title and the Chinese notice, or neither."]
    if len(title_zh) > MAX_TITLE or len(body_zh) > MAX_BODY:
        return None, [f"The Chinese title is at most {MAX_TITLE} characters, the notice at most {MAX_BODY}."]
    return NoticeInput(title, body, valid_from, valid_until, buildings, urgency, kind, title_zh, body_zh), []


# --- the console's lists and one notice ---


def _rows(session: Session) -> list[tuple[models.Announcement, models.NoticeDetails | None]]:
    query = (select(models.Announcement, models.NoticeDetails)
             .outerjoin(models.NoticeDetails, models.NoticeDetails.announcement_id == models.Announcement.id))
    return [(a, d) for a, d in session.execute(query).all()]


def notice_lists(session: Session, now: datetime) -> dict[State, list[NoticeRecord]]:
    """Current (urgent first, newest first), upcoming (soonest first), past (newest 50, latest ended first)."""
    records = [_record(a, d, now) for a, d in _rows(session)]
    current = sorted((r for r in records if r.state == "current"),
                     key=lambda r: (not r.urgent, -r.valid_from.timestamp(), -r.id))
    upcoming = sorted((r for r in records if r.state == "upcoming"), key=lambda r: (r.valid_from, r.id))
    past = sorted((r for r in records if r.state == "past"),
                  key=lambda r: (-(r.valid_until or now).timestamp(), -r.id))[:PAST_SHOWN]
    return {"current": current, "upcoming": upcoming, "past": past}


def notice_record(session: Session, notice_id: int, now: datetime) -> NoticeRecord:
    row = session.get(models.Announcement, notice_id)
    if row is None:
        raise Unknown("There is no notice with that number.")
    return _record(row, session.get(models.NoticeDetails, notice_id), now)


def _texts(notice: NoticeInput) -> list[models.AnnouncementText]:
    if not notice.title_zh:
        return []
    return [models.AnnouncementText(lang="zh-CN", title=notice.title_zh, body=notice.body_zh)]


def create_notice(session: Session, notice: NoticeInput, staff_name: str, now: datetime) -> int:
    """Add the notice (not committed); returns its id."""
    row = models.Announcement(title=notice.title, body=notice.body, valid_from=notice.valid_from,
                              valid_until=notice.valid_until)
    row.texts = _texts(notice)
    session.add(row)
    session.flush()
    session.add(models.NoticeDetails(announcement_id=row.id, buildings=list(notice.buildings),
                                     urgency=notice.urgency, kind=notice.kind, revision=1, created_by=staff_name,
                                     created_at=now, updated_by=staff_name, updated_at=now))
    return row.id


def update_notice(session: Session, notice_id: int, notice: NoticeInput, staff_name: str, now: datetime) -> None:
    """Change the notice (not committed); a withdrawn notice cannot be changed."""
    row = session.get(models.Announcement, notice_id)
    if row is None:
        raise Unknown("There is no notice with that number.")
    details = session.get(models.NoticeDetails, notice_id)
    if details is not None and details.withdrawn_at is not None:
        raise NotAllowed("This notice was withdrawn; write a new one instead.")
    row.title, row.body = notice.title, notice.body
    row.texts = _texts(notice)  # an edit without Chinese drops the old Chinese: stale words would mislead
    row.valid_from, row.valid_until = notice.valid_from, notice.valid_until
    if details is None:  # a seeded notice, changed in the console for the first time
        details = models.NoticeDetails(announcement_id=notice_id, revision=0, created_by=staff_name, created_at=now)
        session.add(details)
    details.buildings = list(notice.buildings)
    details.urgency, details.kind = notice.urgency, notice.kind
    details.revision = (details.revision or 0) + 1
    details.updated_by, details.updated_at = staff_name, now


def withdraw_notice(session: Session, notice_id: int, staff_name: str, now: datetime) -> None:
    """End the notice now (not committed). A notice already over cannot be withdrawn."""
    row = session.get(models.Announcement, notice_id)
    if row is None:
        raise Unknown("There is no notice with that number.")
    details = session.get(models.NoticeDetails, notice_id)
    if _state(row.valid_from, row.valid_until, now) == "past":
        raise NotAllowed("This notice is already over.")
    if details is None:
        details = models.NoticeDetails(announcement_id=notice_id, buildings=[], urgency="ordinary", revision=1,
                                       created_by=staff_name, created_at=now, updated_by=staff_name, updated_at=now)
        session.add(details)
    if row.valid_from > now:  # an upcoming notice: it never starts (valid_until must stay after valid_from)
        row.valid_from = now - timedelta(seconds=1)
    row.valid_until = now
    details.withdrawn_by, details.withdrawn_at = staff_name, now


# --- what kiosks read ---


def _in_force(now: datetime) -> Any:
    return (models.Announcement.valid_from <= now) & or_(models.Announcement.valid_until.is_(None),
                                                         models.Announcement.valid_until > now)


def _for_buildings(details: models.NoticeDetails | None, buildings: Iterable[str]) -> bool:
    """A notice for every building, or for one of ``buildings``; ``buildings`` empty means the whole community."""
    wanted = set(buildings)
    return details is None or not details.buildings or not wanted or bool(wanted & set(details.buildings))


def current_announcements(session: Session, now: datetime, buildings: Iterable[str] = (),
                          lang: str = "en") -> list[schemas.Announcement]:
    """The notices in force, newest first, for ``buildings`` (and those for every building); all without.

    In ``lang`` where the notice has a text in it, else in English."""
    query = (select(models.Announcement, models.NoticeDetails)
             .outerjoin(models.NoticeDetails, models.NoticeDetails.announcement_id == models.Announcement.id)
             .where(_in_force(now))
             .order_by(models.Announcement.valid_from.desc(), models.Announcement.id.desc()))
    wanted = tuple(buildings)
    found = []
    for row, details in session.execute(query).all():
        if not _for_buildings(details, wanted):
            continue
        urgent = details is not None and details.urgency == "urgent"
        words = _text(row, lang)
        found.append(schemas.Announcement.model_validate({
            "id": row.id, "title": words.title, "body": words.body, "valid_from": row.valid_from,
            "valid_until": row.valid_until, "buildings": list(details.buildings) if details else [], "urgent": urgent,
            "kind": details.kind if urgent and details is not None else None}))
    return found


def _text(row: models.Announcement, lang: str) -> models.Announcement | models.AnnouncementText:
    """The notice's words in ``lang`` if it has them, else the English."""
    return next((text for text in row.texts if text.lang == lang), row)


def active_broadcasts(session: Session, now: datetime, buildings: Iterable[str] = (),
                      lang: str = "en") -> list[schemas.Broadcast]:
    """Urgent notices in force for ``buildings`` or for every building (a kiosk naming none gets them all), in
    ``lang`` where staff wrote it in that language too."""
    query = (select(models.Announcement, models.NoticeDetails)
             .join(models.NoticeDetails, models.NoticeDetails.announcement_id == models.Announcement.id)
             .where(_in_force(now), models.NoticeDetails.urgency == "urgent",
                    models.NoticeDetails.withdrawn_at.is_(None))
             .order_by(models.Announcement.valid_from, models.Announcement.id))
    wanted = tuple(buildings)
    return [schemas.Broadcast.model_validate({
        "id": row.id, "revision": details.revision, "title": _text(row, lang).title, "body": _text(row, lang).body,
        "kind": details.kind or "other", "safety": details.kind in schemas.SAFETY_KINDS,
        "buildings": list(details.buildings), "valid_from": row.valid_from, "valid_until": row.valid_until})
        for row, details in session.execute(query).all() if _for_buildings(details, wanted)]


def _receipt(row: models.NoticeReceipt) -> schemas.Receipt:
    return schemas.Receipt(notice_id=row.announcement_id, revision=row.revision, kiosk_id=row.kiosk_id,
                           shown_at=row.shown_at, received_at=row.received_at)


def record_receipt(session: Session, notice_id: int, receipt: schemas.ReceiptIn,
                   now: datetime) -> tuple[schemas.Receipt, bool]:
    """Store that a kiosk showed an urgent notice; commits. Returns the receipt and whether it is new (a repeat
    returns the first one unchanged). ``Unknown`` when there is no such urgent notice."""
    details = session.get(models.NoticeDetails, notice_id)
    if details is None or details.urgency != "urgent":
        raise Unknown("There is no urgent notice with that number.")
    where = (models.NoticeReceipt.announcement_id == notice_id, models.NoticeReceipt.revision == receipt.revision,
             models.NoticeReceipt.kiosk_id == receipt.kiosk_id)
    existing = session.scalars(select(models.NoticeReceipt).where(*where)).first()
    if existing is not None:
        return _receipt(existing), False
    shown_at = receipt.shown_at
    if shown_at.tzinfo is not None:  # an aware time: the office's local time
        shown_at = shown_at.astimezone().replace(tzinfo=None)
    row = models.NoticeReceipt(announcement_id=notice_id, revision=receipt.revision, kiosk_id=receipt.kiosk_id,
                               shown_at=shown_at, received_at=now)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same receipt twice at once: the other one is stored
        session.rollback()
        return _receipt(session.scalars(select(models.NoticeReceipt).where(*where)).one()), False
    return _receipt(row), True


@dataclass(frozen=True)
class KioskShown:
    """One kiosk on an urgent notice's page."""

    kiosk_id: str
    location: str
    shown_at: datetime | None
    """``None``: not yet."""
    concerned: bool | None
    """Whether the notice is for this kiosk's buildings; ``None`` when the office has not heard which they are."""


def kiosks_shown(session: Session, notice: NoticeRecord, kiosk_buildings: Mapping[str, tuple[str, ...]]
                 ) -> list[KioskShown]:
    """Every known kiosk (heartbeats and receipts) and when it showed ``notice``'s current revision."""
    receipts = {r.kiosk_id: r.shown_at for r in session.scalars(
        select(models.NoticeReceipt).where(models.NoticeReceipt.announcement_id == notice.id,
                                           models.NoticeReceipt.revision == notice.revision))}
    locations = {k.kiosk_id: k.location for k in session.scalars(select(models.KioskHeartbeat))}
    rows = []
    for kiosk_id in sorted(set(locations) | set(receipts), key=str.casefold):
        served = kiosk_buildings.get(kiosk_id)
        concerned = None if served is None else (not notice.buildings or not served
                                                 or bool(set(served) & set(notice.buildings)))
        rows.append(KioskShown(kiosk_id, locations.get(kiosk_id, ""), receipts.get(kiosk_id), concerned))
    return rows
