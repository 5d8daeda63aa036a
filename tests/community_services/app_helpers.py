"""Helpers shared by the ``test_app*`` modules (plain functions, not fixtures)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from community_services import households
from community_services.db import Database

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


def add_household(db_path: Path, flat: str, phones: list[str], pin: str | None = "2468") -> str:
    """A household straight in the office database (as ``linli cards add`` + ``set-pin`` would); its card code."""
    database = Database(f"sqlite:///{db_path}")
    try:
        database.create_schema()
        with database.session() as session:
            row = households.add_household(session, flat, phones, datetime(2026, 3, 1, 9, 0))
            if pin is not None:
                households.set_pin(session, row, pin, datetime(2026, 3, 1, 9, 0))
            code = households.card_code(row)
            session.commit()
        return code
    finally:
        database.dispose()


def verified(http: httpx.Client, phone: str, pin: str = "2468", kiosk_id: str = "kiosk-test") -> dict[str, str]:
    """The ``X-Resident-Token`` header after phone + PIN."""
    response = http.post("/residents/verify", json={"kiosk_id": kiosk_id, "phone": phone, "pin": pin})
    assert response.status_code == 200, response.text
    return {"X-Resident-Token": response.json()["token"]}
