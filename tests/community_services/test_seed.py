"""The seed reproduces the Sunny Garden facts of the community README, with dates relative to today."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community_services import models, seed
from community_services.db import Database

TODAY = date(2026, 3, 2)  # a Monday
# shared/ sits beside the checkout (as on CI and the developers' machines)
README = Path(__file__).resolve().parents[3] / "shared" / "data" / "community" / "README.md"


def seeded_database(path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    database.create_schema()
    with database.session() as s:
        assert seed.seed_or_top_up(s, TODAY) == "seeded"
    return database


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Seeded once per module; tests that change the data make their own database."""
    database = seeded_database(tmp_path_factory.mktemp("seed") / "seed.db")
    yield database
    database.dispose()


@pytest.fixture
def session(seeded: Database) -> Iterator[Session]:
    with seeded.session() as s:
        yield s


def facility(session: Session, slug: str) -> models.Facility:
    row = session.scalar(select(models.Facility).where(models.Facility.slug == slug))
    assert row is not None, slug
    return row


# --- facilities -------------------------------------------------------------------------------

README_FACILITIES = {
    "community-service-centre": ("Community Service Centre", "社区服务中心"),
    "property-management-office": ("Property Management Office", "物业办公室"),
    "library": ("Library and Reading Room", "图书室"),
    "elderly-activity-room": ("Elderly Activity Room", "老年活动室"),
    "community-clinic": ("Community Clinic", "社区卫生服务站"),
    "garbage-station": ("Garbage Station", "垃圾分类站"),
    "parcel-lockers": ("Parcel Lockers", "快递柜"),
    "fitness-corner": ("Fitness Corner", "健身角"),
    "seniors-canteen": ("Community Canteen for Seniors", "长者食堂"),
    "police-office": ("Community Police Office", "警务室"),
}


@pytest.mark.parametrize(("slug", "names"), README_FACILITIES.items())
def test_facility_names_match_the_readme(session: Session, slug: str, names: tuple[str, str]) -> None:
    row = facility(session, slug)
    assert (row.name, row.name_zh) == names
    assert row.directions and row.location and row.hours_text


