"""The local emergency detector: clear cases, possible ones, negations, past and "what if", near-misses; en + zh.

Phrasings here are the tests' own (the held-out set is only measured by bench/emergency_triage.py)."""

from __future__ import annotations

import pytest

from assistant.safety.detector import detect, normalise


@pytest.mark.parametrize(("text", "kind"), [
    ("I have fallen in the hall and I can't get up", "fall"),
    ("my grandmother fell off the step", "fall"),
    ("somebody slipped on the ice by the gate", "fall"),
    ("I can't get up off the floor", "fall"),
    ("there is a fire in the car park", "fire"),
    ("the bin store is on fire", "fire"),
    ("smoke is coming under my door", "fire"),
    ("there's a smell of gas on the landing", "gas"),
    ("my husband cannot breathe", "medical"),
    ("I have a bad pain in my chest", "medical"),
    ("a lady fainted near the shop", "medical"),
    ("the man on the bench is not moving", "medical"),
    ("my hand is bleeding a lot", "medical"),
    ("she is choking", "medical"),
    ("please call an ambulance", "medical"),
    ("help help", "other"),
    ("this is an emergency", "other"),
    ("我奶奶摔倒了", "fall"),
    ("厨房着火了", "fire"),
    ("他 晕 倒 了", "medical"),  # Vosk's Chinese output has spaces between characters
    ("有人不动了，快叫救护车", "medical"),
    ("闻到煤气味", "gas"),
])
def test_clear_emergencies(text: str, kind: str) -> None:
    found = detect(text)
    assert found is not None and found.level == "clear" and found.kind == kind, found


@pytest.mark.parametrize("text", [
    "I feel dizzy", "I'm feeling unwell", "I hurt my ankle", "my heart is racing", "I am stuck in the lift",
    "help", "我头晕", "我不舒服", "我被困在电梯里了",
])
def test_possible_emergencies(text: str) -> None:
    found = detect(text)
    assert found is not None and found.level == "possible", found


@pytest.mark.parametrize("text", [
    # negations
    "I have not fallen", "I didn't fall, I just sat down", "nobody has fallen", "no one is bleeding",
    "I haven't hurt myself", "我没有摔倒", "没有着火",
    # past and "what if"
    "I had a fall two years ago", "what should I do if I fall in the shower", "if there is a fire, where do I go",
    "my wife is recovering from a stroke", "如果着火了怎么办",
    # near-misses
    "the smoke alarm is beeping", "the smoke detector needs a battery", "when is the fire drill",
    "where is the fire exit", "the fire door will not close", "the picture fell off the wall",
    "a branch fell in the garden", "I need a blood test", "my blood pressure is fine", "my chest x-ray results",
    "the heating is off and it is cold", "the light on the stairs is broken", "the tap is dripping",
    "the gas bill is too high", "烟雾报警器在响", "暖气不热", "楼道灯坏了",
    # ordinary
    "when is the concert in the garden", "what time does the library open", "where is the clinic",
    "what can you do to help me", "图书馆几点开门",
])
def test_not_emergencies(text: str) -> None:
    assert detect(text) is None


def test_button_payloads_and_empty_text_are_not_read() -> None:
    assert detect("/emergency_help") is None
    assert detect("") is None and detect("   ") is None


def test_a_negation_in_another_clause_does_not_hide_an_emergency() -> None:
    found = detect("no one is here and my husband has collapsed")
    assert found is not None and found.level == "clear"


def test_the_words_that_fired_are_given() -> None:
    found = detect("Help, my wife FELL in the kitchen")
    assert found is not None and found.words == "fell"


def test_normalise() -> None:
    assert normalise("  I’ve   Fallen ") == "i've fallen"
    assert normalise("我 摔 倒 了 help me") == "我摔倒了 help me"
