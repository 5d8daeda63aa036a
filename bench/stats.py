"""Conversation benchmark helpers: latency summaries, NLU report summaries and the held-out sentences."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

FALLBACK_SENTENCES: list[tuple[str, str | None]] = [
    ("hello", "greet"), ("good morning dear", "greet"), ("hi there, I'm new here", "greet"),
    ("bye", "goodbye"), ("see you later", "goodbye"), ("thank you very much", "thank"),
    ("thanks a lot", "thank"), ("yes please", "affirm"), ("that's right", "affirm"), ("no thanks", "deny"),
    ("not really", "deny"), ("what can you do", "help"), ("how does this work", "help"),
    ("say that again please", "repeat"), ("could you repeat that", "repeat"), ("please speak slower", "speak_slower"),
    ("too fast, slow down", "speak_slower"), ("stop, never mind", "cancel"), ("forget it", "cancel"),
    ("can I talk to a real person", "human_handoff"), ("are you a robot", "bot_challenge"),
    ("what's the weather in Paris", "out_of_scope"), ("when is the library open", None),
    ("my kitchen tap is leaking", None), ("where is the clinic", None), ("which bin do batteries go in", None),
    ("I want to see a doctor tomorrow", None), ("help, I have fallen and cannot get up", None),
    ("what is the news this week", None), ("is my repair done yet, ticket 12", None),
]

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def summary_ms(samples: list[float]) -> dict[str, Any]:
    """p50/p95/p99/mean/min/max in milliseconds from samples in seconds."""
    if not samples:
        return {"n": 0}
    ms = sorted(x * 1000 for x in samples)

    def pct(p: float) -> float:  # nearest rank
        return ms[max(0, min(len(ms) - 1, math.ceil(p / 100 * len(ms)) - 1))]

    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(pct(95), 1),
            "p99": round(pct(99), 1), "mean": round(statistics.fmean(ms), 1), "min": round(ms[0], 1),
            "max": round(ms[-1], 1)}


def holdout_sentences(path: Path) -> tuple[list[tuple[str, str | None]], str]:
    """(text, intent) pairs from a Rasa NLU YAML file, entity annotations stripped; else a built-in list."""
    if not path.exists():
        return FALLBACK_SENTENCES, f"built-in list ({path} is missing)"
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    pairs: list[tuple[str, str | None]] = []
    for item in data.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        examples = item.get("examples") or ""
        lines = examples.splitlines() if isinstance(examples, str) else [str(e) for e in examples]
        for line in lines:
            line = line.strip()
            if line.startswith("- "):
                line = line[2:]
            text = _ANNOTATION.sub(lambda m: m.group("text"), line).strip()
            if text:
                pairs.append((text, str(item["intent"])))
    if not pairs:
        return FALLBACK_SENTENCES, f"built-in list ({path} has no examples)"
    return pairs, str(path)


def intent_report_summary(report: dict[str, Any], errors: list[dict[str, Any]] | None = None,
                          worst: int = 5) -> dict[str, Any]:
    """Accuracy, weighted/macro F1 and the worst intents (with what they were mistaken for)."""
    aggregate = {"accuracy", "macro avg", "weighted avg", "micro avg"}
    per_intent = {k: v for k, v in report.items() if k not in aggregate and isinstance(v, dict)}
    accuracy = report.get("accuracy")
    if accuracy is None and isinstance(report.get("micro avg"), dict):
        accuracy = report["micro avg"].get("f1-score")
    confusions: dict[str, Counter[str]] = {}
    for e in errors or []:
        predicted = (e.get("intent_prediction") or {}).get("name") or "?"
        confusions.setdefault(str(e.get("intent")), Counter())[str(predicted)] += 1
    ranked = sorted(per_intent.items(), key=lambda kv: (kv[1].get("f1-score", 0.0), -kv[1].get("support", 0)))
    worst_rows = [
        {"intent": name, "f1": round(v.get("f1-score", 0.0), 3), "precision": round(v.get("precision", 0.0), 3),
         "recall": round(v.get("recall", 0.0), 3), "support": v.get("support", 0),
         "mistaken_for": dict(confusions.get(name, Counter()).most_common(3))}
        for name, v in ranked[:worst]
    ]
    return {
        "accuracy": round(accuracy, 4) if isinstance(accuracy, float | int) else None,
        "weighted_f1": round(report.get("weighted avg", {}).get("f1-score", 0.0), 4),
        "macro_f1": round(report.get("macro avg", {}).get("f1-score", 0.0), 4),
        "intents": len(per_intent),
        "examples": int(report.get("weighted avg", {}).get("support", 0)),
        "worst": worst_rows,
    }
