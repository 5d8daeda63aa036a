"""The knowledge base: live refresh on file changes, the last good entries kept, thread safety."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.encoder import SentenceEncoder

NEW_ENTRY = """\
entries:
  - id: flu-campaign
    questions:
      - When is the free flu jab campaign this autumn?
      - is there a flu vaccination day for old people this year
    answer: The campaign is on Saturday the 14th of November at the Community Clinic.
    source: Community office notice board
    valid_from: 2026-11-01
    valid_until: 2026-11-30
    place: community-clinic
"""


def base_for(folder: Path, var: Path, encoder: SentenceEncoder, day: date = date(2026, 11, 10)) -> KnowledgeBase:
    return KnowledgeBase(folder, var, clock=lambda: day, encoder=encoder)


def touch_later(path: Path) -> None:
    """Make a rewrite visible even on file systems with coarse modification times."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_answers_from_the_seed_and_knows_its_entries(seed_folder: Path, tmp_path: Path,
                                                    encoder: SentenceEncoder) -> None:
    kb = base_for(seed_folder, tmp_path / "var", encoder)
    assert len(kb.entries) == 30 and kb.problem is None
    match = kb.answer("where do I pay my water bill")
    assert match is not None and match.entry.id == "water-bill"
    assert (tmp_path / "var" / "knowledge" / "vectors.npz").is_file()
    assert kb.answer("") is None and kb.search("dog")


def test_refresh_is_cheap_when_nothing_changed(seed_folder: Path, tmp_path: Path, encoder: SentenceEncoder) -> None:
    kb = base_for(seed_folder, tmp_path / "var", encoder)
    assert kb.refresh() is False
    entries = kb.entries
    kb.answer("can I keep a dog")
    assert kb.entries is entries


def test_a_new_file_is_answered_on_the_next_question(seed_folder: Path, tmp_path: Path,
                                                     encoder: SentenceEncoder) -> None:
    kb = base_for(seed_folder, tmp_path / "var", encoder)
    question = "is there a flu vaccination day for old people this year"
    before = kb.answer(question)
    assert before is None or before.entry.id != "flu-campaign"
    (seed_folder / "notices.yml").write_text(NEW_ENTRY, "utf-8")
    match = kb.answer(question)
    assert match is not None and match.entry.id == "flu-campaign" and match.entry.place == "community-clinic"
    assert kb.index.last_embedded == 2  # only the new questions; the FAQ came from the cache
    assert len(kb.entries) == 31


def test_the_entry_is_not_answered_outside_its_dates(seed_folder: Path, tmp_path: Path,
                                                     encoder: SentenceEncoder) -> None:
    (seed_folder / "notices.yml").write_text(NEW_ENTRY, "utf-8")
    question = "When is the free flu jab campaign this autumn?"
    for day, answered in ((date(2026, 10, 31), False), (date(2026, 11, 1), True), (date(2026, 12, 1), False)):
        match = base_for(seed_folder, tmp_path / "var", encoder, day).answer(question)
        assert (match is not None and match.entry.id == "flu-campaign") is answered, day


def test_a_broken_file_keeps_the_last_good_entries(seed_folder: Path, tmp_path: Path,
                                                   encoder: SentenceEncoder) -> None:
    notices = seed_folder / "notices.yml"
    notices.write_text(NEW_ENTRY, "utf-8")
    kb = base_for(seed_folder, tmp_path / "var", encoder)
    assert len(kb.entries) == 31
    notices.write_text(NEW_ENTRY.replace("  - id: flu-campaign", "  - id: flu-campaign\n    colour: red")
                       + "  - id: half-writ", "utf-8")  # an editor half-way through saving
    touch_later(notices)
    match = kb.answer("When is the free flu jab campaign this autumn?")
    assert match is not None and match.entry.id == "flu-campaign"  # the last good version still answers
    assert kb.problem is not None and "notices.yml:" in kb.problem
    assert len(kb.entries) == 31
    notices.write_text(NEW_ENTRY.replace("Saturday the 14th", "Sunday the 15th"), "utf-8")
    touch_later(notices)
    match = kb.answer("When is the free flu jab campaign this autumn?")
    assert match is not None and "Sunday the 15th" in match.entry.answer and kb.problem is None


def test_a_removed_file_takes_its_entries_away(seed_folder: Path, tmp_path: Path, encoder: SentenceEncoder) -> None:
    (seed_folder / "notices.yml").write_text(NEW_ENTRY, "utf-8")
    kb = base_for(seed_folder, tmp_path / "var", encoder)
    (seed_folder / "notices.yml").unlink()
    match = kb.answer("When is the free flu jab campaign this autumn?")
    assert match is None or match.entry.id != "flu-campaign"
    assert len(kb.entries) == 30


def test_an_empty_folder_answers_nothing(tmp_path: Path, encoder: SentenceEncoder) -> None:
    kb = base_for(tmp_path / "knowledge", tmp_path / "var", encoder)
    assert kb.entries == () and kb.answer("can I keep a dog") is None and kb.problem is None


def test_questions_from_many_threads_while_files_change(seed_folder: Path, tmp_path: Path,
                                                        encoder: SentenceEncoder) -> None:
    kb = base_for(seed_folder, tmp_path / "var", encoder)
    errors: list[BaseException] = []
    answers: list[str | None] = []

    def ask() -> None:
        try:
            for _ in range(5):
                m = kb.answer("Where can I get a flu jab?")
                answers.append(m.entry.id if m else None)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    (seed_folder / "notices.yml").write_text(NEW_ENTRY, "utf-8")
    for t in threads:
        t.join(60)
    assert not errors and answers == ["vaccination"] * 20
