"""emergency_help: the alert is raised at once, with the kiosk's location, and never fails the resident."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import message_tracker, perform, unreachable_services

from assistant.shared.config import Settings
from assistant.skill_runtime import context
from skills.emergency_help.actions import MAX_DETAILS, ActionRaiseEmergency, details_from, guess_kind

BAD_INPUTS = ["", "   ", "x" * 20_000, "😀🙏🎉", "\x00\x07\x1b[2J help", "\u202e\u2066 help", "/emergency_help"]


def run(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    events, dispatcher = perform(ActionRaiseEmergency(), message_tracker(text, "emergency_help"), {})
    assert events == []
    # the responses named, in order (the words are in skill.yml and locale/zh-CN.yml)
    names = [m["response"] for m in dispatcher.messages if m.get("response")]
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert not [m for m in dispatcher.messages if m.get("text")], "no sentence is written in Python"
    return names, customs


def staff_alerts(services_server: Any) -> list[dict[str, Any]]:
    with services_server.staff() as staff:
        return list(staff._request("GET", "/alerts").json())


@pytest.fixture
def services_down(tmp_path: Path) -> Iterator[context.SkillContext]:
    """Services unreachable, with this kiosk's own id and location."""
    with unreachable_services(tmp_path, Settings(kiosk_id="kiosk-7", kiosk_location="Lobby of the Service Centre")
                              ) as ctx:
        yield ctx


@pytest.mark.parametrize(("text", "kind"), [
    ("I fell and cannot get up", "fall"),
    ("I slipped in the shower and it hurts", "fall"),
    ("my husband collapsed", "medical"),
    ("chest pain", "medical"),
    ("I can't breathe", "medical"),
    ("call an ambulance", "medical"),
    ("there is a fire in the kitchen", "fire"),
    ("I can smell smoke, something is burning", "fire"),
    ("help help", "other"),
    ("please call the police, someone is breaking in", "other"),
    ("", "other"),
    ("我摔倒了起不来", "fall"),
    ("我在卫生间滑倒了，腰疼", "fall"),
    ("我老伴晕倒了", "medical"),
    ("快叫救护车", "medical"),
    ("我胸口疼得厉害", "medical"),
    ("隔壁着火了，全是烟", "fire"),
    ("救命", "other"),
    ("快叫救護車", "medical"),
    ("家裡著火了", "fire"),
])
def test_kind_is_guessed_from_the_residents_words(text: str, kind: str) -> None:
    assert guess_kind(text) == kind


def test_details_are_tidied_and_cut_to_500_characters() -> None:
    assert details_from("/emergency_help") == "The emergency button was pressed at the kiosk."
    assert details_from("") == "The resident asked for emergency help at the kiosk."
    assert details_from("\x00\x07") == "The resident asked for emergency help at the kiosk."
    assert len(details_from("help " * 5000)) == MAX_DETAILS
    assert details_from("  I   fell\n down ") == "I fell down"


def test_alert_is_raised_with_the_kiosk_location(skill_context: context.SkillContext, services_server: Any) -> None:
    names, customs = run("I fell and cannot get up")
    assert names == ["utter_alert_sent", "utter_stay_where_you_are", "utter_phone_advice"]
    assert len(customs) == 1
    alert = customs[0]["alert"]
    assert alert["queued"] is False
    assert re.fullmatch(r"H[2-9A-HJ-NP-Z]{8}", alert["reference"])

    stored = next(a for a in staff_alerts(services_server) if a["reference"] == alert["reference"])
    assert stored["kind"] == "fall"
    assert stored["location"] == skill_context.settings.kiosk_location
    assert stored["kiosk_id"] == skill_context.settings.kiosk_id
    assert stored["details"] == "I fell and cannot get up"


def test_fire_gets_the_fire_advice(skill_context: context.SkillContext) -> None:
    names, customs = run("there is smoke and fire in the stairwell")
    assert names == ["utter_alert_sent", "utter_fire_advice"]
    assert customs[0]["alert"]["kind"] == "fire"


@pytest.mark.parametrize(("text", "kind"), [
    ("我摔倒了起不来", "fall"), ("救命", "other"), ("快叫救护车", "medical"), ("我老伴晕倒了", "medical"),
    ("楼道里着火了", "fire"),
])
def test_a_clear_emergency_in_chinese_raises_the_alert_at_once(text: str, kind: str,
                                                               skill_context: context.SkillContext,
                                                               services_server: Any) -> None:
    names, customs = run(text)
    assert names[0] == "utter_alert_sent"
    assert customs[0]["alert"]["kind"] == kind
    stored = next(a for a in staff_alerts(services_server) if a["reference"] == customs[0]["alert"]["reference"])
    assert stored["details"] == text


