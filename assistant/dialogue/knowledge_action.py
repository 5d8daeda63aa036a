"""``action_knowledge_answer``: questions no skill covers, answered from the admins' knowledge entries.

``out_of_scope`` and low-confidence (``nlu_fallback``) turns come here first. A confident, valid-today
entry is answered with its source (and "Show me the way" when it concerns a place); otherwise a
low-confidence turn goes on down the fallback ladder (run from here) and an out-of-scope one is offered a person.
The knowledge base is loaded once per action server (in the background at start-up) and re-reads
changed files on each question, so a new entry is answerable without retraining.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.core_actions import KNOWLEDGE_HIT_SLOT, ActionFallbackLadder
from assistant.shared.errors import LinliError
from assistant.skill_runtime import context

log = logging.getLogger(__name__)

NOT_FOUND = ("I am sorry, I cannot help with that yet. The staff at the Property Management Office can. "
             "Shall I ask a person to help you?")
PERSON_BUTTONS = [{"title": "Yes, a person please", "payload": "/human_handoff"},
                  {"title": "No, thank you", "payload": "/deny"}]
WAY_BUTTON = "Show me the way"

_lock = threading.Lock()
_base: Any = None
_failed: str | None = None


def knowledge_folder(root: Path) -> Path:
    return Path(os.environ.get("LINLI_KNOWLEDGE_DIR") or root / "knowledge")


def knowledge_base() -> Any:
    """The action server's knowledge base, or ``None`` when it cannot be used (logged once)."""
    global _base, _failed
    with _lock:
        if _base is None and _failed is None:
            settings = context.settings()
            try:
                from assistant.knowledge.base import KnowledgeBase  # torch: only in the process that answers

                _base = KnowledgeBase(knowledge_folder(settings.root), settings.var_dir)
            except LinliError as e:
                _failed = e.message
                log.error("the knowledge base cannot be used: %s", e)
        return _base


def forget() -> None:
    """Load the knowledge base again on the next question (tests; a changed ``LINLI_KNOWLEDGE_DIR``)."""
    global _base, _failed
    with _lock:
        _base, _failed = None, None


def warm_up() -> None:
    """Load the model and index before the first resident asks (a thread at action-server start)."""
    base = knowledge_base()
    if base is not None:
        try:
            base.answer("hello")
        except LinliError as e:
            log.error("the knowledge base failed to warm up: %s", e)


class ActionKnowledgeAnswer(Action):
    def name(self) -> str:
        return "action_knowledge_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        text = str(message.get("text") or "").strip()
        intent = (message.get("intent") or {}).get("name")
        base = knowledge_base() if text and not text.startswith("/") else None
        match = None
        if base is not None:
            try:
                match = base.answer(text)
            except LinliError as e:
                log.error("knowledge search failed: %s", e)
        if match is not None:
            entry = match.entry
            source = f" (This is from the {entry.source}.)" if entry.source else ""
            buttons = ([{"title": WAY_BUTTON, "payload": f'/navigate_to{{"facility": "{entry.place}"}}'}]
                       if entry.place else [])
            dispatcher.utter_message(text=f"{entry.answer}{source}", buttons=buttons)
            return [SlotSet(KNOWLEDGE_HIT_SLOT, True)]
        if intent == "nlu_fallback":  # the ladder's own logic, in this same action (one rule, one prediction)
            return list(ActionFallbackLadder().run(dispatcher, tracker, domain))
        dispatcher.utter_message(text=NOT_FOUND, buttons=PERSON_BUTTONS)
        return []
