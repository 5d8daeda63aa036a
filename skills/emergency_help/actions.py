"""Emergency: raise the alert first, ask nothing, and tell the resident calmly what happens next.

The alert goes through the outbox, so it is stored before it is sent and is never lost when the office
system is down. This action must never fail: whatever happens, the resident hears what to do.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from assistant.safety.detector import detect
from assistant.skill_runtime.context import outbox, settings
from community_services.schemas import clean_text

log = logging.getLogger(__name__)

MAX_DETAILS = 500
FALLBACK_LOCATION = "Community Service Centre lobby, just inside the North Gate"
FALLBACK_KIOSK_ID = "kiosk"

# Checked in this order: fire first (it changes the advice), then a fall, then illness.
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fire", ("fire", "smoke", "smoky", "burning", "flames", "flame", "on fire", "着火", "火")),
    ("medical", ("collapsed", "collapse", "unconscious", "not breathing", "can't breathe", "cannot breathe",
                 "can not breathe", "breathe", "breathing", "breath", "chest", "heart", "stroke", "faint",
                 "fainted", "dizzy", "bleeding", "blood", "choking", "choke", "seizure", "fit", "ambulance",
                 "pain", "hurts", "burned", "burnt", "sick", "diabetic", "not moving", "won't wake",
                 "will not wake", "doctor", "shaking", "120")),
    ("fall", ("fell", "fallen", "fall", "falling", "slipped", "tripped", "can't get up", "cannot get up",
              "on the floor", "on the ground", "摔")),
)
_FALL_FIRST = ("fell", "fallen", "slipped", "tripped", "can't get up", "cannot get up")


def guess_kind(text: str) -> str:
    """``fire``, ``fall``, ``medical`` or ``other`` from the resident's own words."""
    low = (text or "").lower().replace("’", "'")
    found = {kind for kind, words in _KIND_WORDS if any(_has(low, w) for w in words)}
    if "fire" in found:
        return "fire"
    # "I fell and it hurts" is a fall; "my husband collapsed" is medical.
    if "fall" in found and any(_has(low, w) for w in _FALL_FIRST):
        return "fall"
    if "medical" in found:
        return "medical"
    if "fall" in found:
        return "fall"
    return "other"


