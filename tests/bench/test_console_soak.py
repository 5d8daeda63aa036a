"""The console soak benchmark, for a few seconds with small numbers: it runs, writes its JSON, loses nothing.

Not a measurement (nothing here is timed); the real run is ``python -m bench.console_soak`` (10 minutes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_delivers_every_event_once_in_order(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    done = subprocess.run([sys.executable, "-m", "bench.console_soak", "--minutes", "0.1", "--consoles", "3",
                           "--kiosks", "2", "--alert-every", "1", "--heartbeat", "2", "--reconnect-every", "2",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "missed / duplicates" in done.stdout  # the table was printed
    result = json.loads(out.read_text("utf-8"))
    for key in ("events_published", "received_per_console", "missed", "duplicates", "out_of_order", "gaps",
                "reconnects", "delivery_latency_ms", "server_rss_mb", "errors", "per_console", "table"):
        assert key in result, key
    assert result["consoles"] == 3 and len(result["received_per_console"]) == 3
    assert result["events_published"] >= 3, "at least one alert raised, taken and resolved"
    assert result["received_per_console"] == [result["events_published"]] * 3
    assert result["missed"] == result["duplicates"] == result["out_of_order"] == result["gaps"] == 0
    assert result["errors"] == 0, result["error_examples"]
    assert result["reconnects"] > 0, "the resume path (Last-Event-ID) was exercised"
    assert {"p50", "p95", "max"} <= set(result["delivery_latency_ms"])
    assert set(result["server_rss_mb"]) == {"start", "end", "peak"}
