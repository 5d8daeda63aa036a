"""Tidying what a resident said or typed before a skill looks at it, and echoing it back safely.

Two tidiers exist because the skills came to rely on both and their results differ at the edges:
:func:`one_line` works on Unicode categories alone (the clinic and events forms), :func:`tidy` is the
services' own ``clean_text`` (NFC, line breaks kept on request), so what a skill stores is what the
services API would accept.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from community_services.schemas import clean_text


def one_line(value: Any) -> str:
    """One line of what the resident said: no control or format characters, single spaces."""
    if value is None:
        return ""
    kept = [" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(value)
            if unicodedata.category(ch) not in ("Cf", "Cs", "Co")]
    return " ".join("".join(kept).split())


def tidy(value: Any, *, limit: int | None = None, multiline: bool = False) -> str:
    """The services' ``clean_text`` of ``value`` as a string (never raises), cut to ``limit`` characters."""
    cleaned = clean_text(str(value) if value is not None else "", multiline=multiline)
    if not isinstance(cleaned, str):
        return ""
    return cleaned if limit is None else cleaned[:limit]


def speakable(text: str, limit: int) -> str:
    """A short echo of the resident's words for a read-back: no emoji, symbols or control characters,
    cut at a word boundary so the voice does not stop mid-word."""
    # Line breaks and tabs separate words: "stairs\nneed cleaning" must not become "stairsneed".
    kept = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch)[0] not in ("S", "C")
                   or ch.isspace())
    kept = " ".join(kept.split())
    if len(kept) > limit:
        kept = kept[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return kept
