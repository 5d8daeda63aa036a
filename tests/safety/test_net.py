"""The front ends' turn logic with a fake dialogue: never silent, the local detector with the dialogue down, the
safety net, and the confirm question's timer (1 s here; 15 s in use) with at most one alert."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from assistant.safety.confirm import ConfirmTimer
from assistant.safety.net import NO_PAYLOAD, YES_PAYLOAD, Outcome, SafetyNet, yes_or_no
from assistant.safety.words import words
from assistant.shared.errors import DialogueUnavailable
from assistant.shared.events import (
    Alert,
    Button,
    ConfirmEmergency,
    HandoffRelayed,
    Reply,
    StartIntent,
)

EN = words("en")


class FakeDialogue:
    """Answers with canned replies, or raises DialogueUnavailable while ``down``."""

    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.replies = replies if replies is not None else [Reply("Hello.")]
        self.down = False
        self.sent: list[tuple[str, str | StartIntent, dict[str, Any] | None]] = []

    def send(self, sender_id: str, message: str | StartIntent, metadata: dict[str, Any] | None = None) -> list[Reply]:
        self.sent.append((sender_id, message, metadata))
        if self.down:
            raise DialogueUnavailable("down")
        if message == StartIntent("emergency_confirmed"):
            return [Reply("Help is coming."), Reply("", data=(Alert("H1", queued=False),))]
        return list(self.replies)


class Harness:
    def __init__(self, dialogue: FakeDialogue, confirm_seconds: float | None = 0.3, alerts: bool = True) -> None:
        self.alerts: list[tuple[str, str]] = []
        self.presented: list[Outcome] = []
        self.presented_event = threading.Event()

        def raise_alert(details: str, kind: str) -> Alert:
            self.alerts.append((details, kind))
            return Alert(f"L{len(self.alerts)}", queued=True, kind=kind)

        def present(outcome: Outcome) -> None:
            self.presented.append(outcome)
            self.presented_event.set()

        self.net = SafetyNet(dialogue, raise_alert=raise_alert if alerts else None, present=present,
                             words=lambda: EN, confirm_seconds=confirm_seconds)


def alerts_in(outcome: Outcome) -> list[Alert]:
    return [d for r in outcome.replies for d in r.data if isinstance(d, Alert)]


def question_in(outcome: Outcome) -> ConfirmEmergency | None:
    found = [d for r in outcome.replies for d in r.data if isinstance(d, ConfirmEmergency)]
    return found[0] if found else None


def test_an_answer_is_passed_on_as_it_is() -> None:
    h = Harness(FakeDialogue([Reply("The library opens at nine.")]))
    out = h.net.turn("s", "when does the library open", "text")
    assert out == Outcome([Reply("The library opens at nine.")]) and not h.alerts


def test_dialogue_down_says_so_plainly() -> None:
    dialogue = FakeDialogue()
    dialogue.down = True
    out = Harness(dialogue).net.turn("s", "when does the library open", "text")
    assert out.replies == [] and out.error is not None and out.error.message == EN["dialogue_down"]


def test_an_empty_answer_is_never_silence() -> None:
    out = Harness(FakeDialogue([])).net.turn("s", "what's on today", "text")
    assert out.error is not None and out.error.message == EN["no_reply"]


def test_a_relayed_handoff_turn_is_meant_to_be_quiet() -> None:
    relayed = [Reply("", data=(HandoffRelayed("F1"),))]
    h = Harness(FakeDialogue(relayed))
    assert h.net.turn("s", "I have fallen", "voice") == Outcome(relayed)  # a person reads the words
    assert not h.alerts


def test_a_clear_emergency_with_the_dialogue_down_raises_the_alert_directly() -> None:
    dialogue = FakeDialogue()
    dialogue.down = True
    h = Harness(dialogue)
    out = h.net.turn("s", "help, I've fallen in the kitchen", "voice")
    assert h.alerts == [("help, I've fallen in the kitchen", "fall")]
    assert [a.reference for a in alerts_in(out)] == ["L1"] and out.replies[0].text == EN["alert_queued"]


def test_a_clear_emergency_with_an_empty_answer_raises_the_alert_directly() -> None:
    """The action server down: Rasa's answer to emergency_help is empty."""
    h = Harness(FakeDialogue([]))
    h.net.turn("s", "there is smoke in the corridor", "text")
    assert h.alerts == [("there is smoke in the corridor", "fire")]


def test_without_a_direct_path_the_resident_is_told_to_call_120() -> None:
    dialogue = FakeDialogue()
    dialogue.down = True
    out = Harness(dialogue, alerts=False).net.turn("s", "my wife collapsed", "text")
    assert out.replies[0].text == EN["alert_failed"] and not alerts_in(out)[0].stored


