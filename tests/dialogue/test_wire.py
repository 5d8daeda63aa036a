"""wire: a reply's ``custom`` payload decoded once into typed events; commands written in Rasa's syntax."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from assistant.dialogue.wire import decode_custom, intent_message, turn_metadata
from assistant.shared.events import (
    Alert,
    ConfirmEmergency,
    HandoffEnded,
    HandoffOpened,
    HandoffRelayed,
    ShowRoute,
    SpeechRate,
    StartIntent,
    navigate,
)

SHAPE = {"start": "kiosk", "goal": "community-clinic", "goal_name": "Community Clinic", "nodes": ["kiosk", "a"],
         "points": [[0.0, 0.0], [10.0, 5.0]], "length_m": 11.2, "step_free": False, "uses_stairs": True,
         "steps": [{"text": "Go out of the door.", "kind": "start", "distance_m": 0.0, "node": "kiosk"}]}


# --- what the skills and core actions really send ---------------------------------------------------------

def test_nothing_custom_is_nothing() -> None:
    assert decode_custom(None) == ()
    assert decode_custom({}) == ()


@pytest.mark.parametrize(("custom", "expected"), [
    # skills/emergency_help: sent, queued, and neither (the reference is None then)
    ({"alert": {"reference": "A1001", "queued": False, "kind": "fall"}}, Alert("A1001", queued=False, kind="fall")),
    ({"alert": {"reference": "Q00042", "queued": True, "kind": "fire"}}, Alert("Q00042", queued=True, kind="fire")),
    ({"alert": {"reference": None, "queued": False, "kind": "other"}}, Alert("", queued=True, kind="other")),
    # skills/navigate_to: a planned way, or only the place when there is no usable map
    ({"route": {**SHAPE, "to": "community-clinic", "guide_url": "http://box/guide?sig=x"}},
     ShowRoute("community-clinic", shape=SHAPE, guide_url="http://box/guide?sig=x")),
    ({"route": {"to": "community-clinic"}}, ShowRoute("community-clinic")),
    # core action_speak_slower
    ({"speech_rate": "slower"}, SpeechRate("slower")),
    # assistant/dialogue/handoff_actions.py: a live conversation with a person opened, and ended
    ({"handoff": {"reference": "F1003"}}, HandoffOpened("F1003")),
    ({"handoff_ended": {"reference": "F1003", "by": "staff"}}, HandoffEnded("F1003", "staff")),
    ({"handoff_ended": {"reference": "F1003", "by": "resident"}}, HandoffEnded("F1003", "resident")),
    ({"handoff_ended": {"reference": "F1003", "by": "martians"}}, HandoffEnded("F1003", "resident")),
    ({"handoff_relayed": {"reference": "F1003"}}, HandoffRelayed("F1003")),
    # skills/emergency_help's utter_confirm_emergency: "Do you need help right now?"
    ({"confirm_emergency": {"timeout": 15}}, ConfirmEmergency(timeout=15.0)),
], ids=["alert-sent", "alert-queued", "alert-lost", "route", "route-place-only", "slower", "handoff-opened",
        "handoff-ended-by-staff", "handoff-ended-by-resident", "handoff-ended-unreadable-by", "handoff-relayed",
        "confirm-emergency"])
def test_what_the_actions_send(custom: dict[str, Any], expected: object) -> None:
    assert decode_custom(custom) == (expected,)
    assert decode_custom(json.loads(json.dumps(custom))) == (expected,)  # as it arrives over HTTP


def test_several_kinds_in_one_payload_keep_their_order() -> None:
    decoded = decode_custom({"speech_rate": "slower", "route": {"to": "library"}})
    assert decoded == (SpeechRate(), ShowRoute("library"))


# --- one rule for an alert: never dropped, never claimed safe without a reference ---------------------------

@pytest.mark.parametrize("alert", [
    {"reference": None, "queued": False},
    {"queued": True},
    {"reference": "", "queued": False},
    {"reference": "   ", "queued": False},
    {"reference": 1001, "queued": False},
    {},
    None,
    "A1001",
    ["A1001"],
])
def test_an_alert_without_a_readable_reference_is_not_safe(alert: object, caplog: pytest.LogCaptureFixture) -> None:
    [decoded] = decode_custom({"alert": alert})
    assert decoded == Alert("", queued=True) and not decoded.stored


def test_an_alert_whose_queued_flag_is_unreadable_is_queued() -> None:
    """Only an explicit ``False`` says the staff have it; anything else is the weaker claim."""
    assert decode_custom({"alert": {"reference": "Q1"}}) == (Alert("Q1", queued=True),)
    assert decode_custom({"alert": {"reference": "Q1", "queued": "no"}}) == (Alert("Q1", queued=True),)
    assert decode_custom({"alert": {"reference": "A1", "queued": False, "kind": 3}}) == (Alert("A1", False),)


# --- anything else malformed is logged and left out; the words still reach the resident --------------------

@pytest.mark.parametrize("custom", [
    "slower",
    ["route"],
    42,
    {"speech_rate": "faster"},
    {"speech_rate": None},
    {"speech_rate": {"change": "slower"}},
    {"route": "library"},
    {"route": None},
    {"route": {}},
    {"route": {"to": ""}},
    {"route": {"to": 7}},
    {"confetti": True},
    {"handoff": {}},
    {"handoff": {"reference": " "}},
    {"handoff": "F1003"},
    {"handoff_ended": {"by": "staff"}},
    {"handoff_ended": None},
    {"handoff_relayed": "F1003"},
    {7: "seven"},
], ids=repr)
def test_malformed_or_unknown_payloads_are_logged_and_ignored(custom: object,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="assistant.dialogue.wire"):
        assert decode_custom(custom) == ()
    assert caplog.records, "the admin can see what was dropped"


def test_a_bad_part_does_not_drop_the_good_ones() -> None:
    assert decode_custom({"confetti": 1, "route": 5, "alert": {"reference": "A1", "queued": False}}) == (
        Alert("A1", queued=False),)


def test_a_route_with_an_unreadable_guide_link_keeps_the_way() -> None:
    assert decode_custom({"route": {"to": "library", "guide_url": 5}}) == (ShowRoute("library"),)


def test_the_route_shape_is_passed_on_without_the_envelope() -> None:
    [route] = decode_custom({"route": {**SHAPE, "to": "community-clinic"}})
    assert isinstance(route, ShowRoute) and route.shape == SHAPE and route.guide_url == ""


# --- commands out --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("command", "text"), [
    (StartIntent("report_repair"), "/report_repair"),
    (StartIntent("navigate_to"), "/navigate_to"),
    (navigate("community-clinic"), '/navigate_to{"facility": "community-clinic"}'),
    (navigate("central-garden", step_free=True), '/navigate_to{"facility": "central-garden", "access": "step-free"}'),
    (StartIntent("knowledge_confirm", {"knowledge_entry": "垃圾"}),
     '/knowledge_confirm{"knowledge_entry": "\\u5783\\u573e"}'),
])
def test_commands_in_rasas_intent_syntax(command: StartIntent, text: str) -> None:
    assert intent_message(command) == text
    assert intent_message(command.intent, command.entities) == text


def test_entity_values_are_json_so_quotes_cannot_break_out() -> None:
    text = intent_message(navigate('a"}, "access": "step-free'))
    assert json.loads(text.removeprefix("/navigate_to")) == {"facility": 'a"}, "access": "step-free'}


@pytest.mark.parametrize("intent", ["", "/help", "navigate to", 'x{"a": 1}', "help\n"])
def test_a_name_rasa_would_not_read_as_an_intent_is_refused(intent: str) -> None:
    with pytest.raises(ValueError, match="not an intent name"):
        intent_message(intent)


@pytest.mark.parametrize("value", [None, {}, {"timeout": "soon"}, {"timeout": 0}, {"timeout": -3}, {"timeout": True},
                                   {"timeout": 10_000}, "15"])
def test_an_emergency_question_is_never_dropped_for_its_timeout(value: object,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """A question without a working timer would leave a resident who cannot answer without help."""
    with caplog.at_level(logging.ERROR):
        assert decode_custom({"confirm_emergency": value}) == (ConfirmEmergency(timeout=15.0),)
    assert "timeout" in caplog.text


# --- a turn's metadata ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("metadata", "locale", "expected"), [
    ({"source": "voice"}, "zh-CN", {"source": "voice", "locale": "zh-CN"}),
    (None, "en", {"locale": "en"}),
    ({"source": "text"}, None, {"source": "text"}),  # no language chosen yet: Rasa goes by the script
    ({"source": "text", "locale": "en"}, "zh-CN", {"source": "text", "locale": "en"}),  # an explicit one wins
])
def test_turn_metadata_carries_the_locale(metadata: dict[str, Any] | None, locale: str | None,
                                          expected: dict[str, Any]) -> None:
    assert turn_metadata(metadata, locale) == expected


def test_turn_metadata_leaves_the_callers_dict_alone() -> None:
    # the safety net passes the same TIMEOUT_METADATA dict every time: a locale must not stick to it
    given = {"source": "system"}
    turn_metadata(given, "zh-CN")
    assert given == {"source": "system"}
