"""The notices desk (``notice_desk``) on a real SQLite file, and its API (announcements with a building filter,
broadcasts, receipts) and typed client against the real server (fixed clock: 2 March 2026, 07:30)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from community_services import models, notice_desk
from community_services.client import NotFound, ServicesClient
from community_services.db import Database
from community_services.desk_errors import NotAllowed
from community_services.schemas import ReceiptIn

NOW = datetime(2026, 3, 2, 7, 30)


def form(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"title": "Water cut in Building 3", "body": "No water from 9 to 12 today.",
                            "valid_from": "2026-03-02T07:00", "valid_until": "2026-03-02T12:00", "for": "some",
                            "buildings": ["3"], "urgency": "urgent", "kind": "water"}
    base.update(changes)
    return base


def parsed(**changes: Any) -> notice_desk.NoticeInput:
    notice, errors = notice_desk.parse_form(form(**changes), NOW)
    assert notice is not None, errors
    return notice


@pytest.fixture
def database(tmp_path: Path) -> Any:
    db = Database(f"sqlite:///{tmp_path / 'services.db'}")
    db.create_schema()
    yield db
    db.dispose()


def test_the_form_is_checked_in_plain_sentences() -> None:
    notice = parsed(buildings=["12", "3", "3"])
    assert notice.buildings == ("3", "12") and notice.kind == "water" and notice.urgent
    assert parsed(urgency="ordinary", kind="fire").kind is None  # an ordinary notice has no kind
    assert parsed(**{"for": "all"}).buildings == ()
    none, errors = notice_desk.parse_form(form(title=" ", body="x" * 1001, valid_until="2026-03-02T06:00",
                                               buildings=["13"], kind="flood"), NOW)
    assert none is None
    assert errors == ["Write a title.", "The notice is 1001 characters long; at most 1000.",
                      "“Valid until” must be after “valid from”.",
                      "Choose at least one building (1 to 12), or “all buildings”.",
                      "An urgent notice needs a kind: fire, gas, water cut, lift failure or other."]
    assert notice_desk.parse_form(form(valid_from="tomorrow"), NOW)[1] == [
        "Valid from: write a date and time like 2026-03-02 14:30."]
    assert parsed(valid_from="").valid_from == NOW  # blank: from now


def test_lists_edit_withdraw_and_what_kiosks_read(database: Database) -> None:
    with database.session() as session:
        fire = notice_desk.create_notice(session, parsed(kind="fire", **{"for": "all"}), "Duty Li", NOW)
        water = notice_desk.create_notice(session, parsed(), "Duty Li", NOW)
        later = notice_desk.create_notice(session, parsed(urgency="ordinary", valid_from="2026-03-03T08:00",
                                                          valid_until=""), "Duty Li", NOW)
        session.add(models.Announcement(title="Seeded", body="A standing reminder.", valid_from=NOW - timedelta(days=3),
                                        valid_until=None))
        session.commit()
        lists = notice_desk.notice_lists(session, NOW)
        assert [r.id for r in lists["current"]][:2] == [water, fire]  # urgent first, newest first
        assert [r.title for r in lists["current"]][2] == "Seeded"
        assert [r.id for r in lists["upcoming"]] == [later] and lists["past"] == []
        assert {b.id for b in notice_desk.active_broadcasts(session, NOW)} == {fire, water}
        assert [b.id for b in notice_desk.active_broadcasts(session, NOW, ["7"])] == [fire]  # water is for 3 only
        assert [b.safety for b in notice_desk.active_broadcasts(session, NOW, ["3"])] == [True, False]
        heard = {a.id for a in notice_desk.current_announcements(session, NOW, ["7"])}
        assert water not in heard and fire in heard
        assert water in {a.id for a in notice_desk.current_announcements(session, NOW)}

        notice_desk.update_notice(session, water, parsed(body="No water from 9 to 1 pm today."), "Admin Wang", NOW)
        session.commit()
        record = notice_desk.notice_record(session, water, NOW)
        assert (record.revision, record.updated_by, record.body) == (2, "Admin Wang", "No water from 9 to 1 pm today.")

        notice_desk.withdraw_notice(session, water, "Admin Wang", NOW)
        notice_desk.withdraw_notice(session, later, "Admin Wang", NOW)  # upcoming: it never starts
        session.commit()
        assert notice_desk.notice_record(session, water, NOW).state == "past"
        assert notice_desk.notice_record(session, later, NOW).state == "past"
        assert [b.id for b in notice_desk.active_broadcasts(session, NOW)] == [fire]
        assert water not in {a.id for a in notice_desk.current_announcements(session, NOW)}
        with pytest.raises(NotAllowed):
            notice_desk.withdraw_notice(session, water, "Admin Wang", NOW)
        with pytest.raises(NotAllowed):
            notice_desk.update_notice(session, water, parsed(), "Admin Wang", NOW)


def test_a_receipt_is_stored_once(database: Database) -> None:
    with database.session() as session:
        fire = notice_desk.create_notice(session, parsed(kind="fire"), "Duty Li", NOW)
        session.commit()
        shown = ReceiptIn(kiosk_id="kiosk-a", revision=1, shown_at=NOW + timedelta(seconds=2))
        first, new = notice_desk.record_receipt(session, fire, shown, NOW + timedelta(seconds=3))
        again, new_again = notice_desk.record_receipt(session, fire, shown.model_copy(
            update={"shown_at": NOW + timedelta(seconds=9)}), NOW + timedelta(seconds=10))
        assert new and not new_again and again == first
        assert session.scalars(select(models.NoticeReceipt)).all().__len__() == 1
        record = notice_desk.notice_record(session, fire, NOW)
        rows = notice_desk.kiosks_shown(session, record, {"kiosk-b": ("7",)})
        assert [(r.kiosk_id, r.shown_at, r.concerned) for r in rows] == [("kiosk-a", NOW + timedelta(seconds=2), None)]


# --- the API and the typed client ---


def _write(live: Any, **changes: Any) -> int:
    database = Database(f"sqlite:///{live.db_path}")
    try:
        with database.session() as session:
            notice_id = notice_desk.create_notice(session, parsed(**changes), "Duty Li", NOW)
            session.commit()
    finally:
        database.dispose()
    return notice_id


def test_broadcasts_and_receipts_over_the_api(live: Any, kiosk_http: httpx.Client, kiosk: ServicesClient) -> None:
    gas = _write(live, kind="gas", buildings=["9"], title="Gas leak at Building 9")
    lift = _write(live, kind="lift", **{"for": "all"}, title="Lift failure everywhere")
    mine = kiosk.list_broadcasts("kiosk-east", ["9", "10"])
    assert [(b.id, b.kind, b.safety) for b in mine] == [(gas, "gas", True), (lift, "lift", False)]
    assert [b.id for b in kiosk.list_broadcasts("kiosk-west", ["1"])] == [lift]
    assert {b.id for b in kiosk.list_broadcasts("kiosk-lobby")} >= {gas, lift}  # no building: the whole community
    assert live.server.config.app.state.kiosk_buildings["kiosk-east"] == ("9", "10")
    assert kiosk_http.get("/broadcasts", params={"building": "13"}).status_code == 422

    body = {"kiosk_id": "kiosk-east", "revision": 1, "shown_at": "2026-03-02T07:30:02"}
    first = kiosk_http.post(f"/broadcasts/{gas}/receipts", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["received_at"] == NOW.isoformat()
    again = kiosk_http.post(f"/broadcasts/{gas}/receipts", json={**body, "shown_at": "2026-03-02T07:31:00"})
    assert (again.status_code, again.json()) == (200, first.json())
    receipt = kiosk.confirm_broadcast(lift, ReceiptIn(kiosk_id="kiosk-east", shown_at=NOW))
    assert (receipt.notice_id, receipt.kiosk_id) == (lift, "kiosk-east")
    ordinary = _write(live, urgency="ordinary")
    with pytest.raises(NotFound):
        kiosk.confirm_broadcast(ordinary, ReceiptIn(kiosk_id="kiosk-east", shown_at=NOW))
    with live.http(token=live.staff_token) as staff:
        assert staff.post(f"/broadcasts/{gas}/receipts", json=body).status_code == 403


def test_announcements_respect_the_building_filter(live: Any, kiosk: ServicesClient) -> None:
    three = _write(live, urgency="ordinary", title="Painting the stairs of Building 3")
    every = {a.id for a in kiosk.list_announcements()}
    assert three in every and len(every) >= 2  # the seeded ones too
    seven = kiosk.list_announcements(["7"])
    assert three not in {a.id for a in seven} and {a.id for a in seven} < every
    got = next(a for a in kiosk.list_announcements(["3", "5"]) if a.id == three)
    assert (got.buildings, got.urgent, got.kind) == (["3"], False, None)
