"""Knowledge entries (``knowledge/*.yml``): validated at load; every error names the file and line.

An entry is written in one language (``language:``, English unless said) in a file like ``office-faq.yml``;
its answer and questions in another language go into a locale file beside it, ``office-faq.zh-CN.yml``, keyed
by the entry's id (docs/knowledge-zh.md). An entry with no answer in a community language is a gap, not an
error: it is answered in its own language with a note, and ``linli kb validate`` lists it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from assistant.shared.config import current
from assistant.shared.errors import LinliError
from foundation.yaml_lines import LinedYaml, loc_text, more_problems, pydantic_problem, read_yaml

ENTRY_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
LANGUAGE = r"^[a-z]{2,3}(-[A-Z][A-Za-z]{1,3})?$"
LOCALE_FILE = re.compile(r"^(?P<stem>[^.]+)\.(?P<language>[a-z]{2,3}(-[A-Z][A-Za-z]{1,3})?)\.yml$")
"""``office-faq.zh-CN.yml``: the ``zh-CN`` words of the entries (any file's entries, matched by id)."""
PLACE_ID = r"^[a-z0-9][a-z0-9-]*$"
MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 600
"""An answer is spoken at a kiosk: longer than this and the resident stops listening."""


class KnowledgeError(LinliError):
    """A knowledge file is wrong (the message names file and line) or the knowledge base cannot work."""

    code = "knowledge_error"


Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION_CHARS)]
Answer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ANSWER_CHARS)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Translation(BaseModel):
    """An entry's answer (and how residents ask it) in another language, from a locale file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str = Field(default="", pattern=r"^$|" + LANGUAGE)
    """Filled from the file name (``*.zh-CN.yml``); not written in the file."""
    answer: Answer | None = None
    """``None``: only the questions are written so far (found by them, answered in the entry's language)."""
    questions: tuple[Question, ...] = Field(default=(), max_length=50)
    """May be empty: the multilingual model also finds the entry by its other languages' questions."""
    source: Word | None = None


class KnowledgeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ENTRY_ID, max_length=80)
    """Lowercase words joined by ``-``, unique over all files."""
    questions: tuple[Question, ...] = Field(min_length=1, max_length=50)
    """How residents ask it; more variants match better."""
    answer: Answer
    """Written for speaking: short sentences."""
    source: Word | None = None
    """Said with the answer ("This is from the Community office question sheet")."""
    valid_from: date | None = None
    valid_until: date | None = None
    tags: tuple[Word, ...] = ()
    place: str | None = Field(default=None, pattern=PLACE_ID)
    """A community-map place id: the answer offers "Show me the way"."""
    language: str = Field(default="en", pattern=LANGUAGE)
    """The language ``questions`` and ``answer`` are written in."""
    translations: tuple[Translation, ...] = Field(default=(), exclude=True)
    """Filled from the locale files (``*.zh-CN.yml``) at load, never written in an entry."""

    @model_validator(mode="before")
    @classmethod
    def _no_written_translations(cls, data: Any) -> Any:
        """Other languages go into a locale file (``NAME.zh-CN.yml``), never into the entry itself."""
        if isinstance(data, dict) and "translations" in data:
            raise PydanticCustomError("translations_written", "translations go into a file like NAME.zh-CN.yml, "
                                      "keyed by the entry id")
        return data

    def questions_in(self, language: str | None) -> tuple[str, ...]:
        """The questions written in ``language``, or in every language (``None``: a multilingual model)."""
        own = self.questions if language in (None, self.language) else ()
        return own + tuple(q for t in self.translations if language in (None, t.language) for q in t.questions)

    def said_in(self, language: str) -> Said:
        """The answer for a conversation in ``language``: its own words, or the entry's with ``fallback``."""
        if language == self.language:
            return Said(self.answer, self.source, self.language, fallback=False)
        for t in self.translations:
            if t.language == language and t.answer is not None:
                return Said(t.answer, t.source if t.source is not None else self.source, language, fallback=False)
        return Said(self.answer, self.source, self.language, fallback=True)

    def title_in(self, language: str) -> str:
        """The entry's first question in ``language`` (a "did you mean" button), else its own first question."""
        for t in self.translations:
            if t.language == language and t.questions:
                return t.questions[0]
        return self.questions[0]


@dataclass(frozen=True)
class Said:
    """An answer as it is given: ``fallback`` when the entry has none in the conversation's language."""

    answer: str
    source: str | None
    language: str
    fallback: bool


class _KnowledgeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: tuple[KnowledgeEntry, ...] = ()


