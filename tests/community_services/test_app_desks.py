"""The desks over real HTTP and through the typed client: tickets queue, assignment, status with notes,
feedback status and replies, what the kiosk token may see, and plain refusals."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from app_helpers import PHONE, ticket_body

from community_services.client import NotFound, ServicesClient, ServicesRejected
from community_services.schemas import (
    FeedbackCreate,
    FeedbackReplyCreate,
    FeedbackStatusChange,
    TicketAssign,
    TicketCreate,
    TicketStatus,
    TicketStatusChange,
)


@pytest.fixture(scope="module")
def token(live: Any) -> str:
    """The seeded demo household (``PHONE``, PIN 2468), verified: the kiosk then hears the place and the note."""
    with live.client() as kiosk:
        return kiosk.verify_resident("kiosk-test", "2468", phone=PHONE).token


def new_ticket(kiosk: ServicesClient, **overrides: str) -> str:
    return kiosk.create_ticket(TicketCreate.model_validate(ticket_body(**overrides))).number


def test_a_ticket_through_the_desk_reaches_the_kiosk_with_its_note(kiosk: ServicesClient, staff: ServicesClient,
                                                                    token: str) -> None:
    number = new_ticket(kiosk, problem_type="lift", place="the lift in Building 11")
    assigned = staff.assign_ticket(number, TicketAssign(assignee="Wang (lift company)", staff_name="Li"))
    assert assigned.status == "assigned"
    staff.change_ticket_status(number, TicketStatusChange(
        status="in_progress", staff_name="Li", public_note="A lift engineer comes on Thursday morning.",
        internal_note="Company ref 5531"))
    seen = kiosk.get_ticket_status(number, resident_token=token)
    assert isinstance(seen, TicketStatus)
    assert (seen.status, seen.public_note) == ("in_progress", "A lift engineer comes on Thursday morning.")
    assert "5531" not in seen.model_dump_json() and PHONE not in seen.model_dump_json()
    queue = staff.list_tickets(building="11", category="lift")
    assert [(r.number, r.assignee, r.overdue_after_hours) for r in queue] == [(number, "Wang (lift company)", 4)]
    assert [h.status_to for h in staff.ticket_history(number)] == ["assigned", "in_progress"]
    assert staff.get_ticket(number).description == "The kitchen tap is leaking."


def test_queue_filters_over_http(kiosk: ServicesClient, staff: ServicesClient) -> None:
    number = new_ticket(kiosk, place="Building 12, flat 1201")
    assert number in [r.number for r in staff.list_tickets(status="open", building="12号楼", limit=1000)]
    assert number not in [r.number for r in staff.list_tickets(older_than_hours=1, limit=1000)]
    assert number not in [r.number for r in staff.list_tickets(overdue=True, limit=1000)]
    assert staff.list_tickets(building="12", limit=1, offset=10_000) == []


def test_refusals_are_plain_sentences(kiosk: ServicesClient, staff: ServicesClient,
                                      staff_http: httpx.Client, token: str) -> None:
    number = new_ticket(kiosk)
    with pytest.raises(NotFound, match="no repair ticket with that number"):
        staff.assign_ticket("R999999", TicketAssign(assignee="Wang", staff_name="Li"))
    staff.change_ticket_status(number, TicketStatusChange(status="cancelled", staff_name="Li"))
    with pytest.raises(ServicesRejected, match="is cancelled; it cannot become in progress") as caught:
        staff.change_ticket_status(number, TicketStatusChange(status="in_progress", staff_name="Li"))
    assert caught.value.status == 409
    too_long = staff_http.post(f"/tickets/{number}/status",
                               json={"status": "open", "staff_name": "Li", "public_note": "x" * 301})
    assert too_long.status_code == 422
    no_name = staff_http.post(f"/tickets/{number}/assign", json={"assignee": "Wang", "staff_name": " "})
    assert no_name.status_code == 422
    markup = "<b>Plumber</b> on Thursday & Friday"
    staff_http.post(f"/tickets/{number}/status", json={"status": "open", "staff_name": "Li", "public_note": markup})
    assert kiosk.get_ticket_status(number, token).public_note == markup  # type: ignore[union-attr]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/tickets/R1001/assign", {"assignee": "Wang", "staff_name": "Li"}),
    ("POST", "/tickets/R1001/status", {"status": "in_progress", "staff_name": "Li"}),
    ("GET", "/tickets/R1001/history", None),
    ("POST", "/feedback/F1001/status", {"status": "in_progress", "staff_name": "Li"}),
    ("POST", "/feedback/F1001/reply", {"text": "Thank you", "staff_name": "Li"}),
])
def test_desk_routes_are_staff_only(kiosk_http: httpx.Client, method: str, path: str, body: object) -> None:
    response = kiosk_http.request(method, path, json=body)
    assert response.status_code == 403 and response.json() == {"detail": "Only staff may do this."}


def test_feedback_answered_and_heard_by_reference(kiosk: ServicesClient, staff: ServicesClient) -> None:
    sent = kiosk.submit_feedback(FeedbackCreate(text="The bench by the pond is broken. " + str(uuid.uuid4()),
                                                category="complaint"), idempotency_key=str(uuid.uuid4()))
    answer = kiosk.get_feedback_answer(sent.reference)
    assert answer is not None and (answer.status, answer.reply) == ("new", None)
    staff.set_feedback_status(sent.reference, FeedbackStatusChange(status="in_progress", staff_name="Li"))
    assert sent.reference in [f.reference for f in staff.list_feedback(status="in_progress", category="complaint")]
    staff.reply_to_feedback(sent.reference, FeedbackReplyCreate(
        text="Thank you. The bench was repaired on Friday.", staff_name="Li"))
    answer = kiosk.get_feedback_answer(sent.reference.lower())
    assert answer is not None
    assert (answer.status, answer.reply) == ("answered", "Thank you. The bench was repaired on Friday.")
    assert kiosk.get_feedback_answer("F999999") is None
    assert kiosk.get_feedback_answer("  ") is None


def test_kiosk_sees_only_status_and_reply_of_feedback(kiosk_http: httpx.Client, staff_http: httpx.Client) -> None:
    reference = kiosk_http.post("/feedback", json={"text": "Private words about my neighbour"}).json()["reference"]
    seen = kiosk_http.get(f"/feedback/{reference}").json()
    assert set(seen) == {"reference", "status", "reply", "replied_at"}
    assert staff_http.get(f"/feedback/{reference}").json()["text"] == "Private words about my neighbour"
    refused = staff_http.post(f"/feedback/{reference}/status", json={"status": "answered", "staff_name": "Li"})
    assert refused.status_code == 422  # answered comes with a reply
    assert staff_http.post("/feedback/F999999/reply", json={"text": "hi", "staff_name": "Li"}).json() == {
        "detail": "There is no feedback with that reference."}


def test_handoff_requests_are_listed(kiosk_http: httpx.Client, staff: ServicesClient) -> None:
    reference = kiosk_http.post("/feedback", json={"text": "I want to talk to a person",
                                                   "category": "handoff"}).json()["reference"]
    assert reference in [f.reference for f in staff.list_feedback(category="handoff", status="new")]
