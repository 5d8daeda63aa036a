"""The idle reset erases the ended conversation from Rasa's tracker database (real Rasa, real files)."""

from __future__ import annotations

import sqlite3
import stat
import uuid
from collections.abc import Iterator

import pytest

from assistant.stack import Stack
from kiosk_app.backend import Backend

pytestmark = pytest.mark.integration


@pytest.fixture
def backend(live_stack: Stack) -> Iterator[Backend]:
    b = Backend(live_stack.settings, lambda _event: None, voice=False)
    yield b
    b.close()


def rows_of(stack: Stack, sender: str) -> int:
    with sqlite3.connect(stack.settings.tracker_db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events WHERE sender_id=?", (sender,)).fetchone()[0])


def test_the_idle_reset_removes_the_conversation_from_the_tracker_store(live_stack: Stack, backend: Backend) -> None:
    phone = f"139{uuid.uuid4().int % 10**8:08d}"  # this test's own: other tests' conversations share the store
    backend.send_text(f"my name is Li Wei and my phone is {phone}", "text")
    assert backend.wait_idle(60)
    old = backend.sender_id
    assert rows_of(live_stack, old) > 0, "Rasa keeps the conversation while it lasts"
    backend.new_conversation()
    assert backend.wait_idle(60)
    assert rows_of(live_stack, old) == 0, "the ended conversation is erased"
    backend.send_text("hello", "text")  # Rasa goes on working with the same tracker store
    assert backend.wait_idle(60)
    assert rows_of(live_stack, backend.sender_id) > 0
    with sqlite3.connect(live_stack.settings.tracker_db_path) as conn:
        text = " ".join(str(r[0]) for r in conn.execute("SELECT data FROM events"))
    assert phone not in text
    rasa_log = live_stack.settings.var_dir / "logs" / "rasa.log"
    tracker_db = live_stack.settings.tracker_db_path
    for path in (tracker_db, rasa_log):
        if path.exists():  # created by Rasa under the launcher's umask 077
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
