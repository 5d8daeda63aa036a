"""feedback_reply: finding the feedback reference in what residents say, and the office's reply read back."""

from __future__ import annotations

import inspect
import re
import uuid
from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context
from community_services.schemas import FeedbackCreate, FeedbackReplyCreate, FeedbackStatusChange
from skills.feedback_reply import actions as reply

DOMAIN = skill_domain("feedback_reply")


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker("feedback_reply_form", [reply.SLOT], slots, intent="feedback_reply", **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], list[str]]:
    return run_validation(reply.ValidateFeedbackReplyForm(), make_tracker(**kw), DOMAIN)


def answer(reference: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events and the messages (response name and its values)."""
    events, dispatcher = perform(reply.ActionFeedbackReply(), make_tracker({reply.SLOT: reference}), DOMAIN)
    return events, dispatcher.messages


def spoken(messages: list[dict[str, Any]]) -> str:
    """The messages as the resident hears them: each response's text filled with its values."""
    out = []
    for m in messages:
        text = DOMAIN["responses"][m["response"]][0]["text"]
        out.append(text.format(**{k: v for k, v in m.items() if k not in ("response",)}))
    return " ".join(out)


@pytest.fixture
def feedback_reference(skill_context: context.SkillContext) -> str:
    sent = skill_context.services.submit_feedback(
        FeedbackCreate(text="More benches along Garden Lane, please.", category="suggestion"),
        idempotency_key=str(uuid.uuid4()))
    return sent.reference


@pytest.mark.parametrize(("text", "entities", "reference"), [
    ("my reference is F1012, did someone answer me", [], "F1012"),
    ("is f 1030 answered", [], "F1030"),
    ("my feedback number is one zero zero three, is there an answer", [], "F1003"),
    ("did they answer", [{"entity": "feedback_reference", "value": "F1021"}], "F1021"),
    ("I left some feedback a while ago, has anybody answered it", [], None),
    ("they gave me a slip with an F number, has anyone got back to me", [], None),
    ("I complained about flat 302", [], None),
    ('/feedback_reply{"x": 1}', [], None),
    ("我的编号是F1003，有回复吗", [], "F1003"),
    ("我的编号是幺零零三，有回复吗", [], "F1003"),
    ("回执上写的Ｆ１０２１，有回音没有", [], "F1021"),
    ("我的意見有reply嗎，編號F1022", [], "F1022"),
    ("我前些天提了个意见，有人回我没有", [], None),
    ("我住三号楼五零二，投诉过噪音", [], None),
])
def test_a_reference_said_with_the_question(text: str, entities: list[dict[str, Any]], reference: str | None) -> None:
    assert reply.reference_in_first_sentence(text, entities) == reference


def test_start_uses_a_reference_in_the_question_and_forgets_an_old_one() -> None:
    assert validate(text="my reference is F1012, did someone answer me")[0] == {reply.SLOT: "F1012"}
    assert validate(slots={reply.SLOT: "F1001"}, text="is there any reply to my feedback")[0] == {reply.SLOT: None}


@pytest.mark.parametrize(("said", "reference"), [
    ("F1002", "F1002"), ("f-1002", "F1002"), ("one zero zero two", "F1002"), ("it is F 1004 I think", "F1004"),
    ("I have lost the slip", None), ("Ｆ１００２", "F1002"), ("F幺零零二", "F1002"), ("条子弄丢了😅", None),
])
def test_the_answer_to_the_question(said: str, reference: str | None) -> None:
    result, messages = validate(requested_slot=reply.SLOT, candidates={reply.SLOT: said})
    assert result[reply.SLOT] == reference
    assert (messages == ["utter_feedback_reference_not_caught"]) == (reference is None)


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input_is_asked_again(bad: str) -> None:
    result, _ = validate(requested_slot=reply.SLOT, candidates={reply.SLOT: bad})
    assert result[reply.SLOT] is None


def test_new_feedback_has_no_answer_yet(feedback_reference: str) -> None:
    events, messages = answer(feedback_reference.lower())
    assert spoken(messages) == (f"Your feedback {feedback_reference} has reached the office, but nobody has "
                                "answered it yet. Please ask again in a few days.")
    assert events == [{"event": "slot", "timestamp": None, "name": reply.SLOT, "value": None}]


def test_feedback_being_worked_on(feedback_reference: str, services_server: Any) -> None:
    with services_server.staff() as staff:
        staff.set_feedback_status(feedback_reference, FeedbackStatusChange(status="in_progress", staff_name="Li"))
    assert "working on your feedback" in spoken(answer(feedback_reference)[1])


def test_the_reply_is_read(feedback_reference: str, services_server: Any) -> None:
    with services_server.staff() as staff:
        staff.reply_to_feedback(feedback_reference, FeedbackReplyCreate(
            text="Thank you!\nTwo new benches come in May. {slot} stays as typed 😀", staff_name="Li"))
    _, messages = answer(feedback_reference)
    assert messages[0]["response"] == "utter_feedback_reply"
    assert spoken(messages) == (f"The office has answered your feedback {feedback_reference}. They say: "
                                "Thank you! Two new benches come in May. {slot} stays as typed")


def test_unknown_reference(skill_context: context.SkillContext) -> None:
    _, messages = answer("F987654")
    assert spoken(messages).startswith("I could not find feedback F987654.")


def test_no_reference_asks_for_it(skill_context: context.SkillContext) -> None:
    assert [m["response"] for m in answer(None)[1]] == ["utter_feedback_reference_not_caught"]


def test_services_down(services_down: context.SkillContext) -> None:
    events, messages = answer("F1001")
    assert [m["response"] for m in messages] == ["utter_feedback_services_down"]
    assert events[0]["value"] is None


def test_every_response_the_actions_use_is_in_skill_yml() -> None:
    used = set(re.findall(r'response="(utter_\w+)"', inspect.getsource(reply)))
    assert used and used <= set(DOMAIN["responses"])


def test_the_chinese_words_have_every_response_with_the_same_placeholders() -> None:
    import yaml
    from helpers import SKILLS

    zh = yaml.safe_load((SKILLS / "feedback_reply" / "locale" / "zh-CN.yml").read_text("utf-8"))
    assert set(zh["responses"]) == set(DOMAIN["responses"])
    for name, variants in zh["responses"].items():
        english = set(re.findall(r"{(\w+)}", DOMAIN["responses"][name][0]["text"]))
        assert set(re.findall(r"{(\w+)}", variants[0]["text"])) == english, name
    assert len(zh["intents"]["feedback_reply"]["examples"]) >= 15
