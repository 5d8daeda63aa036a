"""The HTTP API, spoken to over real HTTP (uvicorn on loopback, SQLite file).

The service's clock is fixed at Monday 2 March 2026, 07:30 (see conftest). Each test counts only what it
creates itself, so tests share one server per module.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from typing import Any

import httpx
import pytest

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


# --- health and auth --------------------------------------------------------------------------


def test_health_needs_no_token(live: Any) -> None:
    assert httpx.get(f"{live.url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{live.url}/api/v1/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/facilities"),
        ("GET", "/facilities/search?q=clinic"),
        ("GET", "/facilities/library"),
        ("POST", "/tickets"),
        ("GET", "/tickets/R1001"),
        ("GET", "/clinic/departments"),
        ("GET", "/clinic/slots?department=dental"),
        ("POST", "/clinic/appointments"),
        ("GET", "/events"),
        ("GET", "/announcements"),
        ("POST", "/alerts"),
        ("POST", "/feedback"),
        ("GET", "/tickets"),
    ],
)
def test_every_endpoint_needs_a_known_token(live: Any, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic a2lvc2s6eA=="}):
        response = httpx.request(method, f"{live.url}/api/v1{path}", headers=headers, json={})
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/tickets", None),
        ("PATCH", "/tickets/R1001", {"status": "resolved"}),
        ("GET", "/clinic/appointments", None),
        ("GET", "/events/1/registrations", None),
        ("GET", "/alerts", None),
        ("PATCH", "/alerts/H1001", {"status": "acknowledged"}),
        ("GET", "/feedback", None),
    ],
)
def test_kiosk_token_cannot_use_staff_endpoints(
    kiosk_http: httpx.Client, staff_http: httpx.Client, method: str, path: str, body: Any
) -> None:
    response = kiosk_http.request(method, path, json=body)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff may do this."}
    assert staff_http.request(method, path, json=body).status_code in (200, 404)


# --- facilities -------------------------------------------------------------------------------


def test_list_facilities(kiosk_http: httpx.Client) -> None:
    facilities = kiosk_http.get("/facilities").json()
    slugs = [f["slug"] for f in facilities]
    assert slugs[0] == "community-service-centre"
    assert {"library", "community-clinic", "north-gate", "south-gate", "building-1", "building-12"} <= set(slugs)
    library = next(f for f in facilities if f["slug"] == "library")
    assert library["hours"] == [{"days": "Tue-Sun", "opens": "09:00", "closes": "20:00"}]
    assert set(library) == {
        "slug", "name", "name_zh", "aliases", "kind", "location", "directions", "hours", "hours_text", "notes"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("the clinic please", "community-clinic"),
        ("CLINIC", "community-clinic"),
        ("where is the community clinic?", "community-clinic"),
        ("社区卫生服务站", "community-clinic"),
        ("图书室在哪里", "library"),
        ("how do I get to the libary", "library"),
        ("reading room", "library"),
        ("the lockers by the south gate", "parcel-lockers"),
        ("south gate", "south-gate"),
        ("where is building 10", "building-10"),
        ("building three", "building-3"),
        ("building no. 1", "building-1"),
        ("3号楼", "building-3"),
        ("十二号楼", "building-12"),
        ("property management office", "property-management-office"),
        ("police", "police-office"),
        ("canteen for lunch", "seniors-canteen"),
        ("长者食堂", "seniors-canteen"),
        ("where can I sort my rubbish", "garbage-station"),
        ("activity room", "elderly-activity-room"),
    ],
)
def test_facility_search(kiosk_http: httpx.Client, query: str, slug: str) -> None:
    response = kiosk_http.get("/facilities/search", params={"q": query})
    assert response.status_code == 200, response.text
    assert response.json()["slug"] == slug


@pytest.mark.parametrize("query", ["xyzzy", "building 13", "十三号楼", "?!", "the"])
def test_facility_search_not_found(kiosk_http: httpx.Client, query: str) -> None:
    response = kiosk_http.get("/facilities/search", params={"q": query})
    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


def test_facility_search_validates_the_query(kiosk_http: httpx.Client) -> None:
    assert kiosk_http.get("/facilities/search").status_code == 422
    assert kiosk_http.get("/facilities/search", params={"q": ""}).status_code == 422
    assert kiosk_http.get("/facilities/search", params={"q": "x" * 201}).status_code == 422


def test_get_facility(kiosk_http: httpx.Client) -> None:
    clinic = kiosk_http.get("/facilities/community-clinic").json()
    assert clinic["name"] == "Community Clinic" and clinic["name_zh"] == "社区卫生服务站"
    assert kiosk_http.get("/facilities/no-such-place").status_code == 404


# --- tickets ----------------------------------------------------------------------------------


def test_ticket_numbers_are_sequential(kiosk_http: httpx.Client) -> None:
    first = kiosk_http.post("/tickets", json=ticket_body())
    second = kiosk_http.post("/tickets", json=ticket_body(problem_type="electrical"))
    assert first.status_code == second.status_code == 201
    a, b = int(first.json()["number"][1:]), int(second.json()["number"][1:])
    assert first.json()["number"].startswith("R") and b == a + 1 and a > 1000
    assert first.json()["status"] == "open"
    assert first.json()["phone"] == PHONE  # the resident who reported it sees their own ticket


def test_kiosk_sees_only_the_status_of_a_ticket(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    number = kiosk_http.post("/tickets", json=ticket_body(description="Private details here")).json()["number"]
    status = kiosk_http.get(f"/tickets/{number}").json()
    assert set(status) == {"number", "status", "problem_type", "place", "created_at", "updated_at"}
    assert PHONE not in json.dumps(status) and "Private" not in json.dumps(status)
    assert kiosk_http.get(f"/tickets/{number.lower()}").json()["number"] == number
    full = staff_http.get(f"/tickets/{number}").json()
    assert full["phone"] == PHONE and full["description"] == "Private details here"
    assert kiosk_http.get("/tickets/R999999").status_code == 404


def test_staff_lists_and_updates_tickets(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    number = kiosk_http.post("/tickets", json=ticket_body()).json()["number"]
    listed = staff_http.get("/tickets").json()
    assert listed[0]["number"] == number and listed[0]["phone"] == PHONE  # newest first
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


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["problem_type", "place", "description", "phone"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n ", "\x00\x07"])
def test_empty_fields_are_refused(kiosk_http: httpx.Client, field: str, value: str) -> None:
    response = kiosk_http.post("/tickets", json=ticket_body(**{field: value}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_missing_fields_are_refused(kiosk_http: httpx.Client) -> None:
    response = kiosk_http.post("/tickets", json={"problem_type": "plumbing"})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "place"), ("body", "description"), ("body", "phone")
    }  # fmt: skip


def test_long_text_is_refused(kiosk_http: httpx.Client) -> None:
    twenty_kb = "漏水" * 10_000
    response = kiosk_http.post("/tickets", json=ticket_body(description=twenty_kb))
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"].endswith("too_long")
    assert kiosk_http.post("/feedback", json={"text": "x" * 2001}).status_code == 422
    assert kiosk_http.post("/feedback", json={"text": "x" * 2000}).status_code == 201
    assert kiosk_http.post("/tickets", json=ticket_body(problem_type="p" * 101)).status_code == 422


def test_huge_bodies_are_refused_before_parsing(kiosk_http: httpx.Client) -> None:
    response = kiosk_http.post("/tickets", json=ticket_body(description="x" * 100_000))
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large."}


def test_emoji_are_kept_and_control_characters_removed(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    description = "Tap 🚰 leaking\x00 again\x1b[31m 👨‍👩‍👧\r\nSecond line\u202e"
    response = kiosk_http.post(
        "/tickets", json=ticket_body(description=description, place="Building\t3\n flat\x07 201 🏠")
    )
    assert response.status_code == 201, response.text
    ticket = staff_http.get(f"/tickets/{response.json()['number']}").json()
    assert ticket["description"] == "Tap 🚰 leaking again[31m 👨‍👩‍👧\nSecond line"
    assert ticket["place"] == "Building 3 flat 201 🏠"


def test_lone_surrogates_do_not_break_the_service(kiosk_http: httpx.Client) -> None:
    raw = json.dumps(ticket_body()).replace("leaking", "leaking \\ud800").encode()
    response = kiosk_http.post("/tickets", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 201
    assert response.json()["description"] == "The kitchen tap is leaking ."


@pytest.mark.parametrize(
    "body",
    [
        ticket_body(phone=13800138000),
        ticket_body(description=["a list"]),
        ticket_body(place={"a": "dict"}),
        ticket_body(problem_type=None),
        ticket_body(problem_type=True),
    ],
)
def test_wrong_types_get_fastapis_normal_422(kiosk_http: httpx.Client, body: dict[str, Any]) -> None:
    response = kiosk_http.post("/tickets", json=body)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert {"type", "loc", "msg"} <= set(error) and error["loc"][0] == "body"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"not json at all", "application/json"),
        (b'{"problem_type": "plumbing",', "application/json"),
        (b"\xff\xfe\xfa", "application/json"),
        (b"problem_type=plumbing", "application/x-www-form-urlencoded"),
        (b"plain words", "text/plain"),
        (b"", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
    ],
)
def test_non_json_bodies_are_a_clear_4xx(kiosk_http: httpx.Client, content: bytes, content_type: str) -> None:
    response = kiosk_http.post("/tickets", content=content, headers={"Content-Type": content_type})
    assert response.status_code in (400, 422), response.text
    detail = response.json()["detail"]
    assert detail if isinstance(detail, str) else detail[0]["msg"]


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("6543210", "6543210"),
        ("6543-2100", "65432100"),
    ],
)
def test_valid_phone_numbers(kiosk_http: httpx.Client, staff_http: httpx.Client, phone: str, stored: str) -> None:
    response = kiosk_http.post("/tickets", json=ticket_body(phone=phone))
    assert response.status_code == 201, response.text
    assert response.json()["phone"] == stored


@pytest.mark.parametrize(
    "phone", ["1380013800", "138001380001", "23800138000", "123456", "123456789", "+8613800138000", "138OO138OOO",
              "phone me", "1380013800０0x"],
)  # fmt: skip
def test_invalid_phone_numbers(kiosk_http: httpx.Client, phone: str) -> None:
    response = kiosk_http.post("/tickets", json=ticket_body(phone=phone))
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "phone"]
    assert phone not in error["msg"]


def test_unknown_fields_are_ignored(kiosk_http: httpx.Client) -> None:
    response = kiosk_http.post("/tickets", json=ticket_body(priority="urgent"))
    assert response.status_code == 201 and "priority" not in response.json()


def test_bad_idempotency_keys_are_refused(kiosk_http: httpx.Client) -> None:
    assert kiosk_http.post("/tickets", json=ticket_body(), headers={"Idempotency-Key": "k" * 201}).status_code == 422


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
    assert appointment["start"] == slot["start"] and appointment["patient_name"] == "Li Ming"
    assert appointment["status"] == "booked" and "phone" not in appointment

    taken = kiosk_http.post("/clinic/appointments", json={**booking, "patient_name": "Someone Else"})
    assert taken.status_code == 409
    assert "Li Ming" not in taken.text and "5678" not in taken.text
    assert slot["id"] not in [s["id"] for s in free_slots(kiosk_http, "physiotherapy", "2026-03-07")]

    records = staff_http.get("/clinic/appointments", params={"day": "2026-03-07"}).json()
    record = next(r for r in records if r["reference"] == appointment["reference"])
    assert record["phone"] == "13912345678" and record["slot_id"] == slot["id"]


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


def test_cancel_needs_the_same_phone_and_frees_the_slot(kiosk_http: httpx.Client) -> None:
    slot = free_slots(kiosk_http, "traditional chinese medicine", "2026-03-06")[0]
    reference = kiosk_http.post(
        "/clinic/appointments", json={"slot_id": slot["id"], "patient_name": "Chen Jie", "phone": "13711112222"}
    ).json()["reference"]

    wrong = kiosk_http.post(f"/clinic/appointments/{reference}/cancel", json={"phone": "13711113333"})
    assert wrong.status_code == 403
    assert wrong.json() == {"detail": "That phone number does not match the booking."}
    assert slot["id"] not in [s["id"] for s in free_slots(kiosk_http, "tcm", "2026-03-06")]

    assert kiosk_http.post(f"/clinic/appointments/{reference}/cancel", json={"phone": "oops"}).status_code == 422
    assert kiosk_http.post("/clinic/appointments/A999999/cancel", json={"phone": PHONE}).status_code == 404

    ok = kiosk_http.post(f"/clinic/appointments/{reference.lower()}/cancel", json={"phone": "137-1111-2222"})
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    assert slot["id"] in [s["id"] for s in free_slots(kiosk_http, "tcm", "2026-03-06")]
    again = kiosk_http.post(f"/clinic/appointments/{reference}/cancel", json={"phone": "13711112222"})
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    rebooked = kiosk_http.post(
        "/clinic/appointments", json={"slot_id": slot["id"], "patient_name": "Zhou Min", "phone": PHONE}
    )
    assert rebooked.status_code == 201


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
    assert registration == {**registration, "name": "Sun Li", "status": "registered"} and "phone" not in registration
    assert kiosk_http.get(f"/events/{talk}").json()["registered"] >= 1

    again = kiosk_http.post(f"/events/{talk}/registrations", json={"name": "Sun Li", "phone": phone})
    assert again.status_code == 409

    records = staff_http.get(f"/events/{talk}/registrations").json()
    assert any(r["reference"] == registration["reference"] and r["phone"] == phone for r in records)


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
    assert plain["text"] == "Thank you for the new benches!"
    assert kiosk_http.post("/feedback", json={"text": "Hi", "category": None}).json()["category"] == "general"
    assert kiosk_http.post("/feedback", json={"text": "Hi", "category": "praise"}).json()["category"] == "praise"
    assert kiosk_http.post("/feedback", json={"text": ""}).status_code == 422
    assert staff_http.get("/feedback").json()[0]["reference"].startswith("F")


# --- privacy and robustness -------------------------------------------------------------------


def test_logs_never_contain_phone_numbers(kiosk_http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    phone = "13598765432"
    with caplog.at_level(logging.DEBUG):
        kiosk_http.post("/tickets", json=ticket_body(phone=phone))
        kiosk_http.post("/tickets", json=ticket_body(phone="135 9876 54"))  # invalid: 422
        kiosk_http.get("/facilities/search", params={"q": f"call {phone}"})
    assert any(r.name.startswith("community_services") for r in caplog.records), "creations are logged"
    assert phone not in caplog.text and "9876" not in caplog.text  # the client's httpx log is redacted too


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/tickets/%00"), ("GET", "/facilities/..%2f..%2fetc"), ("GET", "/events/0"), ("DELETE", "/tickets"),
     ("GET", "/nothing-here"), ("GET", "/events/99999999999999999999999")],
)  # fmt: skip
def test_odd_requests_never_give_a_500(kiosk_http: httpx.Client, method: str, path: str) -> None:
    response = kiosk_http.request(method, path)
    assert 400 <= response.status_code < 500, response.text
