"""The API's routes, one router per resource, and the pieces they share; ``app.create_app`` wires them.

Nothing here logs request bodies, phone numbers or names.
"""

from __future__ import annotations

import logging

log = logging.getLogger("community_services.app")
"""Where every API module logs (the service's log name, whichever module writes the line)."""
