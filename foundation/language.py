"""Which language a resident speaks: the codes Linli knows and how a conversation's language is decided.

Standard library only and valid Python 3.10: the Rasa side (``rasa_runtime/linli_nlg.py``) loads this file by
its path, as it loads ``redact.py``, so the kiosk, the skills and Rasa decide a turn's language the same way
(docs/languages.md).

The rule, newest user turn first: the ``locale`` a front end put in the turn's metadata (the kiosk's 中文
button, the voice terminal's ``--locale``); else the script of what the resident typed or said (Chinese
characters → ``zh-CN``, Latin letters → ``en``); a button payload (``/affirm``) or digits say nothing and the
turn before decides; nothing at all → the community's default language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

SOURCE_LANGUAGE = "en"
"""The language skills are written in (``skill.yml``); others live in ``locale/<code>.yml`` beside it."""
KNOWN_LANGUAGES = ("en", "zh-CN")
"""Languages this release has words, examples and voices for; a third is added as data (docs/languages.md)."""
_ALIASES = {"en": "en", "en-us": "en", "en-gb": "en", "english": "en", "zh": "zh-CN", "zh-cn": "zh-CN",
            "zh-hans": "zh-CN", "zh-tw": "zh-CN", "zh-hant": "zh-CN", "cmn": "zh-CN", "中文": "zh-CN",
            "普通话": "zh-CN"}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def normalise(code: object) -> str | None:
    """``"zh"``, ``"zh_CN"``, ``"ZH-cn"`` → ``"zh-CN"``; anything unknown or not a string → ``None``."""
    if not isinstance(code, str):
        return None
    key = code.strip().replace("_", "-").lower()
    return _ALIASES.get(key) or next((c for c in KNOWN_LANGUAGES if c.lower() == key), None)


def script_language(text: object) -> str | None:
    """The language a piece of text is written in, by its script; ``None`` when it does not say (a payload,
    digits, emoji, nothing). Mixed text with any Chinese character is Chinese: "我要report repair"."""
    if not isinstance(text, str):
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or text.startswith("/"):
        return None
    if _HAN.search(text):
        return "zh-CN"
    if _LATIN.search(text):
        return "en"
    return None


def turn_language(text: object, metadata: object) -> str | None:
    """One user turn's language: its metadata ``locale``, else its script, else ``None``."""
    if isinstance(metadata, Mapping):
        chosen = normalise(metadata.get("locale"))
        if chosen:
            return chosen
    return script_language(text)


def conversation_language(events: Iterable[Mapping[str, Any]], default: str = SOURCE_LANGUAGE) -> str:
    """The language of a conversation from its tracker events (Rasa's event dicts), newest user turn first.

    A restart (the kiosk's idle reset sends ``/restart``) does not carry the old language over: events before
    the newest ``restart`` are not read.
    """
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "restart":
            break
        if kind == "user":
            chosen = turn_language(event.get("text"), event.get("metadata"))
            if chosen:
                return chosen
    return normalise(default) or SOURCE_LANGUAGE