def _has(text: str, word: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", word):
        return word in text
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None


def details_from(text: str | None) -> str:
    """The resident's words, tidied and cut to 500 characters; a button press says so."""
    raw = text or ""
    if raw.startswith("/"):
        return "The emergency button was pressed at the kiosk."
    cleaned = clean_text(raw)
    if not isinstance(cleaned, str) or not cleaned:
        return "The resident asked for emergency help at the kiosk."
    return cleaned[:MAX_DETAILS]


PHONE_ADVICE = ("If it is life-threatening, please also call 120 for an ambulance. "
                "Call 119 for fire, or 110 for the police.")
FIRE_ADVICE = ("If there is fire or smoke, leave by the stairs if you can, do not use the lift, and call 119. "
               "For an ambulance call 120.")
STAY = "Please stay where you are. Someone will come to you."
POLICE_OFFICE = "The Community Police Office beside the North Gate is staffed day and night."


NO_ANSWER = "No answer to \"Do you need help right now?\" within the time; the kiosk sent the alert."


def resident_words(tracker: Tracker) -> str:
    """What the alert is about: the latest words, or — for "Yes, send help" (a button's payload, or the front
    end's timeout) — the resident's words that led to the question, with a note when nobody answered."""
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    confirming = text.startswith("/emergency_confirmed") or (latest.get("intent") or {}).get("name") in (
        "affirm", "emergency_confirmed")
    if not confirming:
        return str(text)
    earlier = ""
    for event in reversed(tracker.events or []):
        said = event.get("text") if event.get("event") == "user" else None
        if isinstance(said, str) and said and not said.startswith("/") and said != text:
            earlier = said
            break
    metadata = latest.get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("answer") == "timeout":
        return f"{earlier} ({NO_ANSWER})" if earlier else NO_ANSWER
    return earlier or text


QUESTION = "utter_confirm_emergency"
QUESTION_TEXT = "Do you need help right now?"
ANYTHING_ELSE = "Is there anything else I can do for you?"


def last_bot_text(tracker: Tracker) -> str:
    for event in reversed(tracker.events or []):
        if event.get("event") == "bot":
            return str(event.get("text") or "")
    return ""


def needs_the_question(tracker: Tracker) -> bool:
    """Two keys for an alert without a question: the model said emergency *and* the words say so.

    The resident's own words (not a button, not "yes" to the question) that the local detector does not read
    as a clear emergency get "Do you need help right now?" instead (silence still sends the alert): the
    model alone took "the heating is stone cold" and a concert question for emergencies
    (docs/emergency-triage.md)."""
    latest = tracker.latest_message or {}
    text = str(latest.get("text") or "")
    intent = (latest.get("intent") or {}).get("name")
    if not text or text.startswith("/") or intent != "emergency_help":
        return False
    found = detect(text)
    return found is None or found.level != "clear"


class ActionRaiseEmergency(Action):
    def name(self) -> str:
        return "action_raise_emergency"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "affirm":  # a plain "yes": to our question it is "send help"; otherwise nothing to do
            if last_bot_text(tracker) != QUESTION_TEXT:
                dispatcher.utter_message(text=ANYTHING_ELSE)
                return []
        else:
            try:
                ask = needs_the_question(tracker)
            except Exception:  # the second key failing must never stop the alert
                log.exception("emergency: the detector failed; raising the alert")
                ask = False
            if ask:
                dispatcher.utter_message(response=QUESTION)
                return []
        try:
            text = resident_words(tracker)
        except Exception:  # never let the look-back stop the alert
            log.exception("emergency: could not read the resident's earlier words")
            text = (tracker.latest_message or {}).get("text") or ""
        try:
            kind = guess_kind(text)
        except Exception:  # never let a guess stop the alert
            kind = "other"
        reference: str | None = None
        queued = False
        sent = False
        try:
            try:
                location = settings().kiosk_location or FALLBACK_LOCATION
                kiosk_id = settings().kiosk_id or FALLBACK_KIOSK_ID
            except Exception:
                location, kiosk_id = FALLBACK_LOCATION, FALLBACK_KIOSK_ID
            payload = {"kind": kind, "location": location, "kiosk_id": kiosk_id, "details": details_from(text)}
            try:
                submission = outbox().submit("alert", payload)
            except Exception:
                # Refused content (or anything odd about it): send the plainest possible alert instead.
                log.exception("emergency alert with the resident's words failed; sending a plain one")
                payload["details"] = "Emergency help requested at the kiosk."
                submission = outbox().submit("alert", payload)
            reference, queued, sent = submission.reference, submission.queued, True
        except Exception:
            log.exception("emergency alert could not be stored or sent")

        if sent and not queued:
            dispatcher.utter_message(
                text="Help is coming. I have alerted the staff at the Community Service Centre.")
        elif sent:
            dispatcher.utter_message(
                text="Help is being called. Your call for help is saved, and I keep sending it to the staff.")
        else:
            dispatcher.utter_message(
                text="Please ask someone near you to help, or call 120 for an ambulance now.")
            dispatcher.utter_message(text=POLICE_OFFICE)
        if kind == "fire":
            dispatcher.utter_message(text=FIRE_ADVICE)
        else:
            if sent:
                dispatcher.utter_message(text=STAY)
            dispatcher.utter_message(text=PHONE_ADVICE)
        if sent and queued:
            dispatcher.utter_message(text=POLICE_OFFICE)
        dispatcher.utter_message(json_message={"alert": {"reference": reference, "queued": queued, "kind": kind}})
        return []
