"""The root of every error a person may read: a ``message`` safe to show, an optional ``hint`` (what to do).

The kiosk side's ``LinliError`` and wayfinding's ``WayfindingError`` both derive from it, so code that only
needs "a readable problem" (the YAML reader, a command's top level) handles either.
"""

from __future__ import annotations


class ReadableError(Exception):
    """``message`` is safe to show to a resident or an admin; the traceback goes to the log only."""

    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


class YamlError(ReadableError):
    """An admin-written YAML file cannot be read; the message starts with ``file:line:``."""

    code = "yaml_error"
