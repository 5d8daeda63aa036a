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

The answer is in the conversation's language (``language_of``): the question is searched as asked in that
language's index, and the entry's answer in that language is said; an entry with none is said in its own
language with a note (``utter_kb_answer_untranslated``). Every sentence is a response (YAML per language).
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

from assistant.dialogue.core_actions import KNOWLEDGE_HIT_SLOT, ActionFallbackLadder
from assistant.dialogue.wire import intent_message
from assistant.shared.errors import LinliError
from assistant.skill_runtime import context
from assistant.skill_runtime.words import language_of

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_FOUND = "utter_kb_not_found"
"""Nothing near: offer a person (its buttons, yes / no thank you, are in the response)."""
NOT_SURE = "utter_kb_not_sure"
"""Did you mean one of these? The entries are passed as buttons; "No, ask a person" is in the response."""
GONE = "utter_kb_gone"
"""A "did you mean" entry no longer valid: offer a person."""
ANSWER = "utter_kb_answer"
"""``{answer}``: an entry without a source."""
ANSWER_SOURCED = "utter_kb_answer_sourced"
"""``{answer}`` and ``{source}``: "… (This is from the {source}.)"."""
ANSWER_UNTRANSLATED = "utter_kb_answer_untranslated"
"""``{answer}`` in the entry's own language, said with a note that the office has not written it in this one."""
SHOW_WAY = "utter_kb_show_way"
"""``{place}``: the "Show me the way" button (its payload ``/navigate_to{"facility": "{place}"}``)."""
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
    """Load the models and indexes before the first resident asks (a thread at action-server start)."""
    base = knowledge_base()
    if base is not None:
        for language in context.settings().language_list:
            try:
                base.answer("hello", language)
            except LinliError as e:
                log.error("the knowledge base failed to warm up for %s: %s", language, e)


def _asked(question: Callable[[str], T], arg: str) -> T | None:
    """Ask the knowledge base; a failure is logged and counts as "nothing found" (the resident gets a person)."""
    try:
        return question(arg)
    except LinliError as e:
        log.error("the knowledge base failed: %s", e)
        return None


def suggestion_button(entry: Any, language: str = "en") -> dict[str, str]:
    """A "did you mean" button: the entry's first question in the conversation's language (data, not code)."""
    return {"title": entry.title_in(language),
            "payload": intent_message(CONFIRM_INTENT, {ENTRY_ENTITY: entry.id})}


class ActionKnowledgeAnswer(Action):
    def name(self) -> str:
        return "action_knowledge_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        text = str(message.get("text") or "").strip()
        intent = (message.get("intent") or {}).get("name")
        language = language_of(tracker)
        if intent == CONFIRM_INTENT:
            return self._confirmed(dispatcher, tracker, language)
        base = knowledge_base() if text and not text.startswith("/") else None
        verdict = _asked(lambda t: base.consult(t, language), text) if base is not None else None
        if verdict is not None and verdict.answer is not None:
            return self._answer(dispatcher, verdict.answer.entry, language)
        suggestions = [suggestion_button(m.entry, language) for m in verdict.suggestions] if verdict else []
        if intent in LADDER_INTENTS:  # the ladder, with the entries that may fit offered first
            return ActionFallbackLadder().offer(dispatcher, tracker, first=suggestions)
        if suggestions:
            dispatcher.utter_message(response=NOT_SURE, buttons=suggestions)
        else:
            dispatcher.utter_message(response=NOT_FOUND)
        return []

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, entry: Any, language: str) -> list[EventType]:
        said = entry.said_in(language)
        if said.fallback:
            dispatcher.utter_message(response=ANSWER_UNTRANSLATED, answer=said.answer)
        elif said.source:
            dispatcher.utter_message(response=ANSWER_SOURCED, answer=said.answer, source=said.source)
        else:
            dispatcher.utter_message(response=ANSWER, answer=said.answer)
        if entry.place:
            dispatcher.utter_message(response=SHOW_WAY, place=entry.place)
        return [SlotSet(KNOWLEDGE_HIT_SLOT, True)]

    def _confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        """A "did you mean" button was pressed: that entry, if it may still be answered today."""
        entry_id = next(tracker.get_latest_entity_values(ENTRY_ENTITY), None)
        base = knowledge_base() if isinstance(entry_id, str) else None
        entry = _asked(base.valid_entry, str(entry_id)) if base is not None else None
        if entry is None:
            dispatcher.utter_message(response=GONE)
            return []
        return self._answer(dispatcher, entry, language)
