"""The typed client against the real server (uvicorn on loopback), and its error mapping."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from app_helpers import add_household

from community_services.client import (
    NotFound,
    ServicesClient,
    ServicesError,
    ServicesRejected,
    ServicesUnavailable,
    VerificationRefused,
)
from community_services.schemas import (
    Alert,
    AlertCreate,
    Appointment,
    AppointmentCreate,
    Department,
    Event,
    Facility,
    Feedback,
    FeedbackCreate,
    RegistrationCreate,
    Slot,
    Ticket,
    TicketCreate,
    TicketProgress,
    TicketStatus,
)

PHONE = "13800138000"
TUESDAY = date(2026, 3, 3)


def a_ticket(**overrides: Any) -> TicketCreate:
    fields: dict[str, Any] = {
        "problem_type": "lighting",
        "place": "Building 5 stairwell",
        "description": "The light on the third floor is broken.",
        "phone": PHONE,
    }
    fields.update(overrides)
    return TicketCreate(**fields)


# --- reading ----------------------------------------------------------------------------------


def test_health(kiosk: ServicesClient) -> None:
    assert kiosk.health() is True


def test_facilities(kiosk: ServicesClient) -> None:
    facilities = kiosk.list_facilities()
    assert all(isinstance(f, Facility) for f in facilities)
    library = kiosk.get_facility("library")
    assert library.name_zh == "图书室" and library.hours[0].days == "Tue-Sun"
    found = kiosk.find_facility("the clinic please")
    assert found is not None and found.slug == "community-clinic"
    assert kiosk.find_facility("a volcano") is None
    assert kiosk.find_facility("   ") is None
    with pytest.raises(NotFound) as info:
        kiosk.get_facility("volcano")
    assert info.value.status == 404 and info.value.message


def test_clinic_booking_and_cancelling(kiosk: ServicesClient, live: Any) -> None:
    departments = kiosk.list_departments()
    assert all(isinstance(d, Department) for d in departments)
    assert [d.slug for d in departments][:2] == ["general-practice", "dental"]

    slots = kiosk.list_free_slots("Dental", TUESDAY)
    assert slots and all(isinstance(s, Slot) and s.start.date() == TUESDAY for s in slots)
    appointment = kiosk.book_appointment(
        AppointmentCreate(slot_id=slots[-1].id, patient_name="Gao Yan", phone="139 0000 1111"),
        idempotency_key=str(uuid.uuid4()),
    )
    assert isinstance(appointment, Appointment) and appointment.reference.startswith("A")
    assert appointment.start == slots[-1].start and appointment.status == "booked"

    with pytest.raises(ServicesRejected) as taken:
        kiosk.book_appointment(AppointmentCreate(slot_id=slots[-1].id, patient_name="Other", phone=PHONE))
    assert taken.value.status == 409
    assert taken.value.message == "Sorry, that time has just been booked. Please choose another time."

    with pytest.raises(ServicesRejected) as unverified:
        kiosk.cancel_appointment(appointment.reference, "13900001111")
    assert unverified.value.status == 403 and unverified.value.code == "verification_required"
    assert "household card" in unverified.value.message

    add_household(live.db_path, "6-606", ["13900001111"])
    with pytest.raises(VerificationRefused) as no_match:
        kiosk.verify_resident("kiosk-test", "1357", phone="13900001111")
    assert no_match.value.status == 403 and not no_match.value.locked and "did not match" in no_match.value.message
    token = kiosk.verify_resident("kiosk-test", "2468", phone="139 0000 1111")
    assert token.flat == "6-606"
    with pytest.raises(ServicesRejected) as wrong_phone:
        kiosk.cancel_appointment(appointment.reference, "13900002222", resident_token=token.token)
    assert wrong_phone.value.status == 403 and "does not match" in wrong_phone.value.message

    cancelled = kiosk.cancel_appointment(appointment.reference, resident_token=token.token)
    assert cancelled.status == "cancelled"
    assert slots[-1].id in [s.id for s in kiosk.list_free_slots("dental", TUESDAY)]
    with pytest.raises(NotFound):
        kiosk.cancel_appointment("A999999", resident_token=token.token)
    with pytest.raises(NotFound):
        kiosk.list_free_slots("astrology", TUESDAY)
    assert kiosk.list_free_slots("eye")  # no day: upcoming slots


def test_events(kiosk: ServicesClient, staff: ServicesClient) -> None:
    upcoming = kiosk.list_events()
    assert upcoming and all(isinstance(e, Event) for e in upcoming)
    tuesday = kiosk.list_events(TUESDAY)
    assert [e.title for e in tuesday] == ["Tai Chi", "Calligraphy class"]
    talk = kiosk.find_event("blood pressure")
    assert talk is not None and talk.capacity == 40
    assert kiosk.find_event("moon landing") is None

    key = str(uuid.uuid4())
    registration = kiosk.register_event(talk.id, RegistrationCreate(name="Qian Hui", phone="13322223333"), key)
    again = kiosk.register_event(talk.id, RegistrationCreate(name="Qian Hui", phone="13322223333"), key)
    assert registration == again and registration.reference.startswith("E")

    tai_chi = kiosk.find_event("tai chi")
    assert tai_chi is not None
    with pytest.raises(ServicesRejected) as no_signup:
        kiosk.register_event(tai_chi.id, RegistrationCreate(name="Qian Hui", phone="13322223333"))
    assert no_signup.value.status == 400


def test_announcements(kiosk: ServicesClient) -> None:
    announcements = kiosk.list_announcements()
    assert announcements[0].title == "Water supply interruption in Buildings 7 to 9"


# --- creating, privacy and idempotency --------------------------------------------------------


def test_ticket_and_its_status(kiosk: ServicesClient, staff: ServicesClient, live: Any) -> None:
    ticket = kiosk.create_ticket(a_ticket())
    assert isinstance(ticket, Ticket) and ticket.number.startswith("R") and ticket.phone == ""  # not echoed
    assert staff.get_ticket(ticket.number).phone == PHONE

    progress = kiosk.get_ticket_status(ticket.number)
    assert isinstance(progress, TicketProgress) and not isinstance(progress, TicketStatus)
    assert progress.status == "open" and "place" not in progress.model_dump()
    token = kiosk.verify_resident("kiosk-test", "2468", phone=PHONE).token
    status = kiosk.get_ticket_status(ticket.number, resident_token=token)
    assert isinstance(status, TicketStatus) and not isinstance(status, Ticket)
    assert status.status == "open" and "phone" not in status.model_dump() and status.place
    assert kiosk.get_ticket_status("R999999") is None
    assert kiosk.get_ticket_status("../facilities") is None
    assert kiosk.get_ticket_status("") is None


def test_kiosk_cannot_read_other_residents_data(live: Any) -> None:
    with live.http(live.kiosk_token) as http:
        for path in ("/tickets", "/clinic/appointments", "/alerts", "/feedback", "/events/1/registrations"):
            assert http.get(path).status_code == 403


def test_same_key_creates_one_ticket(kiosk: ServicesClient, live: Any) -> None:
    key = str(uuid.uuid4())
    with live.http(live.staff_token) as staff_http:
        before = len(staff_http.get("/tickets").json())
        first = kiosk.create_ticket(a_ticket(), idempotency_key=key)
        second = kiosk.create_ticket(a_ticket(), idempotency_key=key)
        assert first == second
        assert len(staff_http.get("/tickets").json()) == before + 1


def test_alert_and_feedback(kiosk: ServicesClient) -> None:
    alert = kiosk.raise_alert(AlertCreate(kind="fall", location="Service Centre lobby", kiosk_id="kiosk-1"))
    assert isinstance(alert, Alert) and alert.reference.startswith("H") and alert.status == "open"
    feedback = kiosk.submit_feedback(FeedbackCreate(text="More benches please 🙂"))
    assert isinstance(feedback, Feedback) and feedback.category == "general" and feedback.text == ""  # not echoed


@pytest.mark.parametrize(
    ("kind", "payload", "reference_field", "prefix"),
    [
        ("ticket", a_ticket().model_dump(), "number", "R"),
        ("alert", {"kind": "help", "location": "Service Centre lobby", "kiosk_id": "kiosk-1"}, "reference", "H"),
        ("feedback", {"text": "The canteen soup was lovely."}, "reference", "F"),
    ],
)
def test_submit_for_the_outbox(
    kiosk: ServicesClient, kind: Any, payload: dict[str, Any], reference_field: str, prefix: str
) -> None:
    key = str(uuid.uuid4())
    first = kiosk.submit(kind, payload, key)
    again = kiosk.submit(kind, payload, key)
    assert isinstance(first, dict) and first == again
    assert first[reference_field].startswith(prefix)


def test_submit_refuses_invalid_payloads_without_calling_the_service() -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise AssertionError("the service must not be called")

    with ServicesClient("http://services.invalid", "t", transport=httpx.MockTransport(explode)) as client:
        with pytest.raises(ServicesRejected) as info:
            client.submit("ticket", {"problem_type": "x", "phone": "12"}, "key")
        assert info.value.status == 422 and info.value.message
        assert "12" not in str(info.value.detail)  # no input echoed (it may be a phone number)
        with pytest.raises(ServicesRejected):
            client.submit("parcel", {}, "key")  # type: ignore[arg-type]


def test_validation_errors_from_the_server_are_rejections(live: Any) -> None:
    # bypass the client-side model to send something the server refuses
    with live.client(live.kiosk_token) as client:
        with pytest.raises(ServicesRejected) as info:
            client._request("POST", "/tickets", json={"problem_type": ""})
        assert info.value.status == 422 and isinstance(info.value.detail, list)
        assert info.value.message == ServicesRejected.default_message


def test_auth_errors_are_rejections(live: Any) -> None:
    with live.client("wrong-token") as client:
        with pytest.raises(ServicesRejected) as info:
            client.list_facilities()
        assert info.value.status == 401
        assert client.health() is True  # health needs no token
    with live.client(live.kiosk_token) as client, pytest.raises(ServicesRejected) as info:
        client._request("GET", "/alerts")
    assert info.value.status == 403


def test_base_url_may_include_the_prefix(live: Any) -> None:
    with ServicesClient(f"{live.url}/api/v1/", live.kiosk_token) as client:
        assert client.get_facility("library").name == "Library and Reading Room"


# --- the service is down or misbehaves --------------------------------------------------------


def all_calls(client: ServicesClient) -> list[Callable[[], object]]:
    return [
        client.list_facilities,
        lambda: client.find_facility("clinic"),
        lambda: client.get_facility("library"),
        lambda: client.create_ticket(a_ticket(), "k"),
        lambda: client.get_ticket_status("R1001"),
        client.list_departments,
        lambda: client.list_free_slots("dental", TUESDAY),
        lambda: client.book_appointment(AppointmentCreate(slot_id=1, patient_name="A", phone=PHONE)),
        lambda: client.cancel_appointment("A1001", PHONE),
        client.list_events,
        lambda: client.find_event("tai chi"),
        lambda: client.register_event(1, RegistrationCreate(name="A", phone=PHONE)),
        client.list_announcements,
        lambda: client.raise_alert(AlertCreate(kind="fall", location="lobby", kiosk_id="k")),
        lambda: client.submit_feedback(FeedbackCreate(text="hi")),
        lambda: client.submit("alert", {"kind": "fall", "location": "lobby", "kiosk_id": "k"}, "key"),
    ]


def test_a_stopped_server_is_unavailable(server_factory: Callable[..., Any]) -> None:
    running = server_factory()
    client = running.client(running.kiosk_token, timeout=2.0)
    assert client.health() is True
    running.stop()
    assert client.health() is False
    for call in all_calls(client):
        with pytest.raises(ServicesUnavailable) as info:
            call()
        assert info.value.message == ServicesUnavailable.default_message
        assert isinstance(info.value.__cause__, httpx.HTTPError)
    client.close()


def test_nothing_listening_is_unavailable() -> None:
    with ServicesClient("http://127.0.0.1:9", "token", timeout=1.0) as client:
        assert client.health() is False
        with pytest.raises(ServicesUnavailable):
            client.list_facilities()


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> ServicesClient:
    return ServicesClient("http://services.test", "token", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_server_errors_are_unavailable(status: int) -> None:
    with mock_client(lambda request: httpx.Response(status, json={"detail": "boom"})) as client:
        for call in all_calls(client):
            with pytest.raises(ServicesUnavailable) as info:
                call()
            assert info.value.status == status
        assert client.health() is False


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>captive portal</html>"),
        httpx.Response(200, json={"unexpected": "shape"}),
        httpx.Response(201, json=[1, 2]),
        httpx.Response(302, headers={"Location": "http://elsewhere"}),
    ],
)
def test_unreadable_answers_are_unavailable(response: httpx.Response) -> None:
    with mock_client(lambda request: response) as client:
        for call in all_calls(client):
            try:
                result = call()
            except ServicesUnavailable:
                continue
            # a list endpoint may accept an empty-looking answer only if it really is a list of models
            pytest.fail(f"expected ServicesUnavailable, got {result!r}")


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.ConnectError("refused"),
     httpx.RemoteProtocolError("bad"), httpx.ReadError("reset")],
)  # fmt: skip
def test_transport_errors_are_unavailable(error: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with mock_client(handler) as client:
        for call in all_calls(client):
            with pytest.raises(ServicesUnavailable):
                call()
        assert client.health() is False


def test_requests_carry_the_token_and_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201,
            json={"reference": "F1001", "text": "hi", "category": "general", "created_at": "2026-03-02T07:30:00"},
        )

    with mock_client(handler) as client:
        client.submit_feedback(FeedbackCreate(text="hi"), idempotency_key="abc")
        client.submit_feedback(FeedbackCreate(text="hi"))
    assert seen[0].url.path == "/api/v1/feedback"
    assert seen[0].headers["authorization"] == "Bearer token"
    assert seen[0].headers["idempotency-key"] == "abc"
    assert "idempotency-key" not in seen[1].headers


def test_a_closed_client_raises_a_services_error() -> None:
    client = mock_client(lambda request: httpx.Response(200, json={"status": "ok"}))
    with client:
        assert client.health() is True
    with pytest.raises(ServicesError):
        client.list_facilities()
    assert client.health() is False


def test_error_hierarchy() -> None:
    assert issubclass(ServicesUnavailable, ServicesError)
    assert issubclass(ServicesRejected, ServicesError)
    assert issubclass(NotFound, ServicesError)
    assert not issubclass(NotFound, ServicesRejected)
    error = ServicesRejected(status=409, detail="x")
    assert error.message == ServicesRejected.default_message and str(error) == error.message
