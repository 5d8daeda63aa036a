"""Every word the kiosk shows, per language: data in ``texts.yml`` beside this file (en, zh-CN), read once.

What a front end says by itself about emergencies and unanswered turns ("Do you need help right now?", "I can't
answer right now ...") comes from ``assistant/safety/words.py``, so the kiosk and the voice terminal say the same.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from assistant.safety.words import words

TEXTS_PATH = Path(__file__).with_name("texts.yml")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(TEXTS_PATH.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("en"), dict):
        raise ValueError(f"{TEXTS_PATH}: expected languages (en, zh-CN, ...) each mapping keys to texts")
    return {str(lang): {str(k): str(v) for k, v in words.items()} for lang, words in data.items()}


def texts(language: str) -> dict[str, str]:
    """The texts of ``language``; any key it lacks falls back to English, so a screen never shows a key."""
    table = _table()
    return {**words(language), **table["en"], **table.get(language, {})}
