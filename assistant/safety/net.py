"""One resident turn as a front end runs it: never silent, and an emergency recognised with the dialogue down.

Both front ends (the kiosk backend and the voice session) send every turn through :meth:`SafetyNet.turn`,
which asks the dialogue and returns what to present — the dialogue's replies, or the front end's own words,
never nothing (docs/emergency-triage.md):

* the dialogue failed, timed out or returned nothing: the local detector reads the resident's words; a clear
  emergency raises the alert on the direct path at once, a possible one asks "Do you need help right now?"
  (answered here), anything else gets plain words ("I can't answer right now ...");
* the dialogue answered a clear or possible emergency with neither an alert nor the question (the fallback,
  another skill): the question is asked too — the safety net; not while a person from the office reads the
  words;
* a question (the dialogue's or our own) starts the timer; silence sends the alert, through the dialogue's
  confirming intent when it asked, else (or when that brings no alert back) on the direct path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from assistant.dialogue.wire import intent_message
from assistant.shared.errors import DialogueUnavailable, InputError, LinliError
from assistant.shared.events import (
    Alert,
    Button,
    ConfirmEmergency,
    Error,
    HandoffRelayed,
    Reply,
    StartIntent,
)

from .confirm import Answer, Asked, ConfirmTimer
from .detector import Detection, detect, normalise

log = logging.getLogger(__name__)

CONFIRMED = StartIntent("emergency_confirmed")
DECLINED = StartIntent("emergency_declined")
YES_PAYLOAD = intent_message(CONFIRMED)
NO_PAYLOAD = intent_message(DECLINED)
TIMEOUT_METADATA = {"source": "system", "answer": "timeout"}
LOCAL_TIMEOUT = 15.0
"""The question's time when the front end asks it by itself (the dialogue's payload says 15 too)."""
RESIDENT_SOURCES = ("text", "voice")
"""Turns whose text is the resident's own words (a button's payload and a system turn are not)."""

_NO = re.compile(r"^(?:no|nope|nah|not now)\b|\b(?:don't|do not|no need to) (?:send|call)\b|\bno need\b|"
                 r"\b(?:i'm|i am|im) (?:fine|ok|okay|all right|alright)\b|^(?:不用|不要|不需要|没事|我没事|不)")
_YES = re.compile(r"^(?:yes|yeah|yep|yup|please|i do)\b|\bsend (?:help|someone|somebody)\b|\bhelp\b|"
                  r"^(?:是|要|需要|救命|快)")


class Dialogue(Protocol):
    def send(self, sender_id: str, message: str | StartIntent,
             metadata: dict[str, Any] | None = None) -> list[Reply]: ...


MODEL_EMERGENCY_INTENTS = frozenset({"emergency_help", "possible_emergency"})
MODEL_THRESHOLD = 0.45
"""The model's own fallback threshold (``FallbackClassifier`` in ``nlu_data/config.yml``): below it the model
itself would not act on the intent, so neither does the net."""


def model_reading(dialogue: object, said: str) -> Detection | None:
    """When the turn came back empty but the model can still be asked (``understand``: Rasa up, its action
    server down), an emergency the model recognises gets the question — never the alert at once: the model alone
    raises false alerts on near-misses (docs/emergency-triage.md), the question costs at most 15 s."""
    understand = getattr(dialogue, "understand", None)
    if understand is None:
        return None
    reading = understand(said)
    if reading is None:
        return None
    intent, confidence = reading
    if intent in MODEL_EMERGENCY_INTENTS and confidence >= MODEL_THRESHOLD:
        return Detection(level="possible", kind="other", words=f"{intent} {confidence:.2f}")
    return None


@dataclass(frozen=True)
class Outcome:
    """What a front end presents for one turn: ``replies`` in order, or ``error`` (its message is the words)."""

    replies: list[Reply]
    error: Error | None = None


def yes_or_no(text: str) -> Literal["yes", "no"] | None:
    """The resident's answer to "Do you need help right now?" in their own words, if it is one."""
    said = normalise(text)
    if _NO.search(said):
        return "no"
    if _YES.search(said):
        return "yes"
    return None


def payload_of(message: str | StartIntent) -> str:
    return intent_message(message) if isinstance(message, StartIntent) else message


def own_words(message: str | StartIntent, source: str) -> str:
    """The resident's words in a turn ("" for a button's payload, a tile's command or a system turn)."""
    if isinstance(message, StartIntent) or source not in RESIDENT_SOURCES or message.startswith("/"):
        return ""
    return message


def silent(replies: list[Reply]) -> bool:
    """Nothing to show or say: no words, no buttons, no data (a relayed handoff turn carries data)."""
    return not any(r.text.strip() or r.buttons or r.data for r in replies)


def carries(replies: list[Reply], kind: type) -> bool:
    return any(isinstance(item, kind) for r in replies for item in r.data)


def offers_help(replies: list[Reply]) -> bool:
    """The answer already offers "Yes, send help" (a button of the question, with or without its timer data)."""
    return any(b.payload.startswith(YES_PAYLOAD) for r in replies for b in r.buttons)


