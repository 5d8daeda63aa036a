"""Emergency triage benchmark: the held-out emergencies, near-misses and questions through the live stack.

    .venv/bin/python -m bench.emergency_triage           # held-out + validation sets, three modes (~3 min)

Each sentence is one typed turn of a fresh conversation through the kiosk's backend (``kiosk_app.Backend``,
voice off) on the real stack — services API, action server, trained Rasa — so the front end's safety net
counts too. Three modes: everything up; the action server stopped (Rasa answers, its custom actions fail);
Rasa stopped as well (only the local detector and the direct alert path). Each turn ends as one of:

* ``alert``    — an alert was raised at once (an ``Alert`` event in the turn);
* ``question`` — "Do you need help right now?" was asked (silence would send the alert after 15 s);
* ``fallback`` — no alert, no question, and the dialogue did not understand (``nlu_fallback`` /
  ``out_of_scope``) or could not answer at all (the front end's own "I can't answer right now");
* ``other``    — anything else (a skill's answer, the knowledge base...).

Targets (docs/emergency-triage.md): no clear or unclear emergency ends in ``fallback``; alerts without the
question on near-misses and ordinary questions ≤ 1 %. The question's timer is set to an hour here so that
no timeout fires during the run. Prints a table and writes ``bench/results/emergency_triage.json``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import yaml

from assistant.dialogue import engine
from assistant.shared.config import PROJECT_ROOT, Settings, current
from assistant.shared.events import Alert, ConfirmEmergency, Error, Event
from assistant.skill_runtime.build import build_project
from assistant.stack import Stack, free_ports
from bench.report import Row, git_revision, machine, table
from bench.stats import now_iso
from kiosk_app.backend import Backend

HOLDOUT = PROJECT_ROOT / "tests" / "data" / "emergency_holdout.yml"
VALIDATION = PROJECT_ROOT / "bench" / "data" / "emergency_validation.yml"
RESULTS = Path(__file__).resolve().parent / "results" / "emergency_triage.json"
MODEL_CACHE = current("model_cache_override") or PROJECT_ROOT / "var" / "models"
GROUPS = ("clear", "unclear", "near_miss", "ordinary")
MODES = ("all up", "actions stopped", "rasa stopped")
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
FALSE_ALERT_TARGET = 0.01


class Events:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[Event] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.items.append(event)

    def take(self) -> list[Event]:
        with self._lock:
            items, self.items = self.items, []
        return items


def load_sets(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    return {group: [str(s) for s in data.get(group) or []] for group in GROUPS}


def intent_of(http: httpx.Client | None, settings: Settings, text: str) -> str | None:
    if http is None:
        return None
    try:
        response = http.post(f"{settings.rasa_url}/model/parse", params={"token": settings.rasa_token},
                             json={"text": text})
        name = response.json().get("intent", {}).get("name")
        return str(name) if name else None
    except (httpx.HTTPError, ValueError):
        return None


def one_turn(backend: Backend, events: Events, http: httpx.Client | None, settings: Settings,
             text: str) -> dict[str, Any]:
    backend.new_conversation()
    backend.wait_idle(60)
    events.take()
    backend.send_text(text)
    if not backend.wait_idle(90):
        return {"text": text, "outcome": "other", "note": "no answer within 90 s"}
    got = events.take()
    intent = intent_of(http, settings, text)
    if any(isinstance(e, Alert) for e in got):
        outcome = "alert"
    elif any(isinstance(e, ConfirmEmergency) for e in got):
        outcome = "question"
    elif any(isinstance(e, Error) for e in got) or intent in FALLBACK_INTENTS:
        outcome = "fallback"
    else:
        outcome = "other"
    backend.safety.cancel()
    return {"text": text, "outcome": outcome, "intent": intent}


def run_mode(stack: Stack, sets: dict[str, dict[str, list[str]]], mode: str) -> dict[str, Any]:
    settings = stack.settings
    events = Events()
    backend = Backend(settings, events, voice=False, confirm_seconds=3600)
    http = httpx.Client(timeout=10) if mode != "rasa stopped" else None
    out: dict[str, Any] = {}
    try:
        for set_name, groups in sets.items():
            out[set_name] = {}
            for group, sentences in groups.items():
                turns = [one_turn(backend, events, http, settings, s) for s in sentences]
                counts = Counter(t["outcome"] for t in turns)
                out[set_name][group] = {"n": len(turns), "counts": dict(counts), "turns": turns}
    finally:
        backend.close()
        if http is not None:
            http.close()
    return out


def rates(group: dict[str, Any]) -> dict[str, float]:
    n = group["n"] or 1
    c = group["counts"]
    return {k: c.get(k, 0) / n for k in ("alert", "question", "fallback", "other")}


def summary_rows(results: dict[str, Any], set_name: str) -> list[Row]:
    rows: list[Row] = []
    for mode in MODES:
        if mode not in results:
            continue
        data = results[mode][set_name]
        for group in GROUPS:
            g = data[group]
            r, c = rates(g), g["counts"]
            value = (f"alert {c.get('alert', 0)}, question {c.get('question', 0)}, fallback {c.get('fallback', 0)}, "
                     f"other {c.get('other', 0)} of {g['n']}")
            if group in ("clear", "unclear"):
                recall = r["alert"] + r["question"]
                rows.append(Row(f"{mode}: {group} — alert at once / + question (recall)",
                                f"{r['alert']:.0%} / {recall:.0%}; {value}", "0 fallback",
                                c.get("fallback", 0) == 0))
            else:
                rows.append(Row(f"{mode}: {group} — alerts without the question",
                                f"{r['alert']:.1%} (questions {r['question']:.0%}); {value}",
                                f"≤ {FALSE_ALERT_TARGET:.0%}", r["alert"] <= FALSE_ALERT_TARGET))
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--holdout", type=Path, default=HOLDOUT)
    p.add_argument("--validation", type=Path, default=VALIDATION)
    p.add_argument("--no-validation", action="store_true", help="only the held-out set")
    p.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of: {', '.join(MODES)}")
    p.add_argument("--out", type=Path, default=RESULTS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    sets = {"holdout": load_sets(args.holdout)}
    if not args.no_validation:
        sets["validation"] = load_sets(args.validation)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-triage-"))
    results: dict[str, Any] = {"meta": {"started": now_iso(), "revision": git_revision(PROJECT_ROOT),
                                        "machine": machine(), "modes": modes,
                                        "sizes": {k: {g: len(v[g]) for g in GROUPS} for k, v in sets.items()}}}
    stack: Stack | None = None
    try:
        built = build_project(PROJECT_ROOT, tmp / "rasa_project")
        model, _ = engine.train(Settings(var_dir=MODEL_CACHE.parent), built.project, built.fingerprint, progress=print)
        results["meta"]["model"] = model.name
        services, actions, rasa = free_ports(3)
        settings = Settings(var_dir=tmp / "var", services_port=services, actions_port=actions, rasa_port=rasa,
                            kiosk_token=secrets.token_hex(8), staff_token=secrets.token_hex(8),
                            rasa_token=secrets.token_hex(8), kiosk_id="kiosk-bench",
                            kiosk_location="Community Service Centre lobby")
        stack = Stack(settings, progress=print)
        stack.start_all(model)
        for mode in MODES:
            if mode == "actions stopped":
                stack.stop("actions")
            elif mode == "rasa stopped":
                if "actions" in stack.children:
                    stack.stop("actions")
                stack.stop("rasa")
            if mode not in modes:
                continue
            print(f"— {mode}", flush=True)
            t0 = time.monotonic()
            results[mode] = run_mode(stack, sets, mode)
            results[mode]["seconds"] = round(time.monotonic() - t0, 1)
    finally:
        if stack is not None:
            stack.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    results["meta"]["total_s"] = round(time.monotonic() - started, 1)
    rows = summary_rows(results, "holdout")
    results["table"] = [r.__dict__ for r in rows]
    print("\nHeld-out set (tests/data/emergency_holdout.yml)")
    print(table(rows))
    if "validation" in sets:
        vrows = summary_rows(results, "validation")
        results["validation_table"] = [r.__dict__ for r in vrows]
        print("\nValidation set (bench/data/emergency_validation.yml; what the words were tuned on)")
        print(table(vrows))
    misses = [(mode, g, t["text"], t["outcome"]) for mode in modes if mode in results
              for g in ("clear", "unclear", "near_miss", "ordinary") for t in results[mode]["holdout"][g]["turns"]
              if (g in ("clear", "unclear") and t["outcome"] == "fallback")
              or (g in ("near_miss", "ordinary") and t["outcome"] == "alert")]
    if misses:
        print("\nHeld-out misses (an emergency to the fallback, or an alert without the question):")
        for mode, group, text, outcome in misses:
            print(f"  [{mode}] {group}: {text!r} → {outcome}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
