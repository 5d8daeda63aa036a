"""What the office's desks (tickets, feedback) refuse, in sentences a staff member can read.

The JSON API turns ``Unknown`` into 404 and ``NotAllowed`` into 409; the console pages show ``message``.
"""

from __future__ import annotations

from foundation.errors import ReadableError


class DeskError(ReadableError):
    """A desk refused a request; ``message`` says why in plain words."""

    code = "desk_error"


class Unknown(DeskError):
    """No ticket or feedback with that reference."""

    code = "not_found"


class NotAllowed(DeskError):
    """The change does not fit the current state (e.g. reopening a ticket to "in progress")."""

    code = "conflict"
