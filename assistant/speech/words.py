"""What the voice terminal and the voice session say by themselves, per language: data in
``assets/speech/words.yml`` (en, zh-CN, ...), read once. Emergency words are not here: they come from
``assistant/safety/words.py``, shared with the kiosk."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from foundation.language import normalise

WORDS_PATH = Path(__file__).resolve().parents[2] / "assets" / "speech" / "words.yml"


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("en"), dict):
        raise ValueError(f"{WORDS_PATH}: expected languages (en, zh-CN, ...) each mapping keys to sentences")
    return {str(lang): {str(k): str(v) for k, v in table.items()} for lang, table in data.items()}


def speech_words(language: str) -> dict[str, str]:
    """The sentences of ``language`` (``zh`` means ``zh-CN``); any key it lacks falls back to English."""
    table = _table()
    return {**table["en"], **table.get(normalise(language) or language, {})}
