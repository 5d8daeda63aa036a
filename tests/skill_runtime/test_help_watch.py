"""HelpWatch against the real services API: who is coming arrives once someone takes the alert, also for an
alert that waited in a real outbox file (followed to its office reference, with its original time); a down office
is retried quietly; stop() ends it."""

from __future__ import annotations

import queue
import time
from datetime import datetime
from pathlib import Path

from assistant.shared.events import Alert, HelpComing
from assistant.skill_runtime.help_watch import HelpWatch
from assistant.skill_runtime.outbox import Outbox
from community_services.client import ServicesClient
from community_services.schemas import AlertCreate
from tests.conftest import KIOSK_TOKEN, RunningServices, free_port, start_services, stop_services

PAYLOAD = {"kind": "help", "location": "Building 3 lobby", "kiosk_id": "kiosk-watch", "details": "help me"}


def _watch(url: str, outbox: Path) -> tuple[HelpWatch, queue.Queue[HelpComing]]:
    told: queue.Queue[HelpComing] = queue.Queue()
    return HelpWatch(url, KIOSK_TOKEN, outbox, told.put, interval=0.05), told


def test_the_name_arrives_once_someone_takes_it(services_server: RunningServices, tmp_path: Path) -> None:
    with services_server.kiosk() as kiosk:
        reference = kiosk.raise_alert(AlertCreate.model_validate(PAYLOAD)).reference
    watch, told = _watch(services_server.url, tmp_path / "outbox.db")
    watch.watch(Alert(reference=reference, queued=False))
    time.sleep(0.3)
    assert told.empty() and watch.watching
    with services_server.staff() as staff:
        staff.acknowledge_alert(reference, "Wang Fang")
    assert told.get(timeout=5) == HelpComing(reference, "Wang Fang")
    time.sleep(0.2)
    assert not watch.watching and told.empty()


def test_a_resolved_alert_ends_the_watch_without_a_name(services_server: RunningServices, tmp_path: Path) -> None:
    with services_server.kiosk() as kiosk:
        reference = kiosk.raise_alert(AlertCreate.model_validate(PAYLOAD)).reference
    with services_server.staff() as staff:
        staff.resolve_alert(reference, "Li Wei", "false alarm")
    watch, told = _watch(services_server.url, tmp_path / "outbox.db")
    watch.watch(Alert(reference=reference, queued=False))
    deadline = time.monotonic() + 5
    while watch.watching and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not watch.watching and told.empty()


def test_an_outboxed_alert_is_followed_to_its_reference_and_keeps_its_time(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    outbox_path = tmp_path / "outbox.db"
    with ServicesClient(url, KIOSK_TOKEN, timeout=1) as client:
        outbox = Outbox(outbox_path, client)
        local_ref = outbox.enqueue("alert", PAYLOAD)  # the office is down: it waits here
        raised = datetime.fromisoformat(outbox.get(local_ref).payload["raised_at"])  # type: ignore[union-attr]
        watch, told = _watch(url, outbox_path)
        watch.watch(Alert(reference=local_ref, queued=True))
        time.sleep(1.5)  # the office down, the watch keeps trying quietly
        assert watch.watching
        running = start_services(tmp_path / "services.db", port)
        try:
            assert outbox.flush() == 1
            reference = outbox.get(local_ref).reference  # type: ignore[union-attr]
            assert reference and reference.startswith("H")
            with running.staff() as staff:
                [stored] = [a for a in staff._request("GET", "/alerts").json() if a["reference"] == reference]
                assert datetime.fromisoformat(stored["created_at"]) == raised  # the original time, not arrival
                staff.acknowledge_alert(reference, "李伟")
            assert told.get(timeout=5) == HelpComing(reference, "李伟")
        finally:
            watch.stop()
            stop_services(running)


def test_stop_ends_a_watch_on_a_down_office(tmp_path: Path) -> None:
    watch, told = _watch(f"http://127.0.0.1:{free_port()}", tmp_path / "outbox.db")
    watch.watch(Alert(reference="H1001", queued=False))
    time.sleep(0.3)
    assert watch.watching
    watch.stop()
    assert not watch.watching and told.empty()


def test_an_alert_that_was_not_stored_is_not_watched(tmp_path: Path) -> None:
    watch, _ = _watch(f"http://127.0.0.1:{free_port()}", tmp_path / "outbox.db")
    watch.watch(Alert(reference="", queued=True))
    assert not watch.watching