def test_every_readme_facility_is_seeded_with_its_chinese_name(session: Session) -> None:
    if not README.exists():
        pytest.skip("community README not available")
    listed = re.findall(r"^\s*- \*\*(.+?)\*\* \((.+?)\) ·", README.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(listed) >= 10
    seeded = {(row.name, row.name_zh) for row in session.scalars(select(models.Facility))}
    for name, name_zh in listed:
        assert (name, name_zh) in seeded


@pytest.mark.parametrize(
    ("slug", "hours", "spoken"),
    [
        (
            "community-service-centre",
            [("Mon-Sat", "08:30", "17:30")],
            "Monday to Saturday, 8:30 am to 5:30 pm. Closed on Sundays.",
        ),
        ("property-management-office", [("Mon-Sun", "08:00", "18:00")], "Every day, 8 am to 6 pm."),
        ("library", [("Tue-Sun", "09:00", "20:00")], "Tuesday to Sunday, 9 am to 8 pm. Closed on Mondays."),
        ("elderly-activity-room", [("Mon-Sun", "08:00", "21:00")], "Every day, 8 am to 9 pm."),
        (
            "community-clinic",
            [("Mon-Fri", "08:00", "17:00"), ("Sat", "08:00", "12:00")],
            "Monday to Friday, 8 am to 5 pm; Saturday, 8 am to 12 noon. Closed on Sundays.",
        ),
        ("parcel-lockers", [("Mon-Sun", "00:00", "24:00")], "Open 24 hours."),
        ("police-office", [("Mon-Sun", "00:00", "24:00")], "Open 24 hours."),
        ("north-gate", [("Mon-Sun", "00:00", "24:00")], "Open 24 hours."),
        ("south-gate", [("Mon-Sun", "06:00", "23:00")], "Every day, 6 am to 11 pm."),
        (
            "garbage-station",
            [("Mon-Sun", "07:00", "09:00"), ("Mon-Sun", "18:00", "20:00")],
            "Collection every day, 7 am to 9 am and 6 pm to 8 pm. The hazardous waste bin is open any time.",
        ),
        (
            "seniors-canteen",
            [("Mon-Sun", "11:00", "13:00"), ("Mon-Sun", "17:00", "18:30")],
            "Lunch 11 am to 1 pm, dinner 5 pm to 6:30 pm.",
        ),
        ("fitness-corner", [], "Open air, lit until 10 pm."),
    ],
)
def test_opening_hours(session: Session, slug: str, hours: list[tuple[str, str, str]], spoken: str) -> None:
    row = facility(session, slug)
    assert [(h["days"], h["opens"], h["closes"]) for h in row.hours] == hours
    assert row.hours_text == spoken


def test_library_is_closed_on_mondays(session: Session) -> None:
    library = facility(session, "library")
    assert all(seed.MON not in seed.parse_days(h["days"]) for h in library.hours)
    assert "Closed on Mondays" in library.hours_text
    assert "first floor" in library.location.lower()
    assert "stairs" in library.directions and "lift" in library.directions


def test_places_and_directions(session: Session) -> None:
    assert "next to Building 2" in facility(session, "community-clinic").location
    assert "west side" in facility(session, "community-clinic").directions
    assert "behind Building 10" in facility(session, "garbage-station").location
    assert "Building 6" in facility(session, "seniors-canteen").location
    assert "Beside the North Gate" in facility(session, "police-office").location
    assert "Central Garden" in facility(session, "fitness-corner").location
    assert "half price" in (facility(session, "seniors-canteen").notes or "")
    assert "24 hours" in (facility(session, "property-management-office").notes or "")
    garden = facility(session, "central-garden")
    assert "ramp on the east side" in garden.directions and "three steps on the west side" in garden.directions
    assert "Pedestrians only" in (facility(session, "south-gate").notes or "")
    for row in session.scalars(select(models.Facility)):
        assert len(row.directions.split()) <= 40, f"{row.slug}: directions too long to speak"


def test_buildings_one_to_twelve_with_lifts_in_one_to_eight(session: Session) -> None:
    for number in range(1, 13):
        row = facility(session, f"building-{number}")
        assert row.name == f"Building {number}" and row.name_zh == f"{number}号楼"
        assert row.kind == "building"
        assert ("west" if number <= 6 else "east") in row.location.lower()
        assert ("with a lift" if number <= 8 else "no lift") in (row.notes or "")


# --- clinic -----------------------------------------------------------------------------------


def test_departments_and_doctors(session: Session) -> None:
    departments = {d.name: [doc.name for doc in d.doctors] for d in session.scalars(select(models.Department))}
    assert departments == {
        "General Practice": ["Dr. Wang", "Dr. Chen"],
        "Dental": ["Dr. Li"],
        "Eye": ["Dr. Zhao"],
        "Physiotherapy": ["Ms. Liu"],
        "Traditional Chinese Medicine": ["Dr. Sun"],
    }


def slots_by_doctor(session: Session) -> dict[str, list[models.Slot]]:
    out: dict[str, list[models.Slot]] = {}
    for slot in session.scalars(select(models.Slot).order_by(models.Slot.start)):
        out.setdefault(slot.doctor.name, []).append(slot)
    return out


def test_slots_are_twenty_minutes_inside_clinic_hours_for_fourteen_days(session: Session) -> None:
    slots = list(session.scalars(select(models.Slot)))
    assert slots
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=20)
        assert TODAY <= slot.start.date() < TODAY + timedelta(days=14)
        weekday = slot.start.weekday()
        assert weekday != seed.SUN, "the clinic is closed on Sundays"
        closes = time(12) if weekday == seed.SAT else time(17)
        assert time(8) <= slot.start.time() and slot.end.time() <= closes
        assert not (time(12) <= slot.start.time() < time(14)), "no slots over lunch"
        assert not slot.booked


