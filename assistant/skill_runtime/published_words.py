"""The words Rasa answers with, every language in one file, published for the running assistant.

The build compiles them (:func:`compile_words`) from the core's and the skills' responses and their locale
files; :func:`publish_words` writes them where Rasa's answer generator reads them at run time
(``Settings.words_path``; ``rasa_runtime/linli_nlg.py``). Wording is not part of the trained model: the build's
fingerprint ignores it, so a changed sentence goes live without training (docs/languages.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from foundation.language import SOURCE_LANGUAGE

from .locales import LoadedLocale, core_responses
from .schema import ResponseVariant

WORDS_FILE = "words.json"
"""Its name inside a built project (next to domain.yml; not training data)."""


def _variants(variants: Iterable[ResponseVariant]) -> list[dict[str, Any]]:
    return [v.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"text": v.text} for v in variants]


def compile_words(nlu_data: Path, skills: Iterable[Any], core_locales: Mapping[str, LoadedLocale]) -> dict[str, Any]:
    """``{"languages": {code: {response: [variant, ...]}}}`` for the core and every skill (``LoadedSkill``)."""
    _, core, _ = core_responses(nlu_data)
    languages: dict[str, dict[str, list[dict[str, Any]]]] = {SOURCE_LANGUAGE: {}}
    english = languages[SOURCE_LANGUAGE]
    english.update({name: _variants(v) for name, v in core.items()})
    for code, locale in core_locales.items():
        languages.setdefault(code, {}).update({n: _variants(v) for n, v in locale.spec.responses.items()})
    for skill in skills:
        english.update({name: _variants(v) for name, v in skill.spec.responses.items()})
        for code, locale in skill.locales.items():
            languages.setdefault(code, {}).update({n: _variants(v) for n, v in locale.spec.responses.items()})
    return {"languages": languages}


def write_words(path: Path, words: Mapping[str, Any]) -> Path:
    """Write ``words`` to ``path`` whole or not at all (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".words-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(words, f, ensure_ascii=False, indent=1, sort_keys=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def publish_project_words(project: Path, target: Path) -> Path | None:
    """Copy a built project's words to ``target`` (the running assistant's); ``None`` if it has none."""
    source = project / WORDS_FILE
    if not source.is_file():
        return None
    return write_words(target, json.loads(source.read_text("utf-8")))


def publish_words_from_sources(root: Path, target: Path) -> Path:
    """Compile the words straight from ``root``'s skills and core, without a build (Rasa's start)."""
    from .loader import load_skills
    from .locales import load_core_locales

    nlu_data = root / "nlu_data"
    skills = load_skills(root / "skills", nlu_data, import_actions=False)
    return write_words(target, compile_words(nlu_data, skills, load_core_locales(nlu_data)))
