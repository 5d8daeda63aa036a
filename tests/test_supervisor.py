"""The supervisor (``assistant/supervisor.py``) with small real processes: tiny HTTP servers on loopback ports,
killed with ``kill -9`` by their pid. The real stack's faults are in ``tests/integration/test_faults.py``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.shared.stack_status import STATUS_FILE, PartStatus, StackStatus, read_status, write_status
from assistant.stack import Child, free_ports
from assistant.supervisor import PartSpec, Supervisor, backoff

SERVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""
DIES_AT_START = "import sys; sys.exit(3)"


def _spec(name: str, port: int, tmp: Path, code: str = SERVER, spawned: list[float] | None = None) -> PartSpec:
    children: list[Child] = []

    def spawn() -> Child:
        if spawned is not None:
            spawned.append(time.monotonic())
        log = tmp / f"{name}.out"
        with open(log, "ab") as f:
            proc = subprocess.Popen([sys.executable, "-c", code, str(port)], stdout=f, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        children.append(Child(name, proc, log))
        return children[-1]

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop() -> None:
        for c in children:
            if c.alive():
                c.kill_group()

    return PartSpec(name=name, host="127.0.0.1", port=port, variable=f"LINLI_{name.upper()}_PORT", spawn=spawn,
                    healthy=healthy, stop=stop, start_timeout=10)


@pytest.fixture
def lines() -> list[str]:
    return []


def _supervisor(specs: list[PartSpec], tmp: Path, lines: list[str], **kw: float) -> Supervisor:
    options = {"backoff_start": 0.2, "backoff_cap": 1.0, "stable_after": 60.0, "health_every": 0.3, **kw}
    return Supervisor(specs, tmp / STATUS_FILE, progress=lines.append, **options)  # type: ignore[arg-type]


@pytest.fixture
def running(tmp_path: Path, lines: list[str]) -> Iterator[Supervisor]:
    a, b = free_ports(2)
    sup = _supervisor([_spec("services", a, tmp_path), _spec("actions", b, tmp_path)], tmp_path, lines)
    sup.start()
    try:
        assert sup.wait_ready(20), sup.status()
        yield sup
    finally:
        sup.stop()


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_a_killed_part_is_restarted_and_the_stack_is_degraded_meanwhile(running: Supervisor, tmp_path: Path,
                                                                         lines: list[str]) -> None:
    old = running.pid("actions")
    assert old is not None
    os.kill(old, signal.SIGKILL)
    assert running.wait_part("actions", "restarting", 5)
    assert running.status().state == "degraded"
    on_disk = read_status(tmp_path / STATUS_FILE)
    assert on_disk is not None and on_disk.state == "degraded"
    assert running.wait_ready(15)
    part = running.status().part("actions")
    assert part is not None and part.restarts == 1 and part.last_exit_code == -9
    assert running.pid("actions") not in (None, old)
    assert any("action server stopped (exit code -9)" in line for line in lines), lines
    assert any("answering again" in line for line in lines)
    data = json.loads((tmp_path / STATUS_FILE).read_text())
    assert data["state"] == "ready" and data["parts"][1]["restarts"] == 1
    assert running.recoveries[-1].up_at is not None


def test_a_part_that_keeps_dying_at_start_is_reported_loudly_and_not_restarted_in_a_hot_loop(
        tmp_path: Path, lines: list[str]) -> None:
    (port,) = free_ports(1)
    spawned: list[float] = []
    sup = _supervisor([_spec("actions", port, tmp_path, DIES_AT_START, spawned)], tmp_path, lines,
                      backoff_cap=0.8, loud_after=3)
    sup.start()
    try:
        assert sup.wait_part("actions", "failing", 15), sup.status()
        time.sleep(2.0)
    finally:
        sup.stop()
    gaps = [b - a for a, b in zip(spawned, spawned[1:], strict=False)]
    assert len(spawned) < 15, f"hot loop: {len(spawned)} starts"
    assert gaps[-1] >= 0.75  # at the cap
    assert gaps[0] < gaps[-1]  # and it grew to it
    loud = [line for line in lines if "in a row" in line]
    assert loud and "exit code 3" in loud[0]
    assert sup.status().part("actions").last_exit_code == 3  # type: ignore[union-attr]


def test_a_taken_port_is_reported_plainly_and_the_part_starts_once_it_is_free(tmp_path: Path,
                                                                              lines: list[str]) -> None:
    (port,) = free_ports(1)
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    sup = _supervisor([_spec("actions", port, tmp_path)], tmp_path, lines)
    sup.start()
    try:
        assert sup.wait_part("actions", "down", 5)
        st = sup.status()
        assert st.state == "degraded"
        part = st.part("actions")
        assert part is not None and part.pid is None
        assert f"Port {port} for the action server is already in use by another program" in part.message
        assert "LINLI_ACTIONS_PORT" in part.message
        squatter.close()
        assert sup.wait_ready(10), sup.status()
        # waiting for a port is not failing: a crash now restarts after the first backoff step, not the cap
        os.kill(sup.pid("actions"), signal.SIGKILL)  # type: ignore[arg-type]
        assert sup.wait_part("actions", "restarting", 5)
        assert sup.wait_ready(10)
    finally:
        squatter.close()
        sup.stop()
    assert sup.status().state == "stopped"


def test_stop_stops_every_part_and_nothing_is_started_again(running: Supervisor) -> None:
    pids = [running.pid("services"), running.pid("actions")]
    running.stop()
    time.sleep(0.5)
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert running.status().state == "stopped"


def test_the_status_file_is_replaced_whole_and_a_stale_one_is_not_believed(tmp_path: Path) -> None:
    path = tmp_path / STATUS_FILE
    status = StackStatus(state="degraded", parts=[PartStatus("actions", state="restarting", restarts=3)],
                         updated=1000.0)
    write_status(path, status)
    assert [p.name for p in path.parent.iterdir()] == ["stack-status.json"]  # no temporary file left
    fresh = read_status(path, now=1010.0)
    assert fresh is not None and fresh.state == "degraded"
    assert fresh.summary() == "Degraded: action server restarting (3 restarts)"
    stale = read_status(path, now=1000.0 + 3600)
    assert stale is not None and stale.state == "unknown"
    assert read_status(tmp_path / "missing.json") is None
    path.write_text("{half", "utf-8")
    assert read_status(path) is None
