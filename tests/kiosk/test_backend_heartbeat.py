"""The kiosk backend reports itself to the office (``Backend.start_heartbeat``), with Rasa down: the beat still
goes, the model is "not known", and the outbox counts come from the kiosk's real outbox file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from assistant.shared.events import Event
from kiosk_app.backend import Backend
from tests.conftest import RunningServices, free_port
from tests.kiosk.test_emergency import settings_for


def _beats(db_path: Path, kiosk_id: str) -> list[sqlite3.Row]:
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM kiosk_heartbeats WHERE kiosk_id = ?", (kiosk_id,)))


def test_the_backend_sends_heartbeats_with_rasa_down(services_server: RunningServices, tmp_path: Path) -> None:
    kiosk_id = f"kiosk-beat-{free_port()}"
    settings = settings_for(services_server.url, tmp_path / "var", rasa_port=free_port(), kiosk_id=kiosk_id,
                            kiosk_heartbeat_seconds=0.2)
    events: list[Event] = []
    backend = Backend(settings, events.append, voice=False)
    try:
        backend.start_heartbeat()
        deadline = time.monotonic() + 10
        while not _beats(services_server.db_path, kiosk_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        rows = _beats(services_server.db_path, kiosk_id)
        assert len(rows) == 1
        assert rows[0]["location"] == settings.kiosk_location
        assert rows[0]["model"] in ("", None)  # Rasa is down: the beat still goes, the model is not known
        assert (rows[0]["outbox_backlog"], rows[0]["outbox_refused"]) == (0, 0)
        first_seen = rows[0]["last_seen"]
        while _beats(services_server.db_path, kiosk_id)[0]["last_seen"] == first_seen \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _beats(services_server.db_path, kiosk_id)[0]["last_seen"] != first_seen  # it keeps beating
    finally:
        backend.close()