def test_feeling_unwell_in_chinese_is_asked_about(skill_context: context.SkillContext) -> None:
    events, dispatcher = perform(ActionRaiseEmergency(), message_tracker("我有点不舒服", "emergency_help"), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_confirm_emergency"]


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_bad_input_still_raises_the_alert(text: str, skill_context: context.SkillContext,
                                          services_server: Any) -> None:
    """Odd words the model took for an emergency are asked about (two keys); yes (or silence) then raises the
    alert with the words cleaned."""
    events, dispatcher = perform(ActionRaiseEmergency(), message_tracker(text, "emergency_help"), {})
    said = [m.get("response") for m in dispatcher.messages if m.get("response")]
    if text.startswith("/") or not text:  # a button (or nothing at all): no words to weigh
        assert said[0] == "utter_alert_sent"
    else:
        assert said == ["utter_confirm_emergency"]
    events, dispatcher = perform(ActionRaiseEmergency(), confirm_tracker(text), {})
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert dispatcher.messages[0]["response"] == "utter_alert_sent"
    reference = customs[0]["alert"]["reference"]
    stored = next(a for a in staff_alerts(services_server) if a["reference"] == reference)
    assert 0 < len(stored["details"]) <= MAX_DETAILS
    assert "\x00" not in stored["details"] and "\u202e" not in stored["details"]


def test_services_down_queues_the_alert_and_still_says_help_is_called(services_down: context.SkillContext) -> None:
    names, customs = run("my husband collapsed")
    assert names == ["utter_alert_queued", "utter_stay_where_you_are", "utter_phone_advice", "utter_police_office"]
    alert = customs[0]["alert"]
    assert alert["queued"] is True
    assert re.fullmatch(r"Q\d{5}", alert["reference"])
    pending = services_down.outbox.items("pending")
    assert [(i.kind, i.payload["kind"], i.payload["location"], i.payload["kiosk_id"]) for i in pending] == [
        ("alert", "medical", "Lobby of the Service Centre", "kiosk-7")]


def test_no_context_at_all_still_tells_the_resident_what_to_do() -> None:
    context.configure(None)
    names, customs = run("help help")
    assert names == ["utter_alert_not_sent", "utter_police_office", "utter_phone_advice"]
    assert customs[0]["alert"] == {"reference": None, "queued": False, "kind": "other"}


def confirm_tracker(earlier: str, metadata: dict[str, Any] | None = None, *, answer: str = "/emergency_confirmed",
                    intent: str = "emergency_confirmed", asked: dict[str, Any] | None = None) -> Any:
    """The resident said ``earlier``, Linli asked the question (``asked``: the bot event), the resident answered."""
    from rasa_sdk import Tracker

    message = {"text": answer, "intent": {"name": intent, "confidence": 1.0},
               "entities": [], "metadata": metadata or {}}
    question = asked or {"event": "bot", "text": "您现在需要帮助吗？",
                         "metadata": {"utter_action": "utter_confirm_emergency"}}
    events = [{"event": "user", "text": earlier}, question, {"event": "user", "text": answer}]
    return Tracker("tester", {}, message, events, False, None, {}, "action_listen")


@pytest.mark.parametrize("asked", [
    {"event": "bot", "text": "您现在需要帮助吗？", "metadata": {"utter_action": "utter_confirm_emergency"}},
    {"event": "bot", "text": "Do you need help right now?",
     "data": {"buttons": [{"title": "Yes, send help", "payload": "/emergency_confirmed"}]}},
])
def test_a_plain_yes_to_the_question_in_any_language_raises_the_alert(asked: dict[str, Any],
                                                                       skill_context: Any) -> None:
    events, dispatcher = perform(ActionRaiseEmergency(),
                                 confirm_tracker("我头晕得厉害", answer="要", intent="affirm", asked=asked), {})
    assert dispatcher.messages[0]["response"] == "utter_alert_sent"
    assert [m["custom"]["alert"]["kind"] for m in dispatcher.messages if m.get("custom")] == ["medical"]


def test_a_plain_yes_to_something_else_raises_nothing(skill_context: Any) -> None:
    other = {"event": "bot", "text": "还有别的事吗？", "metadata": {"utter_action": "utter_anything_else"}}
    events, dispatcher = perform(ActionRaiseEmergency(),
                                 confirm_tracker("谢谢", answer="好", intent="affirm", asked=other), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_anything_else"]


def test_yes_to_the_question_sends_the_words_that_led_to_it(skill_context: Any, services_server: Any) -> None:
    from skills.emergency_help.actions import NO_ANSWER, resident_words

    assert resident_words(confirm_tracker("I feel very dizzy")) == "I feel very dizzy"
    timed_out = resident_words(confirm_tracker("I feel very dizzy", {"source": "system", "answer": "timeout"}))
    assert timed_out == f"I feel very dizzy ({NO_ANSWER})"
    events, dispatcher = perform(ActionRaiseEmergency(), confirm_tracker("my wife has gone very pale and quiet"), {})
    [custom] = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert custom["alert"]["reference"]
    [stored] = [a for a in staff_alerts(services_server) if a["reference"] == custom["alert"]["reference"]]
    assert stored["details"] == "my wife has gone very pale and quiet"


def test_two_keys_the_model_and_the_words(skill_context: Any) -> None:
    """The model said emergency but the words do not read as one: the question, not the alert."""
    from skills.emergency_help.actions import needs_the_question

    assert needs_the_question(message_tracker("the heating is cold and I am freezing", "emergency_help"))
    assert not needs_the_question(message_tracker("I have fallen in the kitchen", "emergency_help"))
    assert not needs_the_question(message_tracker("/emergency_help", "emergency_help"))
    events, dispatcher = perform(ActionRaiseEmergency(),
                                 message_tracker("the heating is cold and I am freezing", "emergency_help"), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_confirm_emergency"]
    assert not [m for m in dispatcher.messages if m.get("custom")], "no alert"
