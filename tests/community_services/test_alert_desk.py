"""The alert desk: who takes an alert (one wins, also with two threads on a real SQLite file), resolving, the
kiosk's status look-up, the original time of an alert that waited in an outbox, what is due to escalate."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from community_services import alert_desk, models
from community_services.app import create_app
from community_services.client import AlertTaken, ServicesClient, ServicesRejected
from community_services.db import Database
from community_services.schemas import AlertCreate

KIOSK = "kiosk-token-for-tests"
STAFF = "staff-token-for-tests"
T0 = datetime(2026, 3, 2, 21, 0)


def _add_alert(database: Database, created_at: datetime, details: str = "I fell in the kitchen") -> str:
    with database.session() as session:
        row = models.Alert(kind="fall", location="Building 3 lobby", kiosk_id="kiosk-b3", details=details,
                           status="open", created_at=created_at, updated_at=created_at)
        session.add(row)
        session.flush()
        row.reference = f"H{1000 + row.id}"
        session.commit()
        return row.reference


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'desk.db'}")
    db.create_schema()
    return db


# --- the service ------------------------------------------------------------------------------


def test_two_staff_at_once_on_separate_connections_exactly_one_wins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    Database(url).create_schema()
    first, second = Database(url), Database(url)  # two engines: two separate SQLite connections
    references = [_add_alert(first, T0 + timedelta(seconds=i)) for i in range(20)]
    for reference in references:
        barrier = threading.Barrier(2)
        outcomes: dict[str, alert_desk.AckOutcome] = {}
        errors: list[BaseException] = []

        def press(db: Database, name: str, ref: str = reference, gate: threading.Barrier = barrier,
                  outcomes: dict[str, alert_desk.AckOutcome] = outcomes, errors: list[BaseException] = errors) -> None:
            try:
                with db.session() as session:
                    gate.wait()
                    outcomes[name] = alert_desk.acknowledge(session, ref, name, T0 + timedelta(minutes=1))
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=press, args=(first, "Wang Fang")),
                   threading.Thread(target=press, args=(second, "Li Wei"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        winners = [name for name, outcome in outcomes.items() if outcome.won]
        assert len(winners) == 1, outcomes
        loser = next(outcome for name, outcome in outcomes.items() if not outcome.won)
        assert loser.reason == "taken"
        assert loser.state.acknowledged_by == winners[0]
        with first.session() as session:
            assert alert_desk.status(session, reference).acknowledged_by == winners[0]
            assert session.get(models.Alert, int(reference[1:]) - 1000).status == "acknowledged"  # type: ignore[union-attr]
    first.dispose()
    second.dispose()


def test_the_same_person_pressing_twice_still_has_it(database: Database) -> None:
    ref = _add_alert(database, T0)
    with database.session() as session:
        assert alert_desk.acknowledge(session, ref, "Wang Fang", T0).won
        again = alert_desk.acknowledge(session, ref, "Wang Fang", T0 + timedelta(seconds=5))
    assert again.won and again.state.acknowledged_at == T0


def test_resolve_once_with_a_note_and_nobody_acknowledges_a_resolved_alert(database: Database) -> None:
    ref = _add_alert(database, T0)
    published: list[tuple[str, dict[str, object]]] = []
    with database.session() as session:
        done = alert_desk.resolve(session, ref, "Li Wei", "Helped her up; the doctor is told.", T0,
                                  publish=lambda t, d: published.append((t, d)))
        assert done.resolved and done.state.status == "resolved"
        assert done.state.acknowledged_by == "Li Wei"  # resolving an untaken alert takes it too
        assert not alert_desk.resolve(session, ref, "Wang Fang", "", T0).resolved
        late = alert_desk.acknowledge(session, ref, "Wang Fang", T0)
        assert not late.won and late.reason == "resolved"
        handling = session.query(models.AlertHandling).one()
        assert handling.resolution_note == "Helped her up; the doctor is told."
    assert [t for t, _ in published] == ["alert.resolved"]


def test_open_requests_oldest_first_with_the_wait(database: Database) -> None:
    newer = _add_alert(database, T0 + timedelta(minutes=2))
    older = _add_alert(database, T0)
    done = _add_alert(database, T0 - timedelta(minutes=5))
    with database.session() as session:
        alert_desk.resolve(session, done, "Li Wei", "", T0)
        alert_desk.acknowledge(session, newer, "Wang Fang", T0 + timedelta(minutes=3))
        board = alert_desk.open_requests(session, T0 + timedelta(minutes=4))
    assert [(r.reference, r.waited_seconds) for r in board] == [(older, 240), (newer, 120)]
    assert board[1].acknowledged_by == "Wang Fang" and board[0].acknowledged_by is None
    assert board[0].kiosk_id == "kiosk-b3" and board[0].details == "I fell in the kitchen"


def test_due_for_escalation_only_unacknowledged_past_the_limit_and_only_once(database: Database) -> None:
    old = _add_alert(database, T0)
    taken = _add_alert(database, T0)
    _recent = _add_alert(database, T0 + timedelta(minutes=4))
    now = T0 + timedelta(minutes=5)
    with database.session() as session:
        alert_desk.acknowledge(session, taken, "Wang Fang", T0 + timedelta(minutes=1))
        assert [r.reference for r in alert_desk.due_for_escalation(session, now, 120)] == [old]
        assert alert_desk.mark_escalated(session, old, now)
        assert not alert_desk.mark_escalated(session, old, now)
        assert alert_desk.due_for_escalation(session, now, 120) == []
        # an escalated alert can still be taken
        assert alert_desk.acknowledge(session, old, "Li Wei", now).won


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (None, T0),
        (T0 - timedelta(minutes=30), T0 - timedelta(minutes=30)),
        (T0 + timedelta(seconds=5), T0),  # in the future (a kiosk clock ahead): arrival time
        (T0 - timedelta(days=8), T0),  # older than a week: not believed
    ],
)
def test_created_time_is_the_raised_time_within_bounds(raised: datetime | None, expected: datetime) -> None:
    assert alert_desk.created_time(raised, T0) == expected


def test_an_aware_raised_time_becomes_local() -> None:
    local = (T0 - timedelta(minutes=10)).astimezone()
    assert alert_desk.created_time(local, T0) == T0 - timedelta(minutes=10)


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path, app_server: Callable[[FastAPI, Path], object]) -> tuple[ServicesClient, ServicesClient]:
    db = tmp_path / "api.db"
    app = create_app(f"sqlite:///{db}", KIOSK, STAFF, seed=False, clock=lambda: T0)
    live = app_server(app, db)
    url: str = live.url  # type: ignore[attr-defined]
    return ServicesClient(url, KIOSK), ServicesClient(url, STAFF)


def test_api_acknowledge_then_409_with_the_winner_and_the_kiosk_learns_who(
    served: tuple[ServicesClient, ServicesClient],
) -> None:
    kiosk, staff = served
    alert = kiosk.raise_alert(AlertCreate(kind="help", location="Building 3 lobby", kiosk_id="kiosk-b3"))
    assert kiosk.get_alert_status(alert.reference).acknowledged_by is None  # type: ignore[union-attr]
    with pytest.raises(ServicesRejected) as refused:
        kiosk.acknowledge_alert(alert.reference, "Somebody")
    assert refused.value.status == 403
    taken = staff.acknowledge_alert(alert.reference, "Wang Fang")
    assert (taken.status, taken.acknowledged_by, taken.acknowledged_at) == ("acknowledged", "Wang Fang", T0)
    with pytest.raises(AlertTaken) as lost:
        staff.acknowledge_alert(alert.reference.lower(), "Li Wei")
    assert lost.value.conflict.acknowledged_by == "Wang Fang"
    assert "Wang Fang" in lost.value.message
    seen = kiosk.get_alert_status(alert.reference)
    assert seen is not None and (seen.status, seen.acknowledged_by) == ("acknowledged", "Wang Fang")
    resolved = staff.resolve_alert(alert.reference, "Wang Fang", "She is fine.")
    assert resolved.status == "resolved" and resolved.resolved_by == "Wang Fang"
    with pytest.raises(AlertTaken):
        staff.resolve_alert(alert.reference, "Li Wei")
    assert kiosk.get_alert_status("H9999") is None


def test_api_an_outboxed_alert_keeps_its_original_time(served: tuple[ServicesClient, ServicesClient]) -> None:
    kiosk, _ = served
    waited = kiosk.raise_alert(AlertCreate(kind="help", location="Gate", kiosk_id="k1",
                                           raised_at=T0 - timedelta(minutes=12)), idempotency_key="k-1")
    assert waited.created_at == T0 - timedelta(minutes=12)
    replay = kiosk.raise_alert(AlertCreate(kind="help", location="Gate", kiosk_id="k1",
                                           raised_at=T0 - timedelta(minutes=12)), idempotency_key="k-1")
    assert replay.reference == waited.reference
    ahead = kiosk.raise_alert(AlertCreate(kind="help", location="Gate", kiosk_id="k1",
                                          raised_at=T0 + timedelta(hours=1)))
    assert ahead.created_at == T0
    plain = kiosk.raise_alert(AlertCreate(kind="help", location="Gate", kiosk_id="k1"))
    assert plain.created_at == T0