class SafetyNet:
    def __init__(self, dialogue: Dialogue, *, raise_alert: Callable[[str, str], Alert] | None,
                 present: Callable[[Outcome], None], words: Callable[[], Mapping[str, str]],
                 confirm_seconds: float | None = None) -> None:
        """``raise_alert(details, kind)``: the direct alert path (``None``: this front end has none, and a
        resident is told to call 120); ``present``: shows and says an outcome that arrives outside a turn (the
        question's timeout, on the timer's thread); ``words``: the front end's words in its language now;
        ``confirm_seconds``: overrides every question's timeout (tests)."""
        self.dialogue = dialogue
        self._raise_alert = raise_alert
        self._present = present
        self._words = words
        self.timer = ConfirmTimer(self._timed_out, confirm_seconds)

    # a turn -----------------------------------------------------------------------------------------------
    def turn(self, sender_id: str, message: str | StartIntent, source: str) -> Outcome:
        """Send one turn and return what to present. Never raises for a dialogue failure."""
        payload = payload_of(message)
        said = own_words(message, source)
        answer = self.timer.answer() if source != "system" else Answer("none", None)
        early = self._answer_to_question(answer, payload, said)
        if early is not None:
            return early
        failure: Error | None = None
        try:
            replies = self.dialogue.send(sender_id, message, {"source": source})
        except InputError as e:  # empty or too long: nothing was sent, and the message says what to do
            return Outcome([], Error(e.code, e.message))
        except LinliError as e:
            replies, failure = [], Error(e.code, e.message)
        except Exception:
            log.exception("dialogue turn failed")
            replies, failure = [], Error("dialogue_failed", "")
        if failure is None and not silent(replies):
            return self._answered(sender_id, replies, said)
        return self._unanswered(sender_id, payload, said, answer, failure)

    def _answer_to_question(self, answer: Answer, payload: str, said: str) -> Outcome | None:
        """A tap or a word answering a question: handled here when the dialogue must not (or cannot) see it."""
        asked = answer.asked
        tapped = payload in (YES_PAYLOAD, NO_PAYLOAD)
        if answer.state == "fired" and (tapped or (said and yes_or_no(said))):
            return Outcome([Reply(self._words()["already_called"])])  # one question, one alert
        if answer.state != "pending" or asked is None or not asked.question.local:
            return None
        choice = ("yes" if payload == YES_PAYLOAD else "no") if tapped else yes_or_no(said) if said else None
        if choice == "yes":
            return self._alert(asked.question.details, asked.question.kind)
        if choice == "no":
            return Outcome([Reply(self._words()["confirm_declined"])])
        return None

    def _answered(self, sender_id: str, replies: list[Reply], said: str) -> Outcome:
        for reply in replies:
            for item in reply.data:
                if isinstance(item, ConfirmEmergency):
                    self.timer.start(sender_id, replace(item, details=said))
        if said and not carries(replies, Alert) and not carries(replies, ConfirmEmergency) \
                and not carries(replies, HandoffRelayed) and not offers_help(replies):
            found = detect(said)
            if found is not None:  # clear or possible: the question costs 15 s at most, the fallback a life
                log.warning("emergency: the dialogue answered a %s emergency (%s: %r) with neither an alert nor "
                            "the question; asking it", found.level, found.kind, found.words)
                return Outcome([*replies, self._question(sender_id, said, found)])
        return Outcome(replies)

    def _unanswered(self, sender_id: str, payload: str, said: str, answer: Answer,
                    failure: Error | None) -> Outcome:
        words = self._words()
        if payload == YES_PAYLOAD:  # "Yes, send help" to the dialogue's question, and the dialogue is down
            asked = answer.asked
            return self._alert(asked.question.details if asked else "", asked.question.kind if asked else "")
        found = detect(said) if said else None
        if found is None and said and failure is None:  # Rasa answered (emptily): its model can be asked
            found = model_reading(self.dialogue, said)
        if found is not None and found.level == "clear":
            log.warning("emergency: %s (%r) with the dialogue %s; raising the alert directly", found.kind,
                        found.words, "down" if failure else "silent")
            return self._alert(said, found.kind)
        if found is not None:
            return Outcome([self._question(sender_id, said, found)])
        if payload == NO_PAYLOAD:
            return Outcome([Reply(words["confirm_declined"])])
        if failure is not None:
            return Outcome([], Error(failure.code or DialogueUnavailable.code, words["dialogue_down"]))
        log.warning("the dialogue returned nothing for a turn; saying so")
        return Outcome([], Error("dialogue_empty", words["no_reply"]))

    # the question and the alert ---------------------------------------------------------------------------
    def _question(self, sender_id: str, said: str, found: Detection) -> Reply:
        words = self._words()
        question = ConfirmEmergency(timeout=LOCAL_TIMEOUT, local=True, details=said, kind=found.kind)
        self.timer.start(sender_id, question)
        return Reply(words["confirm_question"],
                     buttons=(Button(words["confirm_yes"], YES_PAYLOAD), Button(words["confirm_no"], NO_PAYLOAD)),
                     data=(question,))

    def _alert(self, details: str, kind: str) -> Outcome:
        words = self._words()
        if self._raise_alert is None:
            alert = Alert(reference="", queued=True, kind=kind)
        else:
            alert = self._raise_alert(details, kind or "help")  # never raises
        key = "alert_failed" if not alert.stored else "alert_queued" if alert.queued else "alert_sent"
        return Outcome([Reply(words[key], data=(alert,))])

    def _timed_out(self, asked: Asked) -> None:
        """No answer in time (the timer's thread): the dialogue's own confirming turn, else the direct path."""
        question = asked.question
        if not question.local:
            try:
                replies = self.dialogue.send(asked.sender_id, CONFIRMED, dict(TIMEOUT_METADATA))
            except Exception:
                log.warning("emergency: the confirming turn failed; raising the alert directly", exc_info=True)
                replies = []
            if carries(replies, Alert):
                self._present(Outcome(replies))
                return
        self._present(self._alert(question.details, question.kind))

    def cancel(self) -> None:
        """Forget a pending question (a new conversation)."""
        self.timer.cancel()
