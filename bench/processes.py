"""Conversation benchmark helpers: memory (RSS) and CPU of process groups, machine load, rasa CLI runs."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.stack import Child, Stack

CLK_TCK = os.sysconf("SC_CLK_TCK")
_ACCESS = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) (?P<path>/[^ "]*)')


def process_group_rss(pgid: int) -> dict[str, Any]:
    """VmRSS and VmHWM (peak) summed over every live process in a process group, in MB."""
    rss_kb = hwm_kb = 0
    pids: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss_kb += int(fields.get("VmRSS", "0 kB").split()[0])
        hwm_kb += int(fields.get("VmHWM", "0 kB").split()[0])
        pids.append(int(entry))
    return {"rss_mb": round(rss_kb / 1024, 1), "peak_mb": round(hwm_kb / 1024, 1), "pids": sorted(pids)}


def _busy_jiffies() -> int:
    """CPU time spent by everything on the machine (not idle, not iowait), in clock ticks."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]


def _own_jiffies(pgids: list[int]) -> float:
    """CPU time of this process, its reaped children and the live process groups of the stack."""
    t = os.times()
    total = (t.user + t.system + t.children_user + t.children_system) * CLK_TCK
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) in pgids:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total


def cpu_snapshot(stack: Stack | None) -> tuple[float, int, float]:
    """(wall time, machine busy ticks, our ticks): the difference is what other work used meanwhile."""
    pgids = [c.process.pid for c in stack.children.values()] if stack else []
    try:
        return time.monotonic(), _busy_jiffies(), _own_jiffies(pgids)
    except (OSError, ValueError, IndexError):
        return time.monotonic(), 0, 0.0


def stack_rss(stack: Stack) -> dict[str, dict[str, Any]]:
    return {name: process_group_rss(child.process.pid) for name, child in stack.children.items()}


def services_requests(child: Child | None) -> Counter[str]:
    """API requests the services process logged (uvicorn access log), by path without query; no /health."""
    counts: Counter[str] = Counter()
    if child is None:
        return counts
    try:
        text = child.log_path.read_text("utf-8", errors="replace")
    except OSError:
        return counts
    for m in _ACCESS.finditer(text):
        path = m.group("path").split("?", 1)[0]
        if not path.rstrip("/").endswith("/health"):
            counts[f"{m.group(1)} {path}"] += 1
    return counts


def run_rasa_cli(argv: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float) -> tuple[int, float]:
    """Run a rasa command in its own process group; killed (whole group) on timeout or interrupt."""
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = -9
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    return rc, time.monotonic() - started


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"



def loadavg() -> list[float] | None:
    """1/5/15-minute load: other work on the machine (another training run, tests) skews every figure."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None
