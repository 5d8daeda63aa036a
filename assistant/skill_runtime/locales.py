"""Skills in more languages than the one they are written in: ``locale/<code>.yml`` files (docs/languages.md).

A skill is written in English (``skill.yml``); each other language of the community has a file
``skills/<name>/locale/<code>.yml`` (the core: ``nlu_data/locale/<code>.yml``) with the same intent and
response names: examples, synonyms, lookups, responses and conversation tests in that language.

Errors (a name that does not exist in English, a placeholder or button the English has not, a broken file)
stop the build like any skill error, with file:line. Gaps (a response or intent not yet written in a language)
do not: the resident hears the English wording meanwhile, and ``linli skill validate`` lists every gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from assistant.shared.errors import SkillError
from foundation.language import KNOWN_LANGUAGES, SOURCE_LANGUAGE, normalise
from foundation.yaml_lines import LinedYaml, read_yaml

from .schema import Intent, ResponseVariant, SkillTest, Strict, annotated_entities

LOCALE_FOLDER = "locale"
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


class LocaleIntent(Intent):
    """Examples of one intent in another language (as many as an English intent needs)."""


class LocaleFile(Strict):
    """``locale/<code>.yml``: everything of a skill that is said in words, in one more language."""

    intents: dict[str, LocaleIntent] = {}
    synonyms: dict[str, list[str]] = {}
    lookups: dict[str, list[str]] = {}
    responses: dict[str, list[ResponseVariant]] = Field(default_factory=dict)
    tests: list[SkillTest] = []

    @field_validator("responses")
    @classmethod
    def _utter_prefix(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not key.startswith("utter_"):
                raise ValueError(f"response {key!r} must start with 'utter_'")
        return value


@dataclass(frozen=True)
class LoadedLocale:
    language: str
    source: LinedYaml
    spec: LocaleFile


def locale_paths(folder: Path) -> list[tuple[str, Path]]:
    """``(language, file)`` for each ``locale/*.yml`` of a skill or of ``nlu_data``."""
    where = folder / LOCALE_FOLDER
    if not where.is_dir():
        return []
    return [(p.stem, p) for p in sorted(where.glob("*.yml"))]


def _format(src: LinedYaml, err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = tuple(x for x in e["loc"] if x not in ("function-after",))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r} (a locale file holds intents, synonyms, lookups, responses, tests)"
        out.append(f"{src.where(loc)}: {'.'.join(str(x) for x in loc) or '(top level)'}: {msg}")
    return out


def parse_locales(folder: Path) -> tuple[dict[str, LoadedLocale], list[str]]:
    """Every locale file of ``folder``, schema-checked; problems returned, not raised."""
    found: dict[str, LoadedLocale] = {}
    problems: list[str] = []
    for stem, path in locale_paths(folder):
        code = normalise(stem)
        if code is None or code != stem or code == SOURCE_LANGUAGE:
            problems.append(f"{path}:1: {stem!r} is not a language this release has words for; name the file "
                            f"after one of {', '.join(c for c in KNOWN_LANGUAGES if c != SOURCE_LANGUAGE)} "
                            f"(e.g. zh-CN.yml). English stays in {folder.name}'s main file.")
            continue
        try:
            src = read_yaml(path, SkillError)
        except SkillError as e:
            problems.append(str(e))
            continue
        if src.data is None:
            src = LinedYaml(path=src.path, data={}, root=src.root)
        if not isinstance(src.data, dict):
            problems.append(f"{path}:1: a locale file must be a mapping (intents:, responses:, tests:, ...).")
            continue
        try:
            found[code] = LoadedLocale(language=code, source=src, spec=LocaleFile.model_validate(src.data))
        except ValidationError as e:
            problems.extend(_format(src, e))
    return found, problems


def placeholders(variants: Iterable[ResponseVariant]) -> set[str]:
    return {name for v in variants for name in PLACEHOLDER.findall(v.text)}


def check_locale(locale: LoadedLocale, intents: Iterable[str], entities: Iterable[str],
                 responses: Mapping[str, list[ResponseVariant]]) -> list[str]:
    """Names in a locale file must be the English file's: intents, responses, their placeholders and buttons."""
    out: list[str] = []
    src, spec = locale.source, locale.spec
    known_intents, known_entities = set(intents), set(entities)
    for intent, body in spec.intents.items():
        if intent not in known_intents:
            out.append(f"{src.where(('intents', intent))}: intent {intent!r} is not an intent of this skill; "
                       "use the English file's intent names.")
            continue
        for n, example in enumerate(body.examples):
            for ent in annotated_entities(example) - known_entities:
                out.append(f"{src.where(('intents', intent, 'examples', n))}: entity {ent!r} is not declared "
                           "in the English file's 'entities:'.")
    for name, variants in spec.responses.items():
        english = responses.get(name)
        if english is None:
            out.append(f"{src.where(('responses', name))}: response {name!r} does not exist in English; "
                       "a locale file translates responses, it does not add them.")
            continue
        allowed = placeholders(english)
        payloads = {b.payload for v in english for b in v.buttons}
        for v, variant in enumerate(variants):
            for extra in sorted(placeholders([variant]) - allowed):
                out.append(f"{src.where(('responses', name, v, 'text'))}: placeholder {{{extra}}} is not in the "
                           f"English response (it has {', '.join(sorted(allowed)) or 'none'}).")
            for b, button in enumerate(variant.buttons):
                if button.payload not in payloads:
                    out.append(f"{src.where(('responses', name, v, 'buttons', b))}: button payload "
                               f"{button.payload!r} is not one of the English buttons' payloads; translate the "
                               "title only.")
    return out


def gaps(language: str, locale: LoadedLocale | None, english: LinedYaml, intents: Iterable[str],
         responses: Iterable[str], where_missing: Path) -> list[str]:
    """What is not yet written in ``language``: each English response and intent lacking one, at file:line."""
    have_responses = set(locale.spec.responses) if locale else set()
    have_intents = set(locale.spec.intents) if locale else set()
    out = [f"{english.where(('responses', name))}: response {name!r} has no {language} version "
           f"(add it to {where_missing})" for name in responses if name not in have_responses]
    out += [f"{english.where(('intents', name))}: intent {name!r} has no {language} examples "
            f"(add them to {where_missing})" for name in intents if name not in have_intents]
    return out


def core_responses(nlu_data: Path) -> tuple[LinedYaml, dict[str, list[ResponseVariant]], list[str]]:
    """The core's English responses (``nlu_data/domain.yml``) as checked variants, and its intents."""
    src = read_yaml(nlu_data / "domain.yml", SkillError)
    data = src.data or {}
    responses: dict[str, list[ResponseVariant]] = {}
    for name, variants in (data.get("responses") or {}).items():
        try:
            responses[name] = [ResponseVariant.model_validate(v) for v in variants or []]
        except ValidationError as e:
            raise SkillError(f"{src.where(('responses', name))}: response {name!r}: {e.errors()[0]['msg']}") from e
    intents = [next(iter(i)) if isinstance(i, dict) else str(i) for i in data.get("intents", [])]
    return src, responses, intents


def load_core_locales(nlu_data: Path) -> dict[str, LoadedLocale]:
    """``nlu_data/locale/*.yml``, checked against the core domain; one SkillError lists every problem."""
    src, responses, intents = core_responses(nlu_data)
    entities = [next(iter(e)) if isinstance(e, dict) else str(e) for e in (src.data or {}).get("entities", [])]
    locales, problems = parse_locales(nlu_data)
    for locale in locales.values():
        problems.extend(check_locale(locale, intents, entities, responses))
    if problems:
        raise SkillError(f"{len(problems)} problem(s) in the core's locale files; nothing was built:\n  "
                         + "\n  ".join(problems))
    return locales
