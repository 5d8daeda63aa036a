"""handoff_actions: what the console is sent as "the conversation so far" (the actions themselves run on the
real stack in tests/integration/test_handoff.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from assistant.dialogue.handoff_actions import MAX_TRANSCRIPT_BYTES, conversation_so_far


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
