"""What the office holds about one phone number, and erasing it (``linli privacy export|erase --phone N``).

Rows found: tickets, appointments and registrations by their ``phone``; feedback, handoffs (what was said, the
messages), alerts' details and audit entries whose text mentions the number (in any spelling: spaces, dashes,
``+86``). Erasing anonymises rather than deletes, so counts stay true (a ticket stays a ticket of its type and
status, a registration still counts towards its event): phone, names and words are replaced, handoff messages
are deleted, idempotency records that mention the number are deleted. Both are audited as ``cli:<user>`` with a
fingerprint of the number, never the number.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from foundation.redact import mentions_phone, phone_digits

from . import models

ERASED = "(erased on request)"


def phone_key(phone: str) -> str:
    """What the audit log names instead of the number: ``phone#`` and 12 hex digits of its SHA-256."""
    return "phone#" + hashlib.sha256(phone_digits(phone).encode()).hexdigest()[:12]


def _row(obj: Any, *names: str) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = value.isoformat(timespec="seconds") if isinstance(value, datetime) else value
    return out


def _found(session: Session, phone: str) -> dict[str, list[Any]]:
    digits = phone_digits(phone)
    handoffs = []
    for handoff in session.scalars(select(models.Handoff)):
        messages = list(session.scalars(select(models.HandoffMessage)
                                        .where(models.HandoffMessage.handoff_id == handoff.id)))
        if mentions_phone(handoff.said, digits) or any(mentions_phone(m.text, digits) for m in messages):
            handoffs.append((handoff, messages))
    return {
        "tickets": list(session.scalars(select(models.Ticket).where(models.Ticket.phone == digits))),
        "appointments": list(session.scalars(select(models.Appointment).where(models.Appointment.phone == digits))),
        "registrations": list(session.scalars(select(models.Registration)
                                              .where(models.Registration.phone == digits))),
        "feedback": [f for f in session.scalars(select(models.Feedback)) if mentions_phone(f.text, digits)],
        "handoffs": handoffs,
        "alerts": [a for a in session.scalars(select(models.Alert)) if mentions_phone(a.details, digits)],
        "audit": [e for e in session.scalars(select(models.AuditEntry))
                  if mentions_phone(json.dumps([e.before, e.after], ensure_ascii=False), digits)],
        "idempotency": [r for r in session.scalars(select(models.IdempotencyRecord))
                        if mentions_phone(json.dumps(r.response, ensure_ascii=False), digits)],
    }


def export_phone(session: Session, phone: str, actor: str, now: datetime) -> dict[str, Any]:
    """Everything the office holds about ``phone``, as JSON-ready lists per kind (the export is audited)."""
    found = _found(session, phone)
    result: dict[str, Any] = {
        "tickets": [_row(t, "number", "problem_type", "place", "description", "phone", "status", "created_at",
                         "updated_at") for t in found["tickets"]],
        "appointments": [_row(a, "reference", "patient_name", "phone", "status", "created_at")
                         for a in found["appointments"]],
        "registrations": [_row(r, "reference", "event_id", "name", "phone", "status", "created_at")
                          for r in found["registrations"]],
        "feedback": [_row(f, "reference", "category", "text", "created_at") for f in found["feedback"]],
        "handoffs": [{**_row(h, "kiosk_id", "location", "said", "status", "staff_name", "created_at", "ended_at"),
                      "messages": [_row(m, "sender", "name", "text", "at") for m in messages]}
                     for h, messages in found["handoffs"]],
        "alerts": [_row(a, "reference", "kind", "location", "details", "status", "created_at")
                   for a in found["alerts"]],
        "audit_entries": [_row(e, "at", "staff_name", "action", "target") for e in found["audit"]],
    }
    session.add(models.AuditEntry(at=now, staff_name=actor[:120], action="privacy.export", target=phone_key(phone),
                                  before=None, after={k: len(v) for k, v in result.items()}))
    session.commit()
    return result


def erase_phone(session: Session, phone: str, actor: str, now: datetime) -> dict[str, int]:
    """Anonymise what the office holds about ``phone`` (one transaction, audited); returns counts per kind."""
    found = _found(session, phone)
    for t in found["tickets"]:
        t.phone, t.description, t.place, t.updated_at = "", ERASED, ERASED, now
        for update in session.scalars(select(models.TicketUpdate).where(models.TicketUpdate.ticket_id == t.id)):
            update.public_note = ERASED if update.public_note else update.public_note
            update.internal_note = ERASED if update.internal_note else update.internal_note
    for a in found["appointments"]:
        a.patient_name, a.phone, a.updated_at = ERASED, "", now
    for r in found["registrations"]:
        r.name, r.phone = ERASED, f"erased{r.id}"  # (event, phone) is unique: each erased row its own placeholder
    for f in found["feedback"]:
        f.text = ERASED
    for h, _messages in found["handoffs"]:
        h.said = ERASED
        session.execute(delete(models.HandoffMessage).where(models.HandoffMessage.handoff_id == h.id))
        feedback = session.get(models.Feedback, h.feedback_id)
        if feedback is not None:
            feedback.text = ERASED
    for alert in found["alerts"]:
        alert.details = ERASED
    for entry in found["audit"]:
        entry.before, entry.after = None, None
    for record in found["idempotency"]:
        session.delete(record)
    counts = {k: len(v) for k, v in found.items()}
    session.add(models.AuditEntry(at=now, staff_name=actor[:120], action="privacy.erase", target=phone_key(phone),
                                  before=None, after=counts))
    session.commit()
    return counts