class _WrittenTranslation(BaseModel):
    """A locale file's block for one entry (its language comes from the file name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: Answer | None = None
    questions: tuple[Question, ...] = Field(default=(), max_length=50)
    source: Word | None = None


class _LocaleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: dict[Annotated[str, StringConstraints(pattern=ENTRY_ID, max_length=80)], _WrittenTranslation] = {}


def is_valid_on(entry: KnowledgeEntry, day: date) -> bool:
    """Whether the entry may be answered on ``day`` (both ends inclusive)."""
    return (entry.valid_from is None or entry.valid_from <= day) and (
        entry.valid_until is None or day <= entry.valid_until)


def fold(text: str) -> str:
    """Key for "the same question": case-insensitive, runs of spaces collapsed."""
    return " ".join(text.casefold().split())


def default_knowledge_dir(root: Path) -> Path:
    """``LINLI_KNOWLEDGE_DIR`` if set, else ``<root>/knowledge`` (beside ``skills/``)."""
    override: Path | None = current("knowledge_dir_override")
    return override or root / "knowledge"


def knowledge_files(folder: Path) -> list[Path]:
    """The ``*.yml`` files an admin wrote, locale files too (hidden editor files skipped), in a stable order."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yml") if not p.name.startswith(".") and p.is_file())


# --- validation -----------------------------------------------------------------------------------


def _message(error: ErrorDetails) -> str:
    where = loc_text(tuple(error["loc"])) or "the file"
    if error["type"] == "too_short":
        return f"{where} needs at least {(error.get('ctx') or {}).get('min_length', 1)} item"
    if error["type"] == "string_too_short":
        return f"{where} is empty"
    if error["type"] == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        return f"{where} is too long ({len(str(error['input']))} characters; the limit is {limit})"
    return pydantic_problem(error)


@dataclass(frozen=True)
class _Located:
    entry: KnowledgeEntry
    doc: LinedYaml
    index: int

    def where(self, *loc: str | int) -> str:
        return self.doc.where(("entries", self.index, *loc))


def _validated(doc: LinedYaml, model: type[BaseModel], shape: str) -> BaseModel | None:
    if doc.data is None:
        return None  # a new, still empty file
    if not isinstance(doc.data, dict):
        raise KnowledgeError(f"{doc.where(())}: {shape}")
    try:
        return model.model_validate(doc.data)
    except ValidationError as e:
        # a bad question also fails its list's length check: report the question only
        locs = [tuple(err["loc"]) for err in e.errors()]
        errors = [err for err, loc in zip(e.errors(), locs, strict=True)
                  if not any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)]
        first = errors[0]
        loc = tuple(first["loc"])
        if loc and loc[-1] == "[key]":  # a bad id in a locale file: point at the id, say what an id is
            loc = loc[:-1]
            message = f"{loc_text(loc)}: an entry id is lowercase words joined by '-'"
        else:
            message = _message(first)
        raise KnowledgeError(f"{doc.where(loc)}: {message}{more_problems(len(errors) - 1)}.") from e


def _read_file(path: Path) -> list[_Located]:
    doc = read_yaml(path, KnowledgeError)
    parsed = _validated(doc, _KnowledgeFile, "a knowledge file is a mapping with one key, 'entries:'.")
    if not isinstance(parsed, _KnowledgeFile):
        return []
    return [_Located(entry, doc, i) for i, entry in enumerate(parsed.entries)]


@dataclass(frozen=True)
class _LocatedTranslation:
    entry_id: str
    translation: Translation
    doc: LinedYaml

    def where(self, *loc: str | int) -> str:
        return self.doc.where(("entries", self.entry_id, *loc))


def _read_locale_file(path: Path, language: str) -> list[_LocatedTranslation]:
    doc = read_yaml(path, KnowledgeError)
    parsed = _validated(doc, _LocaleFile, "a knowledge locale file is a mapping with one key, 'entries:', "
                                          "whose keys are entry ids.")
    if not isinstance(parsed, _LocaleFile):
        return []
    return [_LocatedTranslation(entry_id, Translation(language=language, **block.model_dump()), doc)
            for entry_id, block in parsed.entries.items()]


