"""The systemd units in ``deploy/`` (docs/deploy.md): ``linli run`` restarted always, the kiosk screen too, and the
system unit accepted by ``systemd-analyze verify`` (with the paths pointed at this checkout) where systemd is."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def test_the_back_end_unit_runs_linli_run_and_always_restarts_it() -> None:
    unit = _unit("linli.service")
    assert unit["Service"]["ExecStart"].endswith("/.venv/bin/linli run --no-frontend")
    assert unit["Service"]["Restart"] == "always"
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up
    assert unit["Service"]["KillSignal"] == "SIGTERM"  # linli run stops its children itself
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_kiosk_unit_runs_the_screen_in_the_graphical_session() -> None:
    unit = _unit("linli-kiosk.service")
    assert "linli kiosk --fullscreen" in unit["Service"]["ExecStart"]
    assert unit["Service"]["Restart"] == "always"
    assert unit["Install"]["WantedBy"] == "graphical-session.target"


def test_the_deploy_guide_names_every_file() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text("utf-8")
    for name in ("linli.service", "linli-kiosk.service", "linli-kiosk.desktop", "linli.env.example", "journalctl",
                 "power cut", "stack-status.json"):
        assert name in guide, name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_back_end_unit(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent
    text = (UNITS / "linli.service").read_text("utf-8")
    (tmp_path / "linli.service").write_text(
        text.replace("/opt/linli/.venv", str(venv)).replace("/opt/linli", str(ROOT)), "utf-8")
    out = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "linli.service")], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