def test_doctors_days(session: Session) -> None:
    by_doctor = slots_by_doctor(session)
    days = {name: {s.start.weekday() for s in slots} for name, slots in by_doctor.items()}
    assert days["Dr. Wang"] == {0, 1, 2, 3, 4}
    assert days["Dr. Chen"] == {0, 2, 4}
    assert days["Dr. Li"] == {1, 3}
    assert days["Dr. Zhao"] == {2}
    assert days["Ms. Liu"] == {0, 1, 2, 3, 4, 5}
    assert days["Dr. Sun"] == {1, 4}
    # "weekday mornings unless noted": only Dr. Chen has afternoons
    for name, slots in by_doctor.items():
        afternoon = [s for s in slots if s.start.time() >= time(12)]
        if name == "Dr. Chen":
            starts = {(datetime(2026, 1, 1, 14) + timedelta(minutes=20 * i)).time() for i in range(9)}
            assert {s.start.time() for s in afternoon} == starts
        else:
            assert not afternoon, name
    wang_monday = [s.start.time() for s in by_doctor["Dr. Wang"] if s.start.date() == TODAY]
    assert wang_monday[0] == time(8) and wang_monday[-1] == time(11, 40) and len(wang_monday) == 12


def test_schedule_text(session: Session) -> None:
    texts = {d.slug: d.schedule_text for d in session.scalars(select(models.Department))}
    assert texts["general-practice"] == (
        "Dr. Wang: Monday to Friday mornings, 8 am to 12 noon. "
        "Dr. Chen: Monday, Wednesday and Friday, 8 am to 12 noon and 2 pm to 5 pm."
    )
    assert texts["eye"] == "Dr. Zhao: Wednesday mornings, 8 am to 12 noon."


# --- events and notices -----------------------------------------------------------------------


def events(session: Session, series: str) -> list[models.Event]:
    return list(session.scalars(select(models.Event).where(models.Event.series == series).order_by(models.Event.start)))


def test_recurring_events(session: Session) -> None:
    tai_chi = events(session, "tai-chi")
    assert len(tai_chi) == 14 and not tai_chi[0].signup_required
    assert (tai_chi[0].start, tai_chi[0].end) == (datetime(2026, 3, 2, 7), datetime(2026, 3, 2, 8))
    assert tai_chi[0].place == "Central Garden"
    calligraphy = events(session, "calligraphy-class")
    assert [e.start for e in calligraphy] == [datetime(2026, 3, 3, 14), datetime(2026, 3, 10, 14)]
    assert calligraphy[0].capacity == 20 and calligraphy[0].place == "Elderly Activity Room"
    smartphone = events(session, "smartphone-help")
    assert [e.start.weekday() for e in smartphone] == [seed.SAT, seed.SAT]
    assert smartphone[0].capacity == 12 and smartphone[0].place == "Library"
    singing = events(session, "singing-group")
    assert {e.start.weekday() for e in singing} == {seed.WED, seed.FRI}
    assert all(e.start.time() == time(15) and not e.signup_required for e in singing)


def test_one_off_events_are_relative_to_today(session: Session) -> None:
    (talk,) = events(session, "health-talk-blood-pressure")
    assert talk.start == datetime(2026, 3, 5, 10)  # next Thursday
    assert talk.capacity == 40 and talk.place == "Service Centre hall" and "Dr. Wang" in talk.description
    (trip,) = events(session, "botanical-garden-trip")
    assert trip.start == datetime(2026, 3, 14, 8, 30)  # Saturday after next
    assert trip.capacity == 30 and trip.place == "North Gate" and "bus" in trip.description


