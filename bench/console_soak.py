"""Console soak: many open duty boards on one live stream, kiosks raising alerts, staff taking them — for minutes.

    .venv/bin/python -m bench.console_soak [--minutes 10] [--consoles 20] [--kiosks 10] [--out FILE]

Set-up: the real services (``python -m community_services``, uvicorn, in its own process on a free loopback port)
on a real SQLite file in a temporary folder; one duty account per console and two staff accounts, written with
the accounts module before the server starts.

* Consoles (threads): each logs in through the real login form and holds ``GET /console/board/events`` — the
  board's own stream — from the broker id ``/console/board/items`` gave it. Every ``--reconnect-every`` seconds
  (random, about) it drops the connection, waits 0.2–1 s and reconnects with ``Last-Event-ID``, as a browser
  does after a network blip; a stream the server ends is reconnected the same way.
* Kiosks (threads, the typed ``ServicesClient`` with the kiosk token): a heartbeat every ``--heartbeat`` s, an
  alert at random (exponential, mean ``--alert-every`` s per kiosk), and the real ``HelpWatch`` on each alert
  (status polled every 2 s until someone is going).
* Staff: two more console sessions; every ``alert.raised`` the first console receives is taken after 0.5–3 s
  (``POST /console/board/alert/{ref}/going``, CSRF header, as ``board.js``) and resolved 0.5–2 s later
  (``.../resolve`` with a note).

Checks: the broker numbers events 1, 2, 3, ... so a console must receive every id after the one it started from
up to the last one published, once each and in order. After the load stops the run waits (≤ 15 s) for every
console to reach the last id, then counts per console: received, missed, duplicates, out of order, ``stream.gap``
events (the server saying events were lost). Delivery latency: for each received ``alert.raised`` /
``alert.acknowledged`` / ``alert.resolved``, receive time minus the wall time just before the request that
caused it (kiosk POST, staff POST) — so it includes the request, the commit and the stream. Server RSS is the
server process's VmRSS after the consoles connected and at the end (and its peak, VmHWM).
Exit status 1 when any event was missed, duplicated or out of order, or anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from assistant.shared.events import Alert, HelpComing
from assistant.skill_runtime.help_watch import HelpWatch
from assistant.stack import free_ports
from bench.processes import process_group_rss
from bench.report import Row, table
from bench.stats import now_iso, summary_ms
from community_services.client import ServicesClient, ServicesError
from community_services.console import accounts
from community_services.db import Database
from community_services.schemas import AlertCreate, KioskHeartbeatIn

ROOT = Path(__file__).resolve().parents[1]
KIOSK_TOKEN = "soak-kiosk-token"
STAFF_TOKEN = "soak-staff-token"
PASSWORD = "soak-password-1"
TIMED = ("alert.raised", "alert.acknowledged", "alert.resolved")


class Errors:
    """Every failure, counted by kind, with the first few messages kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.examples: list[str] = []

    def add(self, kind: str, message: str) -> None:
        with self._lock:
            self.counts[kind] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {message}"[:300])

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Origins:
    """Wall time just before the request that caused each event: (type, reference) → time."""

    times: dict[tuple[str, str], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, type_: str, reference: str, at: float) -> None:
        with self.lock:
            self.times[(type_, reference)] = at


def login(base: str, name: str) -> tuple[httpx.Client, str]:
    """A console session through the real login form; returns the client and the board's CSRF token."""
    http = httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=60), follow_redirects=False)
    form = http.get("/console/login")
    token = re.search(r'name="login_token" value="([^"]*)"', form.text)
    if not token:
        raise RuntimeError("no login token in the login form")
    done = http.post("/console/login", data={"name": name, "password": PASSWORD, "next": "/console/board",
                                             "login_token": token.group(1)})
    if done.status_code != 303:
        raise RuntimeError(f"login of {name} answered {done.status_code}")
    board = http.get("/console/board")
    csrf = re.search(r'data-csrf="([^"]*)"', board.text)
    if board.status_code != 200 or not csrf:
        raise RuntimeError(f"board for {name} answered {board.status_code}")
    return http, csrf.group(1)