def test_a_negated_fall_with_the_dialogue_down_is_no_alert() -> None:
    dialogue = FakeDialogue()
    dialogue.down = True
    h = Harness(dialogue)
    out = h.net.turn("s", "I have not fallen, I only want to ask something", "text")
    assert not h.alerts and out.error is not None


def test_a_button_payload_is_not_read_as_words() -> None:
    dialogue = FakeDialogue()
    dialogue.down = True
    h = Harness(dialogue)
    h.net.turn("s", "/emergency_help", "button")
    assert not h.alerts  # the button's own path (the kiosk's emergency button) raises that one


def test_a_possible_emergency_with_the_dialogue_down_asks_and_silence_sends_the_alert() -> None:
    dialogue = FakeDialogue()
    dialogue.down = True
    h = Harness(dialogue, confirm_seconds=0.3)
    out = h.net.turn("s", "I feel very dizzy", "voice")
    question = question_in(out)
    assert question is not None and question.local and out.replies[0].text == EN["confirm_question"]
    assert out.replies[0].buttons == (Button(EN["confirm_yes"], YES_PAYLOAD), Button(EN["confirm_no"], NO_PAYLOAD))
    assert not h.alerts
    assert h.presented_event.wait(5)
    assert h.alerts == [("I feel very dizzy", "medical")]
    assert alerts_in(h.presented[0]) and h.net.timer.state == "fired"
    # a late "yes" does not send a second alert
    late = h.net.turn("s", YES_PAYLOAD, "button")
    assert late.replies[0].text == EN["already_called"] and len(h.alerts) == 1


@pytest.mark.parametrize(("answer", "alerted"), [(YES_PAYLOAD, True), (NO_PAYLOAD, False),
                                                 ("yes please", True), ("no, I'm fine", False)])
def test_a_local_question_is_answered_here(answer: str, alerted: bool) -> None:
    dialogue = FakeDialogue()
    dialogue.down = True
    h = Harness(dialogue, confirm_seconds=0.5)
    h.net.turn("s", "I feel very dizzy", "text")
    out = h.net.turn("s", answer, "button" if answer.startswith("/") else "text")
    assert bool(h.alerts) is alerted
    assert out.replies[0].text == (EN["alert_queued"] if alerted else EN["confirm_declined"])
    assert not h.presented_event.wait(1.0), "answered: the timer does not fire"
    assert len(h.alerts) == (1 if alerted else 0)


def test_the_dialogues_question_starts_the_timer_and_silence_sends_the_confirming_intent() -> None:
    asked = [Reply("Do you need help right now?", buttons=(Button("Yes, send help", YES_PAYLOAD),)),
             Reply("", data=(ConfirmEmergency(timeout=15),))]
    dialogue = FakeDialogue(asked)
    h = Harness(dialogue, confirm_seconds=0.3)
    out = h.net.turn("s", "I feel a bit funny", "text")
    assert out.replies == asked and h.net.timer.state == "pending"
    assert h.presented_event.wait(5)
    sender, message, metadata = dialogue.sent[-1]
    assert (sender, message, metadata) == ("s", StartIntent("emergency_confirmed"),
                                           {"source": "system", "answer": "timeout"})
    assert [a.reference for a in alerts_in(h.presented[0])] == ["H1"] and not h.alerts  # the dialogue raised it


def test_the_dialogues_question_with_the_dialogue_gone_by_the_timeout_uses_the_direct_path() -> None:
    dialogue = FakeDialogue([Reply("Do you need help right now?"), Reply("", data=(ConfirmEmergency(),))])
    h = Harness(dialogue, confirm_seconds=0.3)
    h.net.turn("s", "I feel a bit funny", "text")
    dialogue.down = True
    assert h.presented_event.wait(5)
    assert h.alerts == [("I feel a bit funny", "help")]


def test_answering_the_dialogues_question_stops_the_timer() -> None:
    dialogue = FakeDialogue([Reply("Do you need help right now?"), Reply("", data=(ConfirmEmergency(),))])
    h = Harness(dialogue, confirm_seconds=0.4)
    h.net.turn("s", "I feel a bit funny", "text")
    dialogue.replies = [Reply("All right.")]
    h.net.turn("s", NO_PAYLOAD, "button")
    assert dialogue.sent[-1][1] == NO_PAYLOAD  # the dialogue's question: its answer goes to the dialogue
    assert not h.presented_event.wait(1.0) and not h.alerts


