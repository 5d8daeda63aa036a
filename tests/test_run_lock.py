"""One ``linli run`` per installation (``assistant/run_lock.py``) and the port check before each child starts.

Real processes: the lock is held by another Python process (as a running ``linli run`` holds it), killed
with ``kill -9`` by its pid to show a crashed run never blocks the next one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.run_lock import LOCK_FILE, AlreadyRunning, RunLock
from assistant.shared.config import Settings
from assistant.shared.errors import EngineError
from assistant.stack import Stack, ensure_port_free, port_taken

ROOT = Path(__file__).resolve().parents[1]

HOLDER = """
import sys, time
from pathlib import Path
from assistant.run_lock import RunLock
from assistant.shared.config import Settings
lock = RunLock(Settings(var_dir=Path(sys.argv[1])))  # kept: a dropped lock object closes its file
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def _hold_lock(var_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(var_dir)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path)
    try:
        with pytest.raises(AlreadyRunning) as caught:
            RunLock(Settings(var_dir=tmp_path)).acquire()
        assert f"process {holder.pid}" in caught.value.message
        assert f"kill {holder.pid}" in str(caught.value.hint)
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_run_does_not_block_the_next(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with RunLock(Settings(var_dir=tmp_path)) as lock:
        assert str(os.getpid()) in lock.path.read_text("utf-8")


def test_the_lock_is_released_on_exit(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    with RunLock(settings):
        pass
    with RunLock(settings):  # would raise if the first were still held
        assert (tmp_path / LOCK_FILE).exists()


def test_a_second_linli_run_says_so_and_exits_before_training(tmp_path: Path) -> None:
    """The reported bug: a second run said "Linli is ready" with the first stack's processes answering."""
    holder = _hold_lock(tmp_path)
    env = {**os.environ, "LINLI_VAR_DIR": str(tmp_path)}
    try:
        started = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "assistant.cli", "run", "--no-frontend"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Linli is already running here" in out.stderr
    assert f"process {holder.pid}" in out.stderr
    assert "ready" not in out.stdout
    assert not (tmp_path / "models").exists()  # stopped before building or training anything
    assert time.monotonic() - started < 60


def test_a_taken_port_is_found_and_named() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_taken("127.0.0.1", port)
        with pytest.raises(EngineError) as caught:
            ensure_port_free("127.0.0.1", port, "action server", "LINLI_ACTIONS_PORT")
    assert f"Port {port} for the action server is already in use" in caught.value.message
    assert "LINLI_ACTIONS_PORT" in str(caught.value.hint)
    assert not port_taken("127.0.0.1", port)


def test_a_child_is_not_started_on_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        stack = Stack(Settings(var_dir=tmp_path, services_port=port))
        with pytest.raises(EngineError, match="community services"):
            stack.start_services(timeout=5)
    assert stack.children == {}
