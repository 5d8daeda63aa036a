"""action_server.safe: an action that fails says the core response ``utter_something_went_wrong``."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.action_server import SORRY, safe


class Broken(Action):
    def name(self) -> str:
        return "action_broken"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        raise RuntimeError("a bug")


def test_a_failing_action_apologises_with_the_core_response() -> None:
    dispatcher = CollectingDispatcher()
    tracker = Tracker("t", {}, {}, [], False, None, {}, "action_listen")
    assert asyncio.run(safe(Broken)().run(dispatcher, tracker, {})) == []
    assert SORRY == "utter_something_went_wrong"
    assert [(m["response"], m["text"]) for m in dispatcher.messages] == [("utter_something_went_wrong", None)]
