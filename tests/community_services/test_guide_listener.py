"""The phones' listener (``guide_app.py``): ``/guide/...`` and its map picture only, with TLS beyond loopback.

"The LAN" is this machine's own non-loopback address when it has one (``hostname -I``), else 127.0.0.2, a
second loopback address that stands for it (the checks are then about which address each listener binds).
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.tls import make_certificate
from community_services.guide_app import create_guide_app
from wayfinding.guide_links import GuideLink

ROOT = Path(__file__).resolve().parents[2]
KEY = "the-sunny-garden-test-key-0000000000000"


def lan_address() -> str:
    """This machine's first non-loopback IPv4 address, or 127.0.0.2 standing for it."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = []
    for address in out:
        if "." in address and not address.startswith("127."):
            return address
    return "127.0.0.2"


LAN = lan_address()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    make_certificate(cert, key, ips=[LAN])
    return cert, key


def start(tmp: Path, args: list[str], extra_env: dict[str, str]) -> subprocess.Popen[str]:
    env = {**os.environ, "LINLI_KIOSK_TOKEN": "kiosk-token-0123456789", "LINLI_STAFF_TOKEN": "staff-token-0123456789",
           "LINLI_VAR_DIR": str(tmp), "LINLI_QR_KEY": KEY, **extra_env}
    for name in ("LINLI_GUIDE_HOST", "LINLI_GUIDE_PORT", "LINLI_ALLOW_PLAIN_HTTP"):
        if name not in extra_env:
            env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "community_services", "--no-seed",
                             "--database-url", f"sqlite:///{tmp / 'services.db'}", *args],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def trusting(cert: Path) -> ssl.SSLContext:
    """A client that trusts exactly this certificate (as a phone that accepted it once)."""
    return ssl.create_default_context(cafile=str(cert))


def wait(process: subprocess.Popen[str], url: str, verify: ssl.SSLContext | bool = True) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=0.5, verify=verify)
            return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"the server exited: {process.stderr.read() if process.stderr else ''}"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def listeners(tmp_path_factory: pytest.TempPathFactory, cert: tuple[Path, Path]) -> Iterator[tuple[str, str]]:
    """The services with the office API on loopback and the guide on "the LAN" with TLS: (office, guide) URLs."""
    tmp = tmp_path_factory.mktemp("var")
    office_port, guide_port = free_port(), free_port(LAN)
    process = start(tmp, ["--host", "127.0.0.1", "--port", str(office_port), "--guide-host", LAN,
                          "--guide-port", str(guide_port)],
                    {"LINLI_TLS_CERT": str(cert[0]), "LINLI_TLS_KEY": str(cert[1])})
    office, guide = f"http://127.0.0.1:{office_port}", f"https://{LAN}:{guide_port}"
    try:
        wait(process, f"{office}/health")
        wait(process, f"{guide}/guide/", verify=trusting(cert[0]))
        yield office, guide
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_guide_listener_serves_the_guide_with_tls(listeners: tuple[str, str], cert: tuple[Path, Path]) -> None:
    _, guide = listeners
    link = GuideLink("sunny-garden", at="kiosk", to="community-clinic")
    with httpx.Client(verify=trusting(cert[0]), timeout=30) as phone:  # the generated certificate, checked for real
        page = phone.get(link.to_url(guide, KEY.encode()))
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        picture = phone.get(f"{guide}/guide/sunny-garden/map.png?{link.query(KEY.encode())}")
        assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    with pytest.raises(httpx.ConnectError):  # a client that does not know the certificate is not fooled
        httpx.get(f"{guide}/guide/sunny-garden", timeout=5)


@pytest.mark.parametrize("path", ["/api/v1/facilities", "/api/v1/alerts", "/console", "/console/login",
                                  "/console/static/console.js", "/health", "/docs", "/openapi.json", "/redoc"])
def test_the_guide_listener_has_nothing_else(listeners: tuple[str, str], cert: tuple[Path, Path],
                                             path: str) -> None:
    _, guide = listeners
    headers = {"Authorization": "Bearer staff-token-0123456789"}
    assert httpx.get(f"{guide}{path}", headers=headers, verify=trusting(cert[0]), timeout=10).status_code == 404


def test_the_office_api_is_not_on_the_lan(listeners: tuple[str, str]) -> None:
    office, _ = listeners
    assert httpx.get(f"{office}/health", timeout=5).status_code == 200
    assert refused(LAN, int(office.rsplit(":", 1)[1]))


def test_a_lan_listener_without_tls_is_refused_unless_allowed(tmp_path: Path) -> None:
    port = free_port()
    process = start(tmp_path, ["--port", str(port), "--guide-host", LAN, "--guide-port", str(free_port(LAN))],
                    {"LINLI_TLS_CERT": str(tmp_path / "none.pem"), "LINLI_TLS_KEY": str(tmp_path / "none.key")})
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"refusing to listen on {LAN} without TLS" in err and "linli tls make" in err

    guide_port = free_port(LAN)
    process = start(tmp_path, ["--port", str(port), "--guide-host", LAN, "--guide-port", str(guide_port)],
                    {"LINLI_TLS_CERT": str(tmp_path / "none.pem"), "LINLI_ALLOW_PLAIN_HTTP": "1"})
    try:
        wait(process, f"http://{LAN}:{guide_port}/guide/")
        assert httpx.get(f"http://{LAN}:{guide_port}/guide/sunny-garden", timeout=10).status_code == 403
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_guide_app_has_only_the_guide_routes() -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_guide_app(None)) as phone:  # no map or key: the guide's own "not available" page
        assert phone.get("/guide/sunny-garden").status_code == 503
        for path in ("/health", "/api/v1/facilities", "/console", "/docs", "/openapi.json"):
            assert phone.get(path).status_code == 404, path


def test_a_taken_guide_port_stops_the_services_with_a_failure(tmp_path: Path) -> None:
    """A listener that cannot bind stops the process with exit 1 (not 0), so a supervisor sees a crash."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        process = start(tmp_path, ["--port", str(free_port()), "--guide-port", str(taken)], {})
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1, err
    assert f"walking-guide listener on 127.0.0.1:{taken} stopped" in err
