"""form_helpers: reading names, phone numbers and yes/no, asking again, read-back and clearing a form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime.form_helpers import (
    MAX_INPUT,
    PHONE_SORRY,
    SAY_YES_OR_NO,
    ButtonConfirm,
    PhoneAnswer,
    SpokenConfirm,
    ask_to_confirm,
    checked_answer,
    clear_slots,
    confirmed,
    form_starting,
    free_text_answer,
    idempotency_key,
    latest_text,
    latest_words,
    name_lead_ins,
    phone_from,
    read_name,
    yes_or_no,
)

BASE = name_lead_ins()


def tracker(text: str = "", *, intent: str | None = None, slots: dict[str, Any] | None = None,
            sender: str = "tester", timestamp: float = 1700000000.0) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {}, "entities": []}
    events = [{"event": "user", "timestamp": timestamp, "text": text}]
    return Tracker(sender, {"requested_slot": None, **(slots or {})}, message, events, False, None, {},
                   "action_listen")


def said(dispatcher: CollectingDispatcher) -> list[str]:
    """The responses named, in order; a sentence written in Python would show up as its text and fail."""
    return [m.get("response") or f"text: {m.get('text')}" for m in dispatcher.messages]


# --- names -----------------------------------------------------------------------------------------


def test_lead_ins_keep_the_patterns_the_forms_were_written_with() -> None:
    base = (r"^(?:(?:my|her|his|the)\s+(?:full\s+)?name\s+is|(?:full\s+)?name\s+is|name\s*:|i\s+am|i'm|im|it'?s|"
            r"it\s+is|this\s+is|call\s+me|{extra}for)\b[\s:,.-]*")
    assert name_lead_ins().pattern == base.format(extra="")
    assert name_lead_ins(r"put\s+me\s+down\s+as").pattern == base.format(extra=r"put\s+me\s+down\s+as|")
    assert name_lead_ins(r"the\s+patient\s+is", r"patient\s+is").pattern == base.format(
        extra=r"the\s+patient\s+is|patient\s+is|")
    assert name_lead_ins().flags & re.IGNORECASE


@pytest.mark.parametrize(("said", "name"), [
    ("my name is zhang wei", "Zhang Wei"),
    ("I'm Wang Fang", "Wang Fang"),
    ("it's li na please", "Li Na"),
    ("for Zhao Min.", "Zhao Min"),
    ("王芳", "王芳"),
    ("call me 🙂 Chen Jie", "Chen Jie"),
    ("McDonald", "McDonald"),
])
def test_a_name_is_read(said: str, name: str) -> None:
    assert read_name(said, BASE) == name


@pytest.mark.parametrize("said", [
    None, "", "yes", "I don't know", "cancel the appointment", "Room 302", "a", "x" * (MAX_INPUT + 1),
    "one two three four five six", "\x00\u202e",
])
def test_not_a_name(said: Any) -> None:
    assert read_name(said, BASE) is None


def test_a_forms_own_lead_ins_are_stripped() -> None:
    assert read_name("put me down as wang fang", name_lead_ins(r"put\s+me\s+down\s+as")) == "Wang Fang"
    assert read_name("put me down as wang fang", BASE) is None  # six words: not a name


# --- phone numbers and yes/no ----------------------------------------------------------------------


@pytest.mark.parametrize(("said", "phone"), [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
    ("one three eight double zero one three eight zero zero zero", "13800138000"),
    ("my phone", None), ("123", None), ("", None), (None, None), ("1" * (MAX_INPUT + 1), None),
])
def test_phone_from(said: Any, phone: str | None) -> None:
    assert phone_from(said) == phone


@pytest.mark.parametrize(("said", "answer"), [
    (True, True), (False, False), ("yes", True), ("ok, send it", True), ("好", True), ("no", False),
    ("don't send it", False), ("do not send", False), ("no problem, send it", None), ("banana", None),
    ("", None), (None, None), ("\x00", None),
    # Mandarin as older residents say it: the no inside "不是" / "不好" / "别发" wins over its yes.
    ("对对对就这样", True), ("好的发吧", True), ("可以", True), ("行", True), ("没错", True), ("没问题，发吧", True),
    ("是的", True), ("不", False), ("不要", False), ("不是不是", False), ("别发了", False), ("不用了", False),
    ("算了", False), ("啊？", None), ("你说什么", None),
])
def test_yes_or_no(said: Any, answer: bool | None) -> None:
    assert yes_or_no(said) is answer


# --- asking again ----------------------------------------------------------------------------------


def test_checked_answer_says_sorry_only_for_something_unusable() -> None:
    dispatcher = CollectingDispatcher()
    assert checked_answer("phone", None, dispatcher, phone_from, "utter_sorry") == {"phone": None}
    assert dispatcher.messages == []
    assert checked_answer("phone", "13800138000", dispatcher, phone_from, "utter_sorry") == {"phone": "13800138000"}
    assert dispatcher.messages == []
    assert checked_answer("phone", "my phone", dispatcher, phone_from, "utter_sorry") == {"phone": None}
    assert said(dispatcher) == ["utter_sorry"]


def test_free_text_answer() -> None:
    def answer(value: Any, **kw: Any) -> tuple[dict[str, Any], list[str]]:
        dispatcher = CollectingDispatcher()
        result = free_text_answer("description", value, dispatcher, shortest=3, longest=20,
                                  sorry="utter_more_please", **kw)
        return result, said(dispatcher)

    assert answer(None) == ({"description": None}, [])
    assert answer("ab") == ({"description": None}, ["utter_more_please"])
    assert answer("?!?!") == ({"description": None}, ["utter_more_please"])
    assert answer("  the tap   drips ") == ({"description": "the tap drips"}, [])
    assert answer("word " * 10) == ({"description": "word word word word"}, ["utter_kept_first"])
    assert answer("厨房水龙头一直在滴水") == ({"description": "厨房水龙头一直在滴水"}, [])
    assert answer("first line\nsecond", multiline=True) == ({"description": "first line\nsecond"}, [])
    assert answer("first line\nsecond") == ({"description": "first line second"}, [])
    dispatcher = CollectingDispatcher()
    free_text_answer("description", "x" * 50, dispatcher, shortest=3, longest=20, sorry="utter_more_please")
    assert dispatcher.messages[0]["longest"] == 20  # fills {longest} of utter_kept_first


def test_the_shared_validations() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker()
    assert PhoneAnswer().validate_phone("138 0013 8000", dispatcher, t, {}) == {"phone": "13800138000"}
    assert PhoneAnswer().validate_phone("nine", dispatcher, t, {}) == {"phone": None}
    assert ButtonConfirm().validate_confirm(True, dispatcher, t, {}) == {"confirm": True}
    assert ButtonConfirm().validate_confirm("yes", dispatcher, t, {}) == {"confirm": None}
    assert SpokenConfirm().validate_confirm("yes please", dispatcher, t, {}) == {"confirm": True}
    assert SpokenConfirm().validate_confirm(None, dispatcher, t, {}) == {"confirm": None}
    assert SpokenConfirm().validate_confirm("hmm", dispatcher, t, {}) == {"confirm": None}
    assert SpokenConfirm().validate_confirm("不要", dispatcher, t, {}) == {"confirm": False}
    assert said(dispatcher) == ["utter_phone_sorry", "utter_say_yes_or_no"]
    assert (PHONE_SORRY, SAY_YES_OR_NO) == ("utter_phone_sorry", "utter_say_yes_or_no")


# --- the start of a form ---------------------------------------------------------------------------


def test_form_starting_and_the_first_sentence() -> None:
    assert form_starting(tracker("book the dentist", intent="book_appointment"), "book_appointment")
    assert not form_starting(tracker("book the dentist", intent="affirm"), "book_appointment")
    asking = tracker("the dentist", intent="book_appointment", slots={"requested_slot": "department"})
    assert not form_starting(asking, "book_appointment")
    assert latest_words(tracker("  the\x00 dentist\u200b  ")) == "the dentist"
    assert latest_words(tracker('/book_appointment{"department": "Eye"}')) == ""
    assert latest_words(tracker("x" * 1000)) == "x" * MAX_INPUT
    assert latest_text(tracker("  as  said ")) == "  as  said "
    assert latest_text(Tracker("tester", {}, {}, [], False, None, {}, "action_listen")) == ""


# --- read back, confirm, finish --------------------------------------------------------------------


def test_ask_to_confirm_says_the_read_back_response_filled_with_its_values() -> None:
    dispatcher = CollectingDispatcher()
    assert ask_to_confirm(dispatcher, "utter_confirm_repair", place="三号楼五零二", phone="13800138000") == []
    (message,) = dispatcher.messages
    assert message["response"] == "utter_confirm_repair"
    assert (message["place"], message["phone"]) == ("三号楼五零二", "13800138000")
    assert not message["text"] and not message["buttons"]  # the buttons are in the response's YAML


@pytest.mark.parametrize(("confirm", "result", "responses"), [
    (True, True, []), (False, False, ["utter_not_done"]), (None, False, []),
])
def test_confirmed(confirm: bool | None, result: bool, responses: list[str]) -> None:
    dispatcher = CollectingDispatcher()
    assert confirmed(tracker(slots={"confirm": confirm}), dispatcher, declined="utter_not_done") is result
    assert said(dispatcher) == responses


def test_clear_slots() -> None:
    assert clear_slots(("phone", "confirm")) == [SlotSet("phone", None), SlotSet("confirm", None)]
    assert clear_slots([]) == []


def test_idempotency_key_is_the_same_for_a_retried_turn_only() -> None:
    key = idempotency_key(tracker("yes"), "book", 7, "Zhang Wei")
    assert re.fullmatch(r"book-[0-9a-f]{40}", key)
    assert idempotency_key(tracker("yes"), "book", 7, "Zhang Wei") == key
    assert idempotency_key(tracker("yes", timestamp=1700000001.0), "book", 7, "Zhang Wei") != key
    assert idempotency_key(tracker("yes", sender="other"), "book", 7, "Zhang Wei") != key
    assert idempotency_key(tracker("yes"), "book", 8, "Zhang Wei") != key
    assert idempotency_key(tracker("yes"), "event", 7, "Zhang Wei").startswith("event-")
