"""Phrases to bias recognition towards: the skills' entity values and the buttons the resident is offered.

Which of them a model can recognise is decided by the recogniser (``Recognizer.usable_phrases``): a phrase
with a word outside the model's vocabulary is left out rather than sent to Vosk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from assistant.shared.events import Reply

_CLEAN = re.compile(r"[^\w\s'-]+")


def _phrase(text: str) -> str:
    return " ".join(_CLEAN.sub(" ", text.lower()).split())


def skill_phrases(skills_dir: Path, nlu_data: Path) -> list[str]:
    """Every lookup value, synonym and synonym target of every skill (loaded without their actions)."""
    from assistant.skill_runtime.loader import load_skills

    phrases: list[str] = []
    for loaded in load_skills(skills_dir, nlu_data, import_actions=False):
        skill = loaded.spec
        for values in skill.lookups.values():
            phrases.extend(values)
        for target, values in skill.synonyms.items():
            phrases.append(target)
            phrases.extend(values)
    return unique_phrases(phrases)


def button_phrases(replies: Iterable[Reply]) -> list[str]:
    return unique_phrases(b.title for r in replies for b in r.buttons)


def unique_phrases(phrases: Iterable[str]) -> list[str]:
    return [p for p in dict.fromkeys(_phrase(p) for p in phrases) if p]
