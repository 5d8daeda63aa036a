"""The HTTP API over real HTTP: tickets, idempotency, announcements, alerts and feedback.

The service's clock is fixed at Monday 2 March 2026, 07:30 (see conftest). Each test counts only what it
creates itself, so tests share one server per module.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from typing import Any

import httpx
import pytest
from app_helpers import PHONE, add_household, free_slots, ticket_body, unique_phone, verified

# --- tickets ----------------------------------------------------------------------------------


def test_ticket_numbers_are_random_not_sequential(kiosk_http: httpx.Client) -> None:
    first = kiosk_http.post("/tickets", json=ticket_body())
    second = kiosk_http.post("/tickets", json=ticket_body(problem_type="electrical"))
    assert first.status_code == second.status_code == 201
    a, b = first.json()["number"], second.json()["number"]
    assert re.fullmatch(r"R[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}", a) and re.fullmatch(r"R[2-9A-HJ-NP-Z]{8}", b)
    assert a != b
    assert first.json()["status"] == "open"
    assert first.json()["phone"] == ""  # a create never sends the phone back to a kiosk


def test_kiosk_sees_only_the_status_of_a_ticket(live: Any, kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    phone = unique_phone()
    add_household(live.db_path, f"9-{phone[-3:]}", [phone])
    number = kiosk_http.post("/tickets", json=ticket_body(description="Private details here", phone=phone)
                             ).json()["number"]
    progress = kiosk_http.get(f"/tickets/{number}").json()  # without verification: where it stands, no more
    assert set(progress) == {"number", "status", "problem_type", "created_at", "updated_at"}
    status = kiosk_http.get(f"/tickets/{number}", headers=verified(kiosk_http, phone)).json()
    assert set(status) == {
        "number", "status", "problem_type", "place", "created_at", "updated_at", "public_note", "public_note_at"}
    assert phone not in json.dumps(status) and "Private" not in json.dumps(status)
    assert kiosk_http.get(f"/tickets/{number.lower()}").json()["number"] == number
    full = staff_http.get(f"/tickets/{number}").json()
    assert full["phone"] == phone and full["description"] == "Private details here"
    assert kiosk_http.get("/tickets/R999999").status_code == 404


def test_staff_lists_and_updates_tickets(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    number = kiosk_http.post("/tickets", json=ticket_body()).json()["number"]
    listed = staff_http.get("/tickets", params={"limit": 1000}).json()
    assert listed[-1]["number"] == number and listed[-1]["phone"] == PHONE  # the queue: oldest first
    updated = staff_http.patch(f"/tickets/{number}", json={"status": "in_progress"})
    assert updated.status_code == 200 and updated.json()["status"] == "in_progress"
    assert kiosk_http.get(f"/tickets/{number}").json()["status"] == "in_progress"
    assert staff_http.patch(f"/tickets/{number}", json={"status": "exploded"}).status_code == 422
    assert staff_http.patch("/tickets/R999999", json={"status": "resolved"}).status_code == 404
    assert [t["number"] for t in staff_http.get("/tickets", params={"status": "in_progress"}).json()].count(number) == 1


# --- idempotency ------------------------------------------------------------------------------


def test_same_idempotency_key_creates_one_ticket(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    key = str(uuid.uuid4())
    before = len(staff_http.get("/tickets").json())
    first = kiosk_http.post("/tickets", json=ticket_body(), headers={"Idempotency-Key": key})
    again = kiosk_http.post("/tickets", json=ticket_body(), headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(staff_http.get("/tickets").json()) == before + 1
    # the same request after normalisation is the same request
    spaced = kiosk_http.post(
        "/tickets",
        json=ticket_body(phone="138 0013-8000", place="  Building 3, flat 201 "),
        headers={"Idempotency-Key": key},
    )
    assert spaced.status_code == 201 and spaced.json() == first.json()


def test_reusing_a_key_for_another_request_is_refused(kiosk_http: httpx.Client) -> None:
    key = str(uuid.uuid4())
    assert kiosk_http.post("/tickets", json=ticket_body(), headers={"Idempotency-Key": key}).status_code == 201
    other = kiosk_http.post("/tickets", json=ticket_body(place="Building 9"), headers={"Idempotency-Key": key})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    # keys are per endpoint: the same key may be used for feedback
    feedback = kiosk_http.post("/feedback", json={"text": "Thanks"}, headers={"Idempotency-Key": key})
    assert feedback.status_code == 201


@pytest.mark.parametrize(
    ("path", "body", "prefix"),
    [
        ("/alerts", {"kind": "fall", "location": "Service Centre lobby", "kiosk_id": "kiosk-1"}, "H"),
        ("/feedback", {"text": "The lift is slow.", "category": "complaint"}, "F"),
    ],
)
def test_idempotent_alerts_and_feedback(
    kiosk_http: httpx.Client, staff_http: httpx.Client, path: str, body: dict[str, Any], prefix: str
) -> None:
    key = str(uuid.uuid4())
    before = len(staff_http.get(path).json())
    responses = [kiosk_http.post(path, json=body, headers={"Idempotency-Key": key}) for _ in range(3)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["reference"] for r in responses}) == 1
    assert responses[0].json()["reference"].startswith(prefix)
    assert len(staff_http.get(path).json()) == before + 1


def test_concurrent_requests_with_one_key_create_one_record(live: Any, staff_http: httpx.Client) -> None:
    key = str(uuid.uuid4())
    before = len(staff_http.get("/tickets").json())
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        with live.http() as http:
            response = http.post("/tickets", json=ticket_body(), headers={"Idempotency-Key": key})
        with lock:
            results.append(response)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["number"] for r in results}) == 1
    assert len(staff_http.get("/tickets").json()) == before + 1


def test_idempotency_key_is_stored_with_the_resource(live: Any, kiosk_http: httpx.Client) -> None:
    key = str(uuid.uuid4())
    number = kiosk_http.post("/tickets", json=ticket_body(), headers={"Idempotency-Key": key}).json()["number"]
    with sqlite3.connect(live.db_path) as db:
        (stored,) = db.execute("SELECT response FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
        assert json.loads(stored)["number"] == number
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_refused_request_stores_no_key(kiosk_http: httpx.Client) -> None:
    key = str(uuid.uuid4())
    full_slot = free_slots(kiosk_http, "eye", "2026-03-04")[0]["id"]
    booking = {"slot_id": full_slot, "patient_name": "Zhang Wei", "phone": PHONE}
    assert kiosk_http.post("/clinic/appointments", json=booking).status_code == 201
    refused = kiosk_http.post("/clinic/appointments", json=booking, headers={"Idempotency-Key": key})
    assert refused.status_code == 409
    # nothing was stored for the key, so a corrected request with the same key goes through
    other_slot = free_slots(kiosk_http, "eye", "2026-03-04")[0]["id"]
    fixed = kiosk_http.post(
        "/clinic/appointments", json={**booking, "slot_id": other_slot}, headers={"Idempotency-Key": key}
    )
    assert fixed.status_code == 201


# --- announcements, alerts, feedback ----------------------------------------------------------


def test_announcements_currently_valid_newest_first(kiosk_http: httpx.Client) -> None:
    titles = [a["title"] for a in kiosk_http.get("/announcements").json()]
    assert titles == [
        "Water supply interruption in Buildings 7 to 9",
        "Lift maintenance in Building 3",
        "Fire drill for all buildings",
        "Square dancing ends by 9 pm",
    ]


def test_alerts(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    body = {"kind": "fall", "location": "Community Service Centre lobby", "kiosk_id": "kiosk-service-centre"}
    created = kiosk_http.post("/alerts", json=body)
    assert created.status_code == 201
    alert = created.json()
    assert alert["reference"].startswith("H") and alert["status"] == "open" and alert["details"] == ""
    assert staff_http.get("/alerts", params={"status": "open"}).json()[0]["reference"] == alert["reference"]
    for status in ("acknowledged", "resolved"):
        updated = staff_http.patch(f"/alerts/{alert['reference']}", json={"status": status})
        assert updated.status_code == 200 and updated.json()["status"] == status
    assert staff_http.patch(f"/alerts/{alert['reference']}", json={"status": "open"}).status_code == 422
    assert staff_http.patch("/alerts/H999999", json={"status": "resolved"}).status_code == 404
    assert kiosk_http.post("/alerts", json={**body, "kind": " "}).status_code == 422


def test_feedback(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    plain = kiosk_http.post("/feedback", json={"text": "  Thank you for the new benches!  "}).json()
    assert plain["reference"].startswith("F") and plain["category"] == "general"
    assert plain["text"] == ""  # not echoed to a kiosk; staff read it:
    assert staff_http.get(f"/feedback/{plain['reference']}").json()["text"] == "Thank you for the new benches!"
    assert kiosk_http.post("/feedback", json={"text": "Hi", "category": None}).json()["category"] == "general"
    assert kiosk_http.post("/feedback", json={"text": "Hi", "category": "praise"}).json()["category"] == "praise"
    assert kiosk_http.post("/feedback", json={"text": ""}).status_code == 422
    assert staff_http.get("/feedback").json()[0]["reference"].startswith("F")
