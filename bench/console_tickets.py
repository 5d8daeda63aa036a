"""Console tickets benchmark: the staff console's ticket queue page with 10,000 tickets.

    .venv/bin/python -m bench.console_tickets [--tickets 10000] [--requests 50] [--out FILE.json]

A temporary SQLite file gets 10,000 tickets (12 problem types, 20 buildings, every status, ages up to 60 days,
a third assigned with a public note) written *without* their parsed building, as a database from before the
desk would be; the services run in their own process (uvicorn on a free loopback port, as ``linli services``
does), and a logged-in session (the real login form) fetches ``GET /console/tickets`` with several filters,
``--requests`` times each after 3 warm-up requests. The very first request (which parses the building of
every old ticket once) is reported apart.

Per filter: the response time on loopback (client wall time, ``time.perf_counter`` around the whole request:
session check, query, template, transfer) and the route's own time from its ``Server-Timing: queue;dur=``
header (query + template, without the session check). Nearest-rank percentiles. No targets are enforced.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.report import Bench, finish, git_revision, machine
from bench.stats import now_iso, summary_ms

KIOSK, STAFF = "bench-kiosk-token", "bench-staff-token"
STAFF_NAME, STAFF_PASSWORD = "Bench Duty", "bench-password-1"
TARGETS = {"queue_p95_ms": 300.0}
"""A page of the queue should feel immediate to staff; the desk's own target for a filtered page is 0.3 s."""
PROBLEMS = ["plumbing", "lift", "electrical", "heating", "door_or_lock", "window", "gas", "other", "noise",
            "pests", "roof", "paint"]
STATUSES = ["open", "assigned", "in_progress", "waiting", "resolved", "resolved", "cancelled"]
FILTERS: list[tuple[str, str]] = [
    ("unfiltered, page 1", ""),
    ("unfiltered, page 150 (offset 7450)", "page=150"),
    ("status open", "status=open"),
    ("building 7", "building=7"),
    ("building 7 + status open", "building=7&status=open"),
    ("overdue only", "overdue=1"),
    ("lift, older than 3 days", "category=lift&age=72"),
    ("everything at once", "status=in_progress&category=plumbing&building=3&age=24&overdue=1"),
]


def fill(db_url: str, count: int, now: datetime) -> None:
    """``count`` tickets without their building row (made "before the desk"); a third with an assignment."""
    from community_services import models
    from community_services.console import accounts
    from community_services.db import Database

    database = Database(db_url)
    database.create_schema()
    rng = random.Random(14)
    with database.session() as session:
        accounts.add_staff(session, STAFF_NAME, "duty", STAFF_PASSWORD, now)
        tickets = []
        for i in range(count):
            created = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
            building = rng.randrange(1, 21)
            place = rng.choice([f"Building {building}, flat {rng.randrange(101, 1802)}", f"{building}号楼",
                                f"the lift in building {building}", f"{building}-{rng.randrange(101, 1802)}"])
            tickets.append(models.Ticket(number=f"R{1001 + i}", problem_type=rng.choice(PROBLEMS), place=place,
                                         description=f"Bench ticket {i}: something is broken and needs a look.",
                                         phone="13800138000", status=rng.choice(STATUSES), created_at=created,
                                         updated_at=created))
        session.add_all(tickets)
        session.flush()
        session.add_all(
            models.TicketUpdate(ticket_id=t.id, at=t.created_at + timedelta(hours=1), staff_name=STAFF_NAME,
                                status_from="open", status_to=t.status, assignee=f"Worker {t.id % 9}",
                                public_note="A worker comes tomorrow morning.")
            for t in tickets if t.id % 3 == 0)
        session.commit()
    database.dispose()


