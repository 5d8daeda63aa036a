"""``linli kb validate | search | add``: admins check knowledge files, try questions and add entries."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.shared.config import load_settings
from assistant.shared.errors import LinliError

from .entries import (
    KnowledgeEntry,
    KnowledgeError,
    default_knowledge_dir,
    is_valid_on,
    language_gaps,
    load_knowledge,
)

DEFAULT_FILE = "admin-added.yml"


def _say(line: str = "") -> None:
    print(line, flush=True)


def _folder(args: argparse.Namespace) -> Path:
    return Path(args.folder) if getattr(args, "folder", None) else default_knowledge_dir(load_settings().root)


def map_places() -> set[str] | None:
    """The community map's place ids, or ``None`` (places unchecked) when the map itself is broken."""
    try:
        from assistant.places.community import default_map_path, load_map

        return {p.id for p in load_map(default_map_path()).places}
    except LinliError as e:
        _say(f"note: places are not checked, the community map cannot be read: {e.message}")
        return None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-30") from e


def cmd_kb_validate(args: argparse.Namespace) -> int:
    folder = _folder(args)
    if not folder.is_dir():
        raise KnowledgeError(f"{folder}: there is no such folder.")
    places = map_places()
    entries = load_knowledge(folder, map_places=places)
    today = date.today()
    live = sum(1 for e in entries if is_valid_on(e, today))
    questions = sum(len(e.questions) for e in entries)
    _say(f"{folder}: {len(entries)} entries with {questions} questions are valid; {live} can be answered today.")
    languages = load_settings().language_list
    for language in languages:
        written = sum(1 for e in entries if not e.said_in(language).fallback)
        asked = sum(len(e.questions_in(language)) for e in entries)
        if language != "en" or written != len(entries):
            _say(f"  {language}: {written} of {len(entries)} entries answered, {asked} questions.")
    gaps = language_gaps(folder, languages, map_places=places)
    if gaps:  # not errors: such an entry is answered in its own language with a note
        _say(f"{len(gaps)} answers not written yet (these are said in the entry's own language with a note):")
        for where, entry_id, language in gaps:
            _say(f"  {where}: {entry_id!r} has no {language} answer "
                 f"(add it to a file named like {Path(where.split(':')[0]).stem}.{language}.yml)")
    return 0


def cmd_kb_search(args: argparse.Namespace) -> int:
    from .encoder import encoder_named
    from .index import KnowledgeIndex, language_setups

    folder = _folder(args)
    entries = load_knowledge(folder, map_places=map_places())
    language = args.lang
    setup = language_setups().get(language)
    if setup is None:
        raise KnowledgeError(f"There are no knowledge settings for {language!r}.",
                             hint="Languages: " + ", ".join(language_setups()))
    cache = load_settings().var_dir / ("knowledge" if language == "en" else f"knowledge-{language}")
    index = KnowledgeIndex(encoder_named(setup.encoder), cache, setup.settings, questions_in=setup.questions)
    index.build(entries)
    day = args.date or date.today()
    matches = index.search(args.question, day, top_k=3, valid_only=not args.all)
    verdict = index.consult(args.question, day)
    chosen, offered = verdict.answer, {m.entry.id for m in verdict.suggestions}
    if not matches:
        _say(f"No entries to search in {folder}" + ("" if args.all else f" that are valid on {day}") + ".")
        return 0
    for rank, m in enumerate(matches, 1):
        flag = (" ← would be answered" if chosen is not None and chosen.entry.id == m.entry.id
                else " ← offered: \"Did you mean …?\"" if m.entry.id in offered
                else "" if is_valid_on(m.entry, day) else f" (not valid on {day})")
        _say(f"  {rank}. {m.score:.3f}  {m.entry.id}{flag}\n       nearest question: {m.question}")
    s = index.settings
    if chosen is None:
        then = ("the resident is asked which they meant (or offered a person)" if offered
                else "the resident is offered a person")
        _say(f"Not answered straight away (needs a score ≥ {s.threshold:.2f} and {s.margin:.2f} ahead of the "
             f"next entry; ≥ {s.suggest:.2f} is offered as \"Did you mean …?\"): {then}.")
    else:
        said = chosen.entry.said_in(language)
        note = f" (no {language} answer yet: said in {said.language} with a note)" if said.fallback else ""
        _say(f"Answer{note}: {said.answer}")
    return 0


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # "questions:\n  - ..." as people write it


