"""give_feedback: taking the words, reading them back and sending them through the outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from helpers import BAD_INPUTS, SKILLS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context
from skills.give_feedback import actions as feedback

DOMAIN = skill_domain("give_feedback")


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker("feedback_form", feedback.SLOTS, slots, intent="give_feedback", **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(feedback.ValidateFeedbackForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def run_action(action: Any, slots: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events and the messages (each a response name and the values that fill it)."""
    events, dispatcher = perform(action, make_tracker(slots), DOMAIN)
    return events, dispatcher.messages


def names(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") or "" for m in messages]


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
    ("我想表扬一下保洁阿姨，楼道扫得可干净了", True),
    ("那个，四号楼楼道脏得很，好久没人扫了", True),
    ("我要投诉", False),
    ("你好，我想给物业提点意见", False),
    ("提个建议", False),
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
    ("谢谢服务中心的小王，人真热心", "praise"),
    ("晚上广场舞太吵了", "complaint"),
    ("花园小路边上能不能多放几张椅子", "suggestion"),
    ("物业办公室在一楼", "general"),
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
    assert result["feedback_text"] is None and said == "utter_feedback_text_sorry"
    result, said = validate(requested_slot="feedback_text", candidates={"feedback_text": "Too noisy. " * 300})
    assert len(result["feedback_text"]) == 2000 and said == "utter_kept_first"


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
    _, messages = run_action(feedback.ActionAskFeedbackFormConfirm(), {"feedback_text": "More benches, please! 😀"})
    assert messages == [{**messages[0], "response": "utter_feedback_read_back", "feedback": "More benches, please"}]
    _, messages = run_action(feedback.ActionAskFeedbackFormConfirm(), {"feedback_text": "椅子太少了。"})
    assert messages[0]["feedback"] == "椅子太少了"


def test_confirmed_feedback_is_sent(skill_context: context.SkillContext, services_server: Any) -> None:
    text = "The cleaners are doing a great job, thank you."
    events, messages = run_action(feedback.ActionSubmitFeedback(), {"feedback_text": text, "confirm": True})
    assert names(messages) == ["utter_feedback_sent", "utter_anything_else"]
    reference = messages[0]["reference"]
    assert re.fullmatch(r"F[2-9A-HJ-NP-Z]{8}", reference)
    stored = next(f for f in staff_feedback(services_server) if f["reference"] == reference)
    assert stored["text"] == text and stored["category"] == "praise"
    assert all(e["value"] is None for e in events)


def test_no_sends_nothing(skill_context: context.SkillContext, services_server: Any) -> None:
    before = len(staff_feedback(services_server))
    _, messages = run_action(feedback.ActionSubmitFeedback(), {"feedback_text": "the lawn is lovely", "confirm": False})
    assert names(messages) == ["utter_feedback_not_sent"]
    assert len(staff_feedback(services_server)) == before


def test_services_down_saves_the_feedback(services_down: context.SkillContext) -> None:
    _, messages = run_action(feedback.ActionSubmitFeedback(),
                             {"feedback_text": "The stairs in Building 4 need cleaning.", "confirm": True})
    assert names(messages)[0] == "utter_feedback_queued"
    reference = messages[0]["reference"]
    assert re.fullmatch(r"Q\d{5}", reference)
    item = services_down.outbox.get(reference)
    assert item is not None and item.kind == "feedback"
    assert item.payload == {"text": "The stairs in Building 4 need cleaning.", "category": "general"}


def test_every_response_the_actions_name_is_written_in_both_languages() -> None:
    source = (SKILLS / "give_feedback" / "actions.py").read_text("utf-8")
    named = set(re.findall(r'"(utter_feedback_\w+)"', source))
    chinese = yaml.safe_load((SKILLS / "give_feedback" / "locale" / "zh-CN.yml").read_text("utf-8"))["responses"]
    assert named and named <= set(DOMAIN["responses"]) and set(DOMAIN["responses"]) <= set(chinese)
