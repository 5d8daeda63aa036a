"""What the forms that collect a resident's details have in common.

Reading a name, a phone number or a yes/no; saying sorry so the form asks again; reading the details
back with yes/no buttons; and clearing the form's slots when it is done. No sentence is written here: the
skill passes the name of a response (its skill.yml, or a core one in nlu_data/domain.yml) and the values that
fill it, and Rasa says it in the conversation's language (docs/languages.md).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import parsing_zh
from .parsing import parse_phone
from .resident_text import one_line, tidy

MAX_INPUT = 300
"""Anything longer than this is not an answer to a form question."""

PHONE_SORRY = "utter_phone_sorry"
"""Core response: no phone number was heard."""
SAY_YES_OR_NO = "utter_say_yes_or_no"
"""Core response: the answer to "shall I send it?" was neither yes nor no."""
KEPT_FIRST = "utter_kept_first"
"""Core response ``{longest}``: a description was cut to its first ``longest`` characters."""

_NAME_LEAD_INS = (
    r"(?:my|her|his|the)\s+(?:full\s+)?name\s+is", r"(?:full\s+)?name\s+is", r"name\s*:", r"i\s+am", r"i'm", r"im",
    r"it'?s", r"it\s+is", r"this\s+is", r"call\s+me",
)
_NOT_NAMES = frozenset({
    "yes", "no", "ok", "okay", "yeah", "nope", "sure", "fine", "hello", "hi", "what", "pardon", "sorry",
    "help", "stop", "cancel", "thanks", "thank you", "i don't know", "dont know", "don't know", "me", "myself",
})
_POLITE = frozenset({"please", "thanks", "thank", "dear", "er", "um", "erm"})
_NOT_IN_NAMES = frozenset({
    "cancel", "stop", "appointment", "booking", "book", "help", "doctor", "clinic", "want", "don't", "dont",
    "not", "phone", "number", "time", "day", "event", "sign", "register", "never", "mind", "what", "why",
})
_YES = re.compile(r"\b(yes|yeah|yep|ok|okay|sure|send|correct|right|go ahead|please do|fine)\b|好|是|对", re.I)
_NO = re.compile(r"\b(no|nope|not|don't|dont|do not|wrong|stop)\b|不", re.I)
_NOT_YES = re.compile(r"\b(don't|dont|do not|not|never)\s+(?:\w+\s+)?(send|do|go ahead|want)\b", re.I)


# --- reading answers ---------------------------------------------------------------------------


def name_lead_ins(*extra: str) -> re.Pattern[str]:
    """The words before a name ("my name is", "I'm", "for") plus a form's own (``r"patient\\s+is"``)."""
    alternatives = "|".join((*_NAME_LEAD_INS, *extra, "for"))
    return re.compile(rf"^(?:{alternatives})\b[\s:,.-]*", re.IGNORECASE)


def read_name(value: Any, lead_ins: re.Pattern[str]) -> str | None:
    """A person's name from "my name is zhang wei" → "Zhang Wei"; ``None`` if it is not a name."""
    text = one_line(value)
    if not text or len(text) > MAX_INPUT:
        return None
    if parsing_zh.has_chinese(text):
        return parsing_zh.zh_name(text)  # 我叫王秀英 → 王秀英; English lead-ins do not fit Chinese
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("S"))
    text = lead_ins.sub("", text.strip()).strip(" .,!?;:'\"-")
    text = " ".join(w for w in text.split() if w.lower().strip(".,!?") not in _POLITE)
    if any(w.lower().strip(".,!?") in _NOT_IN_NAMES for w in text.split()):
        return None  # "cancel the appointment" said while the form asks for a name
    if not text or len(text) > 60 or len(text.split()) > 5:
        return None
    if any(ch.isdigit() for ch in text) or sum(ch.isalpha() for ch in text) < 2:
        return None
    if text.lower() in _NOT_NAMES:
        return None
    if text == text.lower() and text.isascii():
        text = " ".join(word.capitalize() for word in text.split())
    return text


def phone_from(value: Any) -> str | None:
    """A phone number from the resident's words (spoken digits too); ``None`` for anything else."""
    text = one_line(value)
    if not text or len(text) > MAX_INPUT:
        return None
    return parse_phone(text)


