"""A person talks through the kiosk (docs/handoff.md) on the real stack: trained Rasa with the HandoffPolicy,
the action server, the services API and its database. Staff steps go through the office's handoff desk on the
same database the console uses; the console's pages have their own browser tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.events import (
    Alert,
    HandoffEnded,
    HandoffJoined,
    HandoffMessage,
    HandoffOpened,
    HandoffRelayed,
    Reply,
    UserText,
)
from assistant.stack import Stack
from community_services import handoff_desk
from community_services.db import Database
from community_services.schemas import HandoffView
from kiosk_app.backend import Backend
from tests.integration.helpers import staff_list
from tests.integration.test_kiosk_backend import Recorder, wait_for

pytestmark = pytest.mark.integration
ASK = "I would like to talk to a real person please"


def new_sender() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def office(live_stack: Stack) -> Iterator[Database]:
    db = Database(live_stack.settings.services_db_url)
    yield db
    db.dispose()


def opened(replies: list[Reply]) -> str:
    [reference] = [d.reference for r in replies for d in r.data if isinstance(d, HandoffOpened)]
    return reference


def seen(office: Database, reference: str) -> HandoffView:
    with office.session() as session:
        return handoff_desk.view(session, reference)


def staff_step(office: Database, step: Callable[..., object], *args: object) -> None:
    with office.session() as session:
        step(session, *args)
        session.commit()


def test_words_go_to_the_person_and_the_assistant_comes_back(chat: ConversationClient, office: Database) -> None:
    sender = new_sender()
    chat.send(sender, "my radiator is stone cold")
    replies = chat.send(sender, ASK)
    reference = opened(replies)
    assert "staff" in " ".join(r.text for r in replies)
    view = seen(office, reference)
    assert (view.status, view.said, view.kiosk_id) == ("waiting", ASK, "kiosk-test")
    assert [(m.sender, m.text) for m in view.messages][:1] == [("resident", "my radiator is stone cold")]

    # while the person is there the assistant stays quiet: no answer of its own, the words are relayed
    quiet = [Reply("", data=(HandoffRelayed(reference),))]
    assert chat.send(sender, "what can you do for me") == quiet
    assert chat.send(sender, "안녕하세요", metadata={"source": "voice"}) == quiet
    relayed = [(m.text, m.via) for m in seen(office, reference).messages if m.sender == "resident"][-2:]
    assert relayed == [("what can you do for me", "typed"), ("안녕하세요", "spoken")]

    staff_step(office, handoff_desk.join, reference, "Li Wei", now())
    staff_step(office, handoff_desk.add_staff_message, reference, "Li Wei", "I will send a plumber.", now())
    back = chat.send(sender, "/back_to_assistant")
    assert "back with Linli" in " ".join(r.text for r in back)
    assert HandoffEnded(reference, "resident") in [d for r in back for d in r.data]
    assert (seen(office, reference).status, seen(office, reference).ended_reason) == ("ended", "resident")
    assert "I can help" in " ".join(r.text for r in chat.send(sender, "what can you do for me"))


def test_an_emergency_during_a_handoff_still_raises_the_alert(chat: ConversationClient, live_stack: Stack,
                                                              office: Database) -> None:
    sender = new_sender()
    reference = opened(chat.send(sender, ASK))
    replies = chat.send(sender, "help I have fallen and cannot get up")
    [alert] = [d for r in replies for d in r.data if isinstance(d, Alert)]
    assert alert.stored
    rows = [a for a in staff_list(live_stack, "alerts") if a["reference"] == alert.reference]
    assert len(rows) == 1
    assert seen(office, reference).status == "waiting"  # the person is still on the way too


@pytest.fixture
def kiosk(live_stack: Stack) -> Iterator[tuple[Backend, Recorder]]:
    events = Recorder()
    backend = Backend(live_stack.settings, events, voice=False)
    yield backend, events
    backend.close()


def test_the_kiosk_shows_staff_words_and_hands_back_when_staff_end(kiosk: tuple[Backend, Recorder],
                                                                  office: Database) -> None:
    backend, events = kiosk
    backend.send_text(ASK)
    assert wait_for(lambda: bool(events.of(HandoffOpened)), 60)
    reference = events.of(HandoffOpened)[0].reference
    assert backend.handoff == reference
    staff_step(office, handoff_desk.join, reference, "Wang Fang", now())
    staff_step(office, handoff_desk.add_staff_message, reference, "Wang Fang", "Stay there, I am coming.", now())
    assert wait_for(lambda: bool(events.of(HandoffMessage)), 10)
    assert events.of(HandoffJoined) == [HandoffJoined(reference, "Wang Fang")]
    assert events.of(HandoffMessage) == [HandoffMessage(reference, "Wang Fang", "Stay there, I am coming.")]

    users_before = len(events.of(UserText))
    staff_step(office, handoff_desk.end, reference, "staff", now())
    assert wait_for(lambda: any("ended the conversation" in r.text for r in events.of(Reply)), 30)
    assert HandoffEnded(reference, "staff", "Wang Fang") in events.of(HandoffEnded)
    assert len(events.of(UserText)) == users_before, "the kiosk's own turn is not shown as the resident's"
    assert backend.wait_idle(30) and backend.handoff is None
    events.clear()
    backend.send_text("what can you do for me")
    assert backend.wait_idle(60)
    assert "I can help" in " ".join(r.text for r in events.of(Reply))


def test_the_idle_reset_tells_the_office_the_resident_left(kiosk: tuple[Backend, Recorder],
                                                           office: Database) -> None:
    backend, events = kiosk
    backend.send_text(ASK)
    assert wait_for(lambda: bool(events.of(HandoffOpened)), 60)
    reference = events.of(HandoffOpened)[0].reference
    backend.new_conversation()
    assert wait_for(lambda: seen(office, reference).status == "ended", 10)
    assert seen(office, reference).ended_reason == "resident_left"
    assert backend.handoff is None
    time.sleep(0.2)
