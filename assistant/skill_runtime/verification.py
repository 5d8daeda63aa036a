"""Asking a resident to show who they are, kindly: household card or phone number, then the 4-digit PIN.

A form that needs it lists ``resident_login`` and ``resident_pin`` among its required slots and mixes in
:class:`ResidentAnswers`; its submit action calls :func:`verified`. The office counts wrong PINs and locks
(``docs/resident-verification.md``); here a wrong PIN is asked once more, then a person is offered. The token
lives in the conversation for its 10 minutes (slots ``resident_token``, ``resident_token_until``), so a
second personal request in the same visit does not ask again.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from community_services.client import ServicesError, TooManyRequests, VerificationRefused

from .context import services, settings
from .form_helpers import MAX_INPUT, phone_from
from .parsing import spoken_digits
from .resident_text import one_line

LOGIN, PIN, TOKEN, UNTIL, TRIES = "resident_login", "resident_pin", "resident_token", "resident_token_until", \
    "resident_tries"
SLOTS = (LOGIN, PIN, TRIES)
"""Cleared when a form is done; the token stays for its life."""
CARD_PREFIX = "LINLI-CARD:"
RETRIES = 1
"""A wrong PIN is asked again this many times in one request before a person is offered."""

# Core responses (nlu_data/domain.yml, nlu_data/locale/<code>.yml); the person offers carry their buttons.
LOGIN_SORRY = "utter_login_sorry"
PIN_SORRY = "utter_pin_sorry"
TRY_AGAIN = "utter_pin_try_again"
OFFER_PERSON = "utter_pin_offer_person"
LOCKED = "utter_pin_locked"
BUSY = "utter_pin_busy"
DOWN = "utter_verification_down"


def current_token(tracker: Tracker) -> str | None:
    token, until = tracker.get_slot(TOKEN), tracker.get_slot(UNTIL)
    if isinstance(token, str) and token and isinstance(until, int | float) and until > time.time() + 15:
        return token
    return None


def login_from(value: Any) -> str | None:
    """A card's code (from the kiosk camera) or a phone number; ``None`` for anything else."""
    text = one_line(value)
    if text.startswith(CARD_PREFIX) and len(text) <= 200:
        return text
    return phone_from(value)


def pin_from(value: Any) -> str | None:
    text = one_line(value)
    if not text or len(text) > MAX_INPUT:
        return None
    digits = spoken_digits(text)
    return digits if len(digits) == 4 else None


class ResidentAnswers:
    """Validation of ``resident_login`` / ``resident_pin`` for a FormValidationAction, and no questions while the
    conversation holds a valid token."""

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if current_token(tracker):
            return [s for s in domain_slots if s not in (LOGIN, PIN)]
        return domain_slots

    def validate_resident_login(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {LOGIN: None}
        login = login_from(value)
        if login is None:
            dispatcher.utter_message(response=LOGIN_SORRY)
        return {LOGIN: login}

    def validate_resident_pin(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {PIN: None}
        pin = pin_from(value)
        if pin is None:
            dispatcher.utter_message(response=PIN_SORRY)
        return {PIN: pin}


def verified(tracker: Tracker, dispatcher: CollectingDispatcher, form: str) -> tuple[str | None, list[EventType]]:
    """The token for personal requests: the conversation's, or a new one from the answers. ``None`` when there is
    none; then the resident has been told why, and the events ask again (``form``) or end the request."""
    token = current_token(tracker)
    if token:
        return token, []
    login, pin = login_from(tracker.get_slot(LOGIN)), pin_from(tracker.get_slot(PIN))
    if login is None or pin is None:
        dispatcher.utter_message(response=LOGIN_SORRY)
        return None, [SlotSet(LOGIN, None), SlotSet(PIN, None), FollowupAction(form)]
    card = login if login.startswith(CARD_PREFIX) else None
    try:
        answer = services().verify_resident(settings().kiosk_id, pin, phone=None if card else login, card=card)
    except VerificationRefused as e:
        if e.locked:
            dispatcher.utter_message(response=LOCKED)
            return None, [SlotSet(s, None) for s in SLOTS]
        tries = tracker.get_slot(TRIES)
        tries = tries if isinstance(tries, int) else 0
        if tries >= RETRIES:
            dispatcher.utter_message(response=OFFER_PERSON)
            return None, [SlotSet(s, None) for s in SLOTS]
        dispatcher.utter_message(response=TRY_AGAIN)
        return None, [SlotSet(LOGIN, None), SlotSet(PIN, None), SlotSet(TRIES, tries + 1), FollowupAction(form)]
    except TooManyRequests:
        dispatcher.utter_message(response=BUSY)
        return None, [SlotSet(s, None) for s in SLOTS]
    except ServicesError:
        dispatcher.utter_message(response=DOWN)
        return None, [SlotSet(s, None) for s in SLOTS]
    until = answer.expires_at.timestamp() if answer.expires_at.tzinfo else _local_epoch(answer.expires_at)
    return answer.token, [SlotSet(TOKEN, answer.token), SlotSet(UNTIL, until), SlotSet(LOGIN, None),
                          SlotSet(PIN, None), SlotSet(TRIES, None)]


def asks_again(events: list[EventType]) -> bool:
    """The events of :func:`verified` send the resident back to the form (a second try)."""
    return any(isinstance(e, dict) and e.get("event") == "followup" for e in events)


def _local_epoch(value: datetime) -> float:
    """The office's times are local and naive; the kiosk keeps the expiry as seconds since the epoch."""
    return value.timestamp()