class Console(threading.Thread):
    """One open board: the stream, read line by line; reconnects with ``Last-Event-ID``."""

    def __init__(self, base: str, name: str, stop: threading.Event, errors: Errors, reconnect_every: float,
                 on_event: Any = None) -> None:
        super().__init__(name=f"console-{name}", daemon=True)
        self.http, _ = login(base, name)
        self.start_id = int(self.http.get("/console/board/items", headers={"Accept": "application/json"})
                            .json()["last_event_id"])
        self.last_id = self.start_id
        self.received: list[tuple[int, str, str, float]] = []  # id, type, reference, receive time
        self.gaps = 0
        self.reconnects = 0
        self.server_ended = 0
        self.connected = threading.Event()
        self._halt = stop
        self._errors = errors
        self._reconnect_every = reconnect_every
        self._on_event = on_event
        self.done = threading.Event()  # set by the runner: stop after the current read
        self._response: httpx.Response | None = None

    def run(self) -> None:
        first = True
        while not self.done.is_set():
            if not first:
                self.reconnects += 1
            first = False
            cut_at = (time.monotonic() + random.uniform(0.5, 1.5) * self._reconnect_every
                      if self._reconnect_every > 0 else float("inf"))
            try:
                if self._read(cut_at):
                    self.server_ended += 1
                elif not self.done.is_set():
                    time.sleep(random.uniform(0.2, 1.0))  # a network blip: events published meanwhile are replayed
            except Exception as e:  # a broken connection (or the runner closing it at the end)
                if self.done.is_set():
                    return
                self._errors.add("console stream", f"{type(e).__name__}: {e}")
                time.sleep(0.5)

    def finish(self) -> None:
        """Stop reading now (from the runner's thread): close the open response."""
        self.done.set()
        response = self._response
        if response is not None:
            response.close()

    def _read(self, cut_at: float) -> bool:
        """One connection. True if the server ended it, False if we cut it (or the run is over)."""
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(self.last_id)}
        # read timeout: twice the server's 15 s heartbeat, so a timeout means a dead connection
        with self.http.stream("GET", "/console/board/events", headers=headers,
                              timeout=httpx.Timeout(10, read=30)) as response:
            self._response = response
            if response.status_code != 200:
                self._errors.add("console stream", f"answered {response.status_code}")
                time.sleep(1)
                return False
            self.connected.set()
            event_id: int | None = None
            event_type = ""
            data = ""
            for line in response.iter_lines():  # the cut is checked at each line: events, or the heartbeat
                if self.done.is_set() or time.monotonic() >= cut_at:
                    return False
                if line.startswith(":"):
                    continue
                if line.startswith("id:"):
                    event_id = int(line[3:].strip())
                elif line.startswith("event:"):
                    event_type = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line == "" and event_id is not None:
                    now = time.time()
                    if event_type == "stream.gap":
                        self.gaps += 1
                    else:
                        payload = json.loads(data) if data else {}
                        reference = str(payload.get("reference", ""))
                        self.received.append((event_id, event_type, reference, now))
                        self.last_id = event_id
                        if self._on_event is not None:
                            self._on_event(event_type, reference)
                    event_id, event_type, data = None, "", ""
            return True


