"""The handoff API for the kiosk token over a real server, and the typed client the kiosk uses: open (with an
Idempotency-Key), messages after N, 409 after the end, the end (idempotent), bad input, tokens, live events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from community_services.client import HandoffEnded, ServicesClient, ServicesError, ServicesRejected
from community_services.live import LiveBroker
from community_services.schemas import HandoffCreate, HandoffEnd, HandoffMessageCreate

BODY = {"kiosk_id": "lobby-1", "location": "Service centre lobby", "said": "I want to talk to a person",
        "transcript": [{"who": "resident", "text": "My heating is broken"},
                       {"who": "assistant", "text": "I can report a repair for you."}]}


@pytest.fixture
def published(live: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every event the server publishes during the test, in order."""
    broker: LiveBroker = live.server.config.app.state.live
    seen: list[tuple[str, dict[str, Any]]] = []
    original = broker.publish

    def record(type_: str, data: dict[str, Any]) -> Any:
        seen.append((type_, data))
        return original(type_, data)

    monkeypatch.setattr(broker, "publish", record)
    yield seen


def _open(kiosk: ServicesClient, **overrides: Any) -> Any:
    return kiosk.open_handoff(HandoffCreate.model_validate({**BODY, **overrides}))


def test_open_then_poll_after_n_through_the_client(kiosk: ServicesClient, published: list[Any]) -> None:
    view = _open(kiosk)
    assert view.reference.startswith("F") and view.status == "waiting"
    assert (view.kiosk_id, view.location, view.said, view.staff_name) == ("lobby-1", "Service centre lobby", "",
                                                                         None)  # a create answers a kiosk wordless
    view = kiosk.get_handoff(view.reference)
    assert view is not None and view.said == "I want to talk to a person"
    assert [(m.sender, m.text) for m in view.messages] == [("resident", "My heating is broken"),
                                                           ("assistant", "I can report a repair for you.")]
    raised = [data for kind, data in published if kind == "handoff.raised"]
    assert len(raised) == 1
    assert raised[0]["reference"] == view.reference and raised[0]["kiosk_id"] == "lobby-1"
    assert raised[0]["location"] == "Service centre lobby" and raised[0]["conversation"] == "waiting"
    last = view.messages[-1].id
    assert kiosk.get_handoff(view.reference, after=last).messages == []  # type: ignore[union-attr]
    said = kiosk.add_handoff_message(view.reference, HandoffMessageCreate(text="Hello? <b>anyone</b>",
                                                                          via="spoken"))
    assert (said.sender, said.text, said.via) == ("resident", "Hello? <b>anyone</b>", "spoken")
    newer = kiosk.get_handoff(view.reference, after=last)
    assert newer is not None and [m.id for m in newer.messages] == [said.id]
    everything = kiosk.get_handoff(view.reference)
    assert everything is not None and len(everything.messages) == 3
    message_events = [data for kind, data in published if kind == "handoff.message"]
    assert message_events[-1]["reference"] == view.reference
    assert message_events[-1]["message"]["text"] == "Hello? <b>anyone</b>"


def test_the_same_idempotency_key_opens_one_handoff(kiosk: ServicesClient, published: list[Any]) -> None:
    key = str(uuid.uuid4())
    first = kiosk.open_handoff(HandoffCreate.model_validate(BODY), idempotency_key=key)
    again = kiosk.open_handoff(HandoffCreate.model_validate(BODY), idempotency_key=key)
    assert first.reference == again.reference
    assert [kind for kind, _ in published].count("handoff.raised") == 1


def test_end_is_idempotent_and_a_message_after_it_is_409(kiosk: ServicesClient, published: list[Any]) -> None:
    view = _open(kiosk)
    ended = kiosk.end_handoff(view.reference, HandoffEnd(reason="resident"))
    again = kiosk.end_handoff(view.reference, HandoffEnd(reason="resident_left"))
    assert (ended.status, ended.ended_reason) == ("ended", "resident")
    assert (again.status, again.ended_reason, again.ended_at) == ("ended", "resident", ended.ended_at)
    assert [kind for kind, _ in published].count("handoff.ended") == 1
    ended_event = next(data for kind, data in published if kind == "handoff.ended")
    assert ended_event["ended_reason"] == "resident"
    assert ended_event["status_line"] == "The resident went back to the assistant."
    with pytest.raises(ServicesError) as refused:
        kiosk.add_handoff_message(view.reference, HandoffMessageCreate(text="one more thing"))
    assert refused.value.status == 409
    assert isinstance(refused.value, HandoffEnded) and isinstance(refused.value, ServicesRejected)
    assert "ended" in refused.value.message


