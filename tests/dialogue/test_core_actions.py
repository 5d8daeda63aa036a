"""core_actions: help, repeat, slower and the fallback ladder name responses; the core's words exist in every
language, and every skill has its help response."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue import core_actions
from assistant.dialogue.core_actions import (
    MAX_HELP_ITEMS,
    ActionFallbackLadder,
    ActionHelp,
    ActionRepeat,
    ActionSpeakSlower,
    register_skills,
)
from assistant.shared.config import PROJECT_ROOT

NLU_DATA = PROJECT_ROOT / "nlu_data"
SKILLS = [{"name": "report_repair", "help": "report a repair", "intents": ["report_repair"]},
          {"name": "emergency_help", "help": "call for help", "intents": ["emergency_help", "possible_emergency"]},
          {"name": "ask_events", "help": "tell you what is on", "intents": ["ask_events"]}]
KNOWLEDGE_BUTTON = {"title": "养狗要登记吗", "payload": '/knowledge_confirm{"knowledge_entry": "pets"}'}


@pytest.fixture(autouse=True)
def skills() -> Iterator[None]:
    register_skills(SKILLS)
    yield
    register_skills([])


def tracker(events: list[dict[str, Any]] | None = None, ranking: list[str] | None = None) -> Tracker:
    message = {"text": "咕噜咕噜", "intent": {"name": "nlu_fallback"}, "entities": [],
               "intent_ranking": [{"name": n, "confidence": 0.3} for n in ranking or []]}
    return Tracker("t", {}, message, events or [], False, None, {}, "action_listen")


def said(dispatcher: CollectingDispatcher) -> list[str]:
    """The responses named, in order; a sentence built in Python shows up as ``text: ...`` and fails."""
    return [m.get("response") or f"text: {m.get('text')}" for m in dispatcher.messages]


def run(action: Any, t: Tracker) -> tuple[list[str], list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, {})
    return said(dispatcher), events, dispatcher


def test_help_names_one_response_per_skill_between_intro_and_outro() -> None:
    responses, events, _ = run(ActionHelp(), tracker())
    assert events == []
    assert responses == ["utter_help_intro", "utter_skill_help_report_repair", "utter_skill_help_emergency_help",
                         "utter_skill_help_ask_events", "utter_help_outro"]


def test_help_lists_at_most_a_few_skills() -> None:
    register_skills([{"name": f"s{i}", "help": "do a thing", "intents": [f"s{i}"]} for i in range(10)])
    responses, _, _ = run(ActionHelp(), tracker())
    assert len(responses) == MAX_HELP_ITEMS + 2


def test_repeat_says_the_last_turn_again_or_that_nothing_was_said() -> None:
    before = [{"event": "user", "text": "你好"}, {"event": "bot", "text": "您好！我是邻里小助手。"},
              {"event": "user", "text": "再说一遍"}]
    _, _, dispatcher = run(ActionRepeat(), tracker(before))
    # the words as they were said, so in the language they were said in
    assert [m["text"] for m in dispatcher.messages] == ["您好！我是邻里小助手。"]
    responses, _, _ = run(ActionRepeat(), tracker([{"event": "user", "text": "啊？"}]))
    assert responses == ["utter_nothing_said_yet"]


def test_slower_sets_the_rate_and_says_so() -> None:
    responses, events, dispatcher = run(ActionSpeakSlower(), tracker([{"event": "user", "text": "慢点"}]))
    assert dispatcher.messages[0]["custom"] == {"speech_rate": "slower"}
    assert responses[1:] == ["utter_speaking_slower"]
    assert events == [SlotSet("speech_rate", "slower")]


def test_first_miss_offers_the_skills_guessed_as_their_help_responses() -> None:
    t = tracker([{"event": "user", "text": "咕噜咕噜"}],
                ranking=["greet", "possible_emergency", "emergency_help", "human_handoff", "report_repair"])
    responses, _, dispatcher = run(ActionFallbackLadder(), t)
    # two intents of one skill are one guess; greetings are no guess; at most three
    assert responses == ["utter_fallback_guess", "utter_skill_help_emergency_help", "utter_guess_human_handoff",
                         "utter_skill_help_report_repair", "utter_fallback_something_else"]
    assert dispatcher.messages[0]["buttons"] == []


def test_first_miss_puts_the_knowledge_entries_first() -> None:
    t = tracker([{"event": "user", "text": "咕噜咕噜"}], ranking=["report_repair", "ask_events", "unknown_intent"])
    dispatcher = CollectingDispatcher()
    ActionFallbackLadder().offer(dispatcher, t, first=[KNOWLEDGE_BUTTON, KNOWLEDGE_BUTTON])
    assert said(dispatcher) == ["utter_fallback_guess", "utter_skill_help_report_repair",
                                "utter_fallback_something_else"]
    assert dispatcher.messages[0]["buttons"] == [KNOWLEDGE_BUTTON, KNOWLEDGE_BUTTON]
    dispatcher = CollectingDispatcher()
    ActionFallbackLadder().offer(dispatcher, t, first=[KNOWLEDGE_BUTTON] * 4)  # no room left for a guess
    assert said(dispatcher) == ["utter_fallback_guess", "utter_fallback_something_else"]


def missed_before() -> list[dict[str, Any]]:
    return [{"event": "user", "text": "叽里呱啦"}, {"event": "action", "name": "action_fallback_ladder"},
            {"event": "user", "text": "咕噜咕噜"}]


def test_second_miss_offers_a_person() -> None:
    responses, _, _ = run(ActionFallbackLadder(), tracker(missed_before(), ranking=["report_repair"]))
    assert responses == ["utter_fallback_offer_person"]
    dispatcher = CollectingDispatcher()
    ActionFallbackLadder().offer(dispatcher, tracker(missed_before()), first=[KNOWLEDGE_BUTTON])
    assert said(dispatcher) == ["utter_fallback_still_unsure"]
    assert dispatcher.messages[0]["buttons"] == [KNOWLEDGE_BUTTON]


# --- the words those actions name exist, in English and in Mandarin ---------------------------------------


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _response_names_in(module: Path) -> set[str]:
    """Every string constant of a module that names a response."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.startswith("utter_") and not n.value.endswith("_")}  # not an f-string's head


