"""``linli kb validate | search | add`` against a copy of the seed content."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from assistant.knowledge.entries import load_knowledge
from assistant.knowledge.kb_cli import add_kb_commands
from assistant.shared.errors import LinliError

from .conftest import FIXTURES, SEED


def linli(*argv: str) -> int:
    """As ``assistant.cli.main`` runs a command: a LinliError is printed and exits 1."""
    p = argparse.ArgumentParser(prog="linli")
    add_kb_commands(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(list(argv))
    try:
        return int(args.func(args))
    except LinliError as e:
        print(f"linli: {e}")
        return 1


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed_folder: Path) -> None:
    monkeypatch.setenv("LINLI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LINLI_KNOWLEDGE_DIR", str(seed_folder))


def test_validate_reports_the_entries(capsys: pytest.CaptureFixture[str], seed_folder: Path) -> None:
    assert linli("kb", "validate") == 0
    assert "30 entries with 240 questions are valid" in capsys.readouterr().out


def test_validate_names_file_and_line(capsys: pytest.CaptureFixture[str], seed_folder: Path) -> None:
    shutil.copy(FIXTURES / "unknown-place.yml", seed_folder)
    assert linli("kb", "validate", str(seed_folder)) == 1
    assert f"{seed_folder / 'unknown-place.yml'}:6: the community map has no place" in capsys.readouterr().out
    assert linli("kb", "validate", str(seed_folder / "nowhere")) == 1


def test_search_shows_the_top_three_and_the_decision(capsys: pytest.CaptureFixture[str]) -> None:
    assert linli("kb", "search", "Can I keep a dog?") == 0
    out = capsys.readouterr().out
    assert "1. 1.000  pets ← would be answered" in out and " 3. " in out and "Answer: Yes. Dogs" in out
    assert linli("kb", "search", "what is the capital of France") == 0
    assert "Not answered" in capsys.readouterr().out


def test_add_appends_without_touching_the_rest(capsys: pytest.CaptureFixture[str], seed_folder: Path) -> None:
    target = seed_folder / "office-faq.yml"
    before = target.read_text("utf-8")
    code = linli("kb", "add", "--id", "flu-campaign", "--question", "When is the flu jab campaign?",
                 "--question", "is there a flu day for old people: this year", "--answer",
                 "Saturday 14 November at the Community Clinic, 9 to 12.", "--source", "Community office notice board",
                 "--from", "2026-11-01", "--until", "2026-11-30", "--tag", "health", "--place", "community-clinic",
                 "--file", str(target))
    assert code == 0, capsys.readouterr().out
    after = target.read_text("utf-8")
    assert after.startswith(before) and "# The community office's question-and-answer sheet" in after
    added = {e.id: e for e in load_knowledge(seed_folder)}["flu-campaign"]
    assert added.questions[1] == "is there a flu day for old people: this year"
    assert str(added.valid_until) == "2026-11-30" and added.place == "community-clinic"
    assert linli("kb", "search", "When is the flu jab campaign?", "--date", "2026-11-10") == 0
    assert "flu-campaign ← would be answered" in capsys.readouterr().out
    assert linli("kb", "search", "When is the flu jab campaign?", "--date", "2026-12-10", "--all") == 0
    assert "flu-campaign (not valid on 2026-12-10)" in capsys.readouterr().out


def test_add_creates_a_new_file(seed_folder: Path) -> None:
    assert linli("kb", "add", "--id", "bin-day", "--question", "When is the rubbish collected?",
                 "--answer", "Every morning at seven.") == 0
    assert (seed_folder / "admin-added.yml").read_text("utf-8").startswith("entries:\n  - id: bin-day\n")
    assert linli("kb", "add", "--id", "bin-night", "--question", "Can I put rubbish out at night?",
                 "--answer", "Please bring it out in the morning.") == 0
    assert [e.id for e in load_knowledge(seed_folder)][:2] == ["bin-day", "bin-night"]  # admin-added.yml sorts first


@pytest.mark.parametrize(("argv", "message"), [
    (("--id", "pets", "--question", "May I have a cat?"), "the id 'pets' is already used"),
    (("--id", "cats", "--question", "can I keep a DOG?"), "is already asked"),
    (("--id", "cats", "--question", "May I have a cat?", "--place", "cat-house"), "no place 'cat-house'"),
    (("--id", "cats", "--question", "May I have a cat?", "--from", "2026-12-01", "--until", "2026-11-01"),
     "is before valid_from"),
])
def test_a_failed_add_restores_the_file_exactly(capsys: pytest.CaptureFixture[str], seed_folder: Path,
                                                argv: tuple[str, ...], message: str) -> None:
    target = seed_folder / "office-faq.yml"
    before = target.read_bytes()
    assert linli("kb", "add", *argv, "--answer", "Cats are welcome.", "--file", str(target)) == 1
    out = capsys.readouterr().out
    assert "the entry was not added" in out and message in out
    assert target.read_bytes() == before
    assert sorted(p.name for p in seed_folder.iterdir()) == ["office-faq.yml"]  # no temp files left


def test_a_failed_add_to_a_new_file_leaves_no_file(seed_folder: Path) -> None:
    assert linli("kb", "add", "--id", "pets", "--question", "May I have a cat?", "--answer", "Yes.") == 1
    assert not (seed_folder / "admin-added.yml").exists()


def test_an_invalid_entry_is_refused_before_any_write(capsys: pytest.CaptureFixture[str], seed_folder: Path) -> None:
    assert linli("kb", "add", "--id", "Bad Id", "--question", "q", "--answer", "a") == 1
    assert "The new entry is not valid: id" in capsys.readouterr().out
    assert linli("kb", "add", "--id", "long", "--question", "q", "--answer", "x" * 601) == 1
    assert "answer" in capsys.readouterr().out
    assert sorted(p.name for p in seed_folder.iterdir()) == ["office-faq.yml"]


def test_validate_lists_missing_chinese_answers_as_gaps_not_errors(capsys: pytest.CaptureFixture[str],
                                                                  seed_folder: Path) -> None:
    (seed_folder / "office-faq.zh-CN.yml").write_text("entries:\n  pets:\n    answer: 可以养，要牵绳。\n", "utf-8")
    assert linli("kb", "validate", str(seed_folder)) == 0
    out = capsys.readouterr().out
    assert "zh-CN: 1 of 30 entries answered" in out
    assert "29 answers not written yet" in out
    assert f"{seed_folder / 'office-faq.yml'}:5: 'id-card-renewal' has no zh-CN answer" in out
    assert "'pets' has no zh-CN answer" not in out


def test_search_in_chinese_answers_in_chinese(capsys: pytest.CaptureFixture[str], seed_folder: Path) -> None:
    shutil.copy(SEED.with_name("office-faq.zh-CN.yml"), seed_folder)
    assert linli("kb", "search", "--lang", "zh-CN", "电梯卡住了，人出不来，怎么办") == 0
    out = capsys.readouterr().out
    assert "lift-stuck ← would be answered" in out
    assert "Answer: 按电梯里的报警按钮" in out
