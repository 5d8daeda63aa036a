"""Fault injection on the real stack under the supervisor (``assistant/supervisor.py``, as ``linli run`` runs it):
real processes on loopback ports, ``kill -9`` by pid only.

* a port taken at start-up: the part is ``down`` with a plain message, the stack degraded; ready once it frees;
* the services killed: restarted and answering, and what the outbox queued meanwhile is delivered exactly once;
* the action server killed mid-conversation: the resident gets a plain sentence, then the conversation goes on;
* Rasa killed: restarted with the same model;
* the services killed between a create's commit and its response (the test hook): one row after the retry;
* two processes flushing one outbox file at once: one row per item;
* SQLite locked by another connection: the outbox waits, or says plainly it could not store (nothing half-written);
  the services database locked: the request is queued and delivered once later;
* the disk full under the outbox (a 1 MiB tmpfs, root only): the resident is told to ask at the office, nothing is
  half-written, and what was already queued is delivered once there is space.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import PROJECT_ROOT, Settings
from assistant.shared.events import Error, Event, Reply
from assistant.shared.stack_status import STATUS_FILE, read_status
from assistant.skill_runtime.outbox import Outbox, OutboxUnavailable
from assistant.stack import Stack, free_ports
from assistant.supervisor import Supervisor
from community_services.client import ServicesClient
from kiosk_app.backend import NO_ANSWER, UNAVAILABLE, Backend
from tests.integration.conftest import KIOSK_TOKEN, RASA_TOKEN, STAFF_TOKEN

HOOK_PATH = "/api/v1/feedback"
HOOK_SECONDS = 20.0
TICKET = {"problem_type": "plumbing", "place": "Building 3, flat 201", "phone": "13800138000"}


class Faults:
    """A supervised stack of its own (its own ports and var folder), started on first use."""

    def __init__(self, settings: Settings, model: Path) -> None:
        self.settings, self.model = settings, model
        self.stack = Stack(settings)
        self.lines: list[str] = []
        self.sup: Supervisor | None = None

    def start(self) -> Supervisor:
        if self.sup is not None:
            self.sup.stop()
        self.sup = Supervisor.for_stack(self.stack, lambda: self.model, progress=self.lines.append)
        self.sup.start()
        return self.sup

    def ready(self, timeout: float = 300) -> Supervisor:
        sup = self.sup or self.start()
        assert sup.wait_ready(timeout), sup.status().summary() + "\n" + "\n".join(self.lines[-10:])
        return sup

    def stop(self) -> None:
        if self.sup is not None:
            self.sup.stop()
        self.stack.stop_all()

    @property
    def db(self) -> Path:
        return self.settings.var_dir / "services.db"

    def rows(self, table: str, column: str, marker: str) -> int:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} LIKE ?",  # noqa: S608 - ours
                                    (f"%{marker}%",)).fetchone()[0])

    def client(self, timeout: float = 5.0) -> ServicesClient:
        return ServicesClient(self.settings.services_url, self.settings.kiosk_token, timeout=timeout)


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Iterator[Faults]:
    services, actions, rasa = free_ports(3)
    settings = Settings(var_dir=tmp_path_factory.mktemp("faults-var"), services_port=services, actions_port=actions,
                        rasa_port=rasa, kiosk_token=KIOSK_TOKEN, staff_token=STAFF_TOKEN, rasa_token=RASA_TOKEN,
                        kiosk_id="kiosk-faults", kiosk_location="Fault lobby")
    with pytest.MonkeyPatch.context() as mp:  # the services test hook, for this module's children only
        mp.setenv("LINLI_TEST_PAUSE_AFTER_COMMIT", f"{HOOK_PATH}={HOOK_SECONDS}")
        f = Faults(settings, trained_model)
        try:
            yield f
        finally:
            f.stop()


def _kill(sup: Supervisor, name: str) -> int:
    pid = sup.pid(name)
    assert pid is not None, f"{name} has no process"
    os.kill(pid, signal.SIGKILL)
    _wait(lambda: sup.status().part(name).state != "up", 10, f"{name} still counted as up")  # type: ignore[union-attr]
    assert sup.status().state == "degraded"
    return pid


def _back(sup: Supervisor, name: str, old_pid: int, timeout: float) -> None:
    assert sup.wait_ready(timeout), sup.status().summary()
    part = sup.status().part(name)
    assert part is not None and part.restarts >= 1 and part.last_exit_code == -9, part
    assert sup.pid(name) not in (None, old_pid)


def _wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


def _deliver(outbox: Outbox, timeout: float = 60) -> None:
    def done() -> bool:
        outbox.flush()
        return outbox.count("pending") == 0
    _wait(done, timeout, "the outbox did not empty")


# --- 1. a port taken at start-up ----------------------------------------------------------------------------


def test_a_taken_port_is_reported_down_with_a_plain_message_and_the_part_starts_once_it_frees(faults: Faults) -> None:
    port = faults.settings.actions_port
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    try:
        sup = faults.start()
        assert sup.wait_part("actions", "down", 120), sup.status()
        assert sup.wait_part("rasa", "up", 300), sup.status()  # the others start; the stack is not "ready"
        status = sup.status()
        assert status.state == "degraded"
        part = status.part("actions")
        assert part is not None and part.pid is None
        assert f"Port {port} for the action server is already in use by another program" in part.message
        assert "LINLI_ACTIONS_PORT" in part.message and "Trying again in" in part.message
        on_disk = read_status(faults.settings.var_dir / STATUS_FILE)
        assert on_disk is not None and on_disk.state == "degraded"
        assert any(f"Port {port}" in line for line in faults.lines)
    finally:
        squatter.close()
    assert sup.wait_ready(60), sup.status().summary()  # the next try (≤ 30 s backoff) finds it free


# --- 2. the services killed ------------------------------------------------------------------------------------


def test_killed_services_are_restarted_and_the_queued_ticket_is_delivered_exactly_once(faults: Faults,
                                                                                     tmp_path: Path) -> None:
    sup = faults.ready()
    marker = f"faults-svc-{uuid.uuid4().hex[:8]}"
    old = _kill(sup, "services")
    with faults.client() as client:
        outbox = Outbox(tmp_path / "outbox.db", client)
        sub = outbox.submit("ticket", {**TICKET, "description": f"The tap leaks {marker}"})
        assert sub.queued, "submitted while the services were dead: it must wait in the outbox"
        _back(sup, "services", old, 60)
        _deliver(outbox)
        outbox.flush()  # a second flush creates nothing
    assert faults.rows("tickets", "description", marker) == 1
    assert any("community services stopped (exit code -9)" in line for line in faults.lines)


# --- 3. the action server killed mid-conversation -----------------------------------------------------------


def test_a_killed_action_server_is_restarted_and_the_conversation_goes_on(faults: Faults) -> None:
    sup = faults.ready()
    events: list[Event] = []
    backend = Backend(faults.settings, events.append, voice=False)
    try:
        backend.send_text("when is the library open")
        assert backend.wait_idle(60)
        assert any(isinstance(e, Reply) and "9" in e.text for e in events), events
        old = _kill(sup, "actions")
        before = len(events)
        backend.send_text("when is the gym open")  # the action server is dead right now
        assert backend.wait_idle(60)
        during = events[before:]
        said = [e.text for e in during if isinstance(e, Reply) and e.text]
        plain = [e.message for e in during if isinstance(e, Error)]
        assert said or plain, "the resident got no answer at all"
        assert all(m in (NO_ANSWER, UNAVAILABLE) for m in plain), plain
        _back(sup, "actions", old, 90)
        before = len(events)
        backend.send_text("when is the library open")
        assert backend.wait_idle(60)
        assert any(isinstance(e, Reply) and "9" in e.text for e in events[before:]), events[before:]
    finally:
        backend.close()


# --- 4. Rasa killed ----------------------------------------------------------------------------------------


def test_killed_rasa_is_restarted_with_the_same_model(faults: Faults) -> None:
    sup = faults.ready()
    old = _kill(sup, "rasa")
    assert sup.status().state == "degraded"
    _back(sup, "rasa", old, 300)
    with ConversationClient(faults.settings.rasa_url, faults.settings.rasa_token) as chat:
        assert Path(str(chat.status()["model_file"])).name == faults.model.name
        assert any(r.text for r in chat.send(f"faults-{uuid.uuid4().hex[:6]}", "hello"))


# --- 5. killed between commit and response ----------------------------------------------------------------


def test_services_killed_between_commit_and_response_give_one_row_after_the_retry(faults: Faults,
                                                                                 tmp_path: Path) -> None:
    sup = faults.ready()
    marker = f"faults-commit-{uuid.uuid4().hex[:8]}"
    log = faults.settings.var_dir / "logs" / "services.out"
    log_size = log.stat().st_size
    result: dict[str, Any] = {}
    with faults.client(timeout=HOOK_SECONDS + 30) as client:
        outbox = Outbox(tmp_path / "outbox.db", client)

        def submit() -> None:
            result["sub"] = outbox.submit("feedback", {"text": f"Lift is noisy {marker}"})

        sender = threading.Thread(target=submit)
        sender.start()
        _wait(lambda: "TEST HOOK: committed POST /api/v1/feedback" in log.read_bytes()[log_size:].decode(
            "utf-8", "replace"), 30, "the services did not reach the test hook")
        assert faults.rows("feedback", "text", marker) == 1  # committed, and the kiosk has no answer yet
        old = _kill(sup, "services")
        sender.join(30)
        assert result["sub"].queued, "the answer was lost with the process: the item must stay queued"
        (item,) = outbox.items("pending")
        _back(sup, "services", old, 60)
        _deliver(outbox)  # the same idempotency key: the office answers with the first result
        delivered = outbox.get(item.local_ref)
        assert delivered is not None and delivered.status == "delivered" and delivered.reference
    assert faults.rows("feedback", "text", marker) == 1


# --- 6. two processes flushing one outbox file -------------------------------------------------------------

FLUSHER = """
import sys
from pathlib import Path
from assistant.skill_runtime.outbox import Outbox
from community_services.client import ServicesClient
with ServicesClient(sys.argv[2], sys.argv[3], timeout=10) as client:
    print(Outbox(Path(sys.argv[1]), client).flush(), flush=True)
