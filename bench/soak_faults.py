"""Soak under faults: the real stack under ``linli run``'s supervisor, simulated kiosks, parts killed at random.

    .venv/bin/python -m bench.soak_faults [--minutes 10] [--kiosks 20] [--seed N]

The stack (services, action server, Rasa with the cached model) runs on free loopback ports with a temporary var
folder, supervised by ``assistant.supervisor.Supervisor`` as ``linli run`` does. Each simulated kiosk is a thread
with the kiosk's own backend (``kiosk_app.backend.Backend``, touch only: the same code that turns a failed or empty
turn into a plain sentence) doing real REST turns to Rasa, and its own outbox file (``Outbox`` + typed services
client + the sender thread) submitting feedback marked with a unique reference. A killer thread picks a part at
random, ``kill -9``s it by the pid the supervisor knows, and times how long until the new process answers its own
health check; then it waits a random 15–45 s and picks again.

At the end the outboxes are drained and the office's database is read: every submission the outbox accepted must
be there exactly once (``duplicated`` and ``lost`` must be 0); every turn must have given the resident something
to read (a reply or the kiosk's plain sentence: ``turns without an answer`` must be 0). Prints a table, writes
``bench/results/soak_faults.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.dialogue import engine
from assistant.shared.config import PROJECT_ROOT, Settings, current
from assistant.shared.events import Error, Event, Reply
from assistant.skill_runtime.build import build_project
from assistant.skill_runtime.outbox import Outbox, OutboxUnavailable
from assistant.stack import Stack, free_ports
from assistant.supervisor import Supervisor
from bench.report import git_revision, machine
from bench.stats import now_iso, summary_ms
from community_services.client import ServicesClient, ServicesRejected
from kiosk_app.backend import Backend

MODEL_CACHE = current("model_cache_override") or PROJECT_ROOT / "var" / "models"
OUT = PROJECT_ROOT / "bench" / "results" / "soak_faults.json"
TURNS = ["hello", "when is the library open", "what can you do", "thank you", "when is the gym open", "goodbye"]
PARTS = ("services", "actions", "rasa")
TURN_WAIT = 90.0
"""A turn not finished after this long counts as unanswered (the kiosk's own client gives up after 30 s)."""


@dataclass
class KioskStats:
    turns: int = 0
    answered: int = 0
    plain_failures: int = 0
    """Turns answered by the kiosk's own plain sentence (Rasa down or its action call failed)."""
    unanswered: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    """Markers of feedback the outbox accepted (delivered now or queued)."""
    queued: int = 0
    refused_locally: list[str] = field(default_factory=list)
    """Submissions the outbox could not store or the office refused: the resident was told to ask at the office."""


def _settings(tmp: Path) -> Settings:
    services, actions, rasa = free_ports(3)
    return Settings(root=PROJECT_ROOT, var_dir=tmp / "var", services_port=services, actions_port=actions,
                    rasa_port=rasa, kiosk_token=secrets.token_urlsafe(16), staff_token=secrets.token_urlsafe(16),
                    rasa_token=secrets.token_urlsafe(16), kiosk_id="kiosk-soak", kiosk_location="Soak lobby")


def _kiosk(i: int, base: Settings, tmp: Path, run_id: str, deadline: float, stop: threading.Event,
           rng: random.Random, stats: KioskStats) -> None:
    settings = Settings(root=base.root, var_dir=tmp / f"kiosk{i:02d}", services_port=base.services_port,
                        actions_port=base.actions_port, rasa_port=base.rasa_port, kiosk_token=base.kiosk_token,
                        staff_token=base.staff_token, rasa_token=base.rasa_token, kiosk_id=f"kiosk-soak-{i:02d}",
                        kiosk_location=f"Soak lobby {i}")
    events: list[Event] = []
    lock = threading.Lock()

    def on_event(event: Event) -> None:
        with lock:
            events.append(event)

    backend = Backend(settings, on_event, voice=False)
    client = ServicesClient(settings.services_url, settings.kiosk_token, timeout=5)
    outbox = Outbox(settings.outbox_path, client)
    outbox.start_sender(interval=2.0)
    n = 0
    try:
        while time.monotonic() < deadline and not stop.is_set():
            n += 1
            if n % 3 == 0:
                marker = f"soak-{run_id}-k{i:02d}-{n:05d}"
                try:
                    sub = outbox.submit("feedback", {"text": f"Soak feedback {marker}", "category": "general"})
                    stats.submitted.append(marker)
                    stats.queued += int(sub.queued)
                except (OutboxUnavailable, ServicesRejected) as e:
                    stats.refused_locally.append(f"{marker}: {e}")
            else:
                text = TURNS[n % len(TURNS)]
                with lock:
                    before = len(events)
                started = time.monotonic()
                backend.send_text(text)
                finished = backend.wait_idle(TURN_WAIT)
                took = time.monotonic() - started
                with lock:
                    new = events[before:]
                stats.turns += 1
                replies = [e for e in new if isinstance(e, Reply) and (e.text or e.buttons)]
                errors = [e for e in new if isinstance(e, Error)]
                if finished and replies:
                    stats.answered += 1
                    stats.latencies.append(took)
                elif finished and errors:
                    stats.plain_failures += 1
                    stats.latencies.append(took)
                else:
                    stats.unanswered.append(f"{text!r} after {took:.1f} s (finished={finished})")
                if n % 12 == 0:
                    backend.new_conversation()  # as the kiosk's idle reset does
            stop.wait(rng.uniform(0.5, 2.0))
    finally:
        backend.close()
        outbox.stop_sender()
        client.close()


def _killer(sup: Supervisor, stack: Stack, deadline: float, stop: threading.Event, rng: random.Random,
            kills: list[dict[str, Any]], say: Any) -> None:
    stop.wait(rng.uniform(10, 20))
    while time.monotonic() < deadline - 5 and not stop.is_set():
        name = rng.choice(PARTS)
        pid = sup.pid(name)
        if pid is None or not sup.ready:
            stop.wait(1)
            continue
        killed_at = time.monotonic()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        say(f"kill -9 {name} (pid {pid})")
        check = stack.health_check(name)
        back: float | None = None
        while time.monotonic() - killed_at < 300:
            new = sup.pid(name)
            if new is not None and new != pid and check():
                back = time.monotonic() - killed_at
                break
            time.sleep(0.1)
        kills.append({"part": name, "pid": pid, "recovery_s": round(back, 2) if back is not None else None})
        say(f"  {name} answering again after {back:.1f} s" if back is not None else f"  {name} NOT back")
        stop.wait(rng.uniform(15, 45))


def _office_rows(db_path: Path, run_id: str) -> Counter[str]:
    with sqlite3.connect(db_path, timeout=30) as conn:
        rows = conn.execute("SELECT text FROM feedback WHERE text LIKE ?", (f"Soak feedback soak-{run_id}-%",))
        return Counter(text.removeprefix("Soak feedback ") for (text,) in rows)


def _drain(tmp: Path, kiosks: int, settings: Settings, timeout: float) -> int:
    """Flush every kiosk's outbox until nothing is pending; returns how many are still pending."""
    deadline = time.monotonic() + timeout
    pending = 0
    with ServicesClient(settings.services_url, settings.kiosk_token, timeout=10) as client:
        while time.monotonic() < deadline:
            pending = 0
            for i in range(kiosks):
                outbox = Outbox(tmp / f"kiosk{i:02d}" / "outbox.db", client)
                outbox.flush()
                pending += outbox.count("pending")
            if not pending:
                return 0
            time.sleep(1)
    return pending


def run(minutes: float, kiosks: int, seed: int | None, model_cache: Path, say: Any) -> dict[str, Any]:
    seed = seed if seed is not None else secrets.randbelow(10**6)
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="linli-soak-"))
    built = build_project(PROJECT_ROOT, tmp / "build" / "rasa_project")
    model, trained = engine.train(Settings(var_dir=model_cache.resolve().parent), built.project, built.fingerprint,
                                  progress=lambda line: say("  " + line))
    settings = _settings(tmp)
    stack = Stack(settings)
    sup = Supervisor.for_stack(stack, lambda: model, progress=lambda line: say("  supervisor: " + line))
    run_id = secrets.token_hex(3)
    results: dict[str, Any] = {"meta": {"started": now_iso(), "git": git_revision(PROJECT_ROOT), "machine": machine(),
                                        "minutes": minutes, "kiosks": kiosks, "seed": seed, "model": model.name,
                                        "trained_now": trained, "tmp": str(tmp)}}
    stop = threading.Event()
    stats = [KioskStats() for _ in range(kiosks)]
    kills: list[dict[str, Any]] = []
    try:
        t0 = time.monotonic()
        sup.start()
        if not sup.wait_ready(300):
            raise RuntimeError(f"the stack did not become ready: {sup.status().summary()}")
        results["stack_start_s"] = round(time.monotonic() - t0, 1)
        say(f"stack ready in {results['stack_start_s']} s; {kiosks} kiosks for {minutes:g} min (seed {seed})")
        deadline = time.monotonic() + minutes * 60
        threads = [threading.Thread(target=_kiosk, args=(i, settings, tmp, run_id, deadline, stop,
                                                         random.Random(rng.random()), stats[i]),
                                    name=f"soak-kiosk-{i}", daemon=True) for i in range(kiosks)]
        killer = threading.Thread(target=_killer, args=(sup, stack, deadline, stop, random.Random(rng.random()),
                                                        kills, say), name="soak-killer", daemon=True)
        for t in threads:
            t.start()
        killer.start()
        for t in threads:
            t.join(timeout=max(1.0, deadline - time.monotonic()) + TURN_WAIT + 30)
        stop.set()  # the kiosks are done: the killer stops waiting for its next turn (a recovery it times finishes)
        killer.join(timeout=330)
        say("kiosks done; waiting for the stack and draining the outboxes")
        sup.wait_ready(300)
        still_pending = _drain(tmp, kiosks, settings, timeout=180)
        rows = _office_rows(settings.var_dir / "services.db", run_id)
    finally:
        stop.set()
        sup.stop()
        stack.stop_all()
    submitted = [m for s in stats for m in s.submitted]
    latencies = [x for s in stats for x in s.latencies]
    recoveries = [k["recovery_s"] for k in kills if k["recovery_s"] is not None]
    by_part = {p: summary_ms([k["recovery_s"] for k in kills if k["part"] == p and k["recovery_s"] is not None])
               for p in PARTS}
    unanswered = [u for s in stats for u in s.unanswered]
    results.update({
        "turns": sum(s.turns for s in stats),
        "turns_answered": sum(s.answered for s in stats),
        "turns_plain_failure": sum(s.plain_failures for s in stats),
        "turns_without_answer": len(unanswered),
        "unanswered_examples": unanswered[:20],
        "turn_latency_ms": summary_ms(latencies),
        "requests_sent": len(submitted) + sum(len(s.refused_locally) for s in stats),
        "requests_accepted_by_outbox": len(submitted),
        "requests_queued_at_submit": sum(s.queued for s in stats),
        "requests_refused_locally": [r for s in stats for r in s.refused_locally][:20],
        "delivered": sum(1 for m in submitted if rows.get(m)),
        "duplicated": sum(max(0, c - 1) for c in rows.values()),
        "lost": sum(1 for m in submitted if not rows.get(m)),
        "unexpected_rows": sum(1 for m in rows if m not in set(submitted)),
        "still_pending_after_drain": still_pending,
        "kills": kills,
        "recovery_ms": summary_ms(recoveries),
        "recovery_ms_by_part": by_part,
        "supervisor_restarts": {p.name: p.restarts for p in sup.status().parts},
    })
    return results


