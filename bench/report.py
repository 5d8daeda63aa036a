"""Conversation benchmark results: the collector (rows, errors, notes), the printed table and the JSON file."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.stack import Stack
from bench.processes import CLK_TCK, cpu_snapshot, loadavg


@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    ok: bool | None = None


@dataclass
class Bench:
    args: argparse.Namespace
    results: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    """Sections during which other work on the machine used a noticeable share of the CPUs."""
    started: float = field(default_factory=time.monotonic)
    stack: Stack | None = None

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    def row(self, measure: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(measure, value, target, ok))

    def note(self, text: str) -> None:
        self.notes.append(text)

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Run one measurement; an error is recorded and reported, and the next measurement still runs."""
        self.say(f"— {name}")
        self.results.setdefault("loadavg_by_section", {})[name] = loadavg()
        before = cpu_snapshot(self.stack)
        try:
            yield
        except Exception as e:  # a benchmark reports what failed and goes on
            message = f"{type(e).__name__}: {e}"
            self.errors.append({"section": name, "error": message, "traceback": traceback.format_exc()[-3000:]})
            self.say(f"  FAILED: {message.splitlines()[0] if message else type(e).__name__}")
            self.row(name, "FAILED (see errors)", ok=False)
        finally:
            after = cpu_snapshot(self.stack)
            wall = after[0] - before[0]
            if wall > 1 and before[1] and after[1]:
                others = max(0.0, (after[1] - before[1]) - (after[2] - before[2])) / CLK_TCK / wall
                self.results.setdefault("other_cpu_cores_by_section", {})[name] = round(others, 2)
                if others > 0.25:
                    self.busy.append(f"{name} {others:.1f}")


def table(rows: list[Row]) -> str:
    mark = {True: "ok", False: "MISS", None: ""}
    data = [("measure", "value", "target", "")] + [(r.measure, r.value, r.target, mark[r.ok]) for r in rows]
    widths = [max(len(d[i]) for d in data) for i in range(3)]
    lines = []
    for i, d in enumerate(data):
        lines.append("  ".join(d[c].ljust(widths[c]) for c in range(3)) + "  " + d[3])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    mem_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_gb = round(int(Path("/proc/meminfo").read_text().split()[1]) / 2**20, 1)
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_at_start": loadavg()}



def git_revision(root: Path) -> str | None:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               timeout=10).stdout.strip()
        return rev + ("+dirty" if dirty else "") if rev else None
    except (OSError, subprocess.SubprocessError):
        return None


def write_results(b: Bench, path: Path) -> None:
    b.results["errors"] = b.errors
    b.results["table"] = [r.__dict__ for r in b.rows]
    b.results["notes"] = b.notes
    b.results["meta"]["total_s"] = round(time.monotonic() - b.started, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(b.results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, path)


def finish(b: Bench, path: Path) -> int:
    """Print the table and notes, write the JSON; the exit status is 1 if a section failed."""
    print()
    print(table(b.rows))
    for n in b.notes:
        print(f"note: {n}")
    write_results(b, path)
    print(f"\nwrote {path}")
    return 1 if b.errors else 0
