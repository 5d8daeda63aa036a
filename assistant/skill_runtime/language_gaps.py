"""What is not yet written in each of the community's languages, at file:line (``linli skill validate``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from foundation.language import SOURCE_LANGUAGE
from foundation.yaml_lines import LinedYaml

from .loader import LoadedSkill
from .locales import LOCALE_FOLDER, LoadedLocale, core_responses, gaps

CORE_ONLY_INTENTS = frozenset({"nlu_fallback", "restart", "session_start", "back"})
"""Rasa's own intents: nobody says them, so they need no examples in any language."""


def language_gaps(nlu_data: Path, skills: Iterable[LoadedSkill], core_locales: Mapping[str, LoadedLocale],
                  languages: Iterable[str]) -> list[str]:
    """Every response and intent of the core and the skills lacking a version in one of ``languages``."""
    src, responses, intents = core_responses(nlu_data)
    out: list[str] = []
    for code in languages:
        if code == SOURCE_LANGUAGE:
            continue
        out += _core_gaps(code, src, list(responses), intents, core_locales.get(code), nlu_data)
        for skill in skills:
            out += gaps(code, skill.locales.get(code), skill.source, skill.spec.intents, skill.spec.responses,
                        skill.folder / LOCALE_FOLDER / f"{code}.yml")
    return out


def _core_gaps(code: str, src: LinedYaml, responses: list[str], intents: list[str], locale: LoadedLocale | None,
               nlu_data: Path) -> list[str]:
    # only intents residents say in English need examples in another language: a button's or a card's
    # (resident_card, knowledge_confirm) have none, and knowledge_question's come from the knowledge base
    said = _said_intents(nlu_data)
    spoken = [i for i in intents if i not in CORE_ONLY_INTENTS and i in said]
    have = set(locale.spec.intents) if locale else set()
    target = nlu_data / LOCALE_FOLDER / f"{code}.yml"
    out = gaps(code, locale, src, [], responses, target)
    out += [f"{src.where(('intents',))}: intent {name!r} has no {code} examples (add them to {target})"
            for name in spoken if name not in have]
    return out


def _said_intents(nlu_data: Path) -> set[str]:
    import yaml

    items = (yaml.safe_load((nlu_data / "nlu.yml").read_text("utf-8")) or {}).get("nlu") or []
    return {str(item["intent"]) for item in items if isinstance(item, dict) and item.get("intent")}
