"""``linli map validate``: the demo map's summary counts its walk; a broken walk is the map's file:line error."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ar_overlays.map_cli import add_map_commands
from assistant.shared.errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "maps"


def linli_map(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="linli")
    add_map_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["map", *argv])
    return int(args.func(args))


def test_validate_says_how_many_tours(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("LINLI_MAP", raising=False)
    assert linli_map("validate") == 0
    said = capsys.readouterr().out
    assert " paths, 1 tour; every place can be reached from 'kiosk'." in said


def test_a_broken_walk_is_a_file_and_line_error() -> None:
    with pytest.raises(ConfigError, match=r"tour-one-stop\.yml:19: the tour 'tiny-walk' has 1 stop"):
        linli_map("validate", str(FIXTURES / "tour-one-stop.yml"))
