"""The wayfinding package's exception root.

A :class:`~foundation.errors.ReadableError` (a ``message`` safe to show to a person, an optional ``hint``)
like the kiosk's ``LinliError``, but not derived from it: wayfinding imports nothing of the kiosk. Callers
catch :class:`WayfindingError` themselves, or wrap it in their own error at their boundary.
"""

from __future__ import annotations

from foundation.errors import ReadableError


class WayfindingError(ReadableError):
    """Root of the wayfinding errors. ``message`` is safe to show to a person."""

    code = "wayfinding_error"


class KeyConfigError(WayfindingError):
    """The community's QR key cannot be read, created or used."""

    code = "config_error"
