"""Report a repair: what is broken, where, a description and a phone number; read back; send.

The first sentence often says it all ("my kitchen tap is leaking"), so the form starts from it. The
ticket goes through the outbox: if the office system is down the resident gets a reference and the
ticket is sent later, exactly once.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.form_helpers import (
    SpokenConfirm,
    ask_to_confirm,
    checked_answer,
    clear_slots,
    free_text_answer,
    latest_text,
)
from assistant.skill_runtime.outbox_submit import SubmitReplies, submit_and_tell
from assistant.skill_runtime.parsing import parse_phone
from assistant.skill_runtime.resident_text import speakable, tidy
from assistant.skill_runtime.words import language_of

from .repair_text import (
    MAX_DESCRIPTION,
    MIN_DESCRIPTION,
    PROBLEM_TYPES,
    description_from_first_sentence,
    normalise_problem_type,
    parse_place,
    place_from_first_sentence,
    problem_type_in,
    spoken_place,
    spoken_problem,
)

FORM = "repair_form"
SLOTS = ("problem_type", "place", "description", "phone", "confirm")
GAS_SAFETY = "utter_repair_gas_safety"
READ_BACK_CHARS = 160
MAX_PHONE_ANSWER = 200
REPLIES = SubmitReplies(
    refused="utter_repair_refused",
    unsaved="utter_repair_unsaved",
    queued="utter_repair_queued",
    delivered=("utter_repair_sent", "utter_repair_office_will_call"),
)


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _phone_answer(value: Any) -> str | None:
    # NFKC: full-width digits typed on a Chinese keyboard ("１３８…") are digits too
    return parse_phone(unicodedata.normalize("NFKC", tidy(value, limit=MAX_PHONE_ANSWER)))


class ValidateRepairForm(SpokenConfirm, FormValidationAction):
    def name(self) -> str:
        return "validate_repair_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start: forget any earlier answers, keep what the first sentence already says."""
        if tracker.get_slot("requested_slot") is not None:
            return []
        text = latest_text(tracker)
        entity = _entity(tracker, "problem_type")
        values: dict[str, Any] = dict.fromkeys(SLOTS)
        values["problem_type"] = normalise_problem_type(entity) if entity else problem_type_in(text)
        values["description"] = description_from_first_sentence(text)
        values["place"] = place_from_first_sentence(text)
        return [SlotSet(slot, value) for slot, value in values.items()]

    def validate_problem_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"problem_type": None}
        text = str(value)
        problem = text if text in PROBLEM_TYPES else normalise_problem_type(text)
        if problem is None:
            dispatcher.utter_message(response="utter_repair_what_sorry")
            return {"problem_type": None}
        result: dict[str, Any] = {"problem_type": problem}
        if problem == "gas":
            dispatcher.utter_message(response=GAS_SAFETY)
        asked = tracker.get_slot("requested_slot") == "problem_type"
        if asked and not tracker.get_slot("description"):
            # "the toilet is blocked again" answers both questions
            description = description_from_first_sentence(latest_text(tracker))
            if description:
                result["description"] = description
        return result

    def validate_place(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"place": None}
        result = parse_place(str(value))
        if result.place is None:
            dispatcher.utter_message(response=result.problem or "utter_repair_place_ask", **result.values)
        return {"place": result.place}

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return free_text_answer("description", value, dispatcher, shortest=MIN_DESCRIPTION, longest=MAX_DESCRIPTION,
                                sorry="utter_repair_description_sorry")

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return checked_answer("phone", value, dispatcher, _phone_answer, "utter_repair_phone_sorry")


def read_back(tracker: Tracker) -> dict[str, str]:
    """The values of the read-back response, the problem and place as said in the conversation's language."""
    language = language_of(tracker)
    phone = str(tracker.get_slot("phone") or "")
    return {
        "problem": spoken_problem(str(tracker.get_slot("problem_type") or "other"), language),
        "place": spoken_place(str(tracker.get_slot("place") or ""), language),
        "description": speakable(str(tracker.get_slot("description") or ""), READ_BACK_CHARS).strip()
        .rstrip(".!?;:, 。！？；：，"),
        # the last four digits only, one by one: the resident recognises them, a passer-by learns little
        "phone_end": " ".join(phone[-4:]),
    }


class ActionAskRepairFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_repair_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_to_confirm(dispatcher, "utter_repair_read_back", **read_back(tracker))


class ActionSubmitRepair(Action):
    def name(self) -> str:
        return "action_submit_repair"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = clear_slots(SLOTS)
        if tracker.get_slot("confirm") is not True:
            dispatcher.utter_message(response="utter_repair_not_sent")
            return reset
        payload = {slot: tracker.get_slot(slot) for slot in ("problem_type", "place", "description", "phone")}
        if not all(isinstance(v, str) and v for v in payload.values()):
            dispatcher.utter_message(response="utter_repair_details_missing")
            return reset
        if submit_and_tell(dispatcher, "ticket", payload, REPLIES) is None:
            return reset
        if payload["problem_type"] == "gas":
            dispatcher.utter_message(response=GAS_SAFETY)
        dispatcher.utter_message(response="utter_anything_else")
        return reset
