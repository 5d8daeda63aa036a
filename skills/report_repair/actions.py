"""Report a repair: what is broken, where, a description and a phone number; read back; send.

The first sentence often says it all ("my kitchen tap is leaking"), so the form starts from it. The
ticket goes through the outbox: if the office system is down the resident gets a reference and the
ticket is sent later, exactly once.
"""

from __future__ import annotations

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
from assistant.skill_runtime.parsing import mask_phone, parse_phone
from assistant.skill_runtime.resident_text import speakable, tidy

from .repair_text import (
    MAX_DESCRIPTION,
    MIN_DESCRIPTION,
    PROBLEM_TYPES,
    SPOKEN_PROBLEM,
    description_from_first_sentence,
    normalise_problem_type,
    parse_place,
    place_from_first_sentence,
    problem_type_in,
)

FORM = "repair_form"
SLOTS = ("problem_type", "place", "description", "phone", "confirm")
GAS_SAFETY = ("If you smell gas, open the windows, do not touch light switches or use any flame, "
              "and leave the flat. Then call the 24-hour repair hotline of the Property Management Office.")
READ_BACK_CHARS = 160
MAX_PHONE_ANSWER = 200
REPLIES = SubmitReplies(
    what="report",
    saved="repair request",
    ask_instead="Please ask at the Property Management Office on the ground floor.",
    delivered=("Thank you. Your repair number is {reference}. Please keep it, "
               "so you can ask me how the repair is going.",
               "The Property Management Office will call you about it."),
)


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".!?;:, ")
    return f"{text}." if text else ""


def _phone_answer(value: Any) -> str | None:
    return parse_phone(tidy(value, limit=MAX_PHONE_ANSWER))


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
            dispatcher.utter_message(
                text="Sorry, I did not catch what is broken. Please say it in a few words, "
                     "for example: the kitchen tap is leaking.")
            return {"problem_type": None}
        result: dict[str, Any] = {"problem_type": problem}
        if problem == "gas":
            dispatcher.utter_message(text=GAS_SAFETY)
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
            dispatcher.utter_message(text=result.problem or "Sorry, I did not catch the place.")
        return {"place": result.place}

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return free_text_answer("description", value, dispatcher, shortest=MIN_DESCRIPTION, longest=MAX_DESCRIPTION,
                                sorry="Please tell me a little more about the problem, "
                                      "for example: the tap drips all night.")

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return checked_answer("phone", value, dispatcher, _phone_answer,
                              "Sorry, that did not sound like a phone number. "
                              "Please say all the digits, for example 138 0013 8000.")


def read_back(tracker: Tracker) -> str:
    problem = str(tracker.get_slot("problem_type") or "other")
    place = str(tracker.get_slot("place") or "")
    description = _sentence(speakable(str(tracker.get_slot("description") or ""), READ_BACK_CHARS))
    phone = str(tracker.get_slot("phone") or "")
    return (f"I will report: {SPOKEN_PROBLEM.get(problem, problem)}, at {place}: {description} "
            f"Phone {mask_phone(phone)}. Shall I send it?")


class ActionAskRepairFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_repair_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_to_confirm(dispatcher, read_back(tracker), yes="Yes, send it")


class ActionSubmitRepair(Action):
    def name(self) -> str:
        return "action_submit_repair"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = clear_slots(SLOTS)
        if tracker.get_slot("confirm") is not True:
            dispatcher.utter_message(
                text="All right, I have not sent it. Nothing was reported. "
                     "If you want to report it again, just tell me what is broken.")
            return reset
        payload = {slot: tracker.get_slot(slot) for slot in ("problem_type", "place", "description", "phone")}
        if not all(isinstance(v, str) and v for v in payload.values()):
            dispatcher.utter_message(
                text="Sorry, some details were missing, so nothing was sent. Please start again.")
            return reset
        if submit_and_tell(dispatcher, "ticket", payload, REPLIES) is None:
            return reset
        if payload["problem_type"] == "gas":
            dispatcher.utter_message(text=GAS_SAFETY)
        dispatcher.utter_message(response="utter_anything_else")
        return reset
