"""verification: asking who the resident is names core responses (their words are data, in every language)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.shared.config import Settings
from assistant.skill_runtime import context, verification
from assistant.skill_runtime.verification import ResidentAnswers, verified
from community_services.client import ServicesClient
from community_services.seed_data import DEMO_HOUSEHOLD

_, PHONES, PIN = DEMO_HOUSEHOLD
WRONG_PIN = "0000" if PIN != "0000" else "1111"


def tracker(**slots: Any) -> Tracker:
    return Tracker("t", {"requested_slot": None, **slots}, {"text": ""}, [], False, None, {}, "action_listen")


def said(dispatcher: CollectingDispatcher) -> list[str]:
    """The responses named; a sentence written in Python shows up as ``text: ...`` and fails."""
    return [m.get("response") or f"text: {m.get('text')}" for m in dispatcher.messages]


@pytest.fixture
def office_down(down_client: ServicesClient) -> Iterator[None]:
    context.configure(context.SkillContext(settings=Settings(), services=down_client, outbox=None))  # type: ignore[arg-type]
    yield
    context.configure(None)


def test_unclear_answers_are_asked_again_with_their_responses() -> None:
    dispatcher = CollectingDispatcher()
    answers = ResidentAnswers()
    assert answers.validate_resident_login("嗯那个", dispatcher, tracker(), {}) == {verification.LOGIN: None}
    assert answers.validate_resident_login("138 0013 8000", dispatcher, tracker(), {}) == {
        verification.LOGIN: "13800138000"}
    assert answers.validate_resident_pin("123", dispatcher, tracker(), {}) == {verification.PIN: None}
    assert answers.validate_resident_pin("1 2 3 4", dispatcher, tracker(), {}) == {verification.PIN: "1234"}
    assert said(dispatcher) == ["utter_login_sorry", "utter_pin_sorry"]


def test_no_answers_asks_again() -> None:
    dispatcher = CollectingDispatcher()
    token, events = verified(tracker(), dispatcher, "repair_status_form")
    assert token is None and FollowupAction("repair_status_form") in events
    assert said(dispatcher) == ["utter_login_sorry"]


def test_a_wrong_pin_is_tried_once_more_then_a_person_is_offered(skill_context: context.SkillContext) -> None:
    answers = {verification.LOGIN: PHONES[0], verification.PIN: WRONG_PIN}
    dispatcher = CollectingDispatcher()
    token, events = verified(tracker(**answers), dispatcher, "repair_status_form")
    assert token is None and SlotSet(verification.TRIES, 1) in events and verification.asks_again(events)
    token, events = verified(tracker(**answers, resident_tries=1), dispatcher, "repair_status_form")
    assert token is None and not verification.asks_again(events)
    assert said(dispatcher) == ["utter_pin_try_again", "utter_pin_offer_person"]
    assert all(not m["buttons"] for m in dispatcher.messages)  # the person buttons are in the response's YAML


def test_the_right_pin_gives_a_token_and_says_nothing(skill_context: context.SkillContext) -> None:
    dispatcher = CollectingDispatcher()
    token, events = verified(tracker(**{verification.LOGIN: PHONES[0], verification.PIN: PIN}), dispatcher, "f")
    assert token and SlotSet(verification.TOKEN, token) in events
    assert dispatcher.messages == []


@pytest.mark.usefixtures("office_down")
def test_while_the_office_system_is_down() -> None:
    dispatcher = CollectingDispatcher()
    token, _ = verified(tracker(**{verification.LOGIN: PHONES[0], verification.PIN: PIN}), dispatcher, "f")
    assert token is None
    assert said(dispatcher) == ["utter_verification_down"]
