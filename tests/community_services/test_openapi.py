"""The committed ``community_services/openapi.json`` is the app's current spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from community_services import openapi


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    return openapi.current_spec()


def test_committed_spec_is_current(current: dict[str, Any]) -> None:
    committed = json.loads(openapi.SPEC_PATH.read_text(encoding="utf-8"))
    assert committed == current, "community_services/openapi.json is stale: run python -m community_services.openapi"
    assert openapi.SPEC_PATH.read_text(encoding="utf-8") == openapi.render(current)


def test_spec_documents_the_contract(current: dict[str, Any]) -> None:
    spec = current
    paths = spec["paths"]
    for path in (
        "/api/v1/facilities/search",
        "/api/v1/tickets/{number}",
        "/api/v1/clinic/appointments/{reference}/cancel",
        "/api/v1/events/{event_id}/registrations",
        "/api/v1/alerts/{reference}",
    ):
        assert path in paths
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "security" not in paths["/health"]["get"]
    for path, method in (("/api/v1/tickets", "post"), ("/api/v1/alerts", "post"), ("/api/v1/feedback", "post"),
                         ("/api/v1/handoffs", "post")):
        names = [p["name"] for p in paths[path][method].get("parameters", [])]
        assert "Idempotency-Key" in names


def test_check_command(tmp_path: Path, current: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openapi, "current_spec", lambda: current)
    target = tmp_path / "openapi.json"
    assert openapi.main(["--check", "--output", str(target)]) == 1
    assert openapi.main(["--output", str(target)]) == 0
    assert openapi.main(["--check", "--output", str(target)]) == 0
