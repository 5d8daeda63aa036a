"""Helpers shared by the dialogue tests."""

from __future__ import annotations

import socket
from collections.abc import Callable


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LATER_KIOSK = "later-kiosk-token"
LATER_STAFF = "later-staff-token"
"""Tokens of the services API that ``start_services_later`` starts."""

StartLater = Callable[[int], str]