def kiosk_loop(index: int, base: str, stop: threading.Event, errors: Errors, origins: Origins,
               alert_every: float, heartbeat: float, raised: Counter[str], told: list[float],
               acked_at: dict[str, float], tmp: Path) -> None:
    kiosk_id = f"soak-kiosk-{index:02d}"
    location = f"Building {index + 1} lobby"
    rng = random.Random(index)

    def on_help(event: HelpComing) -> None:
        at = acked_at.get(event.reference)
        if at is not None:
            told.append(time.time() - at)

    watch = HelpWatch(base, KIOSK_TOKEN, tmp / f"outbox-{index}.db", on_help)
    next_beat = time.monotonic()
    next_alert = time.monotonic() + rng.expovariate(1 / alert_every)
    with ServicesClient(base, KIOSK_TOKEN, timeout=10) as client:
        while not stop.is_set():
            now = time.monotonic()
            try:
                if now >= next_beat:
                    next_beat = now + heartbeat
                    client.send_heartbeat(kiosk_id, KioskHeartbeatIn(location=location, outbox_backlog=0,
                                                                     outbox_refused=0, version="soak"))
                    raised["heartbeats"] += 1
                if now >= next_alert:
                    next_alert = now + rng.expovariate(1 / alert_every)
                    at = time.time()
                    alert = client.raise_alert(AlertCreate(kind="help", location=location, kiosk_id=kiosk_id,
                                                           details=f"soak press at {datetime.now():%H:%M:%S}",
                                                           raised_at=datetime.now()),
                                               idempotency_key=uuid.uuid4().hex)
                    origins.set("alert.raised", alert.reference, at)
                    raised["alerts"] += 1
                    watch.watch(Alert(alert.reference, queued=False, kind="help"))
            except ServicesError as e:
                errors.add("kiosk", f"{type(e).__name__}: {e}")
            stop.wait(min(0.2, max(0.0, min(next_beat, next_alert) - time.monotonic())))
    watch.stop()


