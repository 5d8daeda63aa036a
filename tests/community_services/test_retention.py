"""Privacy by retention, office side: old resident words go, work records stay; 422 answers echo nothing;
idempotency records keep only what a replay needs; export and erase by phone (docs/privacy.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from community_services import models, privacy, schemas
from community_services.app import create_app
from community_services.retention import REMOVED, Retention, private_response, sweep

KIOSK, STAFF = "kiosk-token-for-tests", "staff-token-for-tests"
PHONE = "13800138000"
START = datetime(2026, 3, 2, 7, 30)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def office(tmp_path: Path) -> Any:
    clock = Clock()
    app = create_app(f"sqlite:///{tmp_path / 'services.db'}", KIOSK, STAFF, seed=True, clock=clock)
    http = TestClient(app, base_url="http://testserver/api/v1", headers={"Authorization": f"Bearer {KIOSK}"})
    return app, http, clock


def _handoff(http: TestClient, said: str) -> dict[str, Any]:
    r = http.post("/handoffs", json={"kiosk_id": "k1", "location": "Lobby", "said": said,
                                     "transcript": [{"who": "resident", "text": said}]},
                  headers={"Idempotency-Key": "h-" + said[:8]})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_conversation_older_than_the_retention_is_gone_from_the_office(office: Any) -> None:
    app, http, clock = office
    old = _handoff(http, f"My name is Li Wei, call me on {PHONE}")
    assert http.post(f"/handoffs/{old['reference']}/end", json={"reason": "resident_left"}).status_code == 200
    ticket = http.post("/tickets", headers={"Idempotency-Key": "t-old"}, json={
        "problem_type": "plumbing", "place": "Building 3, flat 201", "description": "Tap leaks", "phone": PHONE})
    assert ticket.status_code == 201
    clock.now = START + timedelta(days=31)
    recent = _handoff(http, "I need someone for my mother")
    with app.state.db.session() as session:
        counts = sweep(session, clock.now, Retention(days=30, idempotency_days=7))
    assert counts["idempotency_keys"] == 2 and counts["handoffs"] == 1 and counts["handoff_messages"] >= 1
    with app.state.db.session() as session:
        handoffs = {h.said: h for h in session.scalars(select(models.Handoff))}
        assert set(handoffs) == {REMOVED, "I need someone for my mother"}
        gone = handoffs[REMOVED]
        assert gone.kiosk_id == "k1" and gone.ended_reason == "resident_left"  # who/when/how stays
        assert not session.scalars(select(models.HandoffMessage)
                                   .where(models.HandoffMessage.handoff_id == gone.id)).all()
        assert session.get(models.Feedback, gone.feedback_id).text == REMOVED  # type: ignore[union-attr]
        keys = [r.key for r in session.scalars(select(models.IdempotencyRecord))]
        assert keys == ["h-I need s"]  # the recent handoff's key still replays
        assert session.scalar(select(models.Ticket).where(models.Ticket.phone == PHONE)) is not None  # work record
    assert recent["reference"]


def test_old_audit_entries_keep_who_and_what_but_not_the_words(office: Any) -> None:
    app, _http, _clock = office
    with app.state.db.session() as session:
        session.add(models.AuditEntry(at=START - timedelta(days=40), staff_name="Wang", action="handoff.reply",
                                      target="handoff:F1001", before=None, after={"text": f"call {PHONE}"}))
        session.add(models.AuditEntry(at=START, staff_name="Wang", action="handoff.reply", target="handoff:F1002",
                                      before=None, after={"text": "fresh"}))
        session.commit()
        sweep(session, START, Retention())
        entries = {e.target: e for e in session.scalars(select(models.AuditEntry))}
    assert entries["handoff:F1001"].after is None and entries["handoff:F1001"].staff_name == "Wang"
    assert entries["handoff:F1002"].after == {"text": "fresh"}


def test_old_resolved_alert_details_are_blanked(office: Any) -> None:
    app, http, clock = office
    alert = http.post("/alerts", json={"kind": "fall", "location": "Lobby", "kiosk_id": "k1",
                                       "details": f"my father fell, call {PHONE}"}).json()
    staff = {"Authorization": f"Bearer {STAFF}"}
    assert http.patch(f"/alerts/{alert['reference']}", json={"status": "resolved"}, headers=staff).status_code < 300
    clock.now = START + timedelta(days=31)
    with app.state.db.session() as session:
        sweep(session, clock.now, Retention())
        assert session.scalar(select(models.Alert.details)) == ""


def test_idempotency_records_keep_only_what_replaying_needs(office: Any) -> None:
    app, http, _clock = office
    body = {"problem_type": "plumbing", "place": "Building 3, flat 201", "description": "Tap leaks", "phone": PHONE}
    first = http.post("/tickets", json=body, headers={"Idempotency-Key": "k-1"})
    again = http.post("/tickets", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.json()["number"] == again.json()["number"] and again.headers["Idempotent-Replayed"] == "true"
    with app.state.db.session() as session:
        stored = json.dumps(session.scalar(select(models.IdempotencyRecord.response)))
    assert PHONE not in stored and "Tap leaks" not in stored and "flat 201" not in stored
    # the typed client's model still reads a replayed answer (the outbox's path parses it with this model)
    assert schemas.Ticket.model_validate(again.json()).number == first.json()["number"]
    assert private_response({"phone": "1", "messages": [{"text": "x", "id": 3}]}) == {
        "phone": "", "messages": [{"text": "", "id": 3}]}


@pytest.mark.parametrize("body", [
    {"problem_type": "plumbing", "place": "Building 3", "description": "Tap", "phone": "138-0013-800X"},
    {"problem_type": "plumbing", "place": "Building 3", "description": "", "phone": PHONE},
])
def test_422_answers_do_not_echo_the_input(office: Any, body: dict[str, Any]) -> None:
    _app, http, _clock = office
    r = http.post("/tickets", json=body)
    assert r.status_code == 422
    assert "800X" not in r.text and PHONE not in r.text and "input" not in r.json()["detail"][0]
    assert set(r.json()["detail"][0]) == {"type", "loc", "msg"}


def test_export_and_erase_by_phone(office: Any) -> None:
    app, http, _clock = office
    http.post("/tickets", json={"problem_type": "plumbing", "place": "Building 3, flat 201",
                                "description": "Tap leaks", "phone": "138 0013 8000"})
    http.post("/feedback", json={"text": "Please call me back on +86 138-0013-8000", "category": "general"})
    _handoff(http, f"phone {PHONE}")
    with app.state.db.session() as session:
        before = privacy.export_phone(session, PHONE, "cli:tester", START)
    assert len(before["tickets"]) == 1 and len(before["feedback"]) == 2 and len(before["handoffs"]) == 1
    with app.state.db.session() as session:
        tickets = session.scalar(select(func.count()).select_from(models.Ticket))
        counts = privacy.erase_phone(session, PHONE, "cli:tester", START)
        assert counts["tickets"] == 1
        assert session.scalar(select(func.count()).select_from(models.Ticket)) == tickets
        audit = [(e.staff_name, e.action, e.target) for e in session.scalars(select(models.AuditEntry))]
    assert ("cli:tester", "privacy.erase", privacy.phone_key(PHONE)) in audit
    assert all(PHONE not in t for _, _, t in audit)
    with app.state.db.session() as session:
        after = privacy.export_phone(session, PHONE, "cli:tester", START)
    assert not any(after[k] for k in ("tickets", "feedback", "handoffs", "alerts", "appointments"))
