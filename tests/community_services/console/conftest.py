"""Fixtures for the staff console: the real services server and Debian's chromium driven by Playwright.

``console_server``: ``create_app`` served by uvicorn on a free loopback port, on a temporary SQLite file, with
a clock the test moves (``console_server.clock.advance(minutes=31)``). ``console_server.add_staff`` writes
an account straight into its database. ``browser`` is one chromium for the whole session; ``page`` a fresh
context (no cookies) per test. ``shoot(page, "name")`` saves ``var/screenshots/console-<name>.png``.

Other areas of the console use these too: ``login(page, console_server, name, password)``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import uvicorn

from community_services.app import create_app
from community_services.console import accounts
from community_services.db import Database

KIOSK = "kiosk-token-for-console-tests"
STAFF = "staff-token-for-console-tests"
START = datetime(2026, 3, 2, 7, 30)
ADMIN = ("Admin Wang", "admin-password-1")
DUTY = ("Duty Li", "duty-password-1")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@dataclass
class MovableClock:
    """The service's clock: fixed until a test moves it."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ConsoleServer:
    url: str
    db_path: Path
    clock: MovableClock
    server: uvicorn.Server
    thread: threading.Thread
    database: Database = field(init=False)

    def __post_init__(self) -> None:
        self.database = Database(f"sqlite:///{self.db_path}")

    def add_staff(self, name: str, role: str, password: str) -> None:
        with self.database.session() as session:
            accounts.add_staff(session, name, role, password, self.clock())
            session.commit()

    def http(self) -> httpx.Client:
        """A cookie-keeping client, as a browser without JavaScript."""
        return httpx.Client(base_url=self.url, timeout=10, follow_redirects=False)

    def stop(self) -> None:
        self.server.config.app.state.live.close()  # end open board streams (a browser may still hold one)
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.database.dispose()


def start_console_server(db_path: Path, *, idle_minutes: int = 30, escalation: Any = None,
                         heartbeat_seconds: float = 15.0) -> ConsoleServer:
    clock = MovableClock()
    app = create_app(f"sqlite:///{db_path}", KIOSK, STAFF, seed=False, clock=clock,
                     console_idle_minutes=idle_minutes, escalation=escalation, heartbeat_seconds=heartbeat_seconds)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                          timeout_graceful_shutdown=3))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console test server did not start")
        time.sleep(0.01)
    return ConsoleServer(f"http://127.0.0.1:{port}", db_path, clock, server, thread)


@pytest.fixture
def console_server(tmp_path: Path) -> Iterator[ConsoleServer]:
    """A fresh server and database per test, with an admin and a duty account."""
    running = start_console_server(tmp_path / "services.db")
    running.add_staff(ADMIN[0], "admin", ADMIN[1])
    running.add_staff(DUTY[0], "duty", DUTY[1])
    yield running
    running.stop()


def form_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in the page"
    return found.group(1)


def http_login(http: httpx.Client, name: str, password: str, next_url: str = "") -> httpx.Response:
    """Log in as a browser would: fetch the form (its login token), post it."""
    form = http.get("/console/login")
    return http.post("/console/login", data={"name": name, "password": password, "next": next_url,
                                             "login_token": form_value(form.text, "login_token")})


@pytest.fixture
def logged_in(console_server: ConsoleServer) -> Iterator[Callable[[tuple[str, str]], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(who: tuple[str, str]) -> httpx.Client:
        http = console_server.http()
        clients.append(http)
        response = http_login(http, *who)
        assert response.status_code == 303, response.text
        return http

    yield make
    for http in clients:
        http.close()


# --- the browser ---


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module. Not per session: Playwright's sync API keeps an asyncio loop running in
    this thread while it is open, and later tests' ``asyncio.run`` would fail."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (requirements/debian-packages.txt, group test)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def shoot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, server: ConsoleServer, name: str, password: str, next_url: str = "") -> None:
    """Log in through the real form."""
    page.goto(f"{server.url}/console/login" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def console_tools() -> SimpleNamespace:
    """``shoot``, ``login``, ``form_value``, ``http_login``, the test accounts, the kiosk token and
    ``start_server`` (``start_console_server``, e.g. with ``escalation=``), for test modules."""
    return SimpleNamespace(shoot=shoot, login=login, form_value=form_value, http_login=http_login, ADMIN=ADMIN,
                           DUTY=DUTY, START=START, KIOSK=KIOSK, start_server=start_console_server)
