"""feedback_desk: listing by category and status, status changes, replies, the kiosk's view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from community_services import feedback_desk, models
from community_services.api.references import add_numbered
from community_services.db import Database
from community_services.desk_errors import NotAllowed, Unknown

NOW = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def session() -> Iterator[Session]:
    database = Database("sqlite://")
    database.create_schema()
    with database.session() as s:
        yield s
    database.dispose()


def add_feedback(session: Session, text: str = "More benches please", category: str = "suggestion") -> str:
    return add_numbered(session, models.Feedback(text=text, category=category, created_at=NOW))


def test_feedback_without_a_status_row_is_new(session: Session) -> None:
    ref = add_feedback(session)
    record = feedback_desk.feedback_record(session, ref.lower())
    assert (record.status, record.reply, record.status_by) == ("new", None, None)


def test_list_by_category_and_status_newest_first(session: Session) -> None:
    a = add_feedback(session, category="complaint")
    b = add_feedback(session, "I want to talk to a person", category="handoff")
    c = add_feedback(session, category="complaint")
    feedback_desk.set_status(session, a, "in_progress", "Li", NOW)
    feedback_desk.reply(session, c, "We have asked the cleaners to come twice a week.", "Li", NOW)

    def refs(**kw: str) -> list[str]:
        return [r.reference for r in feedback_desk.feedback_list(session, **kw)]

    assert refs() == [c, b, a]
    assert refs(category="complaint") == [c, a]
    assert refs(category="handoff") == [b]
    assert refs(status="new") == [b]
    assert refs(status="in_progress") == [a]
    assert refs(status="answered") == [c]
    assert refs(category="Complaint ", status="answered") == [c]
    feedback_desk.set_status(session, a, "new", "Li", NOW)  # back to new with a row
    assert refs(status="new") == [b, a]


def test_reply_answers_and_the_newest_reply_counts(session: Session) -> None:
    ref = add_feedback(session)
    feedback_desk.reply(session, ref, "Two benches come in May.", "Li", NOW)
    feedback_desk.reply(session, ref, "  The benches are  in  place now.  ", "Zhao", NOW + timedelta(days=30))
    record = feedback_desk.feedback_record(session, ref)
    assert (record.status, record.reply, record.replied_by) == ("answered", "The benches are in place now.", "Zhao")
    answer = feedback_desk.feedback_answer(session, ref)
    assert answer.model_dump() == {"reference": ref, "status": "answered", "reply": "The benches are in place now.",
                                   "replied_at": NOW + timedelta(days=30)}


def test_refusals(session: Session) -> None:
    ref = add_feedback(session)
    with pytest.raises(NotAllowed, match="when you write the reply"):
        feedback_desk.set_status(session, ref, "answered", "Li", NOW)
    with pytest.raises(NotAllowed, match="not a feedback status"):
        feedback_desk.set_status(session, ref, "closed", "Li", NOW)
    with pytest.raises(NotAllowed, match="empty"):
        feedback_desk.reply(session, ref, " \n ", "Li", NOW)
    with pytest.raises(NotAllowed, match="1001 characters long"):
        feedback_desk.reply(session, ref, "x" * 1001, "Li", NOW)
    with pytest.raises(Unknown, match="no feedback with that reference"):
        feedback_desk.reply(session, "F999999", "hello", "Li", NOW)


def test_markup_in_a_reply_is_stored_as_text(session: Session) -> None:
    ref = add_feedback(session)
    feedback_desk.reply(session, ref, "<img src=x onerror=alert(1)> Thank you!", "Li", NOW)
    assert feedback_desk.feedback_answer(session, ref).reply == "<img src=x onerror=alert(1)> Thank you!"
