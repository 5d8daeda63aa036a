"""Seeding: turn Sunny Garden (``seed_data.py``) into database rows, with dates relative to ``today``.

* clinic slots: ``SLOT_MINUTES`` each, for ``today`` and the following 13 days, following each doctor's
  days and sessions;
* recurring events (Tai Chi, calligraphy, smartphone help, singing) for the same 14 days;
* one-off events and notices on days said relative to today: "next Thursday" / "next Monday" = the
  first such day *after* today; "Saturday after next" = a week after next Saturday; "first Sunday of
  next month" as written;
* notices become announcements valid from a few days before ``today`` until the affected day is over;
* opening hours and doctors' schedules are also said in words (``hours_text``, ``schedule_text``).

``seed()`` fills an empty database; ``top_up()`` (run at every later start) adds the slots and recurring
events that have come into the 14-day window since, so a long-running demo never runs dry.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import content, households, models
from .seed_data import (
    AFTERNOON,
    ALWAYS,
    BUILDINGS,
    CLINIC_HOURS,
    DAY_TRIP,
    DEMO_HOUSEHOLD,
    DEPARTMENTS,
    EVERY_DAY,
    FACILITIES,
    FRI,
    HEALTH_TALK,
    MON,
    MORNING,
    NOTICES,
    ONE_OFF_EVENTS,
    RECURRING_EVENTS,
    SAT,
    SLOT_MINUTES,
    SUN,
    THU,
    TUE,
    WED,
    WEEKDAYS,
    DepartmentPlan,
    DoctorPlan,
    EventPlan,
    RelativeDay,
)

__all__ = [
    "AFTERNOON",
    "ALWAYS",
    "CLINIC_HOURS",
    "DAY_ABBR",
    "DAY_NAMES",
    "DAY_TRIP",
    "DEPARTMENTS",
    "EVERY_DAY",
    "FACILITIES",
    "FRI",
    "HEALTH_TALK",
    "MON",
    "MORNING",
    "RECURRING_EVENTS",
    "SAT",
    "SLOT_MINUTES",
    "SUN",
    "THU",
    "TUE",
    "WED",
    "WEEKDAYS",
    "WINDOW_DAYS",
    "DepartmentPlan",
    "DoctorPlan",
    "EventPlan",
    "announcement_rows",
    "facility_rows",
    "first_weekday_of_next_month",
    "is_empty",
    "next_weekday",
    "date_of",
    "one_off_events",
    "parse_days",
    "schedule_text",
    "seed",
    "seed_or_top_up",
    "spoken_date",
    "spoken_days",
    "spoken_hours",
    "spoken_time",
    "top_up",
]

WINDOW_DAYS = 14
"""Slots and recurring events exist for today and the next 13 days."""

DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- speaking times and days ------------------------------------------------------------------


def spoken_time(hhmm: str) -> str:
    """``"08:30"`` -> ``"8:30 am"``, ``"12:00"`` -> ``"12 noon"``, ``"24:00"`` -> ``"midnight"``."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    if minute == 0 and hour in (0, 24):
        return "midnight"
    if minute == 0 and hour == 12:
        return "12 noon"
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour % 12 or 12
    return f"{hour12} {suffix}" if minute == 0 else f"{hour12}:{minute:02d} {suffix}"


def parse_days(days: str) -> list[int]:
    """``"Mon-Sat"`` -> ``[0..5]``, ``"Sat"`` -> ``[5]``, ``"Mon,Wed"`` -> ``[0, 2]``."""
    result: list[int] = []
    for part in days.split(","):
        first, _, last = part.strip().partition("-")
        start = DAY_ABBR.index(first)
        end = DAY_ABBR.index(last) if last else start
        result.extend(range(start, end + 1))
    return result


