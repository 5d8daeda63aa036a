"""events: frozen typed messages that round-trip through plain dicts (and JSON)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from assistant.shared.events import (
    EVENT_TYPES,
    Alert,
    Button,
    ConfirmEmergency,
    Error,
    Event,
    HandoffEnded,
    HandoffJoined,
    HandoffMessage,
    HandoffOpened,
    HandoffRelayed,
    HelpComing,
    Reply,
    ShowRoute,
    Speak,
    SpeechRate,
    StartIntent,
    Transcript,
    UrgentNotice,
    UrgentNoticeEnded,
    UserText,
    VoiceState,
    event_from_dict,
    navigate,
)

ROUTE = ShowRoute(to="community-clinic", shape={"start": "kiosk", "points": [[1.0, 2.0]], "steps": []},
                  guide_url="http://box/guide/sunny-garden?to=community-clinic&sig=x")

SAMPLES: list[Event] = [
    UserText(sender_id="kiosk-1", text="my tap is leaking"),
    UserText(sender_id="kiosk-1", text="/affirm", source="button"),
    UserText(sender_id="kiosk-1", text="/report_repair", source="button", shown="Report a repair"),
    UserText(sender_id="v", text="你好", source="voice"),
    Transcript(text="my tap is", final=False),
    Transcript(text="my tap is leaking", final=True),
    Reply(text="Where is the leak?"),
    UserText(sender_id="kiosk-1", text='/navigate_to{"facility": "clinic"}', source="button", shown="Way to clinic"),
    StartIntent(intent="report_repair"),
    StartIntent(intent="navigate_to", entities={"facility": "clinic", "access": "step-free"}),
    Reply(text="Did you mean…?", buttons=(Button("Report a repair", "/report_repair"), Button("No", "/deny")),
          data=(SpeechRate("slower"),)),
    Reply(text="The way", data=(ROUTE, Alert(reference="", queued=True, kind="fall"))),
    ShowRoute(to="community-clinic"),
    ROUTE,
    SpeechRate(),
    Speak(text="Hello"),
    Speak(text="Hello", rate=120),
    Alert(reference="A1001", queued=False),
    Alert(reference="Q00042", queued=True),
    Alert(reference="A1002", queued=False, kind="fire"),
    ConfirmEmergency(timeout=15.0),
    ConfirmEmergency(timeout=1.0, local=True, details="I feel dizzy", kind="medical"),
    Reply(text="Do you need help right now?", data=(ConfirmEmergency(),)),
    HelpComing(reference="H1007", staff_name="Wang Fang"),
    HelpComing(reference="H1008", staff_name="[b]王芳[/b] {name}"),
    UrgentNotice(notice_id=7, revision=2, title="Fire in Building 3", body="Leave calmly.", kind="fire", safety=True),
    UrgentNotice(notice_id=8, revision=1, title="停水 [b]", body="{x}", kind="water"),
    UrgentNoticeEnded(notice_id=7),
    Error(code="dialogue_unavailable", message="Please try again in a minute."),
    VoiceState(state="listening"),
    VoiceState(state="unavailable", detail="No microphone was found."),
    HandoffOpened(reference="F1003"),
    HandoffJoined(reference="F1003", staff_name="Li Wei"),
    HandoffMessage(reference="F1003", staff_name="Li Wei", text="I am coming down <b>now</b>."),
    HandoffEnded(reference="F1003", by="staff", staff_name="Li Wei"),
    HandoffEnded(reference="F1003", by="resident_left"),
    Reply(text="", data=(HandoffRelayed(reference="F1003"),)),
    HandoffRelayed(reference="F1003"),
    Reply(text="You are back.", data=(HandoffEnded(reference="F1003", by="resident"),)),
]


def test_every_event_type_is_sampled() -> None:
    assert {type(e) for e in SAMPLES} == set(EVENT_TYPES.values())
    assert set(EVENT_TYPES) == {"user_text", "start_intent", "transcript", "reply", "show_route", "speech_rate",
                                "speak", "alert", "confirm_emergency", "help_coming", "error", "voice_state",
                                "handoff_opened", "handoff_joined", "handoff_message", "handoff_relayed",
                                "handoff_ended", "urgent_notice", "urgent_notice_ended"}


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type}")
def test_round_trip_through_dict(event: Event) -> None:
    data = event.to_dict()
    assert data["type"] == event.type
    assert event_from_dict(data) == event


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type}")
def test_round_trip_through_json(event: Event) -> None:
    data = json.loads(json.dumps(event.to_dict(), ensure_ascii=False))
    assert event_from_dict(data) == event


def test_reply_dict_shape() -> None:
    reply = Reply(text="Pick one", buttons=(Button("Yes", "/affirm"),))
    assert reply.to_dict() == {"type": "reply", "text": "Pick one",
                               "buttons": ({"title": "Yes", "payload": "/affirm"},), "data": ()}
    rebuilt = event_from_dict(json.loads(json.dumps(reply.to_dict())))
    assert isinstance(rebuilt, Reply)
    assert isinstance(rebuilt.buttons, tuple) and isinstance(rebuilt.buttons[0], Button)


def test_reply_data_travels_as_tagged_events() -> None:
    reply = Reply(text="", data=(SpeechRate(), Alert("A1", queued=False)))
    assert reply.to_dict()["data"] == ({"type": "speech_rate", "change": "slower"},
                                       {"type": "alert", "reference": "A1", "queued": False, "kind": ""})
    rebuilt = event_from_dict(json.loads(json.dumps(reply.to_dict())))
    assert isinstance(rebuilt, Reply) and rebuilt.data == reply.data


def test_a_reply_carries_only_reply_data() -> None:
    with pytest.raises(ValueError, match="carries only"):
        event_from_dict({"type": "reply", "text": "x", "data": [{"type": "speak", "text": "hi"}]})


def test_an_alert_without_a_reference_is_not_stored() -> None:
    assert Alert("A1", queued=False).stored and Alert("Q1", queued=True).stored
    assert not Alert("", queued=True).stored


def test_navigate_is_a_start_intent() -> None:
    assert navigate("clinic") == StartIntent("navigate_to", {"facility": "clinic"})
    assert navigate("clinic", step_free=True) == StartIntent("navigate_to", {"facility": "clinic",
                                                                            "access": "step-free"})


def test_defaults() -> None:
    assert UserText(sender_id="s", text="t").source == "text"
    reply = Reply(text="x")
    assert reply.buttons == () and reply.data == ()
    assert StartIntent("help").entities == {}
    assert StartIntent("help").entities is not StartIntent("greet").entities  # no shared mutable default


def test_events_are_frozen() -> None:
    event = UserText(sender_id="s", text="t")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.text = "changed"  # type: ignore[misc]


def test_type_is_a_class_tag_not_a_field() -> None:
    assert "type" not in {f.name for f in dataclasses.fields(Reply)}
    assert Reply.type == "reply"


@pytest.mark.parametrize("data", [
    {"type": "nope", "text": "x"},
    {"text": "no type"},
    {"type": None},
    {"type": 3},
    {"type": "event"},
    {},
])
def test_unknown_type_is_a_value_error(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        event_from_dict(data)


def test_extra_keys_are_ignored() -> None:
    event = event_from_dict({"type": "speak", "text": "hi", "volume": 11})
    assert event == Speak(text="hi")


def test_missing_required_field_fails() -> None:
    with pytest.raises(TypeError):
        event_from_dict({"type": "alert", "reference": "A1"})


def test_help_coming_is_not_reply_data() -> None:
    """Who is coming comes from the office (the kiosk's watch), never from the dialogue's replies."""
    with pytest.raises(ValueError):
        event_from_dict({"type": "reply", "text": "x", "data": [HelpComing("H1", "Li").to_dict()]})
