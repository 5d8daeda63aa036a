"""Actions every Linli assistant has: help, repeat, slower, the fallback ladder, stop a form.

Thin rasa-sdk actions; what they need about skills comes from the skill manifest. Every word they say is a
response (nlu_data/domain.yml, nlu_data/locale/<code>.yml): a skill's help phrase and its button are the core
response ``utter_skill_help_<skill>``, said in the conversation's language like any other.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

log = logging.getLogger(__name__)

NOT_A_GUESS = {"nlu_fallback", "inform", "out_of_scope", "affirm", "deny", "greet", "thank", "goodbye", "cancel",
               "repeat", "speak_slower", "bot_challenge", "help", "knowledge_confirm",
               "knowledge_question", "back_to_assistant", "resident_card"}
MAX_HELP_ITEMS = 6
_skills: list[dict[str, Any]] = []


def register_skills(manifest: list[dict[str, Any]]) -> None:
    """Help phrases and intent titles come from the skills the action server loaded."""
    _skills[:] = manifest


def skill_help(skill: str) -> str:
    """The response with a skill's help phrase and a button that starts it."""
    return f"utter_skill_help_{skill}"


def _skill_of(intent: str) -> str | None:
    return next((str(s["name"]) for s in _skills if intent in s.get("intents", [])), None)


def _last_turn_bot_messages(tracker: Tracker) -> list[dict[str, Any]]:
    """What the assistant said in answer to the turn before this one."""
    user_seen = 0
    said: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            user_seen += 1
            if user_seen == 2:
                break
        elif kind == "bot" and user_seen == 1:
            said.append(event)
    return list(reversed(said))


def _utter_again(dispatcher: CollectingDispatcher, messages: list[dict[str, Any]]) -> None:
    for m in messages:
        data = m.get("data") or {}
        if m.get("text") or data.get("buttons"):
            dispatcher.utter_message(text=m.get("text"), buttons=data.get("buttons") or [])


class ActionHelp(Action):
    def name(self) -> str:
        return "action_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_help_intro")
        for skill in [s for s in _skills if s.get("help") and s.get("intents")][:MAX_HELP_ITEMS]:
            dispatcher.utter_message(response=skill_help(str(skill["name"])))
        dispatcher.utter_message(response="utter_help_outro")
        return []


class ActionRepeat(Action):
    def name(self) -> str:
        return "action_repeat"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        messages = _last_turn_bot_messages(tracker)
        if not messages:
            dispatcher.utter_message(response="utter_nothing_said_yet")
        _utter_again(dispatcher, messages)
        return []


class ActionSpeakSlower(Action):
    def name(self) -> str:
        return "action_speak_slower"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(json_message={"speech_rate": "slower"})
        dispatcher.utter_message(response="utter_speaking_slower")
        _utter_again(dispatcher, _last_turn_bot_messages(tracker))
        return [SlotSet("speech_rate", "slower")]


MISS_ACTIONS = frozenset({"action_fallback_ladder", "action_knowledge_answer"})
KNOWLEDGE_HIT_SLOT = "knowledge_hit"
"""Set (not influencing the conversation) when the knowledge base answered a turn."""


class ActionFallbackLadder(Action):
    """First miss: offer the top guesses as buttons. Second miss in a row: offer a person."""

    def name(self) -> str:
        return "action_fallback_ladder"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return self.offer(dispatcher, tracker)

    def offer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
              first: list[dict[str, str]] | None = None) -> list[EventType]:
        """The ladder; ``first``: buttons to offer before the intent guesses (knowledge entries that may fit; their
        titles are the office's own data).

        Each guess is a skill's help response (its phrase and a button), or the offer of a person; Rasa puts a
        response's own buttons before the ones passed here.
        """
        if self._missed_just_before(tracker):
            if first:  # closer this time: the person (the response's button), and the entries that may fit
                dispatcher.utter_message(response="utter_fallback_still_unsure", buttons=list(first))
                return []
            dispatcher.utter_message(response="utter_fallback_offer_person")
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        guesses: list[str] = []
        for intent in (str(r.get("name")) for r in ranking if r.get("name") not in NOT_A_GUESS):
            response = "utter_guess_human_handoff" if intent == "human_handoff" else (
                skill_help(skill) if (skill := _skill_of(intent)) else None)
            if response and response not in guesses:  # two intents of one skill are one guess
                guesses.append(response)
        dispatcher.utter_message(response="utter_fallback_guess", buttons=list(first or []))
        for response in guesses[:max(0, 3 - len(first or []))]:
            dispatcher.utter_message(response=response)
        dispatcher.utter_message(response="utter_fallback_something_else")
        return []

    @staticmethod
    def _missed_just_before(tracker: Tracker) -> bool:
        """Was the previous user turn also a miss (the ladder, or the knowledge base finding nothing)?"""
        user_seen = 0
        missed = False
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                user_seen += 1
                if user_seen == 2:
                    return missed
            elif user_seen == 1 and event.get("event") == "action" and event.get("name") in MISS_ACTIONS:
                missed = True
            elif user_seen == 1 and event.get("event") == "slot" and event.get("name") == KNOWLEDGE_HIT_SLOT \
                    and event.get("value"):
                return False  # the knowledge base answered that turn
        return missed


class ActionStopForm(Action):
    """Stop the active form and forget what it had collected (so the next form starts clean)."""

    def name(self) -> str:
        return "action_stop_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        form = tracker.active_loop_name
        slots = list((domain.get("forms") or {}).get(form, {}).get("required_slots") or []) if form else []
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + [SlotSet(s, None) for s in slots]


CORE_ACTIONS: tuple[type[Action], ...] = (
    ActionHelp, ActionRepeat, ActionSpeakSlower, ActionFallbackLadder, ActionStopForm,
)
"""Actions every conversation has (``action_knowledge_answer`` lives in ``knowledge_action.py``, the handoff's in
``handoff_actions.py``)."""
