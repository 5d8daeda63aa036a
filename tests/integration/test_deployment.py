"""Deployment checks on the real stack (docs/security.md, "Network boundaries").

The office API and the phones' guide listen on "the LAN" with a certificate made by ``linli tls make``'s code;
Rasa and the action server must not be reachable there, no secret may be on any command line of the stack's
processes, and each child holds only its own secrets. "The LAN" is this machine's own non-loopback address
(``hostname -I``); on a machine with none, 127.0.0.2 stands for it (then "refused" shows which address each
listener bound, not a second machine's view).
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant import doctor
from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import PROJECT_ROOT, Settings
from assistant.shared.errors import DialogueUnavailable
from assistant.stack import Stack, free_ports
from assistant.supervisor import Supervisor
from assistant.tls import make_certificate
from tests.community_services.test_guide_listener import lan_address

LAN = lan_address()
TOKENS = {"kiosk_token": "dep-kiosk-token-0123456789", "staff_token": "dep-staff-token-0123456789",
          "rasa_token": "dep-rasa-token-01234567890", "reload_token": "dep-reload-token-012345678"}


def refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return False
    except ConnectionRefusedError:
        return True


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """``pid`` and every process below it (from /proc/<pid>/stat's parent field)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = {pid}, [pid]
    while todo:
        current = todo.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Iterator[tuple[Stack, Supervisor]]:
    var = tmp_path_factory.mktemp("deployed-var")
    make_certificate(var / "tls" / "cert.pem", var / "tls" / "key.pem", ips=[LAN])
    services, actions, rasa = free_ports(3)
    guide = free_ports(1)[0]
    settings = Settings(var_dir=var, host=LAN, guide_host=LAN, guide_port_override=guide, services_port=services,
                        actions_port=actions, rasa_port=rasa, knowledge_dir_override=PROJECT_ROOT / "knowledge",
                        kiosk_id="kiosk-deploy", kiosk_location="Deployment test lobby", kiosk_voice=False,
                        **TOKENS)  # type: ignore[arg-type]
    assert doctor.before_run(settings) == []  # what `linli run` checks first: this configuration is safe
    stack = Stack(settings, progress=print)
    supervisor = Supervisor.for_stack(stack, lambda: trained_model, progress=print)
    supervisor.start()
    try:
        assert supervisor.wait_ready(360), supervisor.status().summary()
        yield stack, supervisor
    finally:
        supervisor.stop()
        stack.stop_all()


def trusting(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(settings.tls_cert))


def test_rasa_and_the_action_server_are_not_reachable_from_the_lan(deployed: tuple[Stack, Supervisor]) -> None:
    s = deployed[0].settings
    for port in (s.actions_port, s.rasa_port):
        assert answers("127.0.0.1", port), port
        assert refused(LAN, port), f"port {port} answers on {LAN}"
    exposed = [a for port in (s.actions_port, s.rasa_port) for a in doctor.listening(port) if a != "127.0.0.1"]
    assert exposed == []


def test_the_lan_listeners_speak_tls_with_the_generated_certificate(deployed: tuple[Stack, Supervisor]) -> None:
    s = deployed[0].settings
    assert s.services_url.startswith(f"https://{LAN}:") and s.guide_url.startswith(f"https://{LAN}:")
    with httpx.Client(verify=trusting(s), timeout=10) as office:
        assert office.get(f"{s.services_url}/health").status_code == 200
        kiosk = {"Authorization": f"Bearer {s.kiosk_token}"}
        assert office.get(f"{s.services_url}/api/v1/facilities", headers=kiosk).status_code == 200
    with httpx.Client(verify=trusting(s), timeout=10) as phone:
        assert phone.get(f"{s.guide_url}/guide/sunny-garden").status_code == 403  # unsigned: the refusal page
        for path in ("/api/v1/facilities", "/console", "/health", "/docs"):
            assert phone.get(f"{s.guide_url}{path}").status_code == 404, path
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{s.services_url}/health", timeout=5)  # without the certificate: not trusted


def test_no_secret_on_any_command_line_and_each_child_holds_only_its_own(
        deployed: tuple[Stack, Supervisor]) -> None:
    stack, supervisor = deployed
    pids = {part.name: part.pid for part in supervisor.status().parts}
    assert all(pids.values()), pids
    every = set(TOKENS.values()) | {stack.settings.reload_token}
    for name, pid in pids.items():
        assert pid is not None
        for process in descendants(pid):
            try:
                cmdline = Path(f"/proc/{process}/cmdline").read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            assert not [t for t in every if t in cmdline], f"a secret on the command line of {name} ({process})"
    assert [f for f in doctor.before_run(stack.settings) if "command line" in f.text] == []

    def environment(pid: int) -> str:
        return Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", "replace")

    holds = {name: {k for k, v in TOKENS.items() if v in environment(pid)} for name, pid in pids.items()
             if pid is not None}
    assert holds == {"services": {"kiosk_token", "staff_token"}, "actions": {"kiosk_token", "reload_token"},
                     "rasa": {"rasa_token"}}


def test_the_assistant_still_answers_through_the_boundaries(deployed: tuple[Stack, Supervisor]) -> None:
    s = deployed[0].settings
    with ConversationClient(s.rasa_url, s.rasa_token) as chat:
        replies = chat.send(f"deploy-{time.monotonic_ns()}", "When is the community clinic open?")
    assert replies and any(r.text for r in replies)
    with ConversationClient(s.rasa_url, "wrong-token") as stranger, pytest.raises(DialogueUnavailable):
        stranger.status()  # Rasa's API without its token is refused
