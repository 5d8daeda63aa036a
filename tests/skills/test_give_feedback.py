"""give_feedback: taking the words, reading them back and sending them through the outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, said, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context
from skills.give_feedback import actions as feedback

DOMAIN = skill_domain("give_feedback")


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker("feedback_form", feedback.SLOTS, slots, intent="give_feedback", **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(feedback.ValidateFeedbackForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def run_action(action: Any, slots: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    events, dispatcher = perform(action, make_tracker(slots), DOMAIN)
    return events, said(dispatcher)


def staff_feedback(services_server: Any) -> list[dict[str, Any]]:
    with services_server.staff() as staff:
        return list(staff._request("GET", "/feedback").json())


@pytest.mark.parametrize(("text", "kept"), [
    ("I'd like to say the cleaners are doing a great job", True),
    ("the corridors in Building 4 are very dirty, nobody cleans them", True),
    ("may I suggest having the health talks in the afternoon instead", True),
    ("I want to make a complaint", False),
    ("I have a suggestion for the community", False),
    ("can I leave some feedback", False),
    ("suggestion", False),
    ("/give_feedback", False),
])
def test_the_first_sentence_is_kept_only_when_it_is_the_feedback(text: str, kept: bool) -> None:
    assert (feedback.feedback_from_first_sentence(text) == text) is kept
    if not kept:
        assert feedback.feedback_from_first_sentence(text) is None


@pytest.mark.parametrize(("text", "category"), [
    ("the cleaners are doing a great job, thank you", "praise"),
    ("the square dancing is too loud at night", "complaint"),
    ("it would be nice to have more benches", "suggestion"),
    ("I have an idea, could the library open on Mondays", "suggestion"),
    ("the office is on the ground floor", "general"),
])
def test_category(text: str, category: str) -> None:
    assert feedback.guess_category(text) == category


def test_start_takes_the_first_sentence_and_clears_an_old_confirmation() -> None:
    result, _ = validate(slots={"confirm": True}, text="I'd like to say the cleaners are doing a great job")
    assert result == {"feedback_text": "I'd like to say the cleaners are doing a great job", "confirm": None}
    result, _ = validate(slots={"feedback_text": "old words"}, text="I want to make a complaint")
    assert result == {"feedback_text": None, "confirm": None}


def test_feedback_text_limits() -> None:
    result, said = validate(requested_slot="feedback_text", candidates={"feedback_text": "?"})
    assert result["feedback_text"] is None and "in a sentence" in said
    result, said = validate(requested_slot="feedback_text", candidates={"feedback_text": "Too noisy. " * 300})
    assert len(result["feedback_text"]) == 2000 and "first 2000 characters" in said


@pytest.mark.parametrize("bad", BAD_INPUTS)
@pytest.mark.parametrize("slot", ["feedback_text", "confirm"])
def test_bad_input_never_raises(slot: str, bad: str) -> None:
    result, _ = validate(requested_slot=slot, candidates={slot: bad})
    value = result[slot]
    if slot == "feedback_text" and value is not None:
        assert len(value) <= 2000 and "\x00" not in value and "\u202e" not in value
    if slot == "confirm":
        assert value is None


def test_read_back() -> None:
    _, said = run_action(feedback.ActionAskFeedbackFormConfirm(), {"feedback_text": "More benches, please! 😀"})
    assert said == ("I will send this feedback to the Community Service Centre: More benches, please. "
                    "Shall I send it?")


def test_confirmed_feedback_is_sent(skill_context: context.SkillContext, services_server: Any) -> None:
    text = "The cleaners are doing a great job, thank you."
    events, said = run_action(feedback.ActionSubmitFeedback(), {"feedback_text": text, "confirm": True})
    reference = re.search(r"reference is (F[2-9A-HJ-NP-Z]{8})", said)
    assert reference and "has been sent" in said, said
    stored = next(f for f in staff_feedback(services_server) if f["reference"] == reference.group(1))
    assert stored["text"] == text and stored["category"] == "praise"
    assert all(e["value"] is None for e in events)


def test_no_sends_nothing(skill_context: context.SkillContext, services_server: Any) -> None:
    before = len(staff_feedback(services_server))
    _, said = run_action(feedback.ActionSubmitFeedback(), {"feedback_text": "the lawn is lovely", "confirm": False})
    assert "not sent" in said
    assert len(staff_feedback(services_server)) == before


def test_services_down_saves_the_feedback(services_down: context.SkillContext) -> None:
    _, said = run_action(feedback.ActionSubmitFeedback(),
                         {"feedback_text": "The stairs in Building 4 need cleaning.", "confirm": True})
    reference = re.search(r"reference is (Q\d{5})", said)
    assert reference and "saved" in said, said
    item = services_down.outbox.get(reference.group(1))
    assert item is not None and item.kind == "feedback"
    assert item.payload == {"text": "The stairs in Building 4 need cleaning.", "category": "general"}
