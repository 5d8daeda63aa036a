"""The demo community "Sunny Garden" (阳光花园社区) as plain data: places, clinic, events and notices.

Source of the facts: ``../shared/data/community/README.md`` beside the checkout (names, hours, places, doctors, events,
notices; kept word for word where the README gives them). ``seed.py`` turns this into database rows,
with dates relative to the day it runs.

Assumptions where the README is silent (documented here, and said nowhere as facts): buildings are
numbered from north to south (1-6 on the west side, 7-12 on the east side) - the directions only use
the side of Garden Lane, never "the third building"; event end times are ``None`` except Tai Chi
(07:00-08:00); the canteen's meal times apply every day; the Chinese names of the Central Garden, the
gates, the buildings and the clinic departments are ordinary translations.

Days are numbered like ``date.weekday()``; times are ``"HH:MM"`` strings; opening hours are
``{"days": "Mon-Sat", "opens": "08:30", "closes": "17:30"}`` (``"24:00"`` closes at midnight).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- days -------------------------------------------------------------------------------------

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
EVERY_DAY = (MON, TUE, WED, THU, FRI, SAT, SUN)
WEEKDAYS = (MON, TUE, WED, THU, FRI)


@dataclass(frozen=True)
class RelativeDay:
    """A day as the README says it, relative to today: "next Thursday", "Saturday after next"."""

    weekday: int
    weeks_later: int = 0
    """"Saturday after next" is next Saturday and one week."""
    of_next_month: bool = False
    """The first ``weekday`` of next month ("first Sunday of next month") instead of the next one."""


# --- facilities -------------------------------------------------------------------------------

_WALK_SOUTH = "Leave the Service Centre and walk south along Garden Lane."


def _hours(*entries: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"days": days, "opens": opens, "closes": closes} for days, opens, closes in entries]


ALWAYS = _hours(("Mon-Sun", "00:00", "24:00"))
CLINIC_HOURS = (("Mon-Fri", "08:00", "17:00"), ("Sat", "08:00", "12:00"))

FACILITIES: list[dict[str, Any]] = [  # without "hours_text", seed.py says the hours in words
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
        "notes": "Square dancing must end by 9 pm. The square is the community's assembly point in a fire or "
        "gas alarm.",
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


BUILDINGS: list[dict[str, Any]] = [_building(number) for number in range(1, 13)]


# --- clinic -----------------------------------------------------------------------------------

SLOT_MINUTES = 20
"""Appointments are in 20-minute slots."""
MORNING = ("08:00", "12:00")
AFTERNOON = ("14:00", "17:00")
"""A doctor's sessions ("weekday mornings unless noted"; Dr. Chen also has afternoons)."""


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
    """Recurring on these days; empty for a one-off (see ``ONE_OFF_EVENTS``)."""
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

ONE_OFF_EVENTS: tuple[tuple[EventPlan, RelativeDay], ...] = (
    (HEALTH_TALK, RelativeDay(THU)),  # "next Thursday"
    (DAY_TRIP, RelativeDay(SAT, weeks_later=1)),  # "Saturday after next"
)


# --- notices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticePlan:
    """A notice; it is shown from ``shown_days_before`` days before today until its day is over."""

    title: str
    body: str
    """``{day}`` stands for the day it is about, spoken (``"Thursday 26 November"``)."""
    shown_days_before: int
    day: RelativeDay | None = None
    """The day it is about; ``None`` for a standing reminder, shown until withdrawn."""
    until: str | None = None
    """When on ``day`` it stops being shown; ``None``: at the end of that day."""
    key: str = ""
    """Its entry under ``notices:`` in the content files (``content/<code>.yml``): the other languages' words."""


NOTICES: tuple[NoticePlan, ...] = (
    NoticePlan(
        "Square dancing ends by 9 pm",
        "Reminder: square dancing in the Central Garden must end by 9 pm.",
        shown_days_before=30,
        key="square-dancing",
    ),
    NoticePlan(
        "Fire drill for all buildings",
        "There will be a fire drill for all buildings on {day} at 10 am.",
        shown_days_before=3,
        day=RelativeDay(SUN, of_next_month=True),
        key="fire-drill",
    ),
    NoticePlan(
        "Lift maintenance in Building 3",
        "The lift in Building 3 will be under maintenance on {day}, from 1 pm to 5 pm.",
        shown_days_before=2,
        day=RelativeDay(MON),
        until="17:00",
        key="lift-maintenance-3",
    ),
    NoticePlan(
        "Water supply interruption in Buildings 7 to 9",
        "The water supply to Buildings 7, 8 and 9 will be interrupted on {day}, "
        "from 9 am to 3 pm, for pipe maintenance.",
        shown_days_before=1,
        day=RelativeDay(THU),
        until="15:00",
        key="water-7-9",
    ),
)
"""Oldest first (the order they were posted)."""


DEMO_HOUSEHOLD = ("1-101", ("13800138000",), "2468")
"""Flat, phones and PIN of the demo household the conversation tests verify with (``docs/resident-verification.md``).
Only a freshly seeded demo database gets it; a real community removes it (``linli cards``) or starts empty."""
