"""The handoff desk: a resident talks to a member of staff through the kiosk (``docs/handoff.md``).

Plain functions on a SQLAlchemy session, used by the kiosk's JSON API (``api/handoffs.py``) and the console
(``console/handoffs.py``, the board). They flush and leave the commit to the caller, so a console action and
its audit entry commit together; the caller publishes the live event after the commit.

A handoff is still a feedback row of category ``handoff`` (its ``F…`` reference is the handoff's), plus a
``handoffs`` row (kiosk, location, status, who joined, how it ended) and its ``handoff_messages``.

**One joins.** ``join`` runs ONE conditional statement as the first write of its transaction::

    UPDATE handoffs SET status='joined', staff_name=:me, joined_at=:now WHERE id=:id AND status='waiting'

The statement that changes a row wins; a concurrent one changes nothing and reads the winner's name instead.
SQLite: the first write takes the database's write lock until the commit, so the second update waits (busy
timeout) and then sees ``joined``; PostgreSQL (READ COMMITTED): the second waits on the row lock and re-checks
its ``WHERE`` against the committed row. Ending works the same way (``WHERE status != 'ended'``), so two ends
(the kiosk's idle reset and a staff member at once) record one reason, and a repeated end changes nothing.

Refusals are ``desk_errors``: ``HandoffNotFound`` (an ``Unknown``: 404), ``HandoffOver`` and ``HandoffTaken``
(``NotAllowed``: 409), each with a sentence a staff member (or the kiosk's log) can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import feedback_desk, models, schemas
from .api.references import add_numbered
from .desk_errors import NotAllowed, Unknown

ASKED = "I would like to talk to a person."
"""The feedback text of a handoff opened without words (a tapped button)."""
ENDED_WORDS = {
    "resident": "The resident went back to the assistant.",
    "resident_left": "The resident has left the kiosk.",
    "staff": "{name} ended the conversation; the assistant is back.",
}


class HandoffNotFound(Unknown):
    """No handoff has that reference (a ``handoff`` feedback sent through the outbox has no live handoff)."""


class HandoffOver(NotAllowed):
    """The handoff has ended: nothing more can be said in it."""

    code = "handoff_ended"


class HandoffTaken(NotAllowed):
    """Another member of staff has joined this handoff."""

    code = "handoff_taken"

    def __init__(self, message: str, staff_name: str) -> None:
        super().__init__(message)
        self.staff_name = staff_name


def normalize_reference(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def _clean(text: str, limit: int = schemas.MAX_HANDOFF_TEXT) -> str:
    cleaned = str(schemas.clean_text(text, multiline=True))
    if not cleaned:
        raise NotAllowed("The message is empty.")
    if len(cleaned) > limit:
        raise NotAllowed(f"The message is {len(cleaned)} characters long; at most {limit} fit.")
    return cleaned


def find(session: Session, reference: str) -> tuple[models.Handoff, models.Feedback]:
    """The handoff and its feedback row. Raises ``HandoffNotFound``."""
    row = session.execute(
        select(models.Handoff, models.Feedback)
        .join(models.Feedback, models.Feedback.id == models.Handoff.feedback_id)
        .where(models.Feedback.reference == normalize_reference(reference))
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise HandoffNotFound("There is no live conversation with that reference.")
    return row[0], row[1]


def by_reference(session: Session, references: list[str]) -> dict[str, models.Handoff]:
    """The handoffs of these feedback references (those that have one), by reference."""
    if not references:
        return {}
    rows = session.execute(
        select(models.Feedback.reference, models.Handoff)
        .join(models.Handoff, models.Handoff.feedback_id == models.Feedback.id)
        .where(models.Feedback.reference.in_([normalize_reference(r) for r in references]))
        .execution_options(populate_existing=True)
    ).all()
    return {reference or "": handoff for reference, handoff in rows}


def _add_message(session: Session, handoff: models.Handoff, sender: str, text: str, now: datetime, *,
                 name: str | None = None, via: str | None = None) -> models.HandoffMessage:
    message = models.HandoffMessage(handoff_id=handoff.id, sender=sender, name=name, text=text, via=via, at=now)
    session.add(message)
    session.flush()
    return message


def open_handoff(session: Session, payload: schemas.HandoffCreate, now: datetime) -> schemas.HandoffView:
    """A new handoff: its feedback row (category ``handoff``, the resident's words), the handoff and the
    transcript as its first messages. Flushed, not committed."""
    feedback = models.Feedback(text=payload.said or ASKED, category=feedback_desk.HANDOFF, created_at=now)
    add_numbered(session, feedback)
    handoff = models.Handoff(feedback_id=feedback.id, kiosk_id=payload.kiosk_id, location=payload.location,
                             said=payload.said, status="waiting", created_at=now)
    session.add(handoff)
    session.flush()
    for line in payload.transcript:
        session.add(models.HandoffMessage(handoff_id=handoff.id, sender=line.who, text=line.text, at=now))
    session.flush()
    return view(session, feedback.reference or "")


def messages(session: Session, handoff: models.Handoff, after: int | None = None) -> list[models.HandoffMessage]:
    query = select(models.HandoffMessage).where(models.HandoffMessage.handoff_id == handoff.id)
    if after is not None:
        query = query.where(models.HandoffMessage.id > after)
    return list(session.scalars(query.order_by(models.HandoffMessage.id)))


def message_view(message: models.HandoffMessage) -> schemas.HandoffMessage:
    return schemas.HandoffMessage.model_validate(message)


def _view(handoff: models.Handoff, feedback: models.Feedback,
          lines: list[models.HandoffMessage]) -> schemas.HandoffView:
    return schemas.HandoffView(
        reference=feedback.reference or "", status=handoff.status,  # type: ignore[arg-type]
        kiosk_id=handoff.kiosk_id, location=handoff.location, said=handoff.said, staff_name=handoff.staff_name,
        joined_at=handoff.joined_at, ended_reason=handoff.ended_reason,  # type: ignore[arg-type]
        ended_at=handoff.ended_at, created_at=handoff.created_at, messages=[message_view(m) for m in lines],
    )


def view(session: Session, reference: str, after: int | None = None) -> schemas.HandoffView:
    """The handoff with its messages whose id is above ``after`` (all of them without). Raises
    ``HandoffNotFound``."""
    handoff, feedback = find(session, reference)
    return _view(handoff, feedback, messages(session, handoff, after))


def add_resident_message(session: Session, reference: str, text: str, via: str,
                         now: datetime) -> schemas.HandoffMessage:
    """The resident's words from the kiosk. Raises ``HandoffOver`` once the handoff has ended."""
    handoff, _ = find(session, reference)
    if handoff.status == "ended":
        raise HandoffOver("This conversation has ended.")
    return message_view(_add_message(session, handoff, "resident", _clean(text), now, via=via))


@dataclass(frozen=True)
class JoinOutcome:
    """``won``: this staff member has the handoff (also when they had it already). Otherwise ``reason``."""

    won: bool
    handoff: schemas.HandoffView
    reason: Literal["", "taken", "ended"] = ""
    joined_now: bool = False
    """True only for the call that changed the handoff (publish ``handoff.joined`` then)."""
    message: schemas.HandoffMessage | None = None
    """The system line "Wang Fang has joined." (when ``joined_now``)."""


def join(session: Session, reference: str, staff_name: str, now: datetime) -> JoinOutcome:
    """``staff_name`` joins the conversation ("I'm going"). Exactly one of two concurrent callers wins (see the
    module docstring). The feedback row becomes ``in_progress`` under their name. Not committed."""
    handoff, feedback = find(session, reference)
    H = models.Handoff
    result = session.execute(
        update(H).where(H.id == handoff.id, H.status == "waiting")
        .values(status="joined", staff_name=staff_name, joined_at=now)
        .execution_options(synchronize_session=False)
    )
    joined_now = getattr(result, "rowcount", 0) == 1
    handoff, feedback = find(session, reference)  # re-read: the winner's name, or ours
    line = None
    if joined_now:
        feedback_desk.set_status(session, feedback.reference or "", "in_progress", staff_name, now)
        line = message_view(_add_message(session, handoff, "system", f"{staff_name} has joined the conversation.",
                                         now, name=staff_name))
    state = _view(handoff, feedback, [])
    if joined_now or (handoff.status == "joined" and handoff.staff_name == staff_name):
        return JoinOutcome(True, state, joined_now=joined_now, message=line)
    if handoff.status == "ended":
        return JoinOutcome(False, state, "ended")
    return JoinOutcome(False, state, "taken")


def add_staff_message(session: Session, reference: str, staff_name: str, text: str,
                      now: datetime) -> tuple[schemas.HandoffMessage, JoinOutcome | None]:
    """A staff member's reply. Nobody has joined yet: this joins them first (the returned ``JoinOutcome``).
    Raises ``HandoffOver`` after the end, ``HandoffTaken`` when someone else has joined."""
    cleaned = _clean(text)
    handoff, _ = find(session, reference)
    joined: JoinOutcome | None = None
    if handoff.status == "waiting":
        joined = join(session, reference, staff_name, now)
        handoff, _ = find(session, reference)
    if handoff.status == "ended":
        raise HandoffOver("This conversation has ended; the resident is back with the assistant.")
    if handoff.staff_name != staff_name:
        raise HandoffTaken(f"{handoff.staff_name} is already talking with the resident.", handoff.staff_name or "")
    message = message_view(_add_message(session, handoff, "staff", cleaned, now, name=staff_name, via="typed"))
    return message, joined


@dataclass(frozen=True)
class EndOutcome:
    handoff: schemas.HandoffView
    ended_now: bool
    """False when it had ended already (nothing changed)."""
    message: schemas.HandoffMessage | None = None
    """The system line of the end (when ``ended_now``)."""


def end(session: Session, reference: str, reason: str, now: datetime, *, staff_name: str | None = None) -> EndOutcome:
    """End the conversation (``resident``, ``resident_left`` or ``staff``). Ending an ended handoff changes
    nothing (its first reason stays). Not committed."""
    if reason not in ENDED_WORDS:
        raise NotAllowed(f"{reason!r} is not a way a conversation ends.")
    handoff, feedback = find(session, reference)
    H = models.Handoff
    result = session.execute(
        update(H).where(H.id == handoff.id, H.status != "ended")
        .values(status="ended", ended_reason=reason, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    ended_now = getattr(result, "rowcount", 0) == 1
    handoff, feedback = find(session, reference)
    line = None
    if ended_now:
        words = ENDED_WORDS[reason].format(name=staff_name or "Staff")
        line = message_view(_add_message(session, handoff, "system", words, now, name=staff_name))
    return EndOutcome(_view(handoff, feedback, []), ended_now, line)


def close(session: Session, reference: str, staff_name: str, note: str, now: datetime) -> EndOutcome:
    """Staff end the handoff (reason ``staff``, unless it had ended already) and resolve its feedback row: the
    note becomes the reply the resident can hear with the reference (``answered``); without a note the row is
    marked answered all the same. Not committed."""
    outcome = end(session, reference, "staff", now, staff_name=staff_name)
    reference = outcome.handoff.reference
    if note.strip():
        feedback_desk.reply(session, reference, note, staff_name, now)
    else:
        feedback_desk.mark_answered(session, reference, staff_name, now)
    return outcome


def ended_words(handoff: schemas.HandoffView) -> str:
    """The status line of an ended handoff ("The resident has left the kiosk.")."""
    if handoff.status != "ended" or handoff.ended_reason is None:
        return ""
    return ENDED_WORDS[handoff.ended_reason].format(name=handoff.staff_name or "Staff")
