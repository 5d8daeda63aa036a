"""Has the office answered my feedback? Ask for the reference (F1001) if it was not said, then read the
office's reply, or say where the feedback stands. Every sentence is a response in skill.yml."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services
from assistant.skill_runtime.form_helpers import latest_text
from assistant.skill_runtime.parsing import parse_reference
from assistant.skill_runtime.resident_text import speakable, tidy
from community_services.client import ServicesError

SLOT = "feedback_reference"
ENTITY = "feedback_reference"
PREFIX = "F"
_NUMBER_WORDS = re.compile(r"\b(number|reference|ref|slip)\b|编号|号码|单号|回执|条子上", re.I)
REPLY_CHARS = 1000
"""The office's replies are at most this long (the services refuse longer ones)."""


def feedback_reference(value: Any) -> str | None:
    """"F1002" from "f 1002", "F-1002", "one zero zero two" or "it is F1002 I think"; else ``None``."""
    return parse_reference(_plain(tidy(value, limit=200)), PREFIX)


def _plain(text: str) -> str:
    """Full-width letters and digits as plain ones ("Ｆ１００３" typed on a Chinese keyboard is F1003)."""
    return unicodedata.normalize("NFKC", text)


def reference_in_first_sentence(text: str, entities: list[dict[str, Any]] | None = None) -> str | None:
    """A reference said with the question: the recognised entity, "F1003", or digits after "number"."""
    for entity in entities or []:
        if entity.get("entity") == ENTITY:
            found = feedback_reference(entity.get("value"))
            if found:
                return found
    text = _plain(tidy(text, limit=200))
    if not text or text.startswith("/"):
        return None
    explicit = parse_reference(text, PREFIX, explicit=True)
    if explicit or not _NUMBER_WORDS.search(text):
        return explicit
    return parse_reference(text, PREFIX)


class ValidateFeedbackReplyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_reply_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start: forget an earlier reference; the question itself may hold one."""
        if tracker.get_slot("requested_slot") is not None:
            return []
        entities = list((tracker.latest_message or {}).get("entities") or [])
        return [SlotSet(SLOT, reference_in_first_sentence(latest_text(tracker), entities))]

    def validate_feedback_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {SLOT: None}
        reference = feedback_reference(value)
        if reference is None:
            dispatcher.utter_message(response="utter_feedback_reference_not_caught")
        return {SLOT: reference}


class ActionFeedbackReply(Action):
    def name(self) -> str:
        return "action_feedback_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None)]
        reference = feedback_reference(tracker.get_slot(SLOT))
        if reference is None:
            dispatcher.utter_message(response="utter_feedback_reference_not_caught")
            return reset
        try:
            answer = services().get_feedback_answer(reference)
        except ServicesError:
            dispatcher.utter_message(response="utter_feedback_services_down")
            return reset
        if answer is None:
            dispatcher.utter_message(response="utter_feedback_not_found", reference=reference)
        elif answer.reply:
            dispatcher.utter_message(response="utter_feedback_reply", reference=answer.reference,
                                     reply=speakable(answer.reply, REPLY_CHARS))
        elif answer.status == "in_progress":
            dispatcher.utter_message(response="utter_feedback_in_progress", reference=answer.reference)
        else:
            dispatcher.utter_message(response="utter_feedback_not_answered_yet", reference=answer.reference)
        return reset
