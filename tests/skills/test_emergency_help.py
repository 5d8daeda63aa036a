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
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    return texts, customs


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
    texts, customs = run("I fell and cannot get up")
    said = " ".join(texts)
    assert "Help is coming" in said
    assert "Community Service Centre" in said
    assert "stay where you are" in said
    assert "120" in said and "119" in said and "110" in said
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
    texts, customs = run("there is smoke and fire in the stairwell")
    said = " ".join(texts)
    assert "119" in said and "do not use the lift" in said
    assert customs[0]["alert"]["kind"] == "fire"


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_bad_input_still_raises_the_alert(text: str, skill_context: context.SkillContext,
                                          services_server: Any) -> None:
    """Odd words the model took for an emergency are asked about (two keys); yes (or silence) then raises the
    alert with the words cleaned."""
    events, dispatcher = perform(ActionRaiseEmergency(), message_tracker(text, "emergency_help"), {})
    said = [m.get("response") or m.get("text") for m in dispatcher.messages]
    if text.startswith("/") or not text:  # a button (or nothing at all): no words to weigh
        assert any("Help is coming" in (t or "") for t in said)
    else:
        assert said == ["utter_confirm_emergency"]
    events, dispatcher = perform(ActionRaiseEmergency(), confirm_tracker(text), {})
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert "Help is coming" in " ".join(texts)
    reference = customs[0]["alert"]["reference"]
    stored = next(a for a in staff_alerts(services_server) if a["reference"] == reference)
    assert 0 < len(stored["details"]) <= MAX_DETAILS
    assert "\x00" not in stored["details"] and "\u202e" not in stored["details"]


def test_services_down_queues_the_alert_and_still_says_help_is_called(services_down: context.SkillContext) -> None:
    texts, customs = run("my husband collapsed")
    said = " ".join(texts)
    assert "Help is being called" in said
    assert "120" in said
    assert "fail" not in said.lower() and "error" not in said.lower()
    alert = customs[0]["alert"]
    assert alert["queued"] is True
    assert re.fullmatch(r"Q\d{5}", alert["reference"])
    pending = services_down.outbox.items("pending")
    assert [(i.kind, i.payload["kind"], i.payload["location"], i.payload["kiosk_id"]) for i in pending] == [
        ("alert", "medical", "Lobby of the Service Centre", "kiosk-7")]


def test_no_context_at_all_still_tells_the_resident_what_to_do() -> None:
    context.configure(None)
    texts, customs = run("help help")
    said = " ".join(texts)
    assert "call 120" in said and "Police Office" in said
    assert customs[0]["alert"] == {"reference": None, "queued": False, "kind": "other"}


def confirm_tracker(earlier: str, metadata: dict[str, Any] | None = None) -> Any:
    from rasa_sdk import Tracker

    message = {"text": "/emergency_confirmed", "intent": {"name": "emergency_confirmed", "confidence": 1.0},
               "entities": [], "metadata": metadata or {}}
    events = [{"event": "user", "text": earlier}, {"event": "bot", "text": "Do you need help right now?"},
              {"event": "user", "text": "/emergency_confirmed"}]
    return Tracker("tester", {}, message, events, False, None, {}, "action_listen")


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
