"""Actions every Linli assistant has: help, repeat, slower, the fallback ladder, stop a form.

Thin rasa-sdk actions; what they need about skills (help phrases) comes from the skill manifest.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

log = logging.getLogger(__name__)

CORE_TITLES = {
    "greet": "Say hello", "goodbye": "Say goodbye", "thank": "Say thank you", "help": "What can you do?",
    "repeat": "Say that again", "speak_slower": "Speak more slowly", "human_handoff": "Talk to a person",
    "bot_challenge": "Who are you?", "affirm": "Yes", "deny": "No", "cancel": "Stop",
}
NOT_A_GUESS = {"nlu_fallback", "inform", "out_of_scope", "affirm", "deny", "greet", "thank", "goodbye", "cancel",
               "repeat", "speak_slower", "bot_challenge", "help", "knowledge_confirm",
               "knowledge_question"}
MAX_HELP_ITEMS = 6
_skills: list[dict[str, Any]] = []


def register_skills(manifest: list[dict[str, Any]]) -> None:
    """Help phrases and intent titles come from the skills the action server loaded."""
    _skills[:] = manifest


def intent_title(intent: str) -> str:
    for skill in _skills:
        if intent in skill.get("intents", []):
            # "tell you when a place is open, like the library" → "Tell you when a place is open"
            help_text = str(skill.get("help", intent)).split(", like", 1)[0].split(", for example", 1)[0]
            return help_text[:1].upper() + help_text[1:60]
    return CORE_TITLES.get(intent, intent.replace("_", " ").capitalize())


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
        phrases = [str(s["help"]) for s in _skills if s.get("help")]
        dispatcher.utter_message(text="I can help you with things in the community. For example, I can:")
        for phrase in phrases[:MAX_HELP_ITEMS]:
            dispatcher.utter_message(text=f"{phrase[:1].upper()}{phrase[1:]}.")
        buttons = [{"title": intent_title(s["intents"][0]), "payload": f"/{s['intents'][0]}"}
                   for s in _skills[:MAX_HELP_ITEMS] if s.get("intents")]
        dispatcher.utter_message(
            text="You can say 'repeat' or 'slower' at any time. What would you like to do?", buttons=buttons)
        return []


class ActionRepeat(Action):
    def name(self) -> str:
        return "action_repeat"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        messages = _last_turn_bot_messages(tracker)
        if not messages:
            dispatcher.utter_message(text="I have not said anything yet. How can I help you?")
        _utter_again(dispatcher, messages)
        return []


class ActionSpeakSlower(Action):
    def name(self) -> str:
        return "action_speak_slower"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(json_message={"speech_rate": "slower"})
        dispatcher.utter_message(text="All right, I will speak more slowly.")
        _utter_again(dispatcher, _last_turn_bot_messages(tracker))
        return [SlotSet("speech_rate", "slower")]


YES_PERSON = {"title": "Yes, a person please", "payload": "/human_handoff"}
PERSON_BUTTONS = [YES_PERSON, {"title": "No, thank you", "payload": "/deny"}]
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
        """The ladder; ``first``: buttons to offer before the intent guesses (knowledge entries that may fit)."""
        if self._missed_just_before(tracker):
            if first:  # closer this time: the entries that may fit, and the person
                dispatcher.utter_message(
                    text="I am still not sure. Did you mean one of these? Or shall I ask a person from the office?",
                    buttons=[*first, YES_PERSON])
                return []
            dispatcher.utter_message(
                text="I am sorry, I still do not understand. Shall I ask a person from the office to help you?",
                buttons=PERSON_BUTTONS)
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        guesses = [r["name"] for r in ranking if r.get("name") not in NOT_A_GUESS][:3 - len(first or [])]
        buttons = [*(first or []), *({"title": intent_title(g), "payload": f"/{g}"} for g in guesses)]
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        dispatcher.utter_message(
            text="Sorry, I did not quite understand. Did you mean one of these? You can also say it in other words.",
            buttons=buttons)
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
