"""Fixtures: the real community services app served by uvicorn on a free loopback port.

The service's clock is fixed (Monday 2 March 2026, 07:30) so facts tied to weekdays and "next
Thursday" are testable; the database is a real SQLite file in a temporary folder.

Test modules get everything through fixtures (never ``from conftest import``), so they work with any
pytest import mode.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from community_services.api.rate_limits import Bucket, RateLimits
from community_services.app import create_app
from community_services.client import ServicesClient

KIOSK = "kiosk-token-for-tests"
STAFF = "staff-token-for-tests"
TODAY = date(2026, 3, 2)  # a Monday
NOW = datetime(2026, 3, 2, 7, 30)
ROOMY = RateLimits(kiosk=Bucket(1000, 10_000), staff=Bucket(1000, 10_000), anonymous=Bucket(1000, 10_000),
                   misses=Bucket(1000, 10_000))
"""The shared test server serves hundreds of requests in a burst; ``test_rate_limits.py`` tests the real limits."""


@dataclass
class LiveServer:
    url: str
    db_path: Path
    server: uvicorn.Server
    thread: threading.Thread
    kiosk_token: str = KIOSK
    staff_token: str = STAFF
    today: date = TODAY
    now: datetime = NOW

    def client(self, token: str = KIOSK, **kwargs: float) -> ServicesClient:
        return ServicesClient(self.url, token, **kwargs)

    def http(self, token: str | None = KIOSK) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(db_path: Path, *, seed: bool = True) -> LiveServer:
    app = create_app(f"sqlite:///{db_path}", KIOSK, STAFF, seed=seed, today=TODAY, clock=lambda: NOW,
                     rate_limits=ROOMY)
    return serve_app(app, db_path)


def serve_app(app: FastAPI, db_path: Path) -> LiveServer:
    """Serve ``app`` with uvicorn on a free loopback port (its lifespan runs: background tasks start)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the community services test server did not start")
        time.sleep(0.01)
    return LiveServer(f"http://127.0.0.1:{port}", db_path, server, thread)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One seeded server per test module (tests only count what they themselves create)."""
    running = start_server(tmp_path_factory.mktemp("services") / "services.db")
    yield running
    running.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start extra servers (fresh database each) inside one test; all are stopped afterwards."""
    started: list[LiveServer] = []

    def factory(*, seed: bool = True) -> LiveServer:
        running = start_server(tmp_path / f"services-{len(started)}.db", seed=seed)
        started.append(running)
        return running

    yield factory
    for running in started:
        running.stop()


@pytest.fixture
def app_server() -> Iterator[Callable[[FastAPI, Path], LiveServer]]:
    """Serve apps built by the test itself (own clock, escalation, heartbeat); all are stopped afterwards."""
    started: list[LiveServer] = []

    def serve(app: FastAPI, db_path: Path) -> LiveServer:
        running = serve_app(app, db_path)
        started.append(running)
        return running

    yield serve
    for running in started:
        running.stop()


@pytest.fixture
def kiosk_http(live: LiveServer) -> Iterator[httpx.Client]:
    with live.http(KIOSK) as http:
        yield http


@pytest.fixture
def staff_http(live: LiveServer) -> Iterator[httpx.Client]:
    with live.http(STAFF) as http:
        yield http


@pytest.fixture
def kiosk(live: LiveServer) -> Iterator[ServicesClient]:
    with live.client(KIOSK) as client:
        yield client


@pytest.fixture
def staff(live: LiveServer) -> Iterator[ServicesClient]:
    with live.client(STAFF) as client:
        yield client
