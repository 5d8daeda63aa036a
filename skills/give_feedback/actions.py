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
    what="feedback",
    saved="feedback",
    ask_instead="Please give it at the Community Service Centre reception.",
    delivered=("Thank you. Your feedback has been sent to the Community Service Centre. "
               "Your reference is {reference}. Ask me with it later to hear the office's answer.",),
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
                    "could the", "should", "i wish", "please add", "maybe", "instead")),
    ("complaint", ("complain", "complaint", "not happy", "unhappy", "dirty", "noisy", "noise", "loud", "rude",
                   "terrible", "awful", "bad", "mess", "smell", "annoyed", "angry", "never", "too")),
    ("praise", ("thank", "thanks", "great", "good job", "wonderful", "excellent", "praise", "compliment",
                "lovely", "kind", "helpful", "patient", "good value", "well done", "happy with")),
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
    return re.search(rf"(?<![a-z]){re.escape(phrase)}", text) is not None


def feedback_from_first_sentence(text: str) -> str | None:
    """The feedback itself when the first sentence already holds it, else ``None``.

    "I'd like to say the cleaners are doing a great job" holds it; "I want to make a complaint" does not.
    """
    raw = tidy(text, multiline=True)
    if not raw or raw.startswith("/"):
        return None
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
                                sorry="Please tell me your feedback in a sentence, for example: the stairs in "
                                      "Building 4 need cleaning.",
                                multiline=True)


class ActionAskFeedbackFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_feedback_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        said = speakable(str(tracker.get_slot("feedback_text") or ""), READ_BACK_CHARS).rstrip(".!?")
        return ask_to_confirm(
            dispatcher, f"I will send this feedback to the Community Service Centre: {said}. Shall I send it?",
            yes="Yes, send it",
        )


class ActionSubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = clear_slots(SLOTS)
        if tracker.get_slot("confirm") is not True:
            dispatcher.utter_message(text="All right, I have not sent it. Nothing was sent.")
            return reset
        text = tidy(tracker.get_slot("feedback_text"), multiline=True)[:MAX_TEXT]
        if len(text) < MIN_TEXT:
            dispatcher.utter_message(text="Sorry, the feedback was empty, so nothing was sent.")
            return reset
        if submit_and_tell(dispatcher, "feedback", {"text": text, "category": guess_category(text)}, REPLIES) is None:
            return reset
        dispatcher.utter_message(response="utter_anything_else")
        return reset
