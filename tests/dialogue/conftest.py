"""Fixtures of the dialogue tests: a closed port, and a services API started later on a chosen port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from community_services.app import create_app
from community_services.client import ServicesClient

from .helpers import LATER_KIOSK, LATER_STAFF, StartLater, closed_port


@pytest.fixture
def down_client() -> Iterator[ServicesClient]:
    """A services client pointing at a closed port: every call is ServicesUnavailable."""
    with ServicesClient(f"http://127.0.0.1:{closed_port()}", "any-token", timeout=2) as client:
        yield client


@pytest.fixture
def start_services_later(tmp_path: Path) -> Iterator[StartLater]:
    """``start(port) -> url``: the real services API on ``port`` (tokens LATER_KIOSK / LATER_STAFF)."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(port: int) -> str:
        app = create_app(f"sqlite:///{tmp_path / 'later-services.db'}", kiosk_token=LATER_KIOSK,
                         staff_token=LATER_STAFF)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("community services did not start")

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)
