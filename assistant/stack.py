"""Start and stop the whole back end: services API → action server → Rasa, each checked healthy.

Used by ``linli run`` and by the integration tests (same code, free loopback ports). Children get
SIGTERM, then SIGKILL after a grace period, so Ctrl-C never leaves servers behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from assistant.dialogue import engine
from assistant.shared.config import LOOPBACK, PROJECT_ROOT, Settings
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


PART_SECRETS: dict[str, tuple[str, ...]] = {
    "services": ("kiosk", "staff"),  # it checks both kinds of caller
    "actions": ("kiosk", "reload"),  # it calls the services as a kiosk; it serves the reload route
    "rasa": (),                      # its own token only, handed over by engine.serve_command
}
"""Which tokens each child gets (docs/security.md): one secret per purpose, each process only what it needs."""
OFFICE_SECRETS = ("LINLI_SMTP_PASSWORD", "LINLI_ESCALATION_WEBHOOK")
"""The office's own secrets (escalation): passed from our environment to the services only."""


def child_env(settings: Settings, part: str) -> dict[str, str]:
    """The environment of one child: ours without any secret, the settings it needs, and only its own secrets.

    ``LINLI_SECRETS_FROM_LAUNCHER`` tells it not to fill missing tokens from var/tokens.json.
    """
    env = engine.without_secrets(os.environ)
    env.update({
        "LINLI_ROOT": str(settings.root), "LINLI_VAR_DIR": str(settings.var_dir), "LINLI_HOST": settings.host,
        "LINLI_SERVICES_PORT": str(settings.services_port), "LINLI_ACTIONS_PORT": str(settings.actions_port),
        "LINLI_RASA_PORT": str(settings.rasa_port), "LINLI_GUIDE_HOST": settings.guide_host,
        "LINLI_GUIDE_PORT": str(settings.guide_port), "LINLI_TLS_CERT": str(settings.tls_cert),
        "LINLI_TLS_KEY": str(settings.tls_key), "LINLI_ALLOW_PLAIN_HTTP": "1" if settings.allow_plain_http else "0",
        "LINLI_PUBLIC_URL": settings.public_url, "LINLI_SECRETS_FROM_LAUNCHER": "1",
        "LINLI_KIOSK_ID": settings.kiosk_id, "LINLI_KIOSK_LOCATION": settings.kiosk_location,
        "LINLI_KNOWLEDGE_DIR": str(settings.knowledge_dir), "PYTHONUNBUFFERED": "1",
    })
    if part in ("services", "actions"):  # the children run the launcher's own code, whatever the content root
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    for name in PART_SECRETS[part]:
        env[f"LINLI_{name.upper()}_TOKEN"] = getattr(settings, f"{name}_token")
    if part in ("services", "actions") and settings.qr_key:  # both sign or check guide links
        env["LINLI_QR_KEY"] = settings.qr_key
    if part == "services":
        env.update({name: os.environ[name] for name in OFFICE_SECRETS if name in os.environ})
    if settings.services_url_override:
        env["LINLI_SERVICES_URL"] = settings.services_url_override
    elif part == "actions" and settings.uses_tls(settings.host):
        env["SSL_CERT_FILE"] = str(settings.tls_cert)  # httpx trusts the office listener's own certificate
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


def trust(verify: str | bool) -> ssl.SSLContext | bool:
    """httpx's ``verify`` for a certificate file (its ``verify=<path>`` is deprecated)."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


def _http_ok(url: str, verify: str | bool = True, **params: str) -> Callable[[], bool]:
    context = trust(verify)

    def check() -> bool:
        try:
            return httpx.get(url, params=params, timeout=1.0, verify=context).status_code == 200
        except httpx.HTTPError:
            return False
    return check


def _services_ok(settings: Settings) -> Callable[[], bool]:
    """The office API's ``/health`` and the guide listener answering at all (it serves ``/guide/...`` only)."""
    office = _http_ok(f"{settings.services_url}/health", settings.services_verify)
    verify = trust(str(settings.tls_cert) if settings.uses_tls(settings.guide_host) else True)

    def check() -> bool:
        if not office():
            return False
        try:
            httpx.get(f"{settings.guide_url}/guide/", timeout=1.0, verify=verify)
            return True
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

    def __post_init__(self) -> None:
        if not self.settings.reload_token:  # settings made in code (tests, benchmarks): a reload secret of its own
            self.settings = replace(self.settings, reload_token=secrets.token_urlsafe(24))

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
        argv = [sys.executable, "-m", "community_services", "--host", s.host, "--port", str(s.services_port),
                "--guide-host", s.guide_host, "--guide-port", str(s.guide_port), "--database-url", s.services_db_url]
        if s.allow_plain_http:
            argv.append("--allow-plain-http")
        return self._spawn("services", argv, child_env(s, "services"))

    def spawn_actions(self) -> Child:
        s = self.settings
        return self._spawn("actions", [sys.executable, "-m", "assistant.dialogue.action_server",
                                       "--port", str(s.actions_port)], child_env(s, "actions"))

    def spawn_rasa(self, model: Path) -> Child:
        cmd = engine.serve_command(self.settings, model)
        return self._spawn("rasa", cmd.argv, child_env(self.settings, "rasa") | cmd.env, cwd=cmd.cwd)

    def health_check(self, name: str) -> Callable[[], bool]:
        """The part's own health check: services ``/health``, action server ``/health``, Rasa ``/status`` naming
        a loaded model."""
        s = self.settings
        if name == "services":
            return _services_ok(s)
        if name == "actions":
            return _http_ok(f"http://{LOOPBACK}:{s.actions_port}/health")
        if name == "rasa":
            return _rasa_ready(s)
        raise ValueError(f"unknown part {name!r}")

    def host_of(self, name: str) -> str:
        """The address the part listens on: the office API on ``LINLI_HOST``; the action server and Rasa on
        loopback, always."""
        return self.settings.host if name == "services" else LOOPBACK

    def port_of(self, name: str) -> tuple[int, str]:
        """The part's port and the variable that sets it."""
        s = self.settings
        return {"services": (s.services_port, "LINLI_SERVICES_PORT"), "actions": (s.actions_port, "LINLI_ACTIONS_PORT"),
                "rasa": (s.rasa_port, "LINLI_RASA_PORT")}[name]

    def start_services(self, timeout: float = 30) -> Child:
        s = self.settings
        ensure_port_free(s.host, s.services_port, "community services", "LINLI_SERVICES_PORT")
        ensure_port_free(s.guide_host, s.guide_port, "walking guide", "LINLI_GUIDE_PORT")
        self.progress(f"Starting community services on port {s.services_port}...")
        child = self.spawn_services()
        wait_until(self.health_check("services"), child, timeout, "community services")
        return child

    def start_actions(self, timeout: float = 60) -> Child:
        s = self.settings
        ensure_port_free(LOOPBACK, s.actions_port, "action server", "LINLI_ACTIONS_PORT")
        self.progress(f"Starting the action server on port {s.actions_port}...")
        child = self.spawn_actions()
        wait_until(self.health_check("actions"), child, timeout, "action server")
        return child

    def start_rasa(self, model: Path, timeout: float = 120) -> Child:
        s = self.settings
        ensure_port_free(LOOPBACK, s.rasa_port, "dialogue engine (Rasa)", "LINLI_RASA_PORT")
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
