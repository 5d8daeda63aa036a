"""Small helpers shared by the integration tests."""

from __future__ import annotations

import httpx

from assistant.stack import Stack


def staff_list(stack: Stack, path: str) -> list[dict]:  # type: ignore[type-arg]
    """A staff-only list from the running services API (alerts, tickets, feedback...)."""
    r = httpx.get(f"{stack.settings.services_url}/api/v1/{path}",
                  headers={"Authorization": f"Bearer {stack.settings.staff_token}"}, timeout=10)
    r.raise_for_status()
    data = r.json()
    return data if isinstance(data, list) else data.get("items", [])
