"""Start and stop the whole back end: services API → action server → Rasa, each checked healthy.

Used by ``linli run`` and by the integration tests (same code, free loopback ports). Children get
SIGTERM, then SIGKILL after a grace period, so Ctrl-C never leaves servers behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from assistant.dialogue import engine
from assistant.shared.config import Settings
from assistant.shared.errors import EngineError
from foundation.private_files import create_private

Progress = Callable[[str], None]


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (all held open together so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (binding is the only sure test)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free to us
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def port_message(port: int, what: str) -> str:
    """The plain sentence for a taken port (``linli run`` prints it, the status file and the console show it)."""
    return (f"Port {port} for the {what} is already in use by another program, so the {what} cannot start "
            "(another Linli, or an old server still running?).")


def port_hint(variable: str) -> str:
    return f"Stop that program, or choose another port with {variable}=PORT."


def ensure_port_free(host: str, port: int, what: str, variable: str) -> None:
    """Refuse to start a child whose port is taken: its health check would be answered by the other process."""
    if port_taken(host, port):
        raise EngineError(port_message(port, what), hint=port_hint(variable))


def _quiet(_: str) -> None:
    pass


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill_group(self) -> int | None:
        """``kill -9`` the child's whole process group (nothing it started may keep its port); its exit code."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text("utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "LINLI_ROOT": str(settings.root), "LINLI_VAR_DIR": str(settings.var_dir), "LINLI_HOST": settings.host,
        "LINLI_SERVICES_PORT": str(settings.services_port), "LINLI_ACTIONS_PORT": str(settings.actions_port),
        "LINLI_RASA_PORT": str(settings.rasa_port), "LINLI_KIOSK_TOKEN": settings.kiosk_token,
        "LINLI_STAFF_TOKEN": settings.staff_token, "LINLI_RASA_TOKEN": settings.rasa_token,
        "LINLI_KIOSK_ID": settings.kiosk_id, "LINLI_KIOSK_LOCATION": settings.kiosk_location,
        "LINLI_KNOWLEDGE_DIR": str(settings.knowledge_dir), "PYTHONUNBUFFERED": "1",
    })
    if settings.services_url_override:
        env["LINLI_SERVICES_URL"] = settings.services_url_override
    return env


def wait_until(check: Callable[[], bool], child: Child, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise EngineError(f"The {what} stopped while starting. Its last log lines:\n{child.log_tail()}")
        if check():
            return
        time.sleep(0.2)
    raise EngineError(f"The {what} did not become healthy within {timeout:.0f} s. Log:\n{child.log_tail()}")


def _http_ok(url: str, **params: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, params=params, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False
    return check


def _rasa_ready(settings: Settings) -> Callable[[], bool]:
    def check() -> bool:
        try:
            r = httpx.get(f"{settings.rasa_url}/status", params={"token": settings.rasa_token}, timeout=1.0)
            return r.status_code == 200 and bool(r.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False
    return check


@dataclass
class Stack:
    settings: Settings
    progress: Progress = _quiet
    children: dict[str, Child] = field(default_factory=dict)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> Child:
        logs = self.settings.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = create_private(logs / f"{name}.out")  # residents' words may reach a log: mode 600
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(argv, env=env, cwd=cwd or self.settings.root, stdout=log_file,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        child = Child(name, proc, log_path)
        self.children[name] = child
        return child

    # spawn (no waiting) and health, per part: the supervisor (``assistant/supervisor.py``) uses these
    def spawn_services(self) -> Child:
        s = self.settings
        return self._spawn("services", [sys.executable, "-m", "community_services", "--host", s.host,
                                        "--port", str(s.services_port), "--database-url", s.services_db_url],
                           child_env(s))

    def spawn_actions(self) -> Child:
        s = self.settings
        return self._spawn("actions", [sys.executable, "-m", "assistant.dialogue.action_server",
                                       "--port", str(s.actions_port)], child_env(s))

    def spawn_rasa(self, model: Path) -> Child:
        cmd = engine.serve_command(self.settings, model)
        return self._spawn("rasa", cmd.argv, cmd.env | child_env(self.settings), cwd=cmd.cwd)

    def health_check(self, name: str) -> Callable[[], bool]:
        """The part's own health check: services ``/health``, action server ``/health``, Rasa ``/status`` naming
        a loaded model."""
        s = self.settings
        if name == "services":
            return _http_ok(f"{s.services_url}/health")
        if name == "actions":
            return _http_ok(f"http://{s.host}:{s.actions_port}/health")
        if name == "rasa":
            return _rasa_ready(s)
        raise ValueError(f"unknown part {name!r}")

    def port_of(self, name: str) -> tuple[int, str]:
        """The part's port and the variable that sets it."""
        s = self.settings
        return {"services": (s.services_port, "LINLI_SERVICES_PORT"), "actions": (s.actions_port, "LINLI_ACTIONS_PORT"),
                "rasa": (s.rasa_port, "LINLI_RASA_PORT")}[name]

    def start_services(self, timeout: float = 30) -> Child:
        s = self.settings
        ensure_port_free(s.host, s.services_port, "community services", "LINLI_SERVICES_PORT")
        self.progress(f"Starting community services on port {s.services_port}...")
        child = self.spawn_services()
        wait_until(self.health_check("services"), child, timeout, "community services")
        return child

    def start_actions(self, timeout: float = 60) -> Child:
        s = self.settings
        ensure_port_free(s.host, s.actions_port, "action server", "LINLI_ACTIONS_PORT")
        self.progress(f"Starting the action server on port {s.actions_port}...")
        child = self.spawn_actions()
        wait_until(self.health_check("actions"), child, timeout, "action server")
        return child

    def start_rasa(self, model: Path, timeout: float = 120) -> Child:
        s = self.settings
        ensure_port_free(s.host, s.rasa_port, "dialogue engine (Rasa)", "LINLI_RASA_PORT")
        self.progress(f"Starting the dialogue engine (Rasa) on port {s.rasa_port}; this takes about 20 s...")
        child = self.spawn_rasa(model)
        wait_until(self.health_check("rasa"), child, timeout, "dialogue engine (Rasa)")
        return child

    def start_all(self, model: Path) -> None:
        try:
            self.start_services()
            self.start_actions()
            self.start_rasa(model)
        except BaseException:
            self.stop_all()
            raise

    def stop(self, name: str, grace: float = 10) -> None:
        child = self.children.pop(name, None)
        if child is None or not child.alive():
            return
        try:
            os.killpg(child.process.pid, signal.SIGTERM)
            child.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for name in ("rasa", "actions", "services"):
            self.stop(name)
