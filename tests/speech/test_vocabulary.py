from __future__ import annotations

from pathlib import Path

from assistant.shared.events import Button, Reply
from assistant.speech.vocabulary import button_phrases, skill_phrases, unique_phrases

ROOT = Path(__file__).resolve().parents[2]


def test_skill_phrases_hold_entity_values_and_synonyms() -> None:
    phrases = skill_phrases(ROOT / "skills", ROOT / "nlu_data")
    for expected in ("community clinic", "garbage station", "dentist", "traditional chinese medicine"):
        assert expected in phrases
    assert len(phrases) == len(set(phrases))


def test_button_titles_are_phrases() -> None:
    replies = [Reply("Is that right?", (Button("Yes", "/affirm"), Button("No, change it", "/deny"))), Reply("ok")]
    assert button_phrases(replies) == ["yes", "no change it"]


def test_phrases_are_cleaned_and_unique() -> None:
    assert unique_phrases(["  The Clinic! ", "the clinic", "", "???", "牙科"]) == ["the clinic", "牙科"]
