"""Feedback, complaints, praise and suggestions for the community office: take the words, read back, send.

Sent through the outbox, so nothing is lost when the office system is down.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import outbox
from community_services.client import ServicesRejected
from community_services.schemas import clean_text

log = logging.getLogger(__name__)

SLOTS = ("feedback_text", "confirm")
MIN_TEXT = 3
MAX_TEXT = 2000

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
_YES = re.compile(r"\b(yes|yeah|yep|ok|okay|sure|send|correct|right|go ahead|please do|fine)\b|好|是|对", re.I)
_NO = re.compile(r"\b(no|nope|not|don't|dont|do not|wrong|stop)\b|不", re.I)
_NOT_YES = re.compile(r"\b(don't|dont|do not|not|never)\s+(?:\w+\s+)?(send|do|go ahead|want)\b", re.I)

_CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("suggestion", ("suggest", "suggestion", "idea", "it would be nice", "would be good", "could you",
                    "could the", "should", "i wish", "please add", "maybe", "instead")),
    ("complaint", ("complain", "complaint", "not happy", "unhappy", "dirty", "noisy", "noise", "loud", "rude",
                   "terrible", "awful", "bad", "mess", "smell", "annoyed", "angry", "never", "too")),
    ("praise", ("thank", "thanks", "great", "good job", "wonderful", "excellent", "praise", "compliment",
                "lovely", "kind", "helpful", "patient", "good value", "well done", "happy with")),
)


def tidy(value: Any, *, multiline: bool = True) -> str:
    cleaned = clean_text(str(value) if value is not None else "", multiline=multiline)
    return cleaned if isinstance(cleaned, str) else ""


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
    raw = tidy(text)
    if not raw or raw.startswith("/"):
        return None
    body = _FILLERS.sub("", raw).strip()
    rest = _LEAD_INS.sub("", body, count=1).strip(" ,.:;!?")
    if len(re.findall(r"[^\W_]+", rest)) < 4:
        return None
    return raw[:MAX_TEXT]


def speakable(text: str, limit: int = 200) -> str:
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("S", "C") or ch == " ")
    kept = " ".join(kept.replace("\n", " ").split())
    if len(kept) > limit:
        kept = kept[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return kept


def yes_or_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = tidy(value, multiline=False)
    if not text:
        return None
    if _NOT_YES.search(text):
        return False  # "don't send it"
    no, yes = bool(_NO.search(text)), bool(_YES.search(text))
    return yes if no != yes else None


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start: forget earlier answers; the first sentence may already be the feedback."""
        if tracker.get_slot("requested_slot") is not None:
            return []
        text = str((tracker.latest_message or {}).get("text") or "")
        return [SlotSet("feedback_text", feedback_from_first_sentence(text)), SlotSet("confirm", None)]

    def validate_feedback_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"feedback_text": None}
        text = tidy(value)
        if len(text) < MIN_TEXT or not re.search(r"[^\W_]", text):
            dispatcher.utter_message(
                text="Please tell me your feedback in a sentence, for example: the stairs in Building 4 "
                     "need cleaning.")
            return {"feedback_text": None}
        if len(text) > MAX_TEXT:
            dispatcher.utter_message(text="That was long, so I kept the first 2000 characters.")
            text = text[:MAX_TEXT].rstrip()
        return {"feedback_text": text}

    def validate_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"confirm": None}
        answer = yes_or_no(value)
        if answer is None:
            dispatcher.utter_message(text="Please say yes to send it, or no to leave it.")
        return {"confirm": answer}


class ActionAskFeedbackFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_feedback_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        said = speakable(str(tracker.get_slot("feedback_text") or "")).rstrip(".!?")
        dispatcher.utter_message(
            text=f"I will send this feedback to the Community Service Centre: {said}. Shall I send it?",
            buttons=[{"title": "Yes, send it", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return []


class ActionSubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(slot, None) for slot in SLOTS]
        if tracker.get_slot("confirm") is not True:
            dispatcher.utter_message(text="All right, I have not sent it. Nothing was sent.")
            return reset
        text = tidy(tracker.get_slot("feedback_text"))[:MAX_TEXT]
        if len(text) < MIN_TEXT:
            dispatcher.utter_message(text="Sorry, the feedback was empty, so nothing was sent.")
            return reset
        try:
            submission = outbox().submit("feedback", {"text": text, "category": guess_category(text)})
        except ServicesRejected:
            dispatcher.utter_message(
                text="Sorry, the office system did not accept this feedback. "
                     "Please give it at the Community Service Centre reception.")
            return reset
        except Exception:
            log.exception("feedback could not be stored")
            dispatcher.utter_message(
                text="Sorry, I could not save your feedback. "
                     "Please give it at the Community Service Centre reception.")
            return reset
        if submission.queued:
            dispatcher.utter_message(
                text="The office system is not answering right now. Your feedback is saved and will be sent "
                     f"when the system is back. Your reference is {submission.reference}.")
        else:
            dispatcher.utter_message(
                text="Thank you. Your feedback has been sent to the Community Service Centre. "
                     f"Your reference is {submission.reference}.")
        dispatcher.utter_message(response="utter_anything_else")
        return reset
