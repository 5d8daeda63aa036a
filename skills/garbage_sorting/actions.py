"""Which bin does it go in? Known items get a plain answer; anything else gets a marked guess or the bins.

Collection times are only mentioned when the resident asks when.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.words import language_of

from .sorting import (
    FOUR_BINS,
    Said,
    answer_for,
    asks_when,
    bin_asked_about,
    collection_times,
    describe_bin,
    find_item,
    has_content,
    split_items,
    tidy_item,
)

SLOT = "garbage_item"
MAX_ITEM = 200


def _text(tracker: Tracker) -> str:
    text = str((tracker.latest_message or {}).get("text") or "")
    return "" if text.startswith("/") else text


def _entities(tracker: Tracker) -> list[str]:
    """Items the NLU marked; neighbours are joined ("old" + "batteries" -> "old batteries")."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    spans: list[list[Any]] = []
    for entity in message.get("entities") or []:
        value = entity.get("value")
        if entity.get("entity") != SLOT or not isinstance(value, str) or not value.strip():
            continue
        start, end = entity.get("start"), entity.get("end")
        last = spans[-1] if spans else None
        if (last is not None and isinstance(start, int) and isinstance(last[1], int)
                and 0 <= start - last[1] <= 1 and isinstance(end, int)):
            last[1], last[2] = end, text[last[0]:end]
        else:
            spans.append([start, end, value])
    values: list[str] = []
    for _, _, value in spans:
        if has_content(value) and value not in values:
            values.append(value)
    return values[:3]


def _general_question(text: str) -> bool:
    """"When is the rubbish collected?", "What goes in the grey bin?": no item needed."""
    return bool(text) and (asks_when(text) or bin_asked_about(text) is not None) and not find_item(text).sure


class ValidateGarbageForm(FormValidationAction):
    def name(self) -> str:
        return "validate_garbage_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        starting = tracker.get_slot("requested_slot") is None
        if starting and not _entities(tracker) and _general_question(_text(tracker)):
            return []
        return domain_slots

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start, an item named in the question counts even if the NLU did not mark it."""
        if tracker.get_slot("requested_slot") is not None or tracker.get_slot(SLOT):
            return []
        match = find_item(_text(tracker))
        return [SlotSet(SLOT, match.item.name if match.sure and match.item else None)]

    def validate_garbage_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {SLOT: None}
        item = tidy_item(str(value)[:MAX_ITEM])
        if not item or not any(ch.isalnum() for ch in item):
            dispatcher.utter_message(response="utter_garbage_item_sorry")
            return {SLOT: None}
        return {SLOT: item}


class ActionSortGarbage(Action):
    def name(self) -> str:
        return "action_sort_garbage"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = _text(tracker)
        items = _entities(tracker)
        slot_value = tracker.get_slot(SLOT)
        if not items and isinstance(slot_value, str) and slot_value.strip():
            items = split_items(slot_value[:MAX_ITEM])
        language = language_of(tracker)
        lines: list[Said] = []
        for item in items:
            lines.extend(answer_for(find_item(item), language=language))
        if not items:
            asked_bin = bin_asked_about(text)
            if asked_bin is not None:
                lines.append(describe_bin(asked_bin))
            elif not asks_when(text):
                lines.extend(FOUR_BINS)
        if asks_when(text):
            lines.extend(collection_times())
        # say each answer once, in order (two unknown items need the four bins once)
        said: list[Said] = []
        for line in lines:
            if line not in said:
                said.append(line)
        for response, values in said:
            dispatcher.utter_message(response=response, **values)
        return [SlotSet(SLOT, None)]
