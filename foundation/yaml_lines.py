"""YAML reading that remembers line numbers, so admin-facing errors can say ``file:line``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from .errors import ReadableError, YamlError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic_core import ErrorDetails

    Model = TypeVar("Model", bound=BaseModel)

MAX_FILE_BYTES = 2_000_000
"""An admin-written file larger than this is surely a mistake (a pasted log, a binary)."""
MAX_DEPTH = 40
"""Nesting deeper than this is no admin's file (the deepest we write is about 6). PyYAML builds and walks
its node tree recursively, so a crafted ``[[[[…]]]]`` would end in a RecursionError, not a message."""


def _too_deep(text: str) -> yaml.Event | None:
    """The first collection that opens deeper than ``MAX_DEPTH`` (the event stream is flat: no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return event
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


@dataclass(frozen=True)
class LinedYaml:
    """Parsed YAML data plus the node tree that knows where each value came from."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Sequence[str | int]) -> int:
        """1-based line of the deepest node along ``loc`` (a pydantic error location)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for key in loc:
            found = _child(node, key)
            if found is None:
                break
            marker, node = found  # a mapping key's own line, not its (block) value's next line
            line = marker.start_mark.line + 1
        return line

    def where(self, loc: Sequence[str | int]) -> str:
        return f"{self.path}:{self.line_of(loc)}"

    def validate(self, model: type[Model], error: type[ReadableError], at: tuple[str | int, ...] = ()) -> Model:
        """``model`` from the data at ``at`` (a key path); the first problem raised as ``error``, ``file:line:``
        first, as every checked YAML file of the project reports it."""
        from pydantic import ValidationError

        data = self.data
        for key in at:
            data = data[key]
        try:
            return model.model_validate(data)
        except ValidationError as e:
            errors = e.errors()
            first = errors[0]
            raise error(f"{self.where((*at, *first['loc']))}: {pydantic_problem(first)}"
                        f"{more_problems(len(errors) - 1)}.") from e


def _child(node: yaml.Node | None, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """``(node whose line to report, child node)`` for one step of a location."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return k, v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key], node.value[key]
    return None


def _duplicate_key(node: yaml.Node | None) -> yaml.ScalarNode | None:
    """PyYAML silently keeps the last of two equal keys; an admin would lose examples that way."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    return k
                seen.add(k.value)
            found = _duplicate_key(v)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _duplicate_key(item)
            if found is not None:
                return found
    return None


def read_yaml(path: Path, error: type[ReadableError] = YamlError) -> LinedYaml:
    """Read one admin-written YAML file; every failure is an ``error`` naming file and line.

    The caller picks the error class so the message reaches the admin as its own kind of problem
    (a skill file, a speech catalogue, a community map).
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise error(f"{path}: cannot read the file ({e.strerror}).") from e
    if len(raw) > MAX_FILE_BYTES:
        raise error(f"{path}: the file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(
            f"{path}:{line}: the file is not UTF-8 text.", hint="Save it as UTF-8 in your editor."
        ) from e
    try:
        deep = _too_deep(text)
        if deep is not None:
            line = deep.start_mark.line + 1 if deep.start_mark is not None else 1
            raise error(f"{path}:{line}: the YAML is nested more than {MAX_DEPTH} levels deep.",
                        hint="Check the indentation and the brackets; no Linli file needs this many levels.")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        problem = (e.problem or e.context or "invalid YAML").strip()
        raise error(
            f"{path}:{line}: this is not valid YAML ({problem}).",
            hint="Check the indentation and that text with ':' or '#' is in quotes.",
        ) from e
    except yaml.YAMLError as e:
        raise error(f"{path}: this is not valid YAML ({e}).") from e
    dup = _duplicate_key(root)
    if dup is not None:
        raise error(
            f"{path}:{dup.start_mark.line + 1}: the key {dup.value!r} appears twice at the same level.",
            hint="Merge the two entries; YAML would silently keep only the last one.",
        )
    return LinedYaml(path=path, data=data, root=root)


def loc_text(loc: Sequence[str | int]) -> str:
    """``("paths", 3, "between")`` → ``paths[3].between``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def more_problems(count: int) -> str:
    """" (and 2 more problems)" after the first problem an admin is shown."""
    return f" (and {count} more problem{'s' if count > 1 else ''})" if count else ""


def pydantic_problem(error: ErrorDetails) -> str:
    """One pydantic error in an admin's words: unknown key, missing key, or pydantic's own message."""
    loc = tuple(error["loc"])
    where = loc_text(loc) or "the file"
    if error["type"] == "extra_forbidden":
        return f"unknown key {loc[-1]!r}" + (f" in {loc_text(loc[:-1])}" if len(loc) > 1 else "")
    if error["type"] == "missing":
        return f"{where} is missing"
    msg = str(error["msg"])
    return f"{where}: {msg[0].lower()}{msg[1:]}"
