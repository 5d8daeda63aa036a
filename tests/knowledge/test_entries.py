"""Knowledge files: the seed content loads, and every kind of mistake names its file and line."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.knowledge.entries import (
    MAX_ANSWER_CHARS,
    KnowledgeEntry,
    KnowledgeError,
    default_knowledge_dir,
    is_valid_on,
    load_knowledge,
)
from foundation.yaml_lines import MAX_FILE_BYTES
from wayfinding.community_map import default_map_path, load_map

from .conftest import FIXTURES, ROOT, SEED

FAQ = ROOT.parent / "shared" / "data" / "community" / "faq.md"
PLACES = {p.id for p in load_map(default_map_path()).places}


def test_the_seed_content_is_valid_and_names_real_places() -> None:
    entries = load_knowledge(SEED.parent, map_places=PLACES)
    assert len(entries) == 30
    assert {e.source for e in entries} == {"Community office question sheet"}
    assert all(6 <= len(e.questions) <= 10 for e in entries)
    by_id = {e.id: e for e in entries}
    assert by_id["id-card-renewal"].place == "police-office"
    assert by_id["dog-registration"].place == "property-management-office"
    assert by_id["residence-certificate"].place == "community-service-centre"


@pytest.mark.skipif(not FAQ.is_file(), reason="the office's FAQ sheet is not beside the checkout")
def test_the_seed_answers_are_the_offices_words() -> None:
    sheet = re.findall(r"^- \*\*([a-z0-9-]+)\*\* — (.+?)\n((?:  .+\n?)+)", FAQ.read_text("utf-8"), re.M)
    entries = {e.id: e for e in load_knowledge(SEED.parent)}
    assert [i for i, _, _ in sheet] == list(entries)
    for entry_id, question, answer in sheet:
        assert entries[entry_id].answer == " ".join(answer.split())
        assert entries[entry_id].questions[0] == question.strip()


def test_an_empty_or_missing_folder_is_no_knowledge(tmp_path: Path) -> None:
    assert load_knowledge(tmp_path) == []
    assert load_knowledge(tmp_path / "nowhere") == []
    (tmp_path / "new.yml").write_text("", "utf-8")
    (tmp_path / "notes.txt").write_text("not knowledge", "utf-8")
    assert load_knowledge(tmp_path) == []


CASES = [
    ("unknown-key.yml", 6, "unknown key 'anwser' in entries[0]"),
    ("wrong-type.yml", 6, "entries[0].tags: input should be a valid tuple"),
    ("empty-question.yml", 5, "entries[0].questions[1] is empty"),
    ("no-questions.yml", 3, "entries[0].questions needs at least 1 item"),
    ("missing-answer.yml", 2, "entries[0].answer is missing"),
    ("long-answer.yml", 5, f"answer is too long (719 characters; the limit is {MAX_ANSWER_CHARS})."),
    ("long-question.yml", 4, "questions[0] is too long (349 characters; the limit is 300)."),
    ("not-utf8.yml", 5, "the file is not UTF-8 text"),
    ("invalid-yaml.yml", 5, "not valid YAML (mapping values are not allowed here)"),
    ("bad-id.yml", 2, "entries[0].id: string should match pattern"),
    ("not-a-mapping.yml", 1, "a mapping with one key, 'entries:'"),
    ("duplicate-key.yml", 6, "the key 'answer' appears twice"),
    ("until-before-from.yml", 7, "valid_until 2026-11-01 is before valid_from 2026-11-30"),
    ("bad-date.yml", 6, "valid_until: input should be a valid date"),
    ("unknown-place.yml", 6, "no place 'garbage-stations' (did you mean 'garbage-station'?)"),
]


@pytest.mark.parametrize(("name", "line", "text"), CASES, ids=[c[0] for c in CASES])
def test_a_mistake_names_file_and_line(tmp_path: Path, name: str, line: int, text: str) -> None:
    shutil.copy(FIXTURES / name, tmp_path / name)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path, map_places=PLACES)
    assert caught.value.code == "knowledge_error"
    assert f"{tmp_path / name}:{line}:" in caught.value.message
    assert text.casefold() in caught.value.message.casefold()


def test_an_unknown_place_is_only_checked_against_a_map(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "unknown-place.yml", tmp_path)
    assert load_knowledge(tmp_path)[0].place == "garbage-stations"


def test_a_duplicate_id_across_files_names_both_places(seed_folder: Path) -> None:
    shutil.copy(FIXTURES / "duplicate-id.yml", seed_folder)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(seed_folder)
    message = caught.value.message
    assert "the id 'pets' is already used" in message
    assert f"{seed_folder / 'duplicate-id.yml'}:7" in message
    assert re.search(re.escape(str(seed_folder / "office-faq.yml")) + r":\d+", message)


def test_a_duplicate_question_ignores_case_and_spaces(seed_folder: Path) -> None:
    shutil.copy(FIXTURES / "duplicate-question.yml", seed_folder)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(seed_folder)
    message = caught.value.message
    assert "the question 'Can I keep a dog?' is already asked" in message
    assert f"{seed_folder / 'duplicate-question.yml'}:6" in message and "(entry 'cats')" in message
    assert re.search(re.escape(str(seed_folder / "office-faq.yml")) + r":\d+", message)


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "huge.yml").write_text("# " + "x" * MAX_FILE_BYTES + "\n", "utf-8")
    with pytest.raises(KnowledgeError, match="the limit is"):
        load_knowledge(tmp_path)


def test_validity_dates_are_inclusive() -> None:
    entry = KnowledgeEntry(id="flu", questions=("When is the flu campaign?",), answer="In November.",
                           valid_from=date(2026, 11, 1), valid_until=date(2026, 11, 30))
    assert not is_valid_on(entry, date(2026, 10, 31))
    assert is_valid_on(entry, date(2026, 11, 1)) and is_valid_on(entry, date(2026, 11, 30))
    assert not is_valid_on(entry, date(2026, 12, 1))
    assert is_valid_on(KnowledgeEntry(id="x", questions=("q",), answer="a"), date(1990, 1, 1))


def test_the_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LINLI_KNOWLEDGE_DIR", raising=False)
    assert default_knowledge_dir(ROOT) == ROOT / "knowledge"
    monkeypatch.setenv("LINLI_KNOWLEDGE_DIR", str(tmp_path))
    assert default_knowledge_dir(ROOT) == tmp_path
