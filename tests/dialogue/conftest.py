"""Fixtures of the dialogue tests: a closed port, and a services API started later on a chosen port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from community_services.app import create_app
from community_services.client import ServicesClient
from community_services.testing import serve_in_thread, stop_server

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
        server, thread, url = serve_in_thread(app, port)
        running.append((server, thread))
        return url

    yield start
    for server, thread in running:
        stop_server(server, thread)
