"""The handoff desk: open, one of two staff joins (two threads on a real SQLite file), messages after N, the end
(idempotent), refusals."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from community_services import feedback_desk, handoff_desk, models, schemas
from community_services.db import Database
from community_services.desk_errors import NotAllowed

T0 = datetime(2026, 3, 2, 9, 0)


def _payload(**overrides: object) -> schemas.HandoffCreate:
    body: dict[str, object] = {
        "kiosk_id": "lobby-1", "location": "Service centre lobby", "said": "I want to talk to a person",
        "transcript": [{"who": "resident", "text": "My heating is broken"},
                       {"who": "assistant", "text": "I can report a repair for you."}],
    }
    body.update(overrides)
    return schemas.HandoffCreate.model_validate(body)


def _open(db: Database, now: datetime = T0, **overrides: object) -> str:
    with db.session() as session:
        view = handoff_desk.open_handoff(session, _payload(**overrides), now)
        session.commit()
    return view.reference


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'desk.db'}")
    db.create_schema()
    return db


def test_open_is_feedback_of_category_handoff_with_the_transcript(database: Database) -> None:
    reference = _open(database)
    assert reference.startswith("F")
    with database.session() as session:
        view = handoff_desk.view(session, reference)
        record = feedback_desk.feedback_record(session, reference)
    assert (view.status, view.kiosk_id, view.location, view.staff_name) == ("waiting", "lobby-1",
                                                                           "Service centre lobby", None)
    assert [(m.sender, m.text) for m in view.messages] == [("resident", "My heating is broken"),
                                                           ("assistant", "I can report a repair for you.")]
    assert (record.category, record.text, record.status) == ("handoff", "I want to talk to a person", "new")


def test_open_without_words_says_what_was_asked(database: Database) -> None:
    reference = _open(database, said="", transcript=[])
    with database.session() as session:
        assert feedback_desk.feedback_record(session, reference).text == handoff_desk.ASKED
        assert handoff_desk.view(session, reference).messages == []


def test_two_staff_join_at_once_on_separate_connections_exactly_one_wins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    Database(url).create_schema()
    first, second = Database(url), Database(url)  # two engines: two separate SQLite connections
    references = [_open(first, T0 + timedelta(seconds=i)) for i in range(20)]
    for reference in references:
        barrier = threading.Barrier(2)
        outcomes: dict[str, handoff_desk.JoinOutcome] = {}
        errors: list[BaseException] = []

        def press(db: Database, name: str, ref: str = reference, gate: threading.Barrier = barrier,
                  outcomes: dict[str, handoff_desk.JoinOutcome] = outcomes,
                  errors: list[BaseException] = errors) -> None:
            try:
                with db.session() as session:
                    gate.wait()
                    outcome = handoff_desk.join(session, ref, name, T0 + timedelta(minutes=1))
                    session.commit()
                    outcomes[name] = outcome
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=press, args=(first, "Wang Fang")),
                   threading.Thread(target=press, args=(second, "Li Wei"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        winners = [name for name, outcome in outcomes.items() if outcome.won]
        assert len(winners) == 1, outcomes
        loser = next(outcome for outcome in outcomes.values() if not outcome.won)
        assert (loser.reason, loser.handoff.staff_name, loser.joined_now) == ("taken", winners[0], False)
        with first.session() as session:
            view = handoff_desk.view(session, reference)
            record = feedback_desk.feedback_record(session, reference)
        assert (view.status, view.staff_name) == ("joined", winners[0])
        assert (record.status, record.status_by) == ("in_progress", winners[0])
        joins = [m for m in view.messages if m.sender == "system"]
        assert [m.text for m in joins] == [f"{winners[0]} has joined the conversation."]  # one line, not two
    first.dispose()
    second.dispose()


def test_the_same_person_joining_twice_still_has_it(database: Database) -> None:
    reference = _open(database)
    with database.session() as session:
        first = handoff_desk.join(session, reference, "Wang Fang", T0)
        again = handoff_desk.join(session, reference, "Wang Fang", T0)
        session.commit()
    assert (first.won, first.joined_now, again.won, again.joined_now) == (True, True, True, False)


def test_messages_after_n(database: Database) -> None:
    reference = _open(database)
    with database.session() as session:
        transcript = handoff_desk.view(session, reference).messages
        last = transcript[-1].id
        resident = handoff_desk.add_resident_message(session, reference, "Is anyone there?", "spoken", T0)
        _, joined = handoff_desk.add_staff_message(session, reference, "Wang Fang", "Yes, I am here.", T0)
        session.commit()
        newer = handoff_desk.view(session, reference, after=last).messages
        newest = handoff_desk.view(session, reference, after=newer[-1].id).messages
    assert joined is not None and joined.won  # replying while nobody had joined joins you
    assert [(m.sender, m.name, m.text, m.via) for m in newer] == [
        ("resident", None, "Is anyone there?", "spoken"),
        ("system", "Wang Fang", "Wang Fang has joined the conversation.", None),
        ("staff", "Wang Fang", "Yes, I am here.", "typed"),
    ]
    assert newer[0].id == resident.id > last
    assert [m.id for m in newer] == sorted(m.id for m in newer)
    assert newest == []


def test_end_is_idempotent_and_nothing_more_can_be_said(database: Database) -> None:
    reference = _open(database)
    with database.session() as session:
        first = handoff_desk.end(session, reference, "resident_left", T0)
        again = handoff_desk.end(session, reference, "resident", T0 + timedelta(minutes=1))
        session.commit()
        assert (first.ended_now, again.ended_now) == (True, False)
        assert (again.handoff.status, again.handoff.ended_reason, again.handoff.ended_at) == (
            "ended", "resident_left", T0)
        assert handoff_desk.ended_words(again.handoff) == "The resident has left the kiosk."
        assert [m.text for m in handoff_desk.view(session, reference).messages if m.sender == "system"] == [
            "The resident has left the kiosk."]
        with pytest.raises(handoff_desk.HandoffOver):
            handoff_desk.add_resident_message(session, reference, "hello?", "typed", T0)
        with pytest.raises(handoff_desk.HandoffOver):
            handoff_desk.add_staff_message(session, reference, "Wang Fang", "hello?", T0)
        late = handoff_desk.join(session, reference, "Wang Fang", T0)
        assert (late.won, late.reason) == (False, "ended")


def test_someone_else_cannot_reply_in_a_joined_conversation(database: Database) -> None:
    reference = _open(database)
    with database.session() as session:
        handoff_desk.join(session, reference, "Wang Fang", T0)
        with pytest.raises(handoff_desk.HandoffTaken, match="Wang Fang is already talking"):
            handoff_desk.add_staff_message(session, reference, "Li Wei", "Hello", T0)


def test_close_ends_with_staff_and_answers_the_feedback(database: Database) -> None:
    with_note, without = _open(database), _open(database)
    with database.session() as session:
        handoff_desk.join(session, with_note, "Wang Fang", T0)
        outcome = handoff_desk.close(session, with_note, "Wang Fang", "We will fix the heating on Monday.", T0)
        handoff_desk.close(session, without, "Wang Fang", "  ", T0)
        session.commit()
        noted = feedback_desk.feedback_record(session, with_note)
        plain = feedback_desk.feedback_record(session, without)
    assert (outcome.ended_now, outcome.handoff.ended_reason) == (True, "staff")
    assert (noted.status, noted.reply) == ("answered", "We will fix the heating on Monday.")
    assert (plain.status, plain.reply, plain.status_by) == ("answered", None, "Wang Fang")


def test_refusals(database: Database) -> None:
    reference = _open(database)
    with database.session() as session:
        with pytest.raises(handoff_desk.HandoffNotFound):
            handoff_desk.view(session, "F9999")
        with pytest.raises(NotAllowed, match="empty"):
            handoff_desk.add_staff_message(session, reference, "Wang Fang", " \n ", T0)
        with pytest.raises(NotAllowed, match="at most 1000"):
            handoff_desk.add_staff_message(session, reference, "Wang Fang", "x" * 1001, T0)
        with pytest.raises(NotAllowed):
            handoff_desk.end(session, reference, "bored", T0)
        plain = models.Feedback(text="nice garden", category="praise", created_at=T0)
        session.add(plain)
        session.flush()
        plain.reference = f"F{1000 + plain.id}"
        with pytest.raises(handoff_desk.HandoffNotFound):
            handoff_desk.join(session, plain.reference, "Wang Fang", T0)
        with pytest.raises(NotAllowed):
            feedback_desk.mark_answered(session, plain.reference, "Wang Fang", T0)


@pytest.mark.parametrize("body", [
    {"location": "lobby", "said": "hi"},  # no kiosk
    {"kiosk_id": "k", "location": "", "said": "hi"},
    {"kiosk_id": "k", "location": "lobby", "transcript": [{"who": "staff", "text": "hi"}]},
    {"kiosk_id": "k", "location": "lobby", "transcript": [{"who": "resident", "text": "x" * 1001}]},
    {"kiosk_id": "k", "location": "lobby", "transcript": [{"who": "resident", "text": "hi"}] * 61},
    {"kiosk_id": "k" * 101, "location": "lobby"},
])
def test_create_refuses_bad_shapes(body: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        schemas.HandoffCreate.model_validate(body)
