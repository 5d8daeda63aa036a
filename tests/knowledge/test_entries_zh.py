"""Chinese knowledge files (``*.zh-CN.yml``): joined to the entries by id; every mistake names file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.knowledge.entries import KnowledgeError, language_gaps, load_knowledge

from .conftest import ROOT, SEED

ZH_SEED = ROOT / "knowledge" / "office-faq.zh-CN.yml"
HAN = re.compile(r"[\u4e00-\u9fff]")

ENGLISH = """\
entries:
  - id: pets
    questions:
      - Can I keep a dog?
    answer: Yes, on a lead.
    source: Community office question sheet
  - id: wifi
    questions:
      - Is there free wifi?
    answer: Yes, in the Service Centre.
"""


def folder_with(tmp_path: Path, chinese: str, english: str = ENGLISH) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "faq.yml").write_text(english, "utf-8")
    (folder / "faq.zh-CN.yml").write_text(chinese, "utf-8")
    return folder


def error_of(folder: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    return caught.value.message


def test_every_seed_entry_has_a_chinese_answer_and_four_to_eight_chinese_questions() -> None:
    entries = load_knowledge(SEED.parent)
    assert len(entries) == 30
    for entry in entries:
        said = entry.said_in("zh-CN")
        assert not said.fallback and said.language == "zh-CN", entry.id
        assert HAN.search(said.answer) and said.source == "社区办事问答单", entry.id
        chinese = entry.questions_in("zh-CN")
        assert 4 <= len(chinese) <= 8 and all(HAN.search(q) for q in chinese), entry.id
        assert entry.said_in("en").answer == entry.answer  # English is untouched
    assert language_gaps(SEED.parent, ("en", "zh-CN")) == []


def test_the_chinese_answers_keep_the_english_facts() -> None:
    """Numbers said as words, the same as the English sheet's (a changed fact in one language is a bug)."""
    by_id = {e.id: e for e in load_knowledge(SEED.parent)}
    facts = {"elderly-allowance": "八十", "visitor-parking": "四个钟头", "square-dancing-hours": "九点",
             "door-card": "二十块", "fire-safety": "一一九", "property-fee": "三月底", "meal-delivery": "七十五"}
    for entry_id, fact in facts.items():
        assert fact in by_id[entry_id].said_in("zh-CN").answer, entry_id


def test_a_chinese_file_is_joined_by_id_and_its_source_defaults_to_the_entry_s(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, "entries:\n  pets:\n    answer: 可以养，要牵绳。\n    questions:\n"
                                   "      - 能养狗吗？\n")
    pets, wifi = load_knowledge(folder)
    assert pets.said_in("zh-CN").answer == "可以养，要牵绳。"
    assert pets.said_in("zh-CN").source == "Community office question sheet"
    assert pets.questions_in("zh-CN") == ("能养狗吗？",)
    assert pets.questions_in("en") == ("Can I keep a dog?",)
    assert pets.questions_in(None) == ("Can I keep a dog?", "能养狗吗？")
    assert wifi.said_in("zh-CN").fallback and wifi.said_in("zh-CN").answer == "Yes, in the Service Centre."


def test_an_entry_without_a_chinese_answer_is_a_gap_with_its_line_not_an_error(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, "entries:\n  pets:\n    answer: 可以养。\n  wifi:\n    questions:\n"
                                   "      - 有没有免费的网？\n")
    entries = load_knowledge(folder)  # no error
    assert len(entries) == 2
    gaps = language_gaps(folder, ("en", "zh-CN"))
    assert gaps == [(f"{folder / 'faq.yml'}:7", "wifi", "zh-CN")]  # questions only: still no answer


def test_an_entry_can_be_written_in_chinese_first(tmp_path: Path) -> None:
    chinese_first = ("entries:\n  - id: flu-day\n    language: zh-CN\n    questions:\n      - 流感疫苗哪天打？\n"
                     "    answer: 十一月十四号，礼拜六，在社区卫生服务站。\n")
    folder = folder_with(tmp_path, "entries: {}\n", chinese_first)
    (entry,) = load_knowledge(folder)
    assert not entry.said_in("zh-CN").fallback
    assert entry.said_in("en").fallback and entry.said_in("en").language == "zh-CN"
    assert language_gaps(folder, ("en", "zh-CN")) == [(f"{folder / 'faq.yml'}:2", "flu-day", "en")]


@pytest.mark.parametrize(("chinese", "line", "says"), [
    ("entries:\n  pet:\n    answer: 可以养。\n", 2, "there is no entry 'pet' to translate (did you mean 'pets'?)"),
    ("entries:\n  pets:\n    answer: ''\n", 3, "is empty"),
    ("entries:\n  pets:\n    answer: 可以养。\n    questions:\n      - 能养狗吗？\n  wifi:\n    answer: 有。\n"
     "    questions:\n      - 能养狗吗？\n", 9, "the question '能养狗吗？' is already asked at"),
    ("entries:\n  pets:\n    answer: 可以养。\n    picture: dog.png\n", 4, "picture"),
    ("entries:\n  Pets_2:\n    answer: 可以养。\n", 2, "an entry id is lowercase words joined by '-'"),
    ("entries:\n  - pets\n", 1, "entries: input should be a valid dictionary"),
    ("- pets\n", 1, "a knowledge locale file is a mapping"),
    ("entries:\n  pets:\n    answer: 可以养。\n    questions: [能养狗吗？\n", 5, "not valid YAML"),
])
def test_a_wrong_chinese_file_names_its_file_and_line(tmp_path: Path, chinese: str, line: int, says: str) -> None:
    folder = folder_with(tmp_path, chinese)
    message = error_of(folder)
    assert message.startswith(f"{folder / 'faq.zh-CN.yml'}:{line}"), message
    assert says in message


def test_a_second_chinese_answer_for_one_entry_is_an_error_naming_both(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, "entries:\n  pets:\n    answer: 可以养。\n")
    (folder / "notices.zh-CN.yml").write_text("entries:\n  pets:\n    answer: 能养。\n", "utf-8")
    message = error_of(folder)
    assert "pets" in message and "faq.zh-CN.yml:2" in message and "notices.zh-CN.yml:2" in message


def test_a_chinese_file_without_its_english_file_does_not_load(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "faq.zh-CN.yml").write_text("entries:\n  pets:\n    answer: 可以养。\n", "utf-8")
    assert "there is no entry 'pets'" in error_of(folder)


def test_the_seed_chinese_file_is_the_one_checked_in() -> None:
    assert ZH_SEED.is_file() and ZH_SEED.parent == SEED.parent


def test_translations_are_never_written_into_an_entry(tmp_path: Path) -> None:
    english = ENGLISH.replace("    answer: Yes, on a lead.\n",
                              "    answer: Yes, on a lead.\n    translations: [{language: zh-CN, answer: 可以}]\n")
    folder = folder_with(tmp_path, "entries: {}\n", english)
    message = error_of(folder)
    assert message.startswith(f"{folder / 'faq.yml'}:2") and "NAME.zh-CN.yml" in message, message
