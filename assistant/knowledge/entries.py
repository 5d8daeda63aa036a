"""Knowledge entries (``knowledge/*.yml``): validated at load; every error names the file and line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from assistant.shared.config import current
from assistant.shared.errors import LinliError
from foundation.yaml_lines import LinedYaml, loc_text, more_problems, pydantic_problem, read_yaml

ENTRY_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
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


class _KnowledgeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: tuple[KnowledgeEntry, ...] = ()


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
    """The ``*.yml`` files an admin wrote (hidden editor files skipped), in a stable order."""
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


def _read_file(path: Path) -> list[_Located]:
    doc = read_yaml(path, KnowledgeError)
    if doc.data is None:
        return []  # a new, still empty file
    if not isinstance(doc.data, dict):
        raise KnowledgeError(f"{doc.where(())}: a knowledge file is a mapping with one key, 'entries:'.")
    try:
        parsed = _KnowledgeFile.model_validate(doc.data)
    except ValidationError as e:
        # a bad question also fails its list's length check: report the question only
        locs = [tuple(err["loc"]) for err in e.errors()]
        errors = [err for err, loc in zip(e.errors(), locs, strict=True)
                  if not any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)]
        raise KnowledgeError(f"{doc.where(tuple(errors[0]['loc']))}: {_message(errors[0])}"
                             f"{more_problems(len(errors) - 1)}.") from e
    return [_Located(entry, doc, i) for i, entry in enumerate(parsed.entries)]


def _check(found: list[_Located], map_places: set[str] | None) -> list[str]:
    """Everything one entry cannot see on its own: duplicates across files, dates, places."""
    problems: list[str] = []
    ids: dict[str, _Located] = {}
    questions: dict[str, tuple[_Located, int]] = {}
    for item in found:
        entry = item.entry
        first = ids.setdefault(entry.id, item)
        if first is not item:
            problems.append(f"{item.where('id')}: the id {entry.id!r} is already used at {first.where('id')}.")
        for k, question in enumerate(entry.questions):
            other = questions.setdefault(fold(question), (item, k))
            if other != (item, k):
                problems.append(f"{item.where('questions', k)}: the question {question!r} is already asked at "
                                f"{other[0].where('questions', other[1])} (entry {other[0].entry.id!r}).")
        if entry.valid_from and entry.valid_until and entry.valid_until < entry.valid_from:
            problems.append(f"{item.where('valid_until')}: valid_until {entry.valid_until} is before "
                            f"valid_from {entry.valid_from}.")
        if map_places is not None and entry.place is not None and entry.place not in map_places:
            near = difflib.get_close_matches(entry.place, sorted(map_places), n=1)
            problems.append(f"{item.where('place')}: the community map has no place {entry.place!r}"
                            + (f" (did you mean {near[0]!r}?)" if near else "") + ".")
    return problems


def load_knowledge(folder: Path, *, map_places: set[str] | None = None) -> list[KnowledgeEntry]:
    """Read and validate every ``*.yml`` in ``folder``; a :class:`KnowledgeError` names file and line.

    An empty or missing folder is no knowledge, not an error. ``map_places`` (the map's place ids), when
    given, is checked against each entry's ``place``.
    """
    found: list[_Located] = []
    for path in knowledge_files(folder):
        found += _read_file(path)
    problems = _check(found, map_places)
    if problems:
        raise KnowledgeError(problems[0].rstrip(".") + more_problems(len(problems) - 1) + ".",
                             hint="Fix the entry and save the file; `linli kb validate` checks it again.")
    return [item.entry for item in found]