CORE_MODULES = ["assistant/dialogue/core_actions.py", "assistant/dialogue/handoff_actions.py",
                "assistant/dialogue/action_server.py", "assistant/skill_runtime/form_helpers.py",
                "assistant/skill_runtime/verification.py", "assistant/skill_runtime/facilities.py"]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_every_response_the_core_names_is_written_in_english_and_mandarin(module: str) -> None:
    english = _yaml(NLU_DATA / "domain.yml")["responses"]
    chinese = _yaml(NLU_DATA / "locale" / "zh-CN.yml")["responses"]
    named = _response_names_in(PROJECT_ROOT / module)
    assert named, module
    assert named - set(english) == set()
    assert named - set(chinese) == set()


def test_every_skill_has_its_help_response_in_both_languages() -> None:
    english = _yaml(NLU_DATA / "domain.yml")["responses"]
    chinese = _yaml(NLU_DATA / "locale" / "zh-CN.yml")["responses"]
    skills = sorted(p.parent for p in (PROJECT_ROOT / "skills").glob("*/skill.yml"))
    assert len(skills) >= 13
    for folder in skills:
        spec = _yaml(folder / "skill.yml")
        name = core_actions.skill_help(spec["name"])
        first_intent = next(iter(spec["intents"]))
        (en,), (zh,) = english[name], chinese[name]
        assert en["text"].lower().startswith(spec["help"].lower()), name  # the skill.yml help phrase
        assert [b["payload"] for b in en["buttons"]] == [b["payload"] for b in zh["buttons"]] == [f"/{first_intent}"]
        assert not any("a" <= ch.lower() <= "z" for ch in zh["text"] + zh["buttons"][0]["title"]), name
