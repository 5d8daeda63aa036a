"""The HTTP API, spoken to over real HTTP (uvicorn on loopback, SQLite file).

The service's clock is fixed at Monday 2 March 2026, 07:30 (see conftest). Each test counts only what it
creates itself, so tests share one server per module.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from app_helpers import ticket_body

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


def test_lone_surrogates_do_not_break_the_service(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    raw = json.dumps(ticket_body()).replace("leaking", "leaking \\ud800").encode()
    response = kiosk_http.post("/tickets", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 201
    stored = staff_http.get(f"/tickets/{response.json()['number']}").json()  # the kiosk gets no words back
    assert stored["description"] == "The kitchen tap is leaking ."


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
    assert response.json()["phone"] == ""  # never sent back to a kiosk
    assert staff_http.get(f"/tickets/{response.json()['number']}").json()["phone"] == stored


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
