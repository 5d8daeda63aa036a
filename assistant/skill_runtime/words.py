"""What skills need of the languages at run time: the conversation's language and lists read out in it.

Sentences are never built here: actions name a response (YAML, per language) and fill its placeholders; the
answer's language is chosen when Rasa generates it (docs/languages.md). Skills need the language only for data
that comes in a language (the services API's ``lang=``) and for joining a list of such data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from foundation.language import SOURCE_LANGUAGE, conversation_language

from . import context

LIST_JOINERS = {"en": "; ", "zh-CN": "；"}
"""How items of a list are joined when a response reads them out in one sentence."""


def default_language() -> str:
    """The community's default language, or English before the action server set up the context."""
    try:
        return context.settings().default_language
    except Exception:  # no context (a unit test of a helper): the source language
        return SOURCE_LANGUAGE


def language_of(tracker: Any) -> str:
    """The conversation's language ("en", "zh-CN"), decided as everywhere else (``foundation/language.py``)."""
    return conversation_language(getattr(tracker, "events", None) or [], default_language())


def join_list(items: Iterable[str], language: str) -> str:
    """``items`` as one phrase for a response's ``{placeholder}``: "a; b; c" or "甲；乙；丙"."""
    return LIST_JOINERS.get(language, LIST_JOINERS[SOURCE_LANGUAGE]).join(i for i in items if i)
