"""``action_knowledge_answer``: questions no skill covers, answered from the admins' knowledge entries.

``knowledge_question`` (the build makes the admins' questions its examples), ``out_of_scope`` and
low-confidence (``nlu_fallback``) turns come here. A confident, valid-today
entry is answered with its source (and "Show me the way" when it concerns a place); otherwise a
low-confidence or knowledge turn goes on down the fallback ladder (run from here) and an out-of-scope one
is offered a person.
Between the two thresholds (``KnowledgeSettings``) the nearest entries are offered as "Did you mean …?" buttons
(``/knowledge_confirm{"knowledge_entry": id}``), answered when pressed.
The knowledge base is loaded once per action server (in the background at start-up) and re-reads
changed files on each question, so a new entry is answerable without retraining.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.core_actions import KNOWLEDGE_HIT_SLOT, PERSON_BUTTONS, ActionFallbackLadder
from assistant.dialogue.wire import intent_message
from assistant.shared.errors import LinliError
from assistant.shared.events import navigate
from assistant.skill_runtime import context

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_FOUND = ("I am sorry, I cannot help with that yet. The staff at the Property Management Office can. "
             "Shall I ask a person to help you?")
NOT_SURE = "I am not sure I understood. Did you mean one of these?"
GONE = "I am sorry, that answer is no longer up to date. Shall I ask a person from the office to help you?"
ASK_PERSON_BUTTON = {"title": "No, ask a person", "payload": "/human_handoff"}
WAY_BUTTON = "Show me the way"
CONFIRM_INTENT = "knowledge_confirm"
"""A "did you mean" button: ``/knowledge_confirm{"knowledge_entry": "<id>"}``."""
ENTRY_ENTITY = "knowledge_entry"
LADDER_INTENTS = ("nlu_fallback", "knowledge_question")
"""Misses that go on down the fallback ladder: the model was unsure, or thought it a knowledge question
(measured: 9 of 205 held-out skill phrasings, e.g. "there's no hot water in my flat"), so the skills it
ranked next are offered as buttons. A miss on ``out_of_scope`` offers a person."""

RETRY_AFTER_S = 60.0
"""A knowledge base that could not be loaded (no model installed yet, a broken folder) is tried again
after this long, so installing the model or fixing the folder needs no restart of the action server,
while a resident's turn does not pay for a failing load every time."""

_lock = threading.Lock()
_base: Any = None
_failed_at: float | None = None


def knowledge_base(clock: Callable[[], float] = time.monotonic) -> Any:
    """The action server's knowledge base, or ``None`` when it cannot be used (logged per attempt)."""
    global _base, _failed_at
    with _lock:
        if _base is None and (_failed_at is None or clock() - _failed_at >= RETRY_AFTER_S):
            settings = context.settings()
            try:
                from assistant.knowledge.base import KnowledgeBase  # torch: only in the process that answers

                _base, _failed_at = KnowledgeBase(settings.knowledge_dir, settings.var_dir), None
            except LinliError as e:
                _failed_at = clock()
                log.error("the knowledge base cannot be used (trying again in %.0f s): %s", RETRY_AFTER_S, e)
        return _base


def forget() -> None:
    """Load the knowledge base again on the next question (tests; a changed ``LINLI_KNOWLEDGE_DIR``)."""
    global _base, _failed_at
    with _lock:
        _base, _failed_at = None, None


def warm_up() -> None:
    """Load the model and index before the first resident asks (a thread at action-server start)."""
    base = knowledge_base()
    if base is not None:
        try:
            base.answer("hello")
        except LinliError as e:
            log.error("the knowledge base failed to warm up: %s", e)


def _asked(question: Callable[[str], T], arg: str) -> T | None:
    """Ask the knowledge base; a failure is logged and counts as "nothing found" (the resident gets a person)."""
    try:
        return question(arg)
    except LinliError as e:
        log.error("the knowledge base failed: %s", e)
        return None


def suggestion_button(entry: Any) -> dict[str, str]:
    return {"title": entry.questions[0], "payload": intent_message(CONFIRM_INTENT, {ENTRY_ENTITY: entry.id})}


class ActionKnowledgeAnswer(Action):
    def name(self) -> str:
        return "action_knowledge_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        text = str(message.get("text") or "").strip()
        intent = (message.get("intent") or {}).get("name")
        if intent == CONFIRM_INTENT:
            return self._confirmed(dispatcher, tracker)
        base = knowledge_base() if text and not text.startswith("/") else None
        verdict = _asked(base.consult, text) if base is not None else None
        if verdict is not None and verdict.answer is not None:
            return self._answer(dispatcher, verdict.answer.entry)
        suggestions = [suggestion_button(m.entry) for m in verdict.suggestions] if verdict else []
        if intent in LADDER_INTENTS:  # the ladder, with the entries that may fit offered first
            return ActionFallbackLadder().offer(dispatcher, tracker, first=suggestions)
        if suggestions:
            dispatcher.utter_message(text=NOT_SURE, buttons=[*suggestions, ASK_PERSON_BUTTON])
        else:
            dispatcher.utter_message(text=NOT_FOUND, buttons=PERSON_BUTTONS)
        return []

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, entry: Any) -> list[EventType]:
        source = f" (This is from the {entry.source}.)" if entry.source else ""
        buttons = ([{"title": WAY_BUTTON, "payload": intent_message(navigate(entry.place))}]
                   if entry.place else [])
        dispatcher.utter_message(text=f"{entry.answer}{source}", buttons=buttons)
        return [SlotSet(KNOWLEDGE_HIT_SLOT, True)]

    def _confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """A "did you mean" button was pressed: that entry, if it may still be answered today."""
        entry_id = next(tracker.get_latest_entity_values(ENTRY_ENTITY), None)
        base = knowledge_base() if isinstance(entry_id, str) else None
        entry = _asked(base.valid_entry, str(entry_id)) if base is not None else None
        if entry is None:
            dispatcher.utter_message(text=GONE, buttons=PERSON_BUTTONS)
            return []
        return self._answer(dispatcher, entry)