def spoken_days(weekdays: list[int] | tuple[int, ...]) -> str:
    """``[0..4]`` -> ``"Monday to Friday"``, ``[0, 2, 4]`` -> ``"Monday, Wednesday and Friday"``."""
    days = sorted(set(weekdays))
    if len(days) == 7:
        return "every day"
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    names = [DAY_NAMES[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def spoken_hours(hours: list[dict[str, str]]) -> str:
    """Opening hours as a sentence, e.g. ``"Tuesday to Sunday, 9 am to 8 pm. Closed on Mondays."``."""
    if not hours:
        return ""
    if all(h["opens"] == "00:00" and h["closes"] == "24:00" for h in hours):
        return "Open 24 hours."
    groups: dict[str, list[str]] = {}
    for h in hours:
        groups.setdefault(h["days"], []).append(f"{spoken_time(h['opens'])} to {spoken_time(h['closes'])}")
    parts = [f"{spoken_days(parse_days(days))}, {' and '.join(windows)}" for days, windows in groups.items()]
    sentence = "; ".join(parts)
    sentence = sentence[0].upper() + sentence[1:] + "."
    open_days = {d for h in hours for d in parse_days(h["days"])}
    closed = [DAY_NAMES[d] + "s" for d in range(7) if d not in open_days]
    if closed:
        closed_text = closed[0] if len(closed) == 1 else ", ".join(closed[:-1]) + " and " + closed[-1]
        sentence += f" Closed on {closed_text}."
    return sentence


def spoken_date(day: date) -> str:
    """``"Thursday 26 November"``."""
    return f"{DAY_NAMES[day.weekday()]} {day.day} {day.strftime('%B')}"


def next_weekday(today: date, weekday: int) -> date:
    """The first ``weekday`` strictly after ``today``."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def first_weekday_of_next_month(today: date, weekday: int) -> date:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def _at(day: date, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute))


def date_of(when: RelativeDay, today: date) -> date:
    """The date of ``when``: next Thursday, Saturday after next, first Sunday of next month, ..."""
    first = first_weekday_of_next_month if when.of_next_month else next_weekday
    return first(today, when.weekday) + timedelta(weeks=when.weeks_later)


# --- facilities -------------------------------------------------------------------------------


def facility_rows() -> list[dict[str, Any]]:
    rows = [*FACILITIES, *BUILDINGS]
    return [{**row, "hours_text": row.get("hours_text") or spoken_hours(row["hours"])} for row in rows]


# --- clinic -----------------------------------------------------------------------------------


def schedule_text(plan: DepartmentPlan) -> str:
    """``"Dr. Li: Tuesday and Thursday mornings, 8 am to 12 noon."``, one sentence per doctor."""
    sentences = []
    for doctor in plan.doctors:
        windows = " and ".join(f"{spoken_time(a)} to {spoken_time(b)}" for a, b in doctor.sessions)
        days = spoken_days(doctor.weekdays)
        when = f"{days} mornings, {windows}" if doctor.sessions == (MORNING,) else f"{days}, {windows}"
        sentences.append(f"{doctor.name}: {when}.")
    return " ".join(sentences)


def _slot_times(schedule: dict[str, Any], day: date) -> list[tuple[datetime, datetime]]:
    if day.weekday() not in schedule["weekdays"]:
        return []
    out: list[tuple[datetime, datetime]] = []
    for opens, closes in schedule["sessions"]:
        start, end = _at(day, opens), _at(day, closes)
        while start + timedelta(minutes=SLOT_MINUTES) <= end:
            out.append((start, start + timedelta(minutes=SLOT_MINUTES)))
            start += timedelta(minutes=SLOT_MINUTES)
    return out


def _add_slots(session: Session, today: date) -> int:
    window_start = _at(today, "00:00")
    window_end = window_start + timedelta(days=WINDOW_DAYS)
    rows = session.execute(
        select(models.Slot.doctor_id, models.Slot.start).where(
            models.Slot.start >= window_start, models.Slot.start < window_end
        )
    )
    existing = {(row[0], row[1]) for row in rows}
    added = 0
    for doctor in session.scalars(select(models.Doctor).order_by(models.Doctor.id)):
        for offset in range(WINDOW_DAYS):
            for start, end in _slot_times(doctor.schedule, today + timedelta(days=offset)):
                if (doctor.id, start) in existing:
                    continue
                session.add(models.Slot(department_id=doctor.department_id, doctor_id=doctor.id, start=start, end=end))
                added += 1
    return added


# --- events -----------------------------------------------------------------------------------


def one_off_events(today: date) -> list[tuple[EventPlan, date]]:
    """The health talk is "next Thursday"; the day trip is "Saturday after next"."""
    return [(plan, date_of(when, today)) for plan, when in ONE_OFF_EVENTS]


def _event_row(plan: EventPlan, day: date) -> models.Event:
    return models.Event(
        slug=f"{plan.series}-{day.isoformat()}",
        series=plan.series,
        title=plan.title,
        place=plan.place,
        start=_at(day, plan.starts),
        end=_at(day, plan.ends) if plan.ends else None,
        signup_required=plan.signup_required,
        capacity=plan.capacity,
        registered=0,
        description=plan.description,
        keywords=list(plan.keywords),
    )


def _add_recurring_events(session: Session, today: date) -> int:
    existing = set(session.scalars(select(models.Event.slug)))
    added = 0
    for offset in range(WINDOW_DAYS):
        day = today + timedelta(days=offset)
        for plan in RECURRING_EVENTS:
            if day.weekday() in plan.weekdays and f"{plan.series}-{day.isoformat()}" not in existing:
                session.add(_event_row(plan, day))
                added += 1
    return added


# --- announcements ----------------------------------------------------------------------------


def announcement_rows(today: date) -> list[models.Announcement]:
    """The notices, oldest first; each is valid from a few days ago until its day is over."""
    midnight = _at(today, "00:00")
    rows = []
    for notice in NOTICES:
        body, valid_until = notice.body, None
        if notice.day is not None:
            day = date_of(notice.day, today)
            body = notice.body.format(day=spoken_date(day))
            valid_until = _at(day, notice.until) if notice.until else _at(day, "00:00") + timedelta(days=1)
        valid_from = midnight - timedelta(days=notice.shown_days_before)
        row = models.Announcement(title=notice.title, body=body, valid_from=valid_from, valid_until=valid_until)
        row.texts = _notice_texts(notice.key, date_of(notice.day, today) if notice.day else None)
        rows.append(row)
    return rows


def _notice_texts(key: str, day: date | None) -> list[models.AnnouncementText]:
    """The notice in every language with content for it, its day said as that language says days."""
    texts = []
    for lang in content.available()[1:]:
        words = content.notice(key, lang) if key else {}
        if not words.get("title") or not words.get("body"):
            continue
        spoken = content.spoken_date(day, lang) if day else None
        body = str(words["body"]).format(day=spoken or (spoken_date(day) if day else ""))
        texts.append(models.AnnouncementText(lang=lang, title=words["title"], body=body))
    return texts


# --- entry points -----------------------------------------------------------------------------


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(models.Facility)) and not session.scalar(
        select(func.count()).select_from(models.Meta)
    )


def seed(session: Session, today: date | None = None) -> None:
    """Fill an empty database with Sunny Garden. The caller commits."""
    today = today or date.today()
    for position, row in enumerate(facility_rows()):
        session.add(models.Facility(position=position, **row))
    for position, plan in enumerate(DEPARTMENTS):
        department = models.Department(
            slug=plan.slug,
            name=plan.name,
            name_zh=plan.name_zh,
            aliases=list(plan.aliases),
            schedule_text=schedule_text(plan),
            position=position,
        )
        session.add(department)
        for doctor_position, doctor in enumerate(plan.doctors):
            session.add(
                models.Doctor(
                    department=department,
                    name=doctor.name,
                    schedule={"weekdays": list(doctor.weekdays), "sessions": [list(s) for s in doctor.sessions]},
                    position=doctor_position,
                )
            )
    session.flush()
    _add_slots(session, today)
    for event_plan, day in one_off_events(today):
        session.add(_event_row(event_plan, day))
    _add_recurring_events(session, today)
    session.add_all(announcement_rows(today))
    flat, phones, pin = DEMO_HOUSEHOLD
    demo = households.add_household(session, flat, list(phones), datetime.combine(today, time()))
    households.set_pin(session, demo, pin, datetime.combine(today, time()))
    session.add(models.Meta(key="seeded_on", value=today.isoformat()))


def top_up(session: Session, today: date | None = None) -> int:
    """Add clinic slots and recurring events that are now inside the window. The caller commits."""
    today = today or date.today()
    return _add_slots(session, today) + _add_recurring_events(session, today)


def seed_or_top_up(session: Session, today: date | None = None) -> str:
    """Seed an empty database, or top up one this module seeded; commits. Returns what it did."""
    if is_empty(session):
        seed(session, today)
        session.commit()
        return "seeded"
    if session.get(models.Meta, "seeded_on") is not None:
        added = top_up(session, today)
        session.commit()
        return f"topped up ({added} new slots and events)"
    return "left as is"
