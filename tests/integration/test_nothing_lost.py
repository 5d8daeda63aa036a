"""Nothing is lost: with the services API stopped, a repair ticket, feedback and an emergency alert are
queued in the outbox; after the API restarts the action server's sender delivers each exactly once: one row in the
office per item, found by the reference the resident was told (and the test's own marker in its words)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.events import Alert
from assistant.skill_runtime.outbox import Outbox
from assistant.stack import Stack
from community_services.client import ServicesClient
from tests.integration.helpers import staff_list


def _texts(replies: list) -> str:
    return " | ".join(r.text for r in replies)


def _wait_delivered(outbox: Outbox, local_refs: set[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = {i.local_ref for i in outbox.items("pending")} & local_refs
        if not pending:
            return
        time.sleep(0.5)
    raise AssertionError(f"still pending after {timeout} s: {pending}")


def _queued_reference(text: str) -> str:
    """The outbox's reference the resident was told (``Q12345``)."""
    found = re.search(r"reference is (Q\d{5})", text)
    assert found, f"no queued reference in: {text}"
    return found.group(1)


def _office_rows(stack: Stack, path: str, key: str, value: str) -> list[dict[str, Any]]:
    """The office's records whose ``key`` is ``value`` (a reference) or, for text fields, contains it."""
    rows = staff_list(stack, f"{path}?limit=1000" if path != "alerts" else path)
    if key in ("number", "reference"):
        return [row for row in rows if row.get(key) == value]
    return [row for row in rows if value in str(row.get(key) or "")]


def test_queued_requests_are_delivered_exactly_once_after_restart(live_stack: Stack,
                                                                 chat: ConversationClient) -> None:
    marker = uuid.uuid4().hex[:8]
    live_stack.stop("services")
    try:
        repair = f"it-repair-{marker}"
        chat.send(repair, f"the kitchen tap is leaking all over the floor {marker}")
        chat.send(repair, "Building 5, flat 302")
        replies = chat.send(repair, "138 0013 8000")
        if "what is wrong" in _texts(replies).lower():
            replies = chat.send(repair, f"water drips from the tap {marker}")
        assert "send it" in _texts(replies).lower()
        queued = _texts(chat.send(repair, "yes"))
        assert "saved" in queued.lower()
        ticket_ref = _queued_reference(queued)

        feedback = f"it-feedback-{marker}"
        assert "what would you like" in _texts(chat.send(feedback, "I want to make a complaint")).lower()
        read_back = _texts(chat.send(feedback, f"the lights on the stairs stay on all day {marker}"))
        assert "shall i send it" in read_back.lower()
        queued = _texts(chat.send(feedback, "yes"))
        assert "saved" in queued.lower()
        feedback_ref = _queued_reference(queued)

        replies = chat.send(f"it-alert-{marker}", "help, I fell down and I cannot get up")
        alert = _texts(replies)
        assert "help" in alert.lower() and "120" in alert
        [alert_event] = [d for r in replies for d in r.data if isinstance(d, Alert)]
        assert alert_event.queued and alert_event.reference.startswith("Q")
        alert_ref = alert_event.reference
    finally:
        live_stack.start_services()

    outbox = Outbox(live_stack.settings.outbox_path, client=None)  # type: ignore[arg-type]
    mine = {ticket_ref, feedback_ref, alert_ref}
    assert len(mine) == 3
    assert mine <= {i.local_ref for i in outbox.items("pending")} | {i.local_ref for i in outbox.items("delivered")}
    _wait_delivered(outbox, mine)
    office = {}
    for local_ref, kind in ((ticket_ref, "ticket"), (feedback_ref, "feedback"), (alert_ref, "alert")):
        item = outbox.get(local_ref)
        assert item is not None and item.kind == kind and item.status == "delivered" and item.reference
        office[kind] = item.reference

    def exactly_once() -> None:
        assert len(_office_rows(live_stack, "tickets", "number", office["ticket"])) == 1
        assert len(_office_rows(live_stack, "tickets", "description", marker)) == 1
        assert len(_office_rows(live_stack, "feedback", "reference", office["feedback"])) == 1
        assert len(_office_rows(live_stack, "feedback", "text", marker)) == 1
        [alert_row] = _office_rows(live_stack, "alerts", "reference", office["alert"])
        assert "fell" in alert_row["details"] and alert_row["kiosk_id"] == live_stack.settings.kiosk_id

    exactly_once()
    # A second flush (or a restart of the sender) must not create the same records again.
    with ServicesClient(live_stack.settings.services_url, live_stack.settings.kiosk_token) as client:
        assert Outbox(live_stack.settings.outbox_path, client).flush() == 0
    exactly_once()


def test_emergency_answers_even_when_services_are_down(live_stack: Stack, chat: ConversationClient) -> None:
    live_stack.stop("services")
    try:
        replies = chat.send(f"it-{uuid.uuid4().hex[:8]}", "my husband collapsed, please call an ambulance")
        text = _texts(replies).lower()
        assert "help" in text and "120" in text
        assert "error" not in text and "failed" not in text
        assert any(isinstance(d, Alert) and d.stored and d.queued for r in replies for d in r.data)
    finally:
        live_stack.start_services()
