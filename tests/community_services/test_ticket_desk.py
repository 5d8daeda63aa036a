"""ticket_desk: the queue and its filters, assignment, checked status changes with notes, overdue, buildings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from community_services import models, ticket_desk
from community_services.api.references import add_numbered
from community_services.db import Database
from community_services.desk_errors import NotAllowed, Unknown
from foundation.errors import YamlError

NOW = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def session() -> Iterator[Session]:
    database = Database("sqlite://")
    database.create_schema()
    with database.session() as s:
        yield s
    database.dispose()


def add_ticket(session: Session, *, problem: str = "plumbing", place: str = "Building 3, flat 201",
               hours_ago: float = 1, status: str = "open", record_building: bool = True) -> str:
    created = NOW - timedelta(hours=hours_ago)
    row = models.Ticket(problem_type=problem, place=place, description="leak", phone="13800138000", status=status,
                        created_at=created, updated_at=created)
    number = add_numbered(session, row)
    if record_building:
        ticket_desk.record_building(session, row)
    session.flush()
    return number


@pytest.mark.parametrize(("place", "building"), [
    ("Building 3, flat 201", "3"), ("the lift in building 12", "12"), ("Bldg. 5", "5"), ("Block 07", "7"),
    ("3号楼 201室", "3"), ("十二栋", "12"), ("三号楼", "3"), ("5-302", "5"), ("the Central Garden", None),
    ("flat 302", None), ("", None),
])
def test_building_of_a_place(place: str, building: str | None) -> None:
    assert ticket_desk.building_of(place) == building


@pytest.mark.parametrize(("typed", "key"), [("3", "3"), (" 03 ", "3"), ("Building 3", "3"), ("3号楼", "3"),
                                            ("garden", None)])
def test_building_filter_accepts_what_staff_type(typed: str, key: str | None) -> None:
    assert ticket_desk.building_filter(typed) == key


def test_queue_is_oldest_first_with_age_assignee_and_overdue(session: Session) -> None:
    lift = add_ticket(session, problem="lift", place="the lift in Building 3", hours_ago=5)
    leak = add_ticket(session, problem="plumbing", place="Building 4, flat 101", hours_ago=10)
    ticket_desk.assign(session, leak, "Wang (plumber)", "Li", NOW)
    rows = ticket_desk.ticket_queue(session, NOW)
    assert [r.number for r in rows] == [leak, lift]
    first, second = rows
    assert (first.assignee, first.status, first.building, first.age_hours) == ("Wang (plumber)", "assigned", "4", 10.0)
    assert (first.overdue_after_hours, first.overdue) == (24, False)
    assert (second.overdue_after_hours, second.overdue, second.assignee) == (4, True, None)


def test_queue_filters(session: Session) -> None:
    a = add_ticket(session, problem="lift", place="Building 3, lift", hours_ago=50)
    b = add_ticket(session, problem="plumbing", place="3号楼 201", hours_ago=2)
    c = add_ticket(session, problem="plumbing", place="Building 4, flat 1", hours_ago=30, status="resolved")
    d = add_ticket(session, problem="window", place="the Central Garden", hours_ago=100)

    def numbers(**kw: object) -> list[str]:
        return [r.number for r in ticket_desk.ticket_queue(session, NOW, **kw)]  # type: ignore[arg-type]

    assert numbers(building="3") == [a, b]
    assert numbers(building="Building 3") == [a, b]
    assert numbers(building="the moon") == []
    assert numbers(category="plumbing") == [c, b]
    assert numbers(status="resolved") == [c]
    assert numbers(older_than_hours=24) == [d, a, c]
    assert numbers(overdue_only=True) == [d, a]  # window 72 h, lift 4 h; the resolved one never
    assert numbers(limit=2) == [d, a]
    assert numbers(limit=2, offset=2) == [c, b]


def test_older_tickets_get_their_building_on_the_first_queue_request(session: Session) -> None:
    old = add_ticket(session, place="Building 9, flat 3", record_building=False)
    assert session.get(models.TicketBuilding, 1) is None
    assert [r.number for r in ticket_desk.ticket_queue(session, NOW, building="9")] == [old]
    assert ticket_desk.fill_missing_buildings(session) == 0


def test_status_changes_follow_the_rules(session: Session) -> None:
    number = add_ticket(session)
    ticket_desk.change_status(session, number, "in_progress", "Li", "A plumber comes on Thursday morning.", None, NOW)
    with pytest.raises(NotAllowed, match="is in progress; it cannot become open"):
        ticket_desk.change_status(session, number, "open", "Li", None, None, NOW)
    with pytest.raises(NotAllowed, match="already in progress"):
        ticket_desk.change_status(session, number, "in_progress", "Li", None, "  ", NOW)
    ticket_desk.change_status(session, number, "in_progress", "Li", None, "parts ordered", NOW)  # a note only
    ticket_desk.change_status(session, number, "resolved", "Zhao", "Fixed. Thank you for waiting.", None, NOW)
    with pytest.raises(NotAllowed, match="reopen it"):
        ticket_desk.assign(session, number, "Wang", "Li", NOW)
    with pytest.raises(NotAllowed, match="not a ticket status"):
        ticket_desk.change_status(session, number, "exploded", "Li", None, None, NOW)
    ticket_desk.change_status(session, number, "open", "Zhao", None, "it leaks again", NOW)
    history = ticket_desk.ticket_history(session, number)
    assert [(h.status_from, h.status_to) for h in history] == [
        ("open", "in_progress"), ("in_progress", "in_progress"), ("in_progress", "resolved"), ("resolved", "open")]
    assert history[1].internal_note == "parts ordered" and history[1].public_note is None


def test_every_transition_in_the_table_is_allowed_and_others_refused(session: Session) -> None:
    for start in ticket_desk.STATUSES:
        for target in ticket_desk.STATUSES:
            if target == start:
                continue
            number = add_ticket(session, status=start)
            if target in ticket_desk.TRANSITIONS[start]:
                ticket_desk.change_status(session, number, target, "Li", None, None, NOW)
                assert ticket_desk.get_ticket(session, number).status == target
            else:
                with pytest.raises(NotAllowed):
                    ticket_desk.change_status(session, number, target, "Li", None, None, NOW)


def test_latest_public_note_skips_internal_only_updates(session: Session) -> None:
    number = add_ticket(session)
    assert ticket_desk.latest_public_note(session, number) is None
    ticket_desk.assign(session, number, "Wang", "Li", NOW, public_note="A plumber comes on Thursday morning.")
    later = NOW + timedelta(hours=1)
    ticket_desk.change_status(session, number, "in_progress", "Li", None, "called the resident", later)
    assert ticket_desk.latest_public_note(session, number) == ("A plumber comes on Thursday morning.", NOW)
    status = ticket_desk.ticket_status(session, number.lower())
    assert (status.status, status.public_note, status.public_note_at) == (
        "in_progress", "A plumber comes on Thursday morning.", NOW)


def test_notes_are_plain_text_kept_as_typed_and_capped(session: Session) -> None:
    number = add_ticket(session)
    markup = "<script>alert(1)</script> Plumber <b>Thursday</b>"
    ticket_desk.change_status(session, number, "in_progress", "Li", markup, None, NOW)
    assert ticket_desk.latest_public_note(session, number) == (markup, NOW)
    with pytest.raises(NotAllowed, match="301 characters long; at most 300"):
        ticket_desk.change_status(session, number, "waiting", "Li", "x" * 301, None, NOW)


def test_unknown_number(session: Session) -> None:
    with pytest.raises(Unknown, match="no repair ticket with that number"):
        ticket_desk.assign(session, "R424242", "Wang", "Li", NOW)
    with pytest.raises(Unknown):
        ticket_desk.latest_public_note(session, "")


def test_the_shipped_overdue_file() -> None:
    rules = ticket_desk.load_overdue_rules()
    assert (rules.hours_for("lift"), rules.hours_for("plumbing"), rules.hours_for("something new")) == (4, 24, 72)
    assert not rules.is_overdue("lift", "resolved", NOW - timedelta(days=9), NOW)
    assert rules.is_overdue("lift", "waiting", NOW - timedelta(hours=4, seconds=1), NOW)


@pytest.mark.parametrize(("text", "problem"), [
    ("default: 0\n", "overdue.yml:1: default"),
    ("default: 72\ncategories:\n  lift: 4\n  gas: -1\n", "overdue.yml:4: hours must be between"),
    ("default: 72\nlift: 4\n", "overdue.yml:2: unknown key 'lift'"),
    ("default: [\n", "overdue.yml:2: this is not valid YAML"),
])
def test_a_broken_overdue_file_names_file_and_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "overdue.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(YamlError, match=problem):
        ticket_desk.load_overdue_rules(path)


def test_queue_of_10000_tickets_filters_by_building_and_status(session: Session) -> None:
    """Correctness at size; the speed is measured by bench/console.py (never a timed assertion here)."""
    session.add_all(
        models.Ticket(number=f"R{1000 + i + 1}", problem_type=("lift", "plumbing", "window")[i % 3],
                      place=f"Building {i % 12 + 1}, flat {i % 30 + 101}", description="d", phone="13800138000",
                      status=("open", "assigned", "resolved")[i % 3], created_at=NOW - timedelta(minutes=i),
                      updated_at=NOW)
        for i in range(10_000)
    )
    session.flush()
    ticket_desk.fill_missing_buildings(session)  # once, as the first request after an upgrade does
    rows = ticket_desk.ticket_queue(session, NOW, building="7", status="open", limit=50)
    assert len(rows) == 50 and all(r.building == "7" and r.status == "open" for r in rows)
    assert [r.age_hours for r in rows] == sorted((r.age_hours for r in rows), reverse=True)  # oldest first
