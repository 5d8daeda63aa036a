"""The wayfinding package's exception root.

Shaped like the kiosk's ``assistant.shared.errors.LinliError`` (a ``message`` safe to show to a person,
an optional ``hint``, a ``code``) but not derived from it: wayfinding imports nothing of the kiosk. Callers
catch :class:`WayfindingError` themselves, or wrap it in their own error at their boundary.
"""

from __future__ import annotations


class WayfindingError(Exception):
    """Root of the wayfinding errors. ``message`` is safe to show to a person."""

    code = "wayfinding_error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


class KeyConfigError(WayfindingError):
    """The community's QR key cannot be read, created or used."""

    code = "config_error"