def test_unknown_references(kiosk: ServicesClient, kiosk_http: httpx.Client) -> None:
    assert kiosk.get_handoff("F99999") is None
    assert kiosk.get_handoff("  ") is None
    for method, path, body in (("GET", "/handoffs/F99999", None),
                               ("POST", "/handoffs/F99999/messages", {"text": "hi"}),
                               ("POST", "/handoffs/F99999/end", {"reason": "resident"})):
        response = kiosk_http.request(method, path, json=body)
        assert response.status_code == 404
        assert response.json() == {"detail": "There is no live conversation with that reference."}
    # a handoff sent through the outbox as plain feedback has no live conversation
    plain = kiosk_http.post("/feedback", json={"text": "I want to talk to a person", "category": "handoff"})
    assert kiosk_http.get(f"/handoffs/{plain.json()['reference']}").status_code == 404


@pytest.mark.parametrize("body", [
    {},
    {"kiosk_id": "lobby-1", "location": "   ", "said": "hi"},
    {**BODY, "transcript": [{"who": "staff", "text": "I am staff"}]},
    {**BODY, "transcript": [{"who": "resident", "text": "x" * 1001}]},
    {**BODY, "transcript": [{"who": "resident", "text": "hi"}] * 61},
    {**BODY, "transcript": "not a list"},
    {**BODY, "said": "x" * 2001},
])
def test_bad_open_is_422(kiosk_http: httpx.Client, body: dict[str, Any]) -> None:
    response = kiosk_http.post("/handoffs", json=body)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()


def test_bad_message_end_and_after_are_422(kiosk: ServicesClient, kiosk_http: httpx.Client) -> None:
    reference = _open(kiosk).reference
    for body in ({}, {"text": ""}, {"text": " \n "}, {"text": "x" * 1001}, {"text": "hi", "via": "shouted"}):
        assert kiosk_http.post(f"/handoffs/{reference}/messages", json=body).status_code == 422, body
    for body in ({}, {"reason": "staff"}, {"reason": "bored"}):  # staff end in the console
        assert kiosk_http.post(f"/handoffs/{reference}/end", json=body).status_code == 422, body
    for after in ("-1", "x", "1e3"):
        assert kiosk_http.get(f"/handoffs/{reference}", params={"after": after}).status_code == 422
    too_long = kiosk_http.get("/handoffs/" + "F" * 30)
    assert too_long.status_code == 422
    assert kiosk_http.post("/handoffs", content=b"{not json", headers={"Content-Type": "application/json"}
                           ).status_code == 422


def test_tokens(live: Any, kiosk: ServicesClient) -> None:
    reference = _open(kiosk).reference
    routes = (("POST", "/handoffs", BODY), ("GET", f"/handoffs/{reference}", None),
              ("POST", f"/handoffs/{reference}/messages", {"text": "hi"}),
              ("POST", f"/handoffs/{reference}/end", {"reason": "resident"}))
    with live.http(None) as anonymous, live.http(live.staff_token) as staff, live.http("wrong") as wrong:
        for method, path, body in routes:
            assert anonymous.request(method, path, json=body).status_code == 401
            assert wrong.request(method, path, json=body).status_code == 401
            assert staff.request(method, path, json=body).status_code == 403  # staff talk in the console


def test_the_old_path_still_puts_a_handoff_on_the_board(kiosk_http: httpx.Client, published: list[Any]) -> None:
    response = kiosk_http.post("/feedback", json={"text": "Please call me", "category": "handoff"},
                               headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201
    raised = [data for kind, data in published if kind == "handoff.raised"]
    assert raised and raised[-1]["reference"] == response.json()["reference"]
    assert (raised[-1]["conversation"], raised[-1]["href"], raised[-1]["details"]) == ("", "", "Please call me")


def test_the_body_limit_bounds_the_transcript(kiosk_http: httpx.Client) -> None:
    """60 lines of 1000 ASCII characters fit in 64 KiB; 60 lines of 1000 Chinese characters do not (413: the
    kiosk must send only the latest lines that fit)."""
    ascii_lines = [{"who": "resident", "text": "a" * 1000}] * 60
    assert kiosk_http.post("/handoffs", json={**BODY, "transcript": ascii_lines}).status_code == 201
    chinese_lines = [{"who": "resident", "text": "请" * 1000}] * 60
    assert kiosk_http.post("/handoffs", json={**BODY, "transcript": chinese_lines}).status_code == 413