def table(r: dict[str, Any]) -> str:
    rec = r["recovery_ms"]
    lat = r["turn_latency_ms"]
    rows = [
        ("kiosks / minutes", f"{r['meta']['kiosks']} / {r['meta']['minutes']:g}"),
        ("parts killed (kill -9)", ", ".join(f"{p}×{sum(1 for k in r['kills'] if k['part'] == p)}" for p in PARTS)),
        ("requests sent / delivered", f"{r['requests_sent']} / {r['delivered']}"),
        ("duplicated (must be 0)", str(r["duplicated"])),
        ("lost (must be 0)", str(r["lost"])),
        ("turns / answered / plain failure sentence", f"{r['turns']} / {r['turns_answered']} / "
                                                      f"{r['turns_plain_failure']}"),
        ("turns without an answer (must be 0)", str(r["turns_without_answer"])),
        ("turn p50 / p95 / slowest", f"{lat.get('p50', 0) / 1000:.2f} / {lat.get('p95', 0) / 1000:.2f} / "
                                     f"{lat.get('max', 0) / 1000:.2f} s"),
        ("crash → answering again p50 / max", f"{rec.get('p50', 0) / 1000:.1f} / {rec.get('max', 0) / 1000:.1f} s"),
    ] + [(f"  {p}: p50 / max", f"{v.get('p50', 0) / 1000:.1f} / {v.get('max', 0) / 1000:.1f} s (n={v['n']})")
         for p, v in r["recovery_ms_by_part"].items()]
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a.ljust(width)}  {b}" for a, b in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak_faults", description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--kiosks", type=int, default=20)
    p.add_argument("--seed", type=int)
    p.add_argument("--model-cache", type=Path, default=MODEL_CACHE)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    results = run(args.minutes, args.kiosks, args.seed, args.model_cache, say)
    print()
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, args.out)
    print(f"\nwrote {args.out}")
    ok = not (results["duplicated"] or results["lost"] or results["turns_without_answer"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
