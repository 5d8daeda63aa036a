"""Helpers shared by the ``test_app*`` modules (plain functions, not fixtures)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

PHONE = "13800138000"


def unique_phone() -> str:
    return "139" + str(uuid.uuid4().int % 10**8).zfill(8)


def ticket_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "problem_type": "plumbing",
        "place": "Building 3, flat 201",
        "description": "The kitchen tap is leaking.",
        "phone": PHONE,
    }
    body.update(overrides)
    return body


def free_slots(http: httpx.Client, department: str = "dental", day: str = "2026-03-03") -> list[dict[str, Any]]:
    response = http.get("/clinic/slots", params={"department": department, "day": day})
    assert response.status_code == 200, response.text
    return list(response.json())
