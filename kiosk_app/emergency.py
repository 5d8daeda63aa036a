"""The emergency button: the direct alert path (services API, else the durable outbox).

The path itself lives in :mod:`assistant.safety.direct_alert`, a layer down, because the voice terminal and
the local emergency detector raise alerts the same way (docs/emergency-triage.md).
"""

from __future__ import annotations

from assistant.safety.direct_alert import (
    BUTTON_DETAILS,
    DIRECT_TIMEOUT,
    FALLBACK_KIOSK_ID,
    FALLBACK_LOCATION,
    KIND,
    MAX_DETAILS,
    PLAIN_DETAILS,
    alert_payload,
    raise_emergency,
)

__all__ = ["BUTTON_DETAILS", "DIRECT_TIMEOUT", "FALLBACK_KIOSK_ID", "FALLBACK_LOCATION", "KIND", "MAX_DETAILS",
           "PLAIN_DETAILS", "alert_payload", "raise_emergency"]