def yes_or_no(value: Any) -> bool | None:
    """A confirmation from a button (bool) or from words; ``None`` if it is neither yes nor no."""
    if isinstance(value, bool):
        return value
    text = tidy(value)
    if not text:
        return None
    if parsing_zh.has_chinese(text):
        return parsing_zh.zh_yes_or_no(text)  # 好的不要发 is a no, 不错 a yes (parsing_zh)
    if _NOT_YES.search(text):
        return False  # "don't send it"
    no, yes = bool(_NO.search(text)), bool(_YES.search(text))
    if no != yes:
        return yes
    return None  # neither, or both ("no problem, send it"): ask again


def checked_answer(slot: str, value: Any, dispatcher: CollectingDispatcher, read: Callable[[Any], Any],
                   sorry: str) -> dict[str, Any]:
    """``{slot: read(value)}``; when nothing usable was heard, say the response ``sorry`` so the form asks
    again."""
    if value is None:
        return {slot: None}
    answer = read(value)
    if answer is None:
        dispatcher.utter_message(response=sorry)
    return {slot: answer}


def free_text_answer(slot: str, value: Any, dispatcher: CollectingDispatcher, *, shortest: int, longest: int,
                     sorry: str, multiline: bool = False) -> dict[str, Any]:
    """A description in the resident's own words: too short (or no letters or digits) is asked again,
    too long is kept but cut, and the resident is told so. ``sorry`` is a response name."""
    if value is None:
        return {slot: None}
    text = tidy(value, multiline=multiline)
    if len(text) < shortest or not re.search(r"[^\W_]", text):
        dispatcher.utter_message(response=sorry)
        return {slot: None}
    if len(text) > longest:
        dispatcher.utter_message(response=KEPT_FIRST, longest=longest)
        text = text[:longest].rstrip()
    return {slot: text}


# --- the start of a form -------------------------------------------------------------------------


def latest_text(tracker: Tracker) -> str:
    """The resident's latest message exactly as it arrived (a skill's own readers tidy it)."""
    return str((tracker.latest_message or {}).get("text") or "")


def form_starting(tracker: Tracker, intent: str) -> bool:
    """The form is starting from the resident's request (not asking a question yet): its first
    sentence may already hold an answer."""
    said_intent = (tracker.latest_message.get("intent") or {}).get("name")
    return tracker.get_slot("requested_slot") is None and said_intent == intent


def latest_words(tracker: Tracker) -> str:
    """What the resident just said, on one line and cut to :data:`MAX_INPUT`; empty for a button press."""
    text = one_line(tracker.latest_message.get("text"))
    return "" if text.startswith("/") else text[:MAX_INPUT]


# --- validation shared by the forms (mixed into a FormValidationAction) --------------------------


class PhoneAnswer:
    """``validate_phone`` for a form slot ``phone``: any mobile or landline, asked again if unclear."""

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        return checked_answer("phone", value, dispatcher, phone_from, PHONE_SORRY)


class ButtonConfirm:
    """``validate_confirm`` for a ``confirm`` slot filled by the yes/no intents: only a bool counts."""

    def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        return {"confirm": value if isinstance(value, bool) else None}


class SpokenConfirm:
    """``validate_confirm`` for a ``confirm`` slot filled from text: "yes", "ok send it", "don't send it"."""

    def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        return checked_answer("confirm", value, dispatcher, yes_or_no, SAY_YES_OR_NO)


# --- read back, confirm, finish ------------------------------------------------------------------


def ask_to_confirm(dispatcher: CollectingDispatcher, response: str, **values: Any) -> list[EventType]:
    """Read the details back as the form's last question: the response ``response`` filled with ``values``.

    Its yes/no buttons (``/affirm``, ``/deny``) are part of the response in YAML, so they are in the
    conversation's language too.
    """
    dispatcher.utter_message(response=response, **values)
    return []


def confirmed(tracker: Tracker, dispatcher: CollectingDispatcher, *, declined: str) -> bool:
    """Did the resident say yes? On a no, say the response ``declined``; with no answer at all (the form
    stopped early and already said why) say nothing."""
    confirm = tracker.get_slot("confirm")
    if confirm is False:
        dispatcher.utter_message(response=declined)
    return confirm is not None and confirm is not False


def clear_slots(names: Iterable[str]) -> list[EventType]:
    """Forget a form's answers, so the next request starts afresh."""
    return [SlotSet(name, None) for name in names]


def idempotency_key(tracker: Tracker, prefix: str, *parts: Any) -> str:
    """Same resident turn and same content → same key, so a retried action books only once."""
    stamp = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)
    raw = "|".join([tracker.sender_id, str(stamp), *(str(p) for p in parts)])
    return f"{prefix}-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]
