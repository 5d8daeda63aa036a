"""Kiosk heartbeats: the API (upsert, validation, kiosk token only), the typed client and ``kiosk_list``'s flags."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from community_services import kiosk_health, models
from community_services.client import ServicesClient, ServicesRejected
from community_services.db import Database
from community_services.schemas import KioskHeartbeatIn

NOW = datetime(2026, 3, 2, 7, 30)  # the test server's fixed clock


def beat(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"location": "North Gate lobby", "model": "20260301-120000-warm-tree.tar.gz",
                            "outbox_backlog": 2, "outbox_refused": 0}
    body.update(overrides)
    return body


def test_a_heartbeat_is_stored_once_per_kiosk_with_the_office_time(kiosk_http: httpx.Client) -> None:
    first = kiosk_http.put("/kiosks/kiosk-upsert/heartbeat", json=beat())
    assert first.status_code == 200, first.text
    assert first.json()["last_seen"] == NOW.isoformat()
    second = kiosk_http.put("/kiosks/kiosk-upsert/heartbeat", json=beat(outbox_backlog=0, outbox_refused=3,
                                                                          model="  ", location="  East gate "))
    assert second.status_code == 200, second.text
    got = second.json()
    assert (got["kiosk_id"], got["location"], got["model"], got["outbox_backlog"], got["outbox_refused"]) == (
        "kiosk-upsert", "East gate", None, 0, 3)


def test_only_a_kiosk_token_may_send_a_heartbeat(live: Any) -> None:
    with live.http(token=live.staff_token) as staff:
        assert staff.put("/kiosks/k1/heartbeat", json=beat()).status_code == 403
    with live.http(token=None) as nobody:
        assert nobody.put("/kiosks/k1/heartbeat", json=beat()).status_code == 401
    with live.http(token="wrong") as wrong:
        assert wrong.put("/kiosks/k1/heartbeat", json=beat()).status_code == 401


@pytest.mark.parametrize("body", [
    beat(location=""),
    beat(location="x" * 201),
    beat(model="m" * 201),
    beat(outbox_backlog=-1),
    beat(outbox_refused=1_000_001),
    beat(outbox_backlog="many"),
    {"location": "lobby"},
])
def test_a_bad_heartbeat_is_refused(kiosk_http: httpx.Client, body: dict[str, Any]) -> None:
    assert kiosk_http.put("/kiosks/k-bad/heartbeat", json=body).status_code == 422


@pytest.mark.parametrize("kiosk_id", ["k" * 101, " padded", "tab%09in"])
def test_a_bad_kiosk_name_is_refused(kiosk_http: httpx.Client, kiosk_id: str) -> None:
    assert kiosk_http.put(f"/kiosks/{kiosk_id}/heartbeat", json=beat()).status_code == 422


def test_the_typed_client_sends_a_heartbeat(kiosk: ServicesClient, staff: ServicesClient) -> None:
    got = kiosk.send_heartbeat("kiosk 东门", KioskHeartbeatIn.model_validate(beat(outbox_refused=1)))
    assert (got.kiosk_id, got.outbox_refused, got.last_seen) == ("kiosk 东门", 1, NOW)
    with pytest.raises(ServicesRejected) as refused:
        staff.send_heartbeat("kiosk 东门", KioskHeartbeatIn.model_validate(beat()))
    assert refused.value.status == 403


# --- kiosk_list -------------------------------------------------------------------------------------


@pytest.fixture
def session(tmp_path: Any) -> Any:
    database = Database(f"sqlite:///{tmp_path / 'k.db'}")
    database.create_schema()
    with database.session() as s:
        yield s
    database.dispose()


def _store(session: Session, kiosk_id: str, at: datetime, refused: int = 0) -> None:
    kiosk_health.record_heartbeat(session, kiosk_id, KioskHeartbeatIn.model_validate(beat(outbox_refused=refused)),
                                  at)


def test_kiosk_list_flags_silent_kiosks_and_refused_items(session: Session) -> None:
    _store(session, "b-fine", NOW - timedelta(seconds=30))
    _store(session, "c-edge", NOW - timedelta(minutes=2))  # exactly 2 minutes: not yet "over 2 minutes"
    _store(session, "a-silent", NOW - timedelta(minutes=7, seconds=5))
    _store(session, "d-refused", NOW, refused=2)
    rows = {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, NOW)}
    assert [k.kiosk_id for k in kiosk_health.kiosk_list(session, NOW)] == ["a-silent", "d-refused", "b-fine", "c-edge"]
    assert (rows["a-silent"].silent, rows["a-silent"].refused) == (True, False)
    assert rows["a-silent"].problem is not None and rows["a-silent"].problem.startswith("Silent for 7 minutes")
    assert (rows["d-refused"].silent, rows["d-refused"].refused) == (False, True)
    assert rows["d-refused"].problem is not None and "refused 2 requests" in rows["d-refused"].problem
    for name in ("b-fine", "c-edge"):
        assert (rows[name].silent, rows[name].refused, rows[name].problem, rows[name].flagged) == (
            False, False, None, False)
    later = {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, NOW + timedelta(seconds=1))}
    assert later["c-edge"].silent is True
    shorter = {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, NOW, silent_after=timedelta(seconds=10))}
    assert shorter["b-fine"].silent is True
    assert session.query(models.KioskHeartbeat).count() == 4


def test_stuck_requests_and_their_reason_travel_in_optional_fields(kiosk_http: httpx.Client, session: Session) -> None:
    old = kiosk_http.put("/kiosks/kiosk-old-release/heartbeat", json=beat())  # a kiosk that does not send them
    assert old.status_code == 200 and (old.json()["outbox_stuck"], old.json()["outbox_problem"]) == (0, None)
    new = kiosk_http.put("/kiosks/kiosk-new/heartbeat", json=beat(
        outbox_stuck=2, outbox_problem=" alert Q12345: token not accepted (401)\n"))
    assert new.status_code == 200, new.text
    assert (new.json()["outbox_stuck"], new.json()["outbox_problem"]) == (2, "alert Q12345: token not accepted (401)")
    assert kiosk_http.put("/kiosks/k/heartbeat", json=beat(outbox_problem="x" * 301)).status_code == 422
    assert kiosk_http.put("/kiosks/k/heartbeat", json=beat(outbox_stuck=-1)).status_code == 422

    kiosk_health.record_heartbeat(session, "k-stuck", KioskHeartbeatIn.model_validate(beat(
        outbox_stuck=1, outbox_refused=2, outbox_problem="ticket Q00007: token not accepted (401)")), NOW)
    _store(session, "k-fine", NOW)
    rows = {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, NOW)}
    stuck = rows["k-stuck"]
    assert (stuck.stuck, stuck.refused, stuck.flagged, stuck.outbox_stuck) == (True, True, True, 1)
    assert stuck.problem == (
        "1 request is stuck: the kiosk keeps sending, but the office answers with an error someone must fix. "
        "The office refused 2 requests from this kiosk: a resident's ticket, alert or feedback did not arrive. "
        "Latest: ticket Q00007: token not accepted (401).")
    assert (rows["k-fine"].stuck, rows["k-fine"].problem) == (False, None)
    kiosk_health.record_heartbeat(session, "k-stuck", KioskHeartbeatIn.model_validate(beat()), NOW)  # fixed
    assert {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, NOW)}["k-stuck"].flagged is False


# --- the back end's state (supervision, KioskHeartbeatIn.stack) ----------------------------------------


DEGRADED = {"state": "degraded", "parts": [
    {"name": "services", "state": "up", "restarts": 0},
    {"name": "actions", "state": "restarting", "restarts": 3, "last_exit_code": -9,
     "message": "The action server stopped (exit code -9); restarting in 4 s (restart 3)."},
    {"name": "rasa", "state": "up", "restarts": 1}]}


def test_a_degraded_back_end_is_stored_beside_the_heartbeat_and_flagged(session: Session) -> None:
    kiosk_health.record_heartbeat(session, "k-degraded", KioskHeartbeatIn.model_validate(beat(stack=DEGRADED)), NOW)
    kiosk_health.record_heartbeat(session, "k-ready", KioskHeartbeatIn.model_validate(
        beat(stack={"state": "ready", "parts": [{"name": "actions", "state": "up", "restarts": 2}]})), NOW)
    _store(session, "k-old", NOW)  # an older kiosk: no stack field at all
    rows = {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, NOW)}
    bad = rows["k-degraded"]
    assert bad.flagged and bad.degraded and bad.stack_state == "degraded"
    assert bad.problem == "Degraded: actions restarting (3 restarts)."
    assert [k.kiosk_id for k in kiosk_health.kiosk_list(session, NOW)][0] == "k-degraded"
    for name in ("k-ready", "k-old"):
        assert (rows[name].flagged, rows[name].problem) == (False, None)
    assert rows["k-old"].stack_state is None
    # a beat without the field (the supervisor is gone from this kiosk) removes what was stored
    _store(session, "k-degraded", NOW)
    assert not {k.kiosk_id: k for k in kiosk_health.kiosk_list(session, NOW)}["k-degraded"].flagged
    assert session.query(models.KioskStackHealth).count() == 1  # k-ready's only; no column on kiosk_heartbeats


def test_an_unknown_back_end_says_the_supervisor_went_quiet(session: Session) -> None:
    kiosk_health.record_heartbeat(session, "k-unknown", KioskHeartbeatIn.model_validate(
        beat(stack={"state": "unknown", "parts": []})), NOW)
    (row,) = kiosk_health.kiosk_list(session, NOW)
    assert row.flagged and row.problem is not None and "linli run" in row.problem


@pytest.mark.parametrize("stack", [{"state": "on fire"}, {"state": "ready", "parts": [{"name": ""}]},
                                   {"state": "ready", "parts": [{"name": "a", "state": "up", "restarts": -1}]}])
def test_a_bad_stack_report_is_refused(kiosk_http: httpx.Client, stack: dict[str, Any]) -> None:
    assert kiosk_http.put("/kiosks/k-bad-stack/heartbeat", json=beat(stack=stack)).status_code == 422
