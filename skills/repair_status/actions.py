"""How is my repair going? Ask for the repair number (R7K3M9P2X, older R1001) if it was not said, then the
household's card or phone and PIN (``verification.py``), then answer in words. The place and the office's note
are only for the household that reported the repair; anyone else hears where it stands."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime import verification
from assistant.skill_runtime.context import services
from assistant.skill_runtime.form_helpers import checked_answer, form_starting, latest_text
from assistant.skill_runtime.parsing import parse_reference, spoken_day
from assistant.skill_runtime.resident_text import speakable, tidy
from community_services.client import ServicesError, TooManyRequests
from community_services.schemas import TicketStatus

log = logging.getLogger(__name__)

SLOT = "ticket_number"
FORM = "repair_status_form"
EXAMPLE = "It starts with R and is on your slip, for example R 7K3M 9P2X."
NOT_YOURS = "The details are told only to the household that reported it."
STATUS_WORDS = {
    "open": "has been received and is waiting for a worker.",
    "assigned": "has been given to a worker, who will come to it.",
    "in_progress": "is being worked on. A worker has it now.",
    "waiting": "is waiting for something first, such as parts or a time to visit.",
    "resolved": "has been finished.",
    "cancelled": "was cancelled.",
}
PROBLEM_WORDS = {
    "plumbing": "plumbing", "electrical": "electrical work", "lift": "the lift", "door_or_lock": "a door or lock",
    "heating": "heating", "gas": "gas", "window": "a window", "other": "a repair",
}
SERVICES_DOWN = ("The office system is not answering right now, so I cannot check your repair. "
                 "Please try again in a little while, or ask at the Property Management Office.")
FINISHED = frozenset({"resolved", "cancelled"})
NOTE_CHARS = 300
"""The office's public notes are at most this long (the services refuse longer ones)."""
_NUMBER_WORDS = re.compile(r"\b(number|ticket|reference|ref)\b", re.I)


def _text(value: Any) -> str:
    return tidy(value, limit=200)


def repair_number(value: Any) -> str | None:
    """"R1002" from "r 1002", "one zero zero two" or "it is R-1004 I think"; else ``None``."""
    return parse_reference(_text(value), "R")


def reference_in_first_sentence(text: str) -> str | None:
    """A repair number said with the question: "R1003", or digits after "number"/"ticket"."""
    text = _text(text)
    if not text or text.startswith("/"):
        return None
    explicit = parse_reference(text, "R", explicit=True)
    if explicit or not _NUMBER_WORDS.search(text):
        return explicit
    return parse_reference(text, "R")


def status_sentence(number: str, status: str, problem_type: str, created: date | None, today: date,
                    note: str | None = None, note_at: datetime | None = None,
                    updated_at: datetime | None = None) -> str:
    """The status in words, then the office's latest public note ("A plumber comes on Thursday morning.").

    A note older than the change that finished the ticket is left out: "A plumber comes on Thursday" would
    mislead once the repair is done.
    """
    problem = PROBLEM_WORDS.get(problem_type, problem_type or "a repair")
    sentence = f"Repair {number}, for {problem}, {STATUS_WORDS.get(status, 'is being handled.')}"
    if created is not None:
        when = "today" if created == today else f"on {spoken_day(created, today)}"
        sentence += f" It was reported {when}."
    said = speakable(note or "", NOTE_CHARS)
    stale = status in FINISHED and note_at is not None and updated_at is not None and note_at < updated_at
    if said and not stale:
        if note_at is not None:
            when = "today" if note_at.date() == today else f"on {spoken_day(note_at.date(), today)}"
            sentence += f" The office wrote {when}: {said}"
        else:
            sentence += f" The office wrote: {said}"
        if said[-1] not in ".!?":
            sentence += "."
    if status == "cancelled":
        sentence += " If the problem is still there, you can report it again."
    return sentence


class ValidateRepairStatusForm(verification.ResidentAnswers, FormValidationAction):
    def name(self) -> str:
        return "validate_repair_status_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not form_starting(tracker, "repair_status"):  # asked again after a wrong PIN: keep the number
            return []
        return [SlotSet(SLOT, reference_in_first_sentence(latest_text(tracker)))]

    def validate_ticket_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return checked_answer(SLOT, value, dispatcher, repair_number,
                              f"Sorry, I did not catch a repair number. {EXAMPLE}")


class ActionRepairStatus(Action):
    def name(self) -> str:
        return "action_repair_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None), *(SlotSet(s, None) for s in verification.SLOTS)]
        number = repair_number(tracker.get_slot(SLOT))
        if number is None:
            dispatcher.utter_message(text=f"I need the repair number to check it. {EXAMPLE}")
            return reset
        token, events = verification.verified(tracker, dispatcher, FORM)
        if token is None:
            return events if verification.asks_again(events) else [*events, *reset]
        try:
            ticket = services().get_ticket_status(number, resident_token=token)
        except TooManyRequests as e:
            dispatcher.utter_message(text=e.message)
            return [*events, *reset]
        except ServicesError:
            dispatcher.utter_message(text=SERVICES_DOWN)
            return [*events, *reset]
        if ticket is None:
            dispatcher.utter_message(
                text=f"I could not find repair number {number}. Please check the number on your slip.")
            return [*events, *reset, FollowupAction("utter_offer_new_repair")]
        today = date.today()
        if isinstance(ticket, TicketStatus):
            said = status_sentence(ticket.number, ticket.status, ticket.problem_type, ticket.created_at.date(), today,
                                   ticket.public_note, ticket.public_note_at, ticket.updated_at)
        else:
            said = (status_sentence(ticket.number, ticket.status, ticket.problem_type, ticket.created_at.date(),
                                    today) + " " + NOT_YOURS)
        dispatcher.utter_message(text=said)
        return [*events, *reset]
