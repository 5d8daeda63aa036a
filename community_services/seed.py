"""Seed data: the demo community "Sunny Garden" (阳光花园社区).

Source of the facts: ``/work/shared/data/community/README.md`` (names, hours, places, doctors, events,
notices; kept word for word where the README gives them). Dates are relative to ``today``:

* clinic slots: 20 minutes each, for ``today`` and the following 13 days, following each doctor's days
  ("weekday mornings unless noted" = 08:00-12:00; Dr. Chen also 14:00-17:00 on Mon/Wed/Fri);
* recurring events (Tai Chi, calligraphy, smartphone help, singing) for the same 14 days;
* "next Thursday" / "next Monday" = the first such day *after* today; "Saturday after next" = a week
  after next Saturday; "first Sunday of next month" as written;
* notices become announcements valid from a few days before ``today`` until the affected day is over.

Assumptions where the README is silent (documented in the seed, and said nowhere as facts):
buildings are numbered from north to south (1-6 on the west side, 7-12 on the east side) - the
directions only use the side of Garden Lane, never "the third building"; event end times are ``None``
except Tai Chi (07:00-08:00); the canteen's meal times apply every day; the Chinese names of the Central
Garden, the gates, the buildings and the clinic departments are ordinary translations.

``seed()`` fills an empty database; ``top_up()`` (run at every later start) adds the slots and recurring
events that have come into the 14-day window since, so a long-running demo never runs dry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import models

WINDOW_DAYS = 14
"""Slots and recurring events exist for today and the next 13 days."""
SLOT_MINUTES = 20

DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
EVERY_DAY = (MON, TUE, WED, THU, FRI, SAT, SUN)
WEEKDAYS = (MON, TUE, WED, THU, FRI)

MORNING = ("08:00", "12:00")
AFTERNOON = ("14:00", "17:00")
CLINIC_HOURS = (("Mon-Fri", "08:00", "17:00"), ("Sat", "08:00", "12:00"))


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


# --- facilities -------------------------------------------------------------------------------

_WALK_SOUTH = "Leave the Service Centre and walk south along Garden Lane."


def _hours(*entries: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"days": days, "opens": opens, "closes": closes} for days, opens, closes in entries]


ALWAYS = _hours(("Mon-Sun", "00:00", "24:00"))

FACILITIES: list[dict[str, Any]] = [
    {
        "slug": "community-service-centre",
        "name": "Community Service Centre",
        "name_zh": "社区服务中心",
        "kind": "service",
        "aliases": [
            "service centre",
            "service center",
            "community centre",
            "community center",
            "service centre hall",
            "hall",
            "服务中心",
        ],
        "location": "Just inside the North Gate. This kiosk is in its lobby.",
        "directions": "You are in it now. This lobby is the ground floor of the Community Service Centre.",
        "hours": _hours(("Mon-Sat", "08:30", "17:30")),
        "notes": "The Property Management Office and the Elderly Activity Room are on the ground floor; "
        "the Library is on the first floor.",
    },
    {
        "slug": "property-management-office",
        "name": "Property Management Office",
        "name_zh": "物业办公室",
        "kind": "office",
        "aliases": [
            "property management",
            "property office",
            "management office",
            "property",
            "repair office",
            "repairs",
            "物业",
        ],
        "location": "Ground floor of the Community Service Centre.",
        "directions": "It is here on the ground floor of the Service Centre, off this lobby.",
        "hours": _hours(("Mon-Sun", "08:00", "18:00")),
        "notes": "The repair hotline is open 24 hours. Book free pick-up of large items here.",
    },
    {
        "slug": "library",
        "name": "Library and Reading Room",
        "name_zh": "图书室",
        "kind": "library",
        "aliases": ["library", "reading room", "books", "图书馆", "阅览室"],
        "location": "First floor of the Community Service Centre.",
        "directions": "Go up one floor by the stairs or the Service Centre lift. "
        "The Library entrance is on the first floor.",
        "hours": _hours(("Tue-Sun", "09:00", "20:00")),
        "notes": "Closed on Mondays.",
    },
    {
        "slug": "elderly-activity-room",
        "name": "Elderly Activity Room",
        "name_zh": "老年活动室",
        "kind": "activity",
        "aliases": ["activity room", "seniors room", "elderly room", "活动室"],
        "location": "Ground floor of the Community Service Centre.",
        "directions": "It is here on the ground floor of the Service Centre, off this lobby.",
        "hours": _hours(("Mon-Sun", "08:00", "21:00")),
        "notes": None,
    },
    {
        "slug": "community-clinic",
        "name": "Community Clinic",
        "name_zh": "社区卫生服务站",
        "kind": "clinic",
        "aliases": [
            "clinic",
            "doctor",
            "health centre",
            "health center",
            "health station",
            "medical centre",
            "卫生站",
            "卫生服务站",
            "诊所",
        ],
        "location": "West side of Garden Lane, next to Building 2.",
        "directions": f"{_WALK_SOUTH} The clinic is on your right, on the west side, next to Building 2.",
        "hours": _hours(*CLINIC_HOURS),
        "notes": "Departments: General Practice, Dental, Eye, Physiotherapy and Traditional Chinese "
        "Medicine. Appointments are in 20-minute slots.",
    },
    {
        "slug": "garbage-station",
        "name": "Garbage Station",
        "name_zh": "垃圾分类站",
        "kind": "waste",
        "aliases": [
            "garbage",
            "rubbish",
            "trash",
            "waste",
            "recycling",
            "bins",
            "garbage sorting",
            "hazardous waste",
            "垃圾站",
            "垃圾",
        ],
        "location": "East side, behind Building 10.",
        "directions": f"{_WALK_SOUTH} Building 10 is on your left, on the east side. The garbage station is behind it.",
        "hours": _hours(("Mon-Sun", "07:00", "09:00"), ("Mon-Sun", "18:00", "20:00")),
        "hours_text": "Collection every day, 7 am to 9 am and 6 pm to 8 pm. The hazardous waste bin is open any time.",
        "notes": "Four bins: recyclables blue, hazardous waste red, kitchen waste brown, residual waste "
        "grey. For large items, book a free pick-up at the Property Management Office.",
    },
    {
        "slug": "parcel-lockers",
        "name": "Parcel Lockers",
        "name_zh": "快递柜",
        "kind": "parcels",
        "aliases": ["parcel locker", "lockers", "parcels", "packages", "express lockers", "delivery lockers", "快递"],
        "location": "By the North Gate and by the South Gate.",
        "directions": "The nearest lockers are by the North Gate, just outside the Service Centre. "
        "There are more by the South Gate, at the far end of Garden Lane.",
        "hours": ALWAYS,
        "notes": None,
    },
    {
        "slug": "fitness-corner",
        "name": "Fitness Corner",
        "name_zh": "健身角",
        "kind": "fitness",
        "aliases": ["fitness", "exercise equipment", "exercise machines", "gym", "健身"],
        "location": "In the Central Garden, halfway along Garden Lane.",
        "directions": f"{_WALK_SOUTH} After about 200 metres, halfway to the South Gate, you reach the "
        "Central Garden. The Fitness Corner is there.",
        "hours": [],
        "hours_text": "Open air, lit until 10 pm.",
        "notes": None,
    },
    {
        "slug": "seniors-canteen",
        "name": "Community Canteen for Seniors",
        "name_zh": "长者食堂",
        "kind": "canteen",
        "aliases": ["canteen", "seniors canteen", "dining hall", "lunch", "dinner", "meals", "食堂"],
        "location": "Ground floor of Building 6.",
        "directions": f"{_WALK_SOUTH} Building 6 is on your right, on the west side. "
        "The canteen is on its ground floor.",
        "hours": _hours(("Mon-Sun", "11:00", "13:00"), ("Mon-Sun", "17:00", "18:30")),
        "hours_text": "Lunch 11 am to 1 pm, dinner 5 pm to 6:30 pm.",
        "notes": "Residents over 70 pay half price.",
    },
    {
        "slug": "police-office",
        "name": "Community Police Office",
        "name_zh": "警务室",
        "kind": "police",
        "aliases": ["police", "police office", "police station", "police post", "警察"],
        "location": "Beside the North Gate.",
        "directions": "Go out towards the North Gate, just outside the Service Centre. "
        "The police office is beside the gate.",
        "hours": ALWAYS,
        "notes": "Staffed 24 hours.",
    },
    {
        "slug": "central-garden",
        "name": "Central Garden",
        "name_zh": "中心花园",
        "kind": "garden",
        "aliases": ["garden", "square", "pavilion", "central square", "花园", "广场"],
        "location": "Halfway along Garden Lane, with the square and the pavilion.",
        "directions": f"{_WALK_SOUTH} After about 200 metres you reach the Central Garden. "
        "The square has a ramp on the east side and three steps on the west side.",
        "hours": [],
        "hours_text": "Open air, no set hours.",
        "notes": "Square dancing must end by 9 pm.",
    },
    {
        "slug": "north-gate",
        "name": "North Gate",
        "name_zh": "北门",
        "kind": "gate",
        "aliases": ["main gate", "front gate", "main entrance", "north entrance"],
        "location": "North end of Garden Lane, beside the Community Service Centre.",
        "directions": "The North Gate is just outside the Service Centre.",
        "hours": ALWAYS,
        "notes": "The main gate, for pedestrians and cars, staffed 24 hours. "
        "Parcel lockers and the Community Police Office are beside it.",
    },
    {
        "slug": "south-gate",
        "name": "South Gate",
        "name_zh": "南门",
        "kind": "gate",
        "aliases": ["back gate", "south entrance"],
        "location": "South end of Garden Lane, about 400 metres from the North Gate.",
        "directions": f"{_WALK_SOUTH} The South Gate is at the far end, about 400 metres away.",
        "hours": _hours(("Mon-Sun", "06:00", "23:00")),
        "notes": "Pedestrians only. Parcel lockers and the electric bicycle charging shed are beside it.",
    },
]

_ZH_NUMERALS = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
_BUILDING_NOTES = {
    2: "The Community Clinic is next to it.",
    6: "The Community Canteen for Seniors is on its ground floor.",
    10: "The Garbage Station is behind it.",
}


def _building(number: int) -> dict[str, Any]:
    west = number <= 6
    side = "west" if west else "east"
    hand = "right" if west else "left"  # walking south from the North Gate
    lift = "Six floors, with a lift." if number <= 8 else "Six floors, no lift."
    notes = " ".join(part for part in (lift, _BUILDING_NOTES.get(number)) if part)
    return {
        "slug": f"building-{number}",
        "name": f"Building {number}",
        "name_zh": f"{number}号楼",
        "kind": "building",
        "aliases": [f"block {number}", f"bldg {number}", f"{_ZH_NUMERALS[number]}号楼", f"{number}栋"],
        "location": f"{side.capitalize()} side of Garden Lane.",
        "directions": f"{_WALK_SOUTH} Building {number} is on your {hand}, on the {side} side.",
        "hours": [],
        "hours_text": "A residential building, with no public opening hours.",
        "notes": notes,
    }


def facility_rows() -> list[dict[str, Any]]:
    rows = [*FACILITIES, *(_building(n) for n in range(1, 13))]
    return [{**row, "hours_text": row.get("hours_text") or spoken_hours(row["hours"])} for row in rows]


# --- clinic -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoctorPlan:
    name: str
    weekdays: tuple[int, ...]
    sessions: tuple[tuple[str, str], ...] = (MORNING,)


@dataclass(frozen=True)
class DepartmentPlan:
    slug: str
    name: str
    name_zh: str
    aliases: tuple[str, ...]
    doctors: tuple[DoctorPlan, ...] = field(default_factory=tuple)


DEPARTMENTS: tuple[DepartmentPlan, ...] = (
    DepartmentPlan(
        "general-practice", "General Practice", "全科",
        ("gp", "general practitioner", "family doctor", "general doctor", "doctor", "全科医生"),
        (DoctorPlan("Dr. Wang", WEEKDAYS), DoctorPlan("Dr. Chen", (MON, WED, FRI), (MORNING, AFTERNOON))),
    ),
    DepartmentPlan(
        "dental", "Dental", "牙科", ("dentist", "teeth", "tooth", "口腔科"),
        (DoctorPlan("Dr. Li", (TUE, THU)),),
    ),
    DepartmentPlan(
        "eye", "Eye", "眼科", ("eyes", "eye doctor", "ophthalmology", "eyesight", "vision"),
        (DoctorPlan("Dr. Zhao", (WED,)),),
    ),
    DepartmentPlan(
        "physiotherapy", "Physiotherapy", "康复理疗", ("physio", "physical therapy", "rehabilitation", "理疗"),
        (DoctorPlan("Ms. Liu", (MON, TUE, WED, THU, FRI, SAT)),),
    ),
    DepartmentPlan(
        "traditional-chinese-medicine", "Traditional Chinese Medicine", "中医",
        ("tcm", "chinese medicine", "中医科"),
        (DoctorPlan("Dr. Sun", (TUE, FRI)),),
    ),
)  # fmt: skip


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


@dataclass(frozen=True)
class EventPlan:
    series: str
    title: str
    place: str
    starts: str
    description: str
    keywords: tuple[str, ...]
    weekdays: tuple[int, ...] = ()
    """Recurring on these days; empty for a one-off (see ``one_off_events``)."""
    ends: str | None = None
    capacity: int | None = None

    @property
    def signup_required(self) -> bool:
        return self.capacity is not None


RECURRING_EVENTS: tuple[EventPlan, ...] = (
    EventPlan(
        "tai-chi", "Tai Chi", "Central Garden", "07:00",
        "Tai Chi in the Central Garden, every morning from 7 to 8 am. No sign-up needed.",
        ("tai chi", "taichi", "tai ji", "taiji", "太极", "太极拳", "morning exercise"),
        EVERY_DAY, ends="08:00",
    ),
    EventPlan(
        "calligraphy-class", "Calligraphy class", "Elderly Activity Room", "14:00",
        "Calligraphy class in the Elderly Activity Room, Tuesdays at 2 pm. 20 places; please sign up.",
        ("calligraphy", "brush writing", "书法", "书法班"),
        (TUE,), capacity=20,
    ),
    EventPlan(
        "smartphone-help", "Smartphone help for seniors", "Library", "10:00",
        "Smartphone help for seniors in the Library, Saturdays at 10 am. 12 places; please sign up.",
        ("smartphone", "smart phone", "phone help", "mobile phone", "智能手机", "手机"),
        (SAT,), capacity=12,
    ),
    EventPlan(
        "singing-group", "Singing group", "Elderly Activity Room", "15:00",
        "Singing group in the Elderly Activity Room, Wednesdays and Fridays at 3 pm.",
        ("singing", "sing", "choir", "songs", "唱歌", "合唱"),
        (WED, FRI),
    ),
)  # fmt: skip

HEALTH_TALK = EventPlan(
    "health-talk-blood-pressure", "Health talk: Managing blood pressure", "Service Centre hall", "10:00",
    'Health talk "Managing blood pressure" with Dr. Wang, in the Service Centre hall. '
    "40 places; please sign up.",
    ("health talk", "blood pressure", "high blood pressure", "hypertension", "talk", "lecture",
     "dr wang", "健康讲座", "血压", "讲座"),
    capacity=40,
)  # fmt: skip
DAY_TRIP = EventPlan(
    "botanical-garden-trip", "Day trip to the botanical garden", "North Gate", "08:30",
    "Day trip to the botanical garden. Meet at the North Gate at 8:30 am; a bus is provided. "
    "30 places; please sign up.",
    ("day trip", "trip", "botanical garden", "outing", "excursion", "bus trip", "植物园", "一日游"),
    capacity=30,
)  # fmt: skip


def one_off_events(today: date) -> list[tuple[EventPlan, date]]:
    """The health talk is "next Thursday"; the day trip is "Saturday after next"."""
    return [
        (HEALTH_TALK, next_weekday(today, THU)),
        (DAY_TRIP, next_weekday(today, SAT) + timedelta(days=7)),
    ]


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
    water_day = next_weekday(today, THU)
    lift_day = next_weekday(today, MON)
    drill_day = first_weekday_of_next_month(today, SUN)
    return [
        models.Announcement(
            title="Square dancing ends by 9 pm",
            body="Reminder: square dancing in the Central Garden must end by 9 pm.",
            valid_from=midnight - timedelta(days=30),
            valid_until=None,
        ),
        models.Announcement(
            title="Fire drill for all buildings",
            body=f"There will be a fire drill for all buildings on {spoken_date(drill_day)} at 10 am.",
            valid_from=midnight - timedelta(days=3),
            valid_until=_at(drill_day, "00:00") + timedelta(days=1),
        ),
        models.Announcement(
            title="Lift maintenance in Building 3",
            body=f"The lift in Building 3 will be under maintenance on {spoken_date(lift_day)}, from 1 pm to 5 pm.",
            valid_from=midnight - timedelta(days=2),
            valid_until=_at(lift_day, "17:00"),
        ),
        models.Announcement(
            title="Water supply interruption in Buildings 7 to 9",
            body=f"The water supply to Buildings 7, 8 and 9 will be interrupted on {spoken_date(water_day)}, "
            "from 9 am to 3 pm, for pipe maintenance.",
            valid_from=midnight - timedelta(days=1),
            valid_until=_at(water_day, "15:00"),
        ),
    ]


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
