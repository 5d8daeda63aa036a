"""Shared fixtures: a real community-services server on a free loopback port, and a skill context."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from assistant.shared.config import Settings
from assistant.skill_runtime import context
from assistant.skill_runtime.outbox import Outbox
from assistant.stack import free_ports
from community_services.api.rate_limits import Bucket, RateLimits
from community_services.app import create_app
from community_services.client import ServicesClient
from community_services.testing import serve_in_thread, stop_server

KIOSK_TOKEN = "test-kiosk-token"
STAFF_TOKEN = "test-staff-token"


def free_port() -> int:
    return free_ports(1)[0]


@dataclass
class RunningServices:
    url: str
    db_path: Path
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    def kiosk(self) -> ServicesClient:
        return ServicesClient(self.url, KIOSK_TOKEN)

    def staff(self) -> ServicesClient:
        return ServicesClient(self.url, STAFF_TOKEN)


ROOMY = RateLimits(kiosk=Bucket(1000, 10_000), staff=Bucket(1000, 10_000), anonymous=Bucket(1000, 10_000),
                   misses=Bucket(1000, 10_000))
"""One server serves a whole session's tests; the real limits are tested in tests/community_services."""


def start_services(db_path: Path, port: int | None = None) -> RunningServices:
    """Start the real services API (uvicorn) in a thread; returns once /health answers."""
    port = port or free_port()
    app = create_app(f"sqlite:///{db_path}", kiosk_token=KIOSK_TOKEN, staff_token=STAFF_TOKEN, rate_limits=ROOMY)
    server, thread, url = serve_in_thread(app, port)
    return RunningServices(url, db_path, port, server, thread)


def stop_services(running: RunningServices) -> None:
    stop_server(running.server, running.thread)


@pytest.fixture(scope="session")
def services_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServices]:
    running = start_services(tmp_path_factory.mktemp("services") / "services.db")
    yield running
    stop_services(running)


@pytest.fixture
def skill_context(services_server: RunningServices, tmp_path: Path) -> Iterator[context.SkillContext]:
    """Skills' view of the world, wired to the real services API and a fresh outbox file."""
    client = services_server.kiosk()
    ctx = context.SkillContext(
        # a kiosk of its own per test: the server keeps wrong-PIN counts per kiosk for the whole session
        settings=Settings(kiosk_token=KIOSK_TOKEN, staff_token=STAFF_TOKEN, var_dir=tmp_path,
                          kiosk_id=f"kiosk-test-{uuid.uuid4().hex[:8]}"),
        services=client,
        outbox=Outbox(tmp_path / "outbox.db", client),
    )
    context.configure(ctx)
    yield ctx
    context.configure(None)
    client.close()
