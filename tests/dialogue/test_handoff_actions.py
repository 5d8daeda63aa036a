"""handoff_actions: what the console is sent as "the conversation so far" (the actions themselves run on the
real stack in tests/integration/test_handoff.py), and the responses they name."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.handoff_actions import (
    HANDOFF_SLOT,
    MAX_TRANSCRIPT_BYTES,
    ActionEndHandoff,
    ActionHumanHandoff,
    conversation_so_far,
)
from assistant.skill_runtime import context


def tracker(events: list[dict[str, Any]]) -> Tracker:
    return Tracker("k-1", {}, {}, events, False, None, {}, "action_listen")


def user(text: str, intent: str = "") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


def lines(t: Tracker) -> list[tuple[str, str]]:
    return [(line.who, line.text) for line in conversation_so_far(t)]


def test_resident_and_assistant_lines_of_this_session_only() -> None:
    t = tracker([user("old words"), bot("old answer"), {"event": "session_started"},
                 user("my heating is cold"), bot("Sorry, I did not quite understand."), {"event": "slot"},
                 user("/human_handoff", "human_handoff"), bot("")])
    assert lines(t) == [("resident", "my heating is cold"), ("assistant", "Sorry, I did not quite understand."),
                        ("resident", "(pressed: human handoff)")]


def test_the_newest_lines_that_fit_the_office_limit() -> None:
    long = "漏水" * 500  # 1000 characters, 3000 bytes
    t = tracker([e for i in range(40) for e in (user(f"{i} {long}"[:1000]), bot("ok"))])
    sent = conversation_so_far(t)
    size = sum(len(line.text.encode()) for line in sent)
    assert size <= MAX_TRANSCRIPT_BYTES and len(sent) < 60
    assert sent[-1].text == "ok" and sent[-2].text.startswith("39 ")  # the newest are kept


# --- what the resident hears: core responses, in the conversation's language ----------------------------


def said(dispatcher: CollectingDispatcher) -> list[str]:
    """The responses named; a sentence written in Python shows up as ``text: ...`` and fails."""
    return [m.get("response") or f"text: {m.get('text')}" for m in dispatcher.messages]


def asking(text: str, slots: dict[str, Any] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "human_handoff"}}
    return Tracker("k-2", {HANDOFF_SLOT: None, **(slots or {})}, message, [user(text, "human_handoff")], False,
                   None, {}, "action_listen")


def test_a_person_is_asked_for_then_the_resident_goes_back(skill_context: context.SkillContext) -> None:
    dispatcher = CollectingDispatcher()
    events = ActionHumanHandoff().run(dispatcher, asking("我要找个真人说话"), {})
    (opened,) = dispatcher.messages
    assert said(dispatcher) == ["utter_handoff_opened"]
    reference = opened["custom"]["handoff"]["reference"]
    assert events == [SlotSet(HANDOFF_SLOT, reference)]
    dispatcher = CollectingDispatcher()
    events = ActionEndHandoff().run(dispatcher, asking("/back_to_assistant", {HANDOFF_SLOT: reference}), {})
    assert said(dispatcher) == ["utter_back_with_linli"]
    assert dispatcher.messages[0]["custom"] == {"handoff_ended": {"reference": reference, "by": "resident"}}
    assert events == [SlotSet(HANDOFF_SLOT, None)]


def test_going_back_with_no_person_talking() -> None:
    dispatcher = CollectingDispatcher()
    assert ActionEndHandoff().run(dispatcher, asking("/back_to_assistant"), {}) == []
    assert said(dispatcher) == ["utter_back_with_linli"]
