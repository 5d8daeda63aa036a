"""Feedback, complaints, praise and suggestions for the community office: take the words, read back, send.

Sent through the outbox, so nothing is lost when the office system is down.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.form_helpers import (
    SpokenConfirm,
    ask_to_confirm,
    clear_slots,
    free_text_answer,
    latest_text,
)
from assistant.skill_runtime.outbox_submit import SubmitReplies, submit_and_tell
from assistant.skill_runtime.resident_text import speakable, tidy

SLOTS = ("feedback_text", "confirm")
MIN_TEXT = 3
MAX_TEXT = 2000
READ_BACK_CHARS = 200
REPLIES = SubmitReplies(
    refused="utter_feedback_refused",
    unsaved="utter_feedback_unsaved",
    queued="utter_feedback_queued",
    delivered=("utter_feedback_sent",),
)

_FILLERS = re.compile(r"^(?:(?:hello|hi|excuse me|sorry|um+|uh+|er+|erm|well|so|oh|yes|dear|please|ok|okay)"
                      r"\b[\s,.!]*)+", re.I)
_LEAD_INS = re.compile(
    r"^(?:"
    r"(?:i(?:'d| would)? ?(?:like|want|wanna|need|wish|wanted|just wanted)?\s*(?:to\s+)?|can i\s+|could i\s+|"
    r"may i\s+|let me\s+|please\s+)?"
    r"(?:make|give|leave|send|file|lodge|put in|say|tell you|share|offer|raise|pass on|write|have)?\s*"
    r"(?:a |an |some |my )?"
    r"(?:complaint|feedback|suggestion|compliment|comment|idea|word|message|thanks|praise|"
    r"note|complain|suggest)?s?"
    r"\s*(?:about|on|regarding|that|for|to the office|to the management|to you)?"
    r")", re.I)

_CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("suggestion", ("suggest", "suggestion", "idea", "it would be nice", "would be good", "could you",
                    "could the", "should", "i wish", "please add", "maybe", "instead",
                    "建议", "提个建议", "能不能", "可不可以", "要是能", "最好", "希望", "多放", "多搞", "多安")),
    ("complaint", ("complain", "complaint", "not happy", "unhappy", "dirty", "noisy", "noise", "loud", "rude",
                   "terrible", "awful", "bad", "mess", "smell", "annoyed", "angry", "never", "too",
                   "投诉", "意见", "不满意", "脏", "吵", "太响", "态度不好", "凶", "臭", "乱",
                   "没人管", "太咸", "气人")),
    ("praise", ("thank", "thanks", "great", "good job", "wonderful", "excellent", "praise", "compliment",
                "lovely", "kind", "helpful", "patient", "good value", "well done", "happy with",
                "表扬", "谢谢", "感谢", "夸夸", "好得很", "真好", "热心", "耐心", "辛苦", "负责", "不错")),
)


def guess_category(text: str) -> str:
    """``complaint``, ``praise``, ``suggestion`` or ``general``, from the resident's words."""
    low = text.lower().replace("’", "'")
    for category, words in _CATEGORY_WORDS:
        if category == "suggestion" and any(_has(low, w) for w in words):
            return category
    scores = {c: sum(_has(low, w) for w in words) for c, words in _CATEGORY_WORDS if c != "suggestion"}
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] else "general"


def _has(text: str, phrase: str) -> bool:
    if _HAN.search(phrase):
        return phrase in text  # Chinese has no spaces between words
    return re.search(rf"(?<![a-z]){re.escape(phrase)}", text) is not None


_HAN = re.compile(r"[\u4e00-\u9fff]")
# "你好，我想提个意见：" / "麻烦你帮我跟物业说一下" — the words before the feedback itself
_ZH_LEAD_INS = re.compile(
    r"^(?:(?:喂|你好|您好|请问|那个|嗯+|啊|哎|唉|我跟你说|麻烦你|麻烦您|小助手)[\s,，。!！、]*)*"
    r"(?:我)?(?:想|要|得|来)?(?:给|跟|向)?(?:你们|物业|社区|居委会|办公室|服务中心|领导)?"
    r"(?:帮我)?(?:提|反映|投诉|表扬|说|讲|留|转达|提提)?(?:一下|一个|个|点|几句|条)?"
    r"(?:意见|建议|问题|情况|表扬|反馈|话)?[\s,，。:：!！、]*")
ZH_MIN_CHARS = 6
"""A Chinese first sentence holds the feedback when this many characters are left after the lead-in."""


def feedback_from_first_sentence(text: str) -> str | None:
    """The feedback itself when the first sentence already holds it, else ``None``.

    "I'd like to say the cleaners are doing a great job" holds it; "I want to make a complaint" does not.
    """
    raw = tidy(text, multiline=True)
    if not raw or raw.startswith("/"):
        return None
    if _HAN.search(raw):
        rest = _ZH_LEAD_INS.sub("", raw, count=1).strip(" ,.:;!?，。：；！？")
        return raw[:MAX_TEXT] if len(re.findall(r"[^\W_]", rest)) >= ZH_MIN_CHARS else None
    body = _FILLERS.sub("", raw).strip()
    rest = _LEAD_INS.sub("", body, count=1).strip(" ,.:;!?")
    if len(re.findall(r"[^\W_]+", rest)) < 4:
        return None
    return raw[:MAX_TEXT]


class ValidateFeedbackForm(SpokenConfirm, FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start: forget earlier answers; the first sentence may already be the feedback."""
        if tracker.get_slot("requested_slot") is not None:
            return []
        text = latest_text(tracker)
        return [SlotSet("feedback_text", feedback_from_first_sentence(text)), SlotSet("confirm", None)]

    def validate_feedback_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return free_text_answer("feedback_text", value, dispatcher, shortest=MIN_TEXT, longest=MAX_TEXT,
                                sorry="utter_feedback_text_sorry",
                                multiline=True)


class ActionAskFeedbackFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_feedback_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        said = speakable(str(tracker.get_slot("feedback_text") or ""), READ_BACK_CHARS).rstrip(".!?。！？")
        return ask_to_confirm(dispatcher, "utter_feedback_read_back", feedback=said)


class ActionSubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = clear_slots(SLOTS)
        if tracker.get_slot("confirm") is not True:
            dispatcher.utter_message(response="utter_feedback_not_sent")
            return reset
        text = tidy(tracker.get_slot("feedback_text"), multiline=True)[:MAX_TEXT]
        if len(text) < MIN_TEXT:
            dispatcher.utter_message(response="utter_feedback_empty")
            return reset
        if submit_and_tell(dispatcher, "feedback", {"text": text, "category": guess_category(text)}, REPLIES) is None:
            return reset
        dispatcher.utter_message(response="utter_anything_else")
        return reset
