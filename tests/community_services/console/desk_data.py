"""Tickets and feedback written straight into a console test server's database, at chosen ages, and the
kiosk's view of them over the real API (what ``repair_status`` and ``feedback_reply`` read)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from community_services import households, models, ticket_desk
from community_services.api.references import add_numbered

KIOSK = "kiosk-token-for-console-tests"


def add_ticket(server: Any, *, problem: str = "plumbing", place: str = "Building 3, flat 201",
               description: str = "The kitchen tap is leaking.", hours_ago: float = 1, status: str = "open") -> str:
    created = server.clock() - timedelta(hours=hours_ago)
    with server.database.session() as session:
        row = models.Ticket(problem_type=problem, place=place, description=description, phone="13800138000",
                            status=status, created_at=created, updated_at=created)
        number = add_numbered(session, row)
        ticket_desk.record_building(session, row)
        session.commit()
    return number


def add_feedback(server: Any, text: str = "The lift music is too loud.", category: str = "noise") -> str:
    with server.database.session() as session:
        reference = add_numbered(session, models.Feedback(text=text, category=category, created_at=server.clock()))
        session.commit()
    return reference


def kiosk_get(server: Any, path: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {KIOSK}"}, timeout=10)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def resident_get(server: Any, path: str, phone: str = "13800138000") -> dict[str, Any]:
    """``kiosk_get`` with the household of ``phone`` verified (made with PIN 2468 if it is not there): what
    ``repair_status`` reads once the resident has shown their card or phone and PIN."""
    with server.database.session() as session:
        if session.scalar(select(models.HouseholdPhone.id).where(models.HouseholdPhone.phone == phone)) is None:
            row = households.add_household(session, f"T-{phone[-4:]}", [phone], server.clock())
            households.set_pin(session, row, "2468", server.clock())
            session.commit()
    auth = {"Authorization": f"Bearer {KIOSK}"}
    verified = httpx.post(f"{server.url}/api/v1/residents/verify", headers=auth, timeout=10,
                          json={"kiosk_id": "kiosk-test", "phone": phone, "pin": "2468"})
    assert verified.status_code == 200, verified.text
    response = httpx.get(f"{server.url}/api/v1{path}", headers={**auth, "X-Resident-Token": verified.json()["token"]},
                         timeout=10)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def csrf_of(http: httpx.Client, path: str) -> str:
    page = http.get(path)
    assert page.status_code == 200, page.text
    found = page.text.split('name="csrf_token" value="', 1)
    assert len(found) == 2, "no csrf_token in the page"
    return found[1].split('"', 1)[0]
