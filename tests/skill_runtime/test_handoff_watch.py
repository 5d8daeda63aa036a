"""HandoffWatch against the real services API: who joined, each staff message once and in order, the end (and
who ended it); a resident who walks away is told to the office; a down office is retried quietly."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from assistant.shared.events import Event, HandoffEnded, HandoffJoined, HandoffMessage
from assistant.skill_runtime.handoff_watch import HandoffWatch, spoken
from community_services import handoff_desk
from community_services.db import Database
from community_services.schemas import HandoffCreate
from tests.conftest import KIOSK_TOKEN, RunningServices, free_port, start_services, stop_services


def _open(services: RunningServices) -> str:
    with services.kiosk() as kiosk:
        return kiosk.open_handoff(HandoffCreate(
            kiosk_id="kiosk-watch", location="Service Centre lobby", said="I want to talk to a person",
            transcript=[{"who": "resident", "text": "my heating is cold"},  # type: ignore[list-item]
                        {"who": "assistant", "text": "Sorry, I did not quite understand."}])).reference


@pytest.fixture
def office(services_server: RunningServices) -> Iterator[Database]:
    db = Database(f"sqlite:///{services_server.db_path}")
    yield db
    db.dispose()


def _watch(url: str) -> tuple[HandoffWatch, queue.Queue[Event]]:
    told: queue.Queue[Event] = queue.Queue()
    return HandoffWatch(url, KIOSK_TOKEN, told.put, interval=0.05), told


def _now() -> datetime:
    return datetime.now(UTC)


def test_staff_words_arrive_once_each_in_order_then_the_end(services_server: RunningServices,
                                                              office: Database) -> None:
    reference = _open(services_server)
    watch, told = _watch(services_server.url)
    watch.watch(reference)
    time.sleep(0.3)
    assert told.empty() and watch.reference == reference  # the transcript is not news for the resident
    with office.session() as session:
        assert handoff_desk.join(session, reference, "Li Wei", _now()).won
        session.commit()
    assert told.get(timeout=5) == HandoffJoined(reference, "Li Wei")
    with office.session() as session:
        handoff_desk.add_staff_message(session, reference, "Li Wei", "Hello, I am in the office.", _now())
        handoff_desk.add_staff_message(session, reference, "Li Wei", "I am <b>coming</b> down.", _now())
        session.commit()
    assert told.get(timeout=5) == HandoffMessage(reference, "Li Wei", "Hello, I am in the office.")
    assert told.get(timeout=5) == HandoffMessage(reference, "Li Wei", "I am <b>coming</b> down.")
    with office.session() as session:
        handoff_desk.end(session, reference, "staff", _now(), staff_name="Li Wei")
        session.commit()
    assert told.get(timeout=5) == HandoffEnded(reference, "staff", "Li Wei")
    time.sleep(0.2)
    assert told.empty() and watch.reference is None


def test_resident_left_is_recorded_at_the_office(services_server: RunningServices, office: Database) -> None:
    reference = _open(services_server)
    watch, _told = _watch(services_server.url)
    watch.watch(reference)
    assert watch.stop() == reference
    watch.resident_left(reference)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with services_server.kiosk() as kiosk:
            seen = kiosk.get_handoff(reference)
        if seen is not None and seen.status == "ended":
            break
        time.sleep(0.05)
    assert seen is not None and (seen.status, seen.ended_reason) == ("ended", "resident_left")


def test_an_unknown_reference_ends_the_watch(services_server: RunningServices) -> None:
    watch, told = _watch(services_server.url)
    watch.watch("F999999")
    deadline = time.monotonic() + 5
    while watch.reference is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert watch.reference is None and told.empty()


def test_a_down_office_is_retried_until_it_answers(tmp_path: object) -> None:
    from pathlib import Path

    port = free_port()
    watch, told = _watch(f"http://127.0.0.1:{port}")
    services = None
    try:
        db_path = Path(str(tmp_path)) / "later.db"
        services = start_services(db_path, port)
        reference = _open(services)
        stop_services(services)
        services = None
        watch.watch(reference)
        time.sleep(0.3)  # the office is down: the watch keeps asking, quietly
        assert watch.reference == reference and told.empty()
        services = start_services(db_path, port)
        db = Database(f"sqlite:///{db_path}")
        with db.session() as session:
            handoff_desk.join(session, reference, "Wang Fang", _now())
            session.commit()
        db.dispose()
        assert told.get(timeout=10) == HandoffJoined(reference, "Wang Fang")
    finally:
        watch.stop()
        if services is not None:
            stop_services(services)


@pytest.mark.parametrize(("locale", "joined", "says"), [
    ("en", "Li Wei from the office is here to talk with you.", "Li Wei says: on my way"),
    ("zh-CN", "物业办公室的Li Wei来和您说话了。", "Li Wei说：on my way"),
    ("fr", "Li Wei from the office is here to talk with you.", "Li Wei says: on my way"),
])
def test_what_the_voice_terminal_says(locale: str, joined: str, says: str) -> None:
    assert spoken(HandoffJoined("F1", "Li Wei"), locale) == joined
    assert spoken(HandoffMessage("F1", "Li Wei", "on my way"), locale) == says