def test_notices(session: Session) -> None:
    notices = {a.title: a for a in session.scalars(select(models.Announcement))}
    assert len(notices) == 4
    water = notices["Water supply interruption in Buildings 7 to 9"]
    assert "Thursday 5 March" in water.body and "9 am to 3 pm" in water.body and "pipe maintenance" in water.body
    assert water.valid_until == datetime(2026, 3, 5, 15)
    lift = notices["Lift maintenance in Building 3"]
    assert "Monday 9 March" in lift.body and "1 pm to 5 pm" in lift.body
    drill = notices["Fire drill for all buildings"]
    assert "Sunday 5 April" in drill.body and "10 am" in drill.body
    dancing = notices["Square dancing ends by 9 pm"]
    assert "Central Garden" in dancing.body and dancing.valid_until is None
    for notice in notices.values():
        assert notice.valid_from <= datetime(2026, 3, 2)


def test_seed_dates_follow_the_today_parameter(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'other.db'}")
    database.create_schema()
    with database.session() as s:
        seed.seed_or_top_up(s, date(2026, 3, 5))  # a Thursday: "next Thursday" is a week later
        (talk,) = events(s, "health-talk-blood-pressure")
        assert talk.start == datetime(2026, 3, 12, 10)
        (trip,) = events(s, "botanical-garden-trip")
        assert trip.start == datetime(2026, 3, 14, 8, 30)
    database.dispose()


# --- seeding only once, topping up later ------------------------------------------------------


def count(session: Session, model: type[models.Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_second_start_adds_nothing_and_later_start_tops_up(tmp_path: Path) -> None:
    database = seeded_database(tmp_path / "top-up.db")
    with database.session() as session:
        check_top_up(session)
    database.dispose()


def check_top_up(session: Session) -> None:
    facilities, slots, events_before = (
        count(session, models.Facility),
        count(session, models.Slot),
        count(session, models.Event),
    )
    assert seed.seed_or_top_up(session, TODAY).startswith("topped up (0 ")
    assert (count(session, models.Facility), count(session, models.Slot)) == (facilities, slots)
    assert seed.seed_or_top_up(session, TODAY + timedelta(days=7)).startswith("topped up")
    assert count(session, models.Facility) == facilities
    assert count(session, models.Slot) > slots and count(session, models.Event) > events_before
    latest = session.scalar(select(func.max(models.Slot.start)))
    assert latest is not None and latest.date() == date(2026, 3, 21)  # the last open day of the new window


def test_a_database_with_someone_elses_data_is_left_alone(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'foreign.db'}")
    database.create_schema()
    with database.session() as s:
        s.add(
            models.Facility(
                slug="our-hall", name="Our Hall", name_zh="礼堂", aliases=[], kind="hall", location="Here",
                directions="Here", hours=[], hours_text="", notes=None,
            )
        )  # fmt: skip
        s.commit()
        assert seed.seed_or_top_up(s, TODAY) == "left as is"
        assert count(s, models.Facility) == 1 and count(s, models.Slot) == 0
    database.dispose()


# --- speaking helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hhmm", "spoken"),
    [("08:30", "8:30 am"), ("08:00", "8 am"), ("12:00", "12 noon"), ("12:30", "12:30 pm"), ("17:30", "5:30 pm"),
     ("00:00", "midnight"), ("24:00", "midnight"), ("21:00", "9 pm")],
)  # fmt: skip
def test_spoken_time(hhmm: str, spoken: str) -> None:
    assert seed.spoken_time(hhmm) == spoken


def test_spoken_days() -> None:
    assert seed.spoken_days([0, 1, 2, 3, 4]) == "Monday to Friday"
    assert seed.spoken_days([0, 2, 4]) == "Monday, Wednesday and Friday"
    assert seed.spoken_days([1, 3]) == "Tuesday and Thursday"
    assert seed.spoken_days([2]) == "Wednesday"
    assert seed.spoken_days(list(range(7))) == "every day"


def test_next_weekday_is_strictly_after_today() -> None:
    assert seed.next_weekday(date(2026, 3, 2), seed.MON) == date(2026, 3, 9)
    assert seed.next_weekday(date(2026, 3, 2), seed.THU) == date(2026, 3, 5)
    assert seed.first_weekday_of_next_month(date(2026, 12, 31), seed.SUN) == date(2027, 1, 3)
