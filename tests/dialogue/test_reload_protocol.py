"""The status file of a live reload: written whole (never half a file for a reader), read back or None."""

from __future__ import annotations

from pathlib import Path

from assistant.dialogue.reload_protocol import STATUS_FILE, read_status, status_path, write_status
from assistant.shared.config import Settings


def test_a_written_status_reads_back_with_its_time(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, var_dir=tmp_path / "var")
    assert read_status(settings) is None
    written = write_status(settings, "rejected", message="skills/x/skill.yml:3: 정리", model=None)
    assert status_path(settings) == tmp_path / "var" / STATUS_FILE
    assert read_status(settings) == written and written["state"] == "rejected" and written["at"]
    assert [p.name for p in (tmp_path / "var").iterdir()] == [STATUS_FILE]  # no .tmp left behind


def test_an_unreadable_status_file_reads_as_none(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, var_dir=tmp_path)
    for text in ("{half", "[1, 2]"):
        (tmp_path / STATUS_FILE).write_text(text)
        assert read_status(settings) is None
