"""What the two processes of a live skill reload, and whoever watches one, agree on.

Imported by both sides: :mod:`assistant.dialogue.reload_watcher` (run by ``linli run``) calls
:data:`RELOAD_ROUTE` and writes the status file; :mod:`assistant.dialogue.action_server_reload` (in the
action server) serves the route. The status file ``var/reload-status.json`` is read by ``bench/reload.py``,
the tests and admins (see ``docs/knowledge.md``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.shared.config import Settings

STATUS_FILE = "reload-status.json"
RELOAD_ROUTE = "/linli/reload-skills"
"""``POST`` on the action server, loopback only, with ``Authorization: Bearer <LINLI_RELOAD_TOKEN>`` (its own
secret: not Rasa's token, which the kiosk also holds)."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def status_path(settings: Settings) -> Path:
    return settings.var_dir / STATUS_FILE


def write_status(settings: Settings, state: str, **fields: Any) -> dict[str, Any]:
    status = {"state": state, **fields, "at": now_iso()}
    path = status_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(status, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return status


def read_status(settings: Settings) -> dict[str, Any] | None:
    try:
        data = json.loads(status_path(settings).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
