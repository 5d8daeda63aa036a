"""How is my repair going? Ask for the repair number (R7K3M9P2X, older R1001) if it was not said, then the
household's card or phone and PIN (``verification.py``), then answer in words. The place and the office's note
are only for the household that reported the repair; anyone else hears where it stands."""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime import verification
from assistant.skill_runtime.context import services
from assistant.skill_runtime.form_helpers import checked_answer, form_starting, latest_text
from assistant.skill_runtime.parsing import parse_reference
from assistant.skill_runtime.resident_text import speakable, tidy
from assistant.skill_runtime.words import language_of
from community_services.client import ServicesError, TooManyRequests
from community_services.schemas import TicketStatus

log = logging.getLogger(__name__)

SLOT = "ticket_number"
FORM = "repair_status_form"
STATUSES = frozenset({"open", "assigned", "in_progress", "waiting", "resolved", "cancelled"})
"""Each has its response ``utter_repair_status_<status>``; any other is ``utter_repair_status_handled``."""
FINISHED = frozenset({"resolved", "cancelled"})
NOTE_CHARS = 300
"""The office's public notes are at most this long (the services refuse longer ones)."""
WORDS_FILE = Path(__file__).with_name("status_words.yml")
"""How problem types and dates are said in each language."""
_NUMBER_WORDS = re.compile(r"\b(number|ticket|reference|ref)\b|单号|编号|号码|单子", re.I)
Said = tuple[str, dict[str, Any]]
"""A response name and the values that fill it."""


@cache
def _words() -> dict[str, Any]:
    return dict(yaml.safe_load(WORDS_FILE.read_text("utf-8")))


def spoken_problem(problem_type: str, language: str) -> str:
    """A problem type in the words of ``language`` ("lift" -> "the lift", "电梯")."""
    words = _words()["problems"]
    entry = words.get(problem_type) or words["other"]
    return str(entry.get(language) or entry["en"])


def spoken_date(value: date, language: str) -> str:
    """A date in the words of ``language`` (status_words.yml): "Thursday 26 November", "十一月26号，星期四"."""
    days = _words()
    lang = language if language in days["date"] else "en"
    return str(days["date"][lang]).format(weekday=days["weekdays"][lang][value.weekday()], day=value.day,
                                          month=days["months"][lang][value.month - 1])


def _text(value: Any) -> str:
    # NFKC: "Ｒ１００１" typed on a Chinese keyboard is R1001
    return unicodedata.normalize("NFKC", tidy(value, limit=200))


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


def status_answer(number: str, status: str, problem_type: str, created: date | None, today: date,
                  note: str | None = None, note_at: datetime | None = None,
                  updated_at: datetime | None = None, *, language: str = "en") -> list[Said]:
    """The status (a response per status), when it was reported, then the office's latest public note
    ("A plumber comes on Thursday morning."), as responses with their values.

    A note older than the change that finished the ticket is left out: "A plumber comes on Thursday" would
    mislead once the repair is done.
    """
    said: list[Said] = [(f"utter_repair_status_{status}" if status in STATUSES else "utter_repair_status_handled",
                         {"number": number, "problem": spoken_problem(problem_type, language)})]
    if created is not None:
        said.append(("utter_repair_status_reported_today", {}) if created == today
                    else ("utter_repair_status_reported_on", {"day": spoken_date(created, language)}))
    text = speakable(note or "", NOTE_CHARS).strip()
    stale = status in FINISHED and note_at is not None and updated_at is not None and note_at < updated_at
    if text and not stale:
        if note_at is None:
            said.append(("utter_repair_status_note", {"note": text}))
        elif note_at.date() == today:
            said.append(("utter_repair_status_note_today", {"note": text}))
        else:
            said.append(("utter_repair_status_note_on", {"note": text, "day": spoken_date(note_at.date(), language)}))
    if status == "cancelled":
        said.append(("utter_repair_status_report_again", {}))
    return said


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
        return checked_answer(SLOT, value, dispatcher, repair_number, "utter_repair_status_number_sorry")


class ActionRepairStatus(Action):
    def name(self) -> str:
        return "action_repair_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(SLOT, None), *(SlotSet(s, None) for s in verification.SLOTS)]
        number = repair_number(tracker.get_slot(SLOT))
        if number is None:
            dispatcher.utter_message(response="utter_repair_status_number_needed")
            return reset
        token, events = verification.verified(tracker, dispatcher, FORM)
        if token is None:
            return events if verification.asks_again(events) else [*events, *reset]
        try:
            ticket = services().get_ticket_status(number, resident_token=token)
        except TooManyRequests:
            dispatcher.utter_message(response="utter_repair_status_busy")
            return [*events, *reset]
        except ServicesError:
            dispatcher.utter_message(response="utter_repair_status_services_down")
            return [*events, *reset]
        if ticket is None:
            dispatcher.utter_message(response="utter_repair_status_not_found", number=number)
            return [*events, *reset, FollowupAction("utter_offer_new_repair")]
        today = date.today()
        language = language_of(tracker)
        if isinstance(ticket, TicketStatus):
            said = status_answer(ticket.number, ticket.status, ticket.problem_type, ticket.created_at.date(), today,
                                 ticket.public_note, ticket.public_note_at, ticket.updated_at, language=language)
        else:
            said = [*status_answer(ticket.number, ticket.status, ticket.problem_type, ticket.created_at.date(),
                                   today, language=language), ("utter_repair_status_not_yours", {})]
        for response, values in said:
            dispatcher.utter_message(response=response, **values)
        return [*events, *reset]