def test_yes_to_the_dialogues_question_with_the_dialogue_down_raises_the_alert_directly() -> None:
    dialogue = FakeDialogue([Reply("Do you need help right now?"), Reply("", data=(ConfirmEmergency(),))])
    h = Harness(dialogue, confirm_seconds=5)
    h.net.turn("s", "I feel a bit funny", "text")
    dialogue.down = True
    out = h.net.turn("s", YES_PAYLOAD, "button")
    assert h.alerts == [("I feel a bit funny", "help")] and alerts_in(out)


def test_the_safety_net_asks_when_the_dialogue_answered_a_clear_emergency_otherwise() -> None:
    fallback = [Reply("I am sorry, I cannot help with that yet. Shall I ask a person to help you?")]
    h = Harness(FakeDialogue(fallback), confirm_seconds=5)
    out = h.net.turn("s", "someone fainted by the lifts", "voice")
    assert out.replies[:1] == fallback
    question = question_in(out)
    assert question is not None and question.local and question.kind == "medical"
    assert not h.alerts, "asked, not alerted: the model and the words disagree"
    h.net.cancel()


def test_no_safety_net_for_an_everyday_complaint() -> None:
    h = Harness(FakeDialogue([Reply("What is broken?")]))
    out = h.net.turn("s", "the heating is cold", "text")
    assert question_in(out) is None and h.net.timer.state == "none"


def test_the_dialogues_alert_is_not_doubled() -> None:
    raised = [Reply("Help is coming."), Reply("", data=(Alert("H7", queued=False),))]
    h = Harness(FakeDialogue(raised))
    out = h.net.turn("s", "I have fallen", "text")
    assert out.replies == raised and not h.alerts and h.net.timer.state == "none"


@pytest.mark.parametrize(("text", "answer"), [
    ("yes", "yes"), ("yes please send someone", "yes"), ("help me", "yes"), ("需要", "yes"),
    ("no", "no"), ("no thanks, I'm fine", "no"), ("don't send anyone", "no"), ("不用了", "no"), ("我没事", "no"),
    ("what time is it", None),
])
def test_yes_or_no(text: str, answer: str | None) -> None:
    assert yes_or_no(text) == answer


def test_the_timer_fires_once_and_not_after_an_answer() -> None:
    fired: list[str] = []
    timer = ConfirmTimer(lambda asked: fired.append(asked.sender_id), seconds=0.2)
    timer.start("a", ConfirmEmergency())
    assert timer.answer().state == "pending"
    timer.start("b", ConfirmEmergency())
    timer.start("c", ConfirmEmergency())  # replaces b's
    done = threading.Event()
    threading.Timer(0.6, done.set).start()
    done.wait()
    assert fired == ["c"] and timer.state == "fired"
    assert timer.answer().state == "fired" and timer.state == "none"


def test_the_safety_net_also_asks_about_a_possible_emergency_the_dialogue_did_not_understand() -> None:
    h = Harness(FakeDialogue([Reply("Sorry, I did not understand. Did you mean ...?")]), confirm_seconds=5)
    question = question_in(h.net.turn("s", "I feel really dizzy", "text"))
    assert question is not None and question.local and not h.alerts
    h.net.cancel()


class ModelOnlyDialogue(FakeDialogue):
    """Rasa up, its action server down: every turn comes back empty, but the model can still be asked."""

    def __init__(self, reading: tuple[str, float] | None) -> None:
        super().__init__([])
        self.reading = reading
        self.asked: list[str] = []

    def understand(self, text: str) -> tuple[str, float] | None:
        self.asked.append(text)
        return self.reading


@pytest.mark.parametrize("reading", [("emergency_help", 0.91), ("possible_emergency", 0.6)])
def test_an_empty_answer_to_what_the_model_calls_an_emergency_asks_the_question(reading: tuple[str, float]) -> None:
    """The words the detector misses but the model knows ("clutching his chest") are never the fallback: the
    question, and silence alerts. Not the alert at once: the model alone is wrong on some near-misses."""
    dialogue = ModelOnlyDialogue(reading)
    h = Harness(dialogue, confirm_seconds=0.2)
    out = h.net.turn("s", "my dad is holding his chest and looks grey", "text")
    assert dialogue.asked == ["my dad is holding his chest and looks grey"]
    assert question_in(out) is not None and not h.alerts and out.error is None
    assert h.presented_event.wait(5) and len(h.alerts) == 1  # nobody answered: the alert went


@pytest.mark.parametrize("reading", [("emergency_help", 0.30), ("report_repair", 0.95), None])
def test_below_the_models_own_threshold_or_another_intent_it_is_the_plain_sentence(
        reading: tuple[str, float] | None) -> None:
    out = Harness(ModelOnlyDialogue(reading)).net.turn("s", "the stairwell light is out", "text")
    assert question_in(out) is None and out.error is not None and out.error.message == EN["no_reply"]