def entry_yaml(entry: KnowledgeEntry, indent: int) -> str:
    """One list item of ``entries:``, indented like the file's other items."""
    data = entry.model_dump(exclude_none=True, exclude_defaults=True)
    data = {"id": entry.id, **data}  # exclude_defaults never drops required fields, but keep id first
    data["questions"] = list(entry.questions)
    if "tags" in data:
        data["tags"] = list(data["tags"])
    text = yaml.dump([data], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
    return "".join(" " * indent + line for line in text.splitlines(keepends=True))


def _item_indent(text: str) -> int | None:
    """Indentation of the first ``- `` item under the top-level ``entries:`` key (None: no such key)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^entries\s*:\s*(#.*)?$", line):
            for item in lines[i + 1:]:
                found = re.match(r"^(\s*)- ", item)
                if found:
                    return len(found.group(1))
            return 2
    return None


def _write(path: Path, data: bytes) -> None:
    """Replace the file in one step, so the running kiosk never reads half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def cmd_kb_add(args: argparse.Namespace) -> int:
    path = Path(args.file) if args.file else _folder(args) / DEFAULT_FILE
    folder = _folder(args) if args.folder else path.parent  # the file's folder is the one validated
    if path.suffix != ".yml" or path.resolve().parent != folder.resolve():
        raise KnowledgeError(f"{path}: entries go into a .yml file directly in {folder}.")
    fields: dict[str, Any] = {"id": args.id, "questions": args.question, "answer": args.answer,
                              "source": args.source, "valid_from": args.valid_from, "valid_until": args.until,
                              "tags": args.tag or (), "place": args.place}
    try:
        entry = KnowledgeEntry.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the entry"
        raise KnowledgeError(f"The new entry is not valid: {where}: {first['msg']}.") from None
    original = path.read_bytes() if path.exists() else None
    text = original.decode("utf-8", errors="replace") if original is not None else ""
    indent = _item_indent(text)
    addition = "" if not text or text.endswith("\n") else "\n"
    if indent is None:
        addition += "" if not text.strip() else "\n"
        addition += "entries:\n"
        indent = 2
    addition += entry_yaml(entry, indent)
    folder.mkdir(parents=True, exist_ok=True)
    _write(path, (original or b"") + addition.encode("utf-8"))
    try:
        entries = load_knowledge(folder, map_places=map_places())
        if entry not in entries:
            raise KnowledgeError(f"{path}: the new entry could not be appended (is 'entries:' the last key?).")
    except KnowledgeError as e:
        if original is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        else:
            _write(path, original)
        _say(f"linli: the entry was not added, {path} is unchanged: {e}")
        return 1
    _say(f"Added {entry.id!r} to {path}; {len(entries)} entries are valid. The running assistant answers it "
         "from the next question.")
    return 0


def add_kb_commands(sub: Any) -> None:
    """Register ``kb validate``, ``kb search`` and ``kb add`` on the ``linli`` sub-parsers."""
    group = sub.add_parser("kb", help="the community knowledge base (questions and answers)").add_subparsers(
        dest="kb_command", required=True)
    validate = group.add_parser("validate", help="check every knowledge file (default folder: knowledge/)")
    validate.add_argument("folder", nargs="?", type=Path)
    validate.set_defaults(func=cmd_kb_validate)
    search = group.add_parser("search", help="the entries nearest to a question, and whether it would be answered")
    search.add_argument("question")
    search.add_argument("--all", action="store_true", help="include entries not valid on the date")
    search.add_argument("--date", type=_day, help="answer as on this day, YYYY-MM-DD (default: today)")
    search.add_argument("--lang", default="en", help="the conversation's language: en (default) or zh-CN")
    search.add_argument("--folder", type=Path, help="knowledge folder (default: LINLI_KNOWLEDGE_DIR or knowledge/)")
    search.set_defaults(func=cmd_kb_search)
    add = group.add_parser("add", help="append an entry to a knowledge file and check the folder")
    add.add_argument("--id", required=True, help="lowercase words joined by '-', e.g. id-card-renewal")
    add.add_argument("--question", action="append", required=True, help="how a resident asks it (repeatable)")
    add.add_argument("--answer", required=True, help="the answer as it should be spoken (≤ 600 characters)")
    add.add_argument("--source", help='said with the answer, e.g. "Community office notice board"')
    add.add_argument("--from", dest="valid_from", type=_day, help="first day it is used, YYYY-MM-DD")
    add.add_argument("--until", type=_day, help="last day it is used, YYYY-MM-DD")
    add.add_argument("--tag", action="append", help="a tag (repeatable)")
    add.add_argument("--place", help="a community-map place id (offers 'Show me the way')")
    add.add_argument("--file", type=Path, help=f"NAME.yml to append to (default: {DEFAULT_FILE})")
    add.add_argument("--folder", type=Path, help="knowledge folder (default: LINLI_KNOWLEDGE_DIR or knowledge/)")
    add.set_defaults(func=cmd_kb_add)
