"""Nothing is lost: with the services API stopped, a repair ticket, feedback and an emergency alert are
queued in the outbox; after the API restarts the action server's sender delivers each exactly once."""

from __future__ import annotations

import time
import uuid

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
        assert "saved" in queued.lower() and "Q" in queued

        alert = _texts(chat.send(f"it-alert-{marker}", "help, I fell down and I cannot get up"))
        assert "help" in alert.lower() and "120" in alert
    finally:
        live_stack.start_services()

    outbox = Outbox(live_stack.settings.outbox_path, client=None)  # type: ignore[arg-type]
    waiting = {i.local_ref for i in outbox.items("pending")}
    assert len(waiting) >= 2
    _wait_delivered(outbox, waiting)

    tickets = [t for t in staff_list(live_stack, "tickets") if marker in (t.get("description") or "")]
    assert len(tickets) == 1, tickets
    alerts = [a for a in staff_list(live_stack, "alerts") if "fell" in (a.get("details") or "")]
    assert len(alerts) >= 1
    # A second flush (or a restart of the sender) must not create the same records again.
    with ServicesClient(live_stack.settings.services_url, live_stack.settings.kiosk_token) as client:
        assert Outbox(live_stack.settings.outbox_path, client).flush() == 0
    again = [t for t in staff_list(live_stack, "tickets") if marker in (t.get("description") or "")]
    assert len(again) == 1


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
