"""The kiosk's broadcast watch against a real services server on a free loopback port: an urgent notice written
in the office arrives once as an ``UrgentNotice``, a change arrives again, a withdrawal ends it, receipts reach the
office once; the office down does not stop the watch, and it catches up when the office comes back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from assistant.shared.events import Event, UrgentNotice, UrgentNoticeEnded
from assistant.skill_runtime.broadcast_watch import BroadcastWatch
from community_services import models, notice_desk
from community_services.db import Database
from tests.conftest import KIOSK_TOKEN, RunningServices, free_port, start_services, stop_services


def write_notice(db_path: Path, **changes: str | list[str]) -> int:
    form: dict[str, str | list[str]] = {"title": "Fire in Building 3", "body": "Leave calmly.", "valid_from": "",
                                        "valid_until": "", "for": "all", "urgency": "urgent", "kind": "fire"}
    form.update(changes)
    notice, errors = notice_desk.parse_form(form, datetime.now())
    assert notice is not None, errors
    database = Database(f"sqlite:///{db_path}")
    try:
        with database.session() as session:
            notice_id = notice_desk.create_notice(session, notice, "Duty Li", datetime.now())
            session.commit()
        return notice_id
    finally:
        database.dispose()


def change_notice(db_path: Path, notice_id: int, action: Callable[..., None], *args: object) -> None:
    database = Database(f"sqlite:///{db_path}")
    try:
        with database.session() as session:
            action(session, notice_id, *args)
            session.commit()
    finally:
        database.dispose()


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type[Event]) -> list[Event]:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


def test_a_notice_arrives_once_is_confirmed_changed_and_ended(services_server: RunningServices) -> None:
    got = Recorder()
    kiosk_id = f"kiosk-watch-{free_port()}"
    watch = BroadcastWatch(services_server.url, KIOSK_TOKEN, kiosk_id, ("3",), got, interval=0.1)
    other = Recorder()
    elsewhere = BroadcastWatch(services_server.url, KIOSK_TOKEN, f"{kiosk_id}-west", ("1",), other, interval=0.1)
    watch.start()
    elsewhere.start()
    try:
        fire = write_notice(services_server.db_path, **{"for": "some", "buildings": ["3"]})
        wait_for(lambda: any(e.notice_id == fire for e in got.of(UrgentNotice)))  # type: ignore[attr-defined]
        time.sleep(0.4)  # a few more rounds: still told once
        mine = [e for e in got.of(UrgentNotice) if isinstance(e, UrgentNotice) and e.notice_id == fire]
        assert mine == [UrgentNotice(fire, 1, "Fire in Building 3", "Leave calmly.", "fire", True)]
        assert not any(isinstance(e, UrgentNotice) and e.notice_id == fire for e in other.events)  # building 1

        watch.confirm(fire, 1)
        watch.confirm(fire, 1)
        wait_for(lambda: (fire, 1) in watch.confirmed)
        database = Database(f"sqlite:///{services_server.db_path}")
        try:
            with database.session() as session:
                rows = session.scalars(select(models.NoticeReceipt).where(
                    models.NoticeReceipt.announcement_id == fire)).all()
                assert [(r.kiosk_id, r.revision) for r in rows] == [(kiosk_id, 1)]
        finally:
            database.dispose()

        changed, _ = notice_desk.parse_form({"title": "Fire in Building 3", "body": "Leave calmly now.",
                                             "for": "some", "buildings": ["3"], "urgency": "urgent",
                                             "kind": "fire"}, datetime.now())
        change_notice(services_server.db_path, fire, notice_desk.update_notice, changed, "Duty Li", datetime.now())
        wait_for(lambda: any(isinstance(e, UrgentNotice) and e.revision == 2 for e in got.events))
        change_notice(services_server.db_path, fire, notice_desk.withdraw_notice, "Duty Li", datetime.now())
        wait_for(lambda: UrgentNoticeEnded(fire) in got.events)
        assert fire not in watch.active
    finally:
        watch.stop()
        elsewhere.stop()


def test_the_office_down_does_not_stop_the_watch(tmp_path: Path) -> None:
    port = free_port()
    got = Recorder()
    watch = BroadcastWatch(f"http://127.0.0.1:{port}", KIOSK_TOKEN, "kiosk-patient", (), got, interval=0.1,
                           timeout=0.5)
    watch.start()
    try:
        time.sleep(0.5)  # rounds against nothing: no event, no exception, still running
        assert got.events == [] and watch.polls == 0
        watch.confirm(99, 1)  # a receipt while the office is down waits
        running = start_services(tmp_path / "services.db", port=port)
        try:
            gas = write_notice(running.db_path, kind="gas", title="Gas leak")
            wait_for(lambda: any(isinstance(e, UrgentNotice) and e.notice_id == gas for e in got.events), 20)
            assert watch.polls > 0
            watch.confirm(gas, 1)
            wait_for(lambda: (gas, 1) in watch.confirmed)
        finally:
            stop_services(running)
        polls = watch.polls
        time.sleep(0.5)  # down again: quietly skipped
        assert watch.polls == polls and watch._thread is not None and watch._thread.is_alive()
    finally:
        watch.stop()
