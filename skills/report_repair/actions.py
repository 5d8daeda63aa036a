"""Report a repair: what is broken, where, a description and a phone number; read back; send.

The first sentence often says it all ("my kitchen tap is leaking"), so the form starts from it. The
ticket goes through the outbox: if the office system is down the resident gets a reference and the
ticket is sent later, exactly once.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import outbox
from assistant.skill_runtime.parsing import mask_phone, parse_phone
from community_services.client import ServicesRejected

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
    speakable,
    tidy,
)

log = logging.getLogger(__name__)

FORM = "repair_form"
SLOTS = ("problem_type", "place", "description", "phone", "confirm")
GAS_SAFETY = ("If you smell gas, open the windows, do not touch light switches or use any flame, "
              "and leave the flat. Then call the 24-hour repair hotline of the Property Management Office.")
_YES = re.compile(r"\b(yes|yeah|yep|ok|okay|sure|send|correct|right|go ahead|please do|fine)\b|好|是|对", re.I)
_NO = re.compile(r"\b(no|nope|not|don't|dont|do not|wrong|stop)\b|不", re.I)
_NOT_YES = re.compile(r"\b(don't|dont|do not|not|never)\s+(?:\w+\s+)?(send|do|go ahead|want)\b", re.I)


def yes_or_no(value: Any) -> bool | None:
    """A confirmation from a button (bool) or from words; ``None`` if it is neither yes nor no."""
    if isinstance(value, bool):
        return value
    text = tidy(str(value)) if value is not None else ""
    if not text:
        return None
    if _NOT_YES.search(text):
        return False  # "don't send it"
    no, yes = bool(_NO.search(text)), bool(_YES.search(text))
    if no != yes:
        return yes
    return None  # neither, or both ("no problem, send it"): ask again


def _latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".!?;:, ")
    return f"{text}." if text else ""


class ValidateRepairForm(FormValidationAction):
    def name(self) -> str:
        return "validate_repair_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """At the start: forget any earlier answers, keep what the first sentence already says."""
        if tracker.get_slot("requested_slot") is not None:
            return []
        text = _latest_text(tracker)
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
            description = description_from_first_sentence(_latest_text(tracker))
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
        if value is None:
            return {"description": None}
        text = tidy(str(value))
        if len(text) < MIN_DESCRIPTION or not re.search(r"[^\W_]", text):
            dispatcher.utter_message(
                text="Please tell me a little more about the problem, for example: the tap drips all night.")
            return {"description": None}
        if len(text) > MAX_DESCRIPTION:
            dispatcher.utter_message(text="That was long, so I kept the first 1000 characters.")
            text = text[:MAX_DESCRIPTION].rstrip()
        return {"description": text}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"phone": None}
        phone = parse_phone(tidy(str(value))[:200])
        if phone is None:
            dispatcher.utter_message(
                text="Sorry, that did not sound like a phone number. "
                     "Please say all the digits, for example 138 0013 8000.")
        return {"phone": phone}

    def validate_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"confirm": None}
        answer = yes_or_no(value)
        if answer is None:
            dispatcher.utter_message(text="Please say yes to send it, or no to leave it.")
        return {"confirm": answer}


def read_back(tracker: Tracker) -> str:
    problem = str(tracker.get_slot("problem_type") or "other")
    place = str(tracker.get_slot("place") or "")
    description = _sentence(speakable(str(tracker.get_slot("description") or "")))
    phone = str(tracker.get_slot("phone") or "")
    return (f"I will report: {SPOKEN_PROBLEM.get(problem, problem)}, at {place}: {description} "
            f"Phone {mask_phone(phone)}. Shall I send it?")


class ActionAskRepairFormConfirm(Action):
    def name(self) -> str:
        return "action_ask_repair_form_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            text=read_back(tracker),
            buttons=[{"title": "Yes, send it", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return []


class ActionSubmitRepair(Action):
    def name(self) -> str:
        return "action_submit_repair"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(slot, None) for slot in SLOTS]
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
        try:
            submission = outbox().submit("ticket", payload)
        except ServicesRejected:
            dispatcher.utter_message(
                text="Sorry, the office system did not accept this report. "
                     "Please ask at the Property Management Office on the ground floor.")
            return reset
        except Exception:
            log.exception("repair ticket could not be stored")
            dispatcher.utter_message(
                text="Sorry, I could not save your report. "
                     "Please ask at the Property Management Office on the ground floor.")
            return reset
        if submission.queued:
            dispatcher.utter_message(
                text="The office system is not answering right now. Your repair request is saved "
                     f"and will be sent when the system is back. Your reference is {submission.reference}.")
        else:
            dispatcher.utter_message(
                text=f"Thank you. Your repair number is {submission.reference}. Please keep it, "
                     "so you can ask me how the repair is going.")
            dispatcher.utter_message(text="The Property Management Office will call you about it.")
        if payload["problem_type"] == "gas":
            dispatcher.utter_message(text=GAS_SAFETY)
        dispatcher.utter_message(response="utter_anything_else")
        return reset