def serve(db_url: str, port: int) -> None:
    """The services in this process (the benchmark starts it as a child)."""
    import uvicorn

    from community_services.app import create_app

    app = create_app(db_url, KIOSK, STAFF, seed=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def login(http: httpx.Client) -> None:
    form = http.get("/console/login").text
    token = form.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    response = http.post("/console/login", data={"name": STAFF_NAME, "password": STAFF_PASSWORD,
                                                 "login_token": token, "next": "/console/tickets"})
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")


def timed_get(http: httpx.Client, path: str) -> tuple[float, float | None, str]:
    started = time.perf_counter()
    response = http.get(path)
    wall = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    header = response.headers.get("server-timing", "")
    server = float(header.split("dur=", 1)[1]) / 1000 if "dur=" in header else None
    return wall, server, response.text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.console_tickets", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--tickets", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=50, help="timed requests per filter")
    p.add_argument("--out", type=Path, default=Path("bench/results/console_tickets.json"))
    p.add_argument("--serve", nargs=2, metavar=("DB_URL", "PORT"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    b = Bench(args)
    root = Path(".").resolve()
    b.results["meta"] = {"started": now_iso(), "git": git_revision(root), "machine": machine(), "targets": TARGETS,
                         "tickets": args.tickets, "requests_per_filter": args.requests}
    tmp = Path(tempfile.mkdtemp(prefix="linli-console-bench-"))
    db_url = f"sqlite:///{tmp / 'services.db'}"
    server: subprocess.Popen[bytes] | None = None
    try:
        with b.section("fill"):
            started = time.perf_counter()
            fill(db_url, args.tickets, datetime.now())
            b.results["fill_s"] = round(time.perf_counter() - started, 2)
            b.row(f"write {args.tickets} tickets", f"{b.results['fill_s']} s")
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "bench.console_tickets", "--serve", db_url, str(port)],
                                  cwd=root, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/console/login", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the services did not start") from None
                time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=30) as http:
            login(http)
            with b.section("first request"):
                wall, srv, _ = timed_get(http, "/console/tickets")
                b.results["first_request_ms"] = {"wall": round(wall * 1000, 1),
                                                 "server": round(srv * 1000, 1) if srv is not None else None}
                b.row("first queue request (parses 10,000 buildings once)", f"{wall * 1000:.0f} ms")
            per_filter: dict[str, Any] = {}
            for name, query in FILTERS:
                with b.section(name):
                    path = "/console/tickets" + (f"?{query}" if query else "")
                    for _ in range(3):
                        timed_get(http, path)
                    walls, servers = [], []
                    rows = 0
                    for _ in range(args.requests):
                        wall, srv, html = timed_get(http, path)
                        walls.append(wall)
                        if srv is not None:
                            servers.append(srv)
                        rows = html.count('<th scope="row"><a href="/console/tickets/')
                    wall_ms, server_ms = summary_ms(walls), summary_ms(servers)
                    per_filter[name] = {"query": query, "rows_on_page": rows, "response_ms": wall_ms,
                                        "server_timing_ms": server_ms}
                    b.row(f"{name} ({rows} rows): response p50 / p95",
                          f"{wall_ms['p50']} / {wall_ms['p95']} ms (route {server_ms.get('p50')} / "
                          f"{server_ms.get('p95')} ms)", f"p95 ≤ {TARGETS['queue_p95_ms']:.0f} ms",
                          wall_ms["p95"] <= TARGETS["queue_p95_ms"])
            b.results["queue"] = per_filter
            with b.section("ticket page"):
                walls = [timed_get(http, f"/console/tickets/R{1001 + i * 97}")[0] for i in range(args.requests)]
                b.results["ticket_page_ms"] = summary_ms(walls)
                b.row("one ticket's page: response p50 / p95",
                      f"{b.results['ticket_page_ms']['p50']} / {b.results['ticket_page_ms']['p95']} ms")
        b.note("Response = client wall time on loopback (session check + query + template + transfer); route = "
               "the Server-Timing header (query + template). Server in its own process, SQLite file.")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish(b, args.out)


if __name__ == "__main__":
    sys.exit(main())