class Staff:
    """Two staff sessions taking and resolving every alert the first console sees, after a human-ish pause."""

    def __init__(self, base: str, errors: Errors, origins: Origins, acked_at: dict[str, float]) -> None:
        self.sessions = [login(base, name) for name in ("Staff A", "Staff B")]
        self.jobs: queue.Queue[str | None] = queue.Queue()
        self.errors = errors
        self.origins = origins
        self.acked_at = acked_at
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.timers: list[threading.Timer] = []
        self.worker = threading.Thread(target=self._run, name="staff", daemon=True)
        self.worker.start()

    def seen(self, event_type: str, reference: str) -> None:
        if event_type == "alert.raised":
            self.jobs.put(reference)

    def _run(self) -> None:
        n = 0
        while (reference := self.jobs.get()) is not None:
            http, csrf = self.sessions[n % 2]
            n += 1
            timer = threading.Timer(random.uniform(0.5, 3.0), self._go, args=(http, csrf, reference))
            timer.daemon = True
            self.timers.append(timer)
            timer.start()

    def _post(self, http: httpx.Client, csrf: str, path: str, **form: str) -> httpx.Response:
        return http.post(path, data={"csrf_token": csrf, **form},
                         headers={"Accept": "application/json", "X-CSRF-Token": csrf})

    def _go(self, http: httpx.Client, csrf: str, reference: str) -> None:
        try:
            at = time.time()
            self.origins.set("alert.acknowledged", reference, at)
            self.acked_at[reference] = at
            r = self._post(http, csrf, f"/console/board/alert/{reference}/going")
            with self.lock:
                self.counts[f"going {r.status_code}"] += 1
            if r.status_code != 200:
                self.errors.add("staff going", f"{reference}: {r.status_code} {r.text[:100]}")
                return
            time.sleep(random.uniform(0.5, 2.0))
            self.origins.set("alert.resolved", reference, time.time())
            r = self._post(http, csrf, f"/console/board/alert/{reference}/resolve", note="Visited; all well.")
            with self.lock:
                self.counts[f"resolve {r.status_code}"] += 1
            if r.status_code != 200:
                self.errors.add("staff resolve", f"{reference}: {r.status_code} {r.text[:100]}")
        except httpx.HTTPError as e:
            self.errors.add("staff", f"{type(e).__name__}: {e}")

    def finish(self, timeout: float) -> None:
        self.jobs.put(None)
        self.worker.join(timeout)
        deadline = time.monotonic() + timeout
        for timer in list(self.timers):
            timer.join(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        for http, _ in self.sessions:
            http.close()


def start_server(tmp: Path, consoles: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    db_path = tmp / "services.db"
    database = Database(f"sqlite:///{db_path}")
    database.create_schema()
    with database.session() as session:
        now = datetime.now()
        for name in [*(f"Duty {i:02d}" for i in range(consoles)), "Staff A", "Staff B"]:
            accounts.add_staff(session, name, "duty", PASSWORD, now)
        session.commit()
    database.dispose()
    port, guide_port = free_ports(2)  # the guide's own port: --port + 1 may be taken
    log = tmp / "services.log"
    env = {**os.environ, "LINLI_KIOSK_TOKEN": KIOSK_TOKEN, "LINLI_STAFF_TOKEN": STAFF_TOKEN,
           "LINLI_VAR_DIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    env.pop("LINLI_SERVICES_DB_URL", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "community_services", "--host", "127.0.0.1", "--port",
                                 str(port), "--guide-port", str(guide_port), "--database-url",
                                 f"sqlite:///{db_path}", "--no-seed",
                                 "--log-level", "warning"], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base, log
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the services did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)


def check_console(console: Console, final_id: int) -> dict[str, Any]:
    ids = [e[0] for e in console.received]
    expected = set(range(console.start_id + 1, final_id + 1))
    counts = Counter(ids)
    return {"received": len(ids), "expected": len(expected), "missed": len(expected - set(ids)),
            "duplicates": sum(c - 1 for c in counts.values() if c > 1),
            "out_of_order": sum(1 for a, b in zip(ids, ids[1:], strict=False) if b <= a),
            "unexpected": len(set(ids) - expected), "gaps": console.gaps, "reconnects": console.reconnects,
            "server_ended": console.server_ended}


def run(minutes: float, n_consoles: int, n_kiosks: int, alert_every: float, heartbeat: float,
        reconnect_every: float, out: Path) -> int:
    errors = Errors()
    origins = Origins()
    acked_at: dict[str, float] = {}
    told: list[float] = []
    raised: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="linli-soak-") as tmp_name:
        tmp = Path(tmp_name)
        proc, base, log = start_server(tmp, n_consoles)
        stop = threading.Event()
        consoles: list[Console] = []
        staff: Staff | None = None
        try:
            staff = Staff(base, errors, origins, acked_at)
            for i in range(n_consoles):
                consoles.append(Console(base, f"Duty {i:02d}", stop, errors, reconnect_every,
                                        on_event=staff.seen if i == 0 else None))
            for c in consoles:
                c.start()
            for c in consoles:
                if not c.connected.wait(30):
                    errors.add("console", f"{c.name} did not connect")
            rss_start = process_group_rss(proc.pid)
            first_id = min(c.start_id for c in consoles)
            print(f"soak: {n_consoles} consoles connected, {n_kiosks} kiosks for {minutes:g} min on {base}",
                  flush=True)
            started = time.monotonic()
            kiosks = [threading.Thread(target=kiosk_loop, name=f"kiosk-{i}", daemon=True,
                                       args=(i, base, stop, errors, origins, alert_every, heartbeat, raised, told,
                                             acked_at, tmp)) for i in range(n_kiosks)]
            for k in kiosks:
                k.start()
            end = started + minutes * 60
            while time.monotonic() < end and proc.poll() is None:
                time.sleep(min(10.0, max(0.0, end - time.monotonic())))
                if minutes >= 1:
                    print(f"  {(time.monotonic() - started) / 60:.1f} min: {raised['alerts']} alerts, "
                          f"console 0 has {len(consoles[0].received)} events", flush=True)
            stop.set()
            load_seconds = time.monotonic() - started
            for k in kiosks:
                k.join(15)
            staff.finish(15)
            final_id = int(staff.sessions[0][0].get("/console/board/items", headers={"Accept": "application/json"})
                           .json()["last_event_id"])
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(c.last_id < final_id for c in consoles):
                time.sleep(0.1)
            for c in consoles:  # daemon threads: one blocked in a read until the next heartbeat is left to exit
                c.finish()
            for c in consoles:
                c.join(0.2)
            rss_end = process_group_rss(proc.pid)
        finally:
            stop.set()
            for c in consoles:
                c.finish()
                c.http.close()
            if staff is not None:
                staff.close()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        server_crashed = proc.returncode not in (0, -signal.SIGTERM)
        if server_crashed:
            errors.add("server", f"exited with {proc.returncode}: {log.read_text()[-500:]}")

    per_console = [check_console(c, final_id) for c in consoles]
    latencies = [recv - origins.times[(t, ref)] for c in consoles for (_, t, ref, recv) in c.received
                 if (t, ref) in origins.times]
    types = Counter(t for (_, t, _, _) in consoles[0].received) if consoles else Counter()
    published = final_id - first_id
    totals = {k: sum(pc[k] for pc in per_console)
              for k in ("missed", "duplicates", "out_of_order", "unexpected", "gaps", "reconnects", "server_ended")}
    received = [pc["received"] for pc in per_console]
    latency = summary_ms(latencies)
    told_ms = summary_ms(told)
    bad = totals["missed"] + totals["duplicates"] + totals["out_of_order"] + totals["unexpected"] + totals["gaps"]
    rows = [
        Row("load", f"{load_seconds / 60:.1f} min, {n_consoles} consoles, {n_kiosks} kiosks"),
        Row("events published (broker ids)", f"{published} ({dict(types)})"),
        Row("alerts raised / heartbeats", f"{raised['alerts']} / {raised['heartbeats']}"),
        Row("events received per console, min / max", f"{min(received, default=0)} / {max(received, default=0)}"),
        Row("missed / duplicates / out of order / gaps", f"{totals['missed']} / {totals['duplicates']} / "
            f"{totals['out_of_order']} / {totals['gaps']}", "0", bad == 0),
        Row("reconnects with Last-Event-ID (ours / server ended)",
            f"{totals['reconnects']} ({totals['server_ended']} ended by the server)"),
        Row("delivery latency p50 / p95 / max", f"{latency.get('p50')} / {latency.get('p95')} / "
            f"{latency.get('max')} ms (n={latency.get('n')})"),
        Row("staff going → kiosk's HelpWatch knows, p50 / p95", f"{told_ms.get('p50')} / {told_ms.get('p95')} ms "
            f"(n={told_ms.get('n')}; polled every 2 s)"),
        Row("server RSS start / end (peak)", f"{rss_start['rss_mb']} / {rss_end['rss_mb']} MiB "
            f"({rss_end['peak_mb']} MiB)"),
        Row("errors", str(errors.total), "0", errors.total == 0),
    ]
    print(table(rows))
    result = {
        "when": now_iso(), "minutes": minutes, "load_seconds": round(load_seconds, 1), "consoles": n_consoles,
        "kiosks": n_kiosks, "alert_every_s": alert_every, "heartbeat_s": heartbeat,
        "reconnect_every_s": reconnect_every, "events_published": published, "event_types": dict(types),
        "alerts_raised": raised["alerts"], "heartbeats": raised["heartbeats"], "staff": dict(staff.counts),
        "received_per_console": received, "missed": totals["missed"], "duplicates": totals["duplicates"],
        "out_of_order": totals["out_of_order"], "unexpected": totals["unexpected"], "gaps": totals["gaps"],
        "reconnects": totals["reconnects"], "server_ended_streams": totals["server_ended"],
        "per_console": per_console, "delivery_latency_ms": latency, "help_watch_told_ms": told_ms,
        "server_rss_mb": {"start": rss_start["rss_mb"], "end": rss_end["rss_mb"], "peak": rss_end["peak_mb"]},
        "errors": errors.total, "error_counts": dict(errors.counts), "error_examples": errors.examples,
        "method": __doc__.split("Checks: ", 1)[1].split("Exit status")[0].strip(),
        "table": [r.__dict__ for r in rows],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"\nwrote {out}")
    return 1 if bad or errors.total else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs (default: 10)")
    parser.add_argument("--consoles", type=int, default=20, help="open duty boards (default: 20)")
    parser.add_argument("--kiosks", type=int, default=10, help="simulated kiosks (default: 10)")
    parser.add_argument("--alert-every", type=float, default=30.0,
                        help="mean seconds between one kiosk's alerts (default: 30)")
    parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between heartbeats (default: 30)")
    parser.add_argument("--reconnect-every", type=float, default=120.0,
                        help="about how often each console drops and resumes its stream, s; 0: never (default: 120)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/console_soak.json"))
    args = parser.parse_args(argv)
    return run(args.minutes, args.consoles, args.kiosks, args.alert_every, args.heartbeat, args.reconnect_every,
               args.out)


if __name__ == "__main__":
    raise SystemExit(main())