def _check(found: list[_Located], translated: list[_LocatedTranslation], map_places: set[str] | None) -> list[str]:
    """Everything one entry cannot see on its own: duplicates across files, dates, places, translations."""
    problems: list[str] = []
    ids: dict[str, _Located] = {}
    questions: dict[tuple[str, str], str] = {}  # (language, folded question) → where it is first asked
    asked_by: dict[tuple[str, str], str] = {}

    def ask(language: str, question: str, where: str, entry_id: str) -> None:
        key = (language, fold(question))
        first = questions.setdefault(key, where)
        asked_by.setdefault(key, entry_id)
        if first != where:
            problems.append(f"{where}: the question {question!r} is already asked at {first} "
                            f"(entry {asked_by[key]!r}).")

    for item in found:
        entry = item.entry
        first = ids.setdefault(entry.id, item)
        if first is not item:
            problems.append(f"{item.where('id')}: the id {entry.id!r} is already used at {first.where('id')}.")
        for k, question in enumerate(entry.questions):
            ask(entry.language, question, item.where("questions", k), entry.id)
        if entry.valid_from and entry.valid_until and entry.valid_until < entry.valid_from:
            problems.append(f"{item.where('valid_until')}: valid_until {entry.valid_until} is before "
                            f"valid_from {entry.valid_from}.")
        if map_places is not None and entry.place is not None and entry.place not in map_places:
            near = difflib.get_close_matches(entry.place, sorted(map_places), n=1)
            problems.append(f"{item.where('place')}: the community map has no place {entry.place!r}"
                            + (f" (did you mean {near[0]!r}?)" if near else "") + ".")
    done: dict[tuple[str, str], _LocatedTranslation] = {}
    for tr in translated:
        language = tr.translation.language
        owner = ids.get(tr.entry_id)
        if owner is None:
            near = difflib.get_close_matches(tr.entry_id, sorted(ids), n=1)
            problems.append(f"{tr.where()}: there is no entry {tr.entry_id!r} to translate"
                            + (f" (did you mean {near[0]!r}?)" if near else "") + ".")
            continue
        if owner.entry.language == language:
            problems.append(f"{tr.where()}: the entry {tr.entry_id!r} is already written in {language} "
                            f"at {owner.where('id')}.")
            continue
        earlier = done.setdefault((tr.entry_id, language), tr)
        if earlier is not tr:
            problems.append(f"{tr.where()}: the {language} answer of {tr.entry_id!r} is already at {earlier.where()}.")
            continue
        for k, question in enumerate(tr.translation.questions):
            ask(language, question, tr.where("questions", k), tr.entry_id)
    return problems


def _read_folder(folder: Path, map_places: set[str] | None) -> tuple[list[_Located], list[_LocatedTranslation]]:
    found: list[_Located] = []
    translated: list[_LocatedTranslation] = []
    for path in knowledge_files(folder):
        locale = LOCALE_FILE.match(path.name)
        if locale:
            translated += _read_locale_file(path, locale["language"])
        else:
            found += _read_file(path)
    problems = _check(found, translated, map_places)
    if problems:
        raise KnowledgeError(problems[0].rstrip(".") + more_problems(len(problems) - 1) + ".",
                             hint="Fix the entry and save the file; `linli kb validate` checks it again.")
    return found, translated


def _joined(found: list[_Located], translated: list[_LocatedTranslation]) -> list[KnowledgeEntry]:
    by_id: dict[str, list[Translation]] = {}
    for tr in translated:
        by_id.setdefault(tr.entry_id, []).append(tr.translation)
    return [item.entry.model_copy(update={"translations": tuple(by_id.get(item.entry.id, ()))}) if
            item.entry.id in by_id else item.entry for item in found]


def load_knowledge(folder: Path, *, map_places: set[str] | None = None) -> list[KnowledgeEntry]:
    """Read and validate every ``*.yml`` in ``folder``; a :class:`KnowledgeError` names file and line.

    An empty or missing folder is no knowledge, not an error. ``map_places`` (the map's place ids), when
    given, is checked against each entry's ``place``. Locale files (``*.zh-CN.yml``) become the entries'
    :attr:`~KnowledgeEntry.translations`.
    """
    return _joined(*_read_folder(folder, map_places))


def language_gaps(folder: Path, languages: tuple[str, ...], *,
                  map_places: set[str] | None = None) -> list[tuple[str, str, str]]:
    """(where, entry id, language) for every entry without an answer in one of ``languages``.

    Not errors: such an entry is answered in its own language with a note ("utter_kb_answer_untranslated").
    """
    found, translated = _read_folder(folder, map_places)
    have = {(tr.entry_id, tr.translation.language) for tr in translated if tr.translation.answer is not None}
    return [(item.where("id"), item.entry.id, language) for item in found for language in languages
            if language != item.entry.language and (item.entry.id, language) not in have]