"""


def test_two_processes_flushing_one_outbox_file_create_one_row_per_item(faults: Faults, tmp_path: Path) -> None:
    faults.ready()
    marker = f"faults-two-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "outbox.db"
    outbox = Outbox(path, client=None)  # type: ignore[arg-type]
    for n in range(12):
        outbox.enqueue("ticket", {**TICKET, "description": f"Light out on floor {n} {marker}-{n:02d}."})
    argv = [sys.executable, "-c", FLUSHER, str(path), faults.settings.services_url, faults.settings.kiosk_token]
    procs = [subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert outbox.count("pending") == 0 and len(outbox.items("delivered")) == 12
    for n in range(12):
        assert faults.rows("tickets", "description", f"{marker}-{n:02d}") == 1, n


# --- 7. SQLite locked -------------------------------------------------------------------------------------


def _hold_lock(db: Path, seconds: float, exclusive: bool = True) -> threading.Thread:
    held = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE" if exclusive else "BEGIN IMMEDIATE")
            held.set()
            time.sleep(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return thread


def test_a_locked_outbox_file_makes_the_write_wait_or_fail_plainly_never_half_written(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    outbox = Outbox(path, client=None, busy_timeout=5)  # type: ignore[arg-type]
    holder = _hold_lock(path, 1.5)
    started = time.monotonic()
    ref = outbox.enqueue("feedback", {"text": "waited for the lock"})  # waits, then stores
    assert time.monotonic() - started >= 1.0
    holder.join()
    assert outbox.get(ref) is not None
    impatient = Outbox(path, client=None, busy_timeout=0.5)  # type: ignore[arg-type]
    holder = _hold_lock(path, 3)
    with pytest.raises(OutboxUnavailable) as caught:
        impatient.enqueue("feedback", {"text": "not stored"})
    holder.join()
    assert "busy" in caught.value.message and "Nothing was stored" in caught.value.message
    assert "ask at the Property Management Office" in str(caught.value.hint)
    assert [i.payload["text"] for i in outbox.items()] == ["waited for the lock"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_locked_services_database_queues_the_request_and_it_is_delivered_once(faults: Faults,
                                                                             tmp_path: Path) -> None:
    faults.ready()
    marker = f"faults-dblock-{uuid.uuid4().hex[:8]}"
    holder = _hold_lock(faults.db, 12)
    try:
        with faults.client() as client:
            outbox = Outbox(tmp_path / "outbox.db", client)
            sub = outbox.submit("ticket", {**TICKET, "description": f"Door stuck {marker}"})
            holder.join()
            if sub.queued:
                _deliver(outbox)
            outbox.flush()
    finally:
        holder.join()
    assert faults.rows("tickets", "description", marker) == 1


# --- 8. the disk full under the outbox -----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a 1 MiB tmpfs (mount -t tmpfs -o size=1m); run the test as root")
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): {out.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Write zeros until the filesystem is full (unbuffered: every byte that fits is on the disk)."""
    filler = folder / "filler"
    stat = os.statvfs(folder)
    assert stat.f_bavail > 0, f"the small disk is already full: {os.listdir(folder)}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_tells_the_resident_to_ask_and_the_queued_item_is_delivered_once_there_is_space(
        faults: Faults, small_disk: Path) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from assistant.skill_runtime import context
    from assistant.skill_runtime.outbox_submit import submit_and_tell

    faults.ready()
    marker = f"faults-full-{uuid.uuid4().hex[:8]}"
    path = small_disk / "outbox.db"
    with faults.client() as client:
        outbox = Outbox(path, client)
        queued = outbox.enqueue("ticket", {**TICKET, "description": f"Queued before the disk filled {marker}-a"})
        filler = _fill(small_disk)
        with pytest.raises(OutboxUnavailable) as caught:
            outbox.enqueue("ticket", {**TICKET, "description": f"Not stored {marker}-b"})
        assert "disk is full" in caught.value.message and "Nothing was stored" in caught.value.message

        # what the resident hears from a skill (report_repair, give_feedback) when the outbox cannot store it
        context.configure(context.SkillContext(settings=faults.settings, services=client, outbox=outbox))
        dispatcher = CollectingDispatcher()
        from skills.give_feedback.actions import REPLIES
        assert submit_and_tell(dispatcher, "feedback", {"text": f"Not stored {marker}-c"}, REPLIES) is None
        # the response that says it could not be saved and where to go instead (its words are in skill.yml)
        assert [m.get("response") for m in dispatcher.messages] == [REPLIES.unsaved]

        with pytest.raises(OutboxUnavailable):  # the sender thread logs this and tries again later
            outbox.flush()  # (in WAL mode even reading the file needs a little space)
        assert faults.rows("tickets", "description", f"{marker}-a") <= 1
        filler.unlink()
        _deliver(outbox)
        item = outbox.get(queued)
        assert item is not None and item.status == "delivered"
        assert [i.local_ref for i in outbox.items()] == [queued]  # nothing half-written
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert faults.rows("tickets", "description", f"{marker}-a") == 1
    assert faults.rows("tickets", "description", f"{marker}-b") == 0
    assert faults.rows("feedback", "text", f"{marker}-c") == 0
