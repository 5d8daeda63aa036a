"""The HTTP API over real HTTP: clinic slots and appointments, community events.

The service's clock is fixed at Monday 2 March 2026, 07:30 (see conftest). Each test counts only what it
creates itself, so tests share one server per module.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import httpx
import pytest
from app_helpers import PHONE, add_household, free_slots, unique_phone, verified

# --- clinic -----------------------------------------------------------------------------------


def test_departments(kiosk_http: httpx.Client) -> None:
    departments = kiosk_http.get("/clinic/departments").json()
    assert [d["name"] for d in departments] == [
        "General Practice", "Dental", "Eye", "Physiotherapy", "Traditional Chinese Medicine"
    ]  # fmt: skip
    assert departments[0]["doctors"] == ["Dr. Wang", "Dr. Chen"]
    assert departments[0]["schedule_text"].startswith("Dr. Wang: Monday to Friday mornings")


@pytest.mark.parametrize("department", ["dental", "Dental", "DENTAL", "dentist", "my teeth hurt", "牙科"])
def test_slots_by_slug_name_or_alias(kiosk_http: httpx.Client, department: str) -> None:
    slots = free_slots(kiosk_http, department, "2026-03-03")
    assert slots and all(s["department"] == "Dental" and s["doctor"] == "Dr. Li" for s in slots)
    assert slots[0]["start"] == "2026-03-03T08:00:00" and slots[0]["end"] == "2026-03-03T08:20:00"


def test_slots_edge_cases(kiosk_http: httpx.Client) -> None:
    assert free_slots(kiosk_http, "dental", "2026-03-02") == []  # Dr. Li works Tuesdays and Thursdays
    assert free_slots(kiosk_http, "general practice", "2026-03-08") == []  # Sunday
    assert free_slots(kiosk_http, "general practice", "2026-02-27") == []  # past
    chen_monday = [s for s in free_slots(kiosk_http, "gp", "2026-03-02") if s["doctor"] == "Dr. Chen"]
    assert chen_monday[-1]["start"] == "2026-03-02T16:40:00"
    upcoming = kiosk_http.get("/clinic/slots", params={"department": "eye", "limit": 3}).json()
    assert len(upcoming) == 3 and all(s["start"].startswith("2026-03-04") for s in upcoming)
    assert kiosk_http.get("/clinic/slots", params={"department": "astrology"}).status_code == 404
    assert kiosk_http.get("/clinic/slots", params={"department": "dental", "day": "tuesday"}).status_code == 422
    assert kiosk_http.get("/clinic/slots").status_code == 422


def test_booking_a_slot_and_the_conflict(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    slot = free_slots(kiosk_http, "physiotherapy", "2026-03-07")[0]
    booking = {"slot_id": slot["id"], "patient_name": " Li  Ming ", "phone": "139 1234 5678"}
    first = kiosk_http.post("/clinic/appointments", json=booking)
    assert first.status_code == 201
    appointment = first.json()
    assert appointment["reference"].startswith("A")
    assert appointment["department"] == "Physiotherapy" and appointment["doctor"] == "Ms. Liu"
    assert appointment["start"] == slot["start"] and appointment["patient_name"] == ""  # no name back to a kiosk
    assert appointment["status"] == "booked" and "phone" not in appointment

    taken = kiosk_http.post("/clinic/appointments", json={**booking, "patient_name": "Someone Else"})
    assert taken.status_code == 409
    assert "Li Ming" not in taken.text and "5678" not in taken.text
    assert slot["id"] not in [s["id"] for s in free_slots(kiosk_http, "physiotherapy", "2026-03-07")]

    records = staff_http.get("/clinic/appointments", params={"day": "2026-03-07"}).json()
    record = next(r for r in records if r["reference"] == appointment["reference"])
    assert record["phone"] == "13912345678" and record["slot_id"] == slot["id"] and record["patient_name"] == "Li Ming"


def test_concurrent_bookings_of_one_slot_give_one_appointment(live: Any, kiosk_http: httpx.Client) -> None:
    slot = free_slots(kiosk_http, "general practice", "2026-03-04")[0]
    codes: list[int] = []
    lock = threading.Lock()

    def book(i: int) -> None:
        with live.http() as http:
            response = http.post(
                "/clinic/appointments", json={"slot_id": slot["id"], "patient_name": f"P{i}", "phone": unique_phone()}
            )
        with lock:
            codes.append(response.status_code)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 7


def test_booking_errors(kiosk_http: httpx.Client) -> None:
    person = {"patient_name": "Wang Fang", "phone": PHONE}
    assert kiosk_http.post("/clinic/appointments", json={"slot_id": 999_999, **person}).status_code == 404
    assert kiosk_http.post("/clinic/appointments", json={"slot_id": 0, **person}).status_code == 422
    assert kiosk_http.post("/clinic/appointments", json={"slot_id": "first", **person}).status_code == 422


def test_cancel_needs_the_households_verification_and_frees_the_slot(live: Any, kiosk_http: httpx.Client) -> None:
    add_household(live.db_path, "5-101", ["13711112222"])
    add_household(live.db_path, "5-102", ["13711113333"])
    slot = free_slots(kiosk_http, "traditional chinese medicine", "2026-03-06")[0]
    reference = kiosk_http.post(
        "/clinic/appointments", json={"slot_id": slot["id"], "patient_name": "Chen Jie", "phone": "13711112222"}
    ).json()["reference"]
    cancel = f"/clinic/appointments/{reference}/cancel"

    # the phone alone is not enough any more, nor another household's verification
    unverified = kiosk_http.post(cancel, json={"phone": "13711112222"})
    assert unverified.status_code == 403 and unverified.json()["code"] == "verification_required"
    other = kiosk_http.post(cancel, json={}, headers=verified(kiosk_http, "13711113333"))
    assert other.status_code == 403 and other.json()["code"] == "not_your_household"
    forged = kiosk_http.post(cancel, json={}, headers={"X-Resident-Token": "made-up"})
    assert forged.status_code == 403 and forged.json()["code"] == "verification_required"
    assert slot["id"] not in [s["id"] for s in free_slots(kiosk_http, "tcm", "2026-03-06")]

    token = verified(kiosk_http, "13711112222")
    wrong = kiosk_http.post(cancel, json={"phone": "13711113333"}, headers=token)
    assert wrong.status_code == 403 and wrong.json() == {"detail": "That phone number does not match the booking."}
    assert kiosk_http.post(cancel, json={"phone": "oops"}, headers=token).status_code == 422
    assert kiosk_http.post("/clinic/appointments/A999999/cancel", json={}, headers=token).status_code == 404

    ok = kiosk_http.post(f"/clinic/appointments/{reference.lower()}/cancel", json={}, headers=token)
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    assert slot["id"] in [s["id"] for s in free_slots(kiosk_http, "tcm", "2026-03-06")]
    again = kiosk_http.post(cancel, json={"phone": "137-1111-2222"}, headers=token)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    rebooked = kiosk_http.post(
        "/clinic/appointments", json={"slot_id": slot["id"], "patient_name": "Zhou Min", "phone": PHONE}
    )
    assert rebooked.status_code == 201


def test_staff_cancel_without_verification(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    slot = free_slots(kiosk_http, "traditional chinese medicine", "2026-03-06")[1]
    reference = kiosk_http.post(
        "/clinic/appointments", json={"slot_id": slot["id"], "patient_name": "Chen Jie", "phone": unique_phone()}
    ).json()["reference"]
    assert staff_http.post(f"/clinic/appointments/{reference}/cancel", json={}).json()["status"] == "cancelled"


def test_three_bookings_a_day_per_phone(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    phone = unique_phone()
    slots = free_slots(kiosk_http, "dental", "2026-03-05")
    for slot in slots[:3]:
        made = kiosk_http.post("/clinic/appointments",
                               json={"slot_id": slot["id"], "patient_name": "Li", "phone": phone})
        assert made.status_code == 201
    fourth = kiosk_http.post("/clinic/appointments", json={"slot_id": slots[3]["id"], "patient_name": "Li",
                                                           "phone": phone})
    assert fourth.status_code == 429 and fourth.json()["code"] == "rate_limited"
    assert "3 bookings today" in fourth.json()["detail"]
    assert 0 < int(fourth.headers["Retry-After"]) <= 24 * 3600  # until midnight
    by_staff = staff_http.post("/clinic/appointments", json={"slot_id": slots[3]["id"], "patient_name": "Li",
                                                             "phone": phone})
    assert by_staff.status_code == 201  # the office may book for a resident


def test_past_slots_cannot_be_booked(live: Any, kiosk_http: httpx.Client) -> None:
    with sqlite3.connect(live.db_path) as db:  # the seed starts at 08:00 today; add one before "now" (07:30)
        cursor = db.execute(
            'INSERT INTO slots (department_id, doctor_id, start, "end", booked) '
            "VALUES (1, 1, '2026-03-02 07:00:00.000000', '2026-03-02 07:20:00.000000', 0)"
        )
        slot_id = cursor.lastrowid
    assert slot_id not in [s["id"] for s in free_slots(kiosk_http, "general practice", "2026-03-02")]
    response = kiosk_http.post("/clinic/appointments", json={"slot_id": slot_id, "patient_name": "A", "phone": PHONE})
    assert response.status_code == 409
    assert "already passed" in response.json()["detail"]


# --- events -----------------------------------------------------------------------------------


def test_events_of_a_day(kiosk_http: httpx.Client) -> None:
    tuesday = kiosk_http.get("/events", params={"day": "2026-03-03"}).json()
    assert [e["title"] for e in tuesday] == ["Tai Chi", "Calligraphy class"]
    calligraphy = tuesday[1]
    assert calligraphy["start"] == "2026-03-03T14:00:00" and calligraphy["end"] is None
    assert calligraphy["signup_required"] is True and calligraphy["capacity"] == 20
    thursday = [e["title"] for e in kiosk_http.get("/events", params={"day": "2026-03-05"}).json()]
    assert "Health talk: Managing blood pressure" in thursday


def test_upcoming_events(kiosk_http: httpx.Client) -> None:
    events = kiosk_http.get("/events").json()
    assert events[0]["start"] == "2026-03-02T07:00:00"  # Tai Chi is on now (07:30)
    assert [e["start"] for e in events] == sorted(e["start"] for e in events)
    assert any(e["title"] == "Day trip to the botanical garden" for e in events)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("tai chi", "tai-chi-2026-03-02"),
        ("when is calligraphy", "calligraphy-class-2026-03-03"),
        ("the blood pressure talk", "health-talk-blood-pressure-2026-03-05"),
        ("botanical garden trip", "botanical-garden-trip-2026-03-14"),
        ("smartphone help", "smartphone-help-2026-03-07"),
        ("singing", "singing-group-2026-03-04"),
        ("书法", "calligraphy-class-2026-03-03"),
    ],
)
def test_event_search_gives_the_next_occurrence(kiosk_http: httpx.Client, query: str, slug: str) -> None:
    response = kiosk_http.get("/events/search", params={"q": query})
    assert response.status_code == 200, response.text
    assert response.json()["slug"] == slug


def test_event_search_not_found(kiosk_http: httpx.Client) -> None:
    assert kiosk_http.get("/events/search", params={"q": "bungee jumping"}).status_code == 404


def event_id(http: httpx.Client, query: str) -> int:
    return int(http.get("/events/search", params={"q": query}).json()["id"])


def test_registration(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    talk = event_id(kiosk_http, "health talk")
    phone = unique_phone()
    response = kiosk_http.post(f"/events/{talk}/registrations", json={"name": "Sun Li", "phone": phone})
    assert response.status_code == 201
    registration = response.json()
    assert registration["reference"].startswith("E") and registration["event_id"] == talk
    assert registration == {**registration, "name": "", "status": "registered"} and "phone" not in registration
    assert kiosk_http.get(f"/events/{talk}").json()["registered"] >= 1

    again = kiosk_http.post(f"/events/{talk}/registrations", json={"name": "Sun Li", "phone": phone})
    assert again.status_code == 409

    records = staff_http.get(f"/events/{talk}/registrations").json()
    assert any(r["reference"] == registration["reference"] and r["phone"] == phone and r["name"] == "Sun Li"
               for r in records)


def test_registration_errors(kiosk_http: httpx.Client) -> None:
    person = {"name": "Ma Lin", "phone": unique_phone()}
    tai_chi = event_id(kiosk_http, "tai chi")
    no_signup = kiosk_http.post(f"/events/{tai_chi}/registrations", json=person)
    assert no_signup.status_code == 400 and "no sign-up" in no_signup.json()["detail"]
    assert kiosk_http.post("/events/999999/registrations", json=person).status_code == 404
    assert kiosk_http.post("/events/abc/registrations", json=person).status_code == 422


def test_a_full_event_says_so(kiosk_http: httpx.Client) -> None:
    smartphone = event_id(kiosk_http, "smartphone help")
    event = kiosk_http.get(f"/events/{smartphone}").json()
    for i in range(event["capacity"] - event["registered"]):
        response = kiosk_http.post(
            f"/events/{smartphone}/registrations", json={"name": f"Resident {i}", "phone": unique_phone()}
        )
        assert response.status_code == 201
    full = kiosk_http.post(f"/events/{smartphone}/registrations", json={"name": "Late", "phone": unique_phone()})
    assert full.status_code == 409 and full.json() == {"detail": "Sorry, this event is full."}
    assert kiosk_http.get(f"/events/{smartphone}").json()["registered"] == event["capacity"]
