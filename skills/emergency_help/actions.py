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
    ("fire", ("fire", "smoke", "smoky", "burning", "flames", "flame", "on fire", "着火", "起火", "失火", "冒烟",
              "烟", "火", "著火", "煙")),
    ("medical", ("collapsed", "collapse", "unconscious", "not breathing", "can't breathe", "cannot breathe",
                 "can not breathe", "breathe", "breathing", "breath", "chest", "heart", "stroke", "faint",
                 "fainted", "dizzy", "bleeding", "blood", "choking", "choke", "seizure", "fit", "ambulance",
                 "pain", "hurts", "burned", "burnt", "sick", "diabetic", "not moving", "won't wake",
                 "will not wake", "doctor", "shaking", "120", "晕", "昏", "胸口", "心脏", "心口", "喘不", "呼吸",
                 "气都", "救护车", "急救", "流血", "出血", "血", "中风", "抽", "噎", "叫不醒", "不动", "不省人事",
                 "疼", "痛", "烫", "医生", "一二零", "幺二零",
                 # traditional characters, as some residents type them
                 "救護車", "暈", "昏迷", "醫生", "流血", "呼吸")),
    ("fall", ("fell", "fallen", "fall", "falling", "slipped", "tripped", "can't get up", "cannot get up",
              "on the floor", "on the ground", "摔", "跌", "滑倒", "起不来", "倒在地上", "站不起来")),
)
_FALL_FIRST = ("fell", "fallen", "slipped", "tripped", "can't get up", "cannot get up", "摔", "跌", "滑倒", "起不来",
               "站不起来")


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


# What the resident hears is in skill.yml (English) and locale/zh-CN.yml: these are response names.
ALERT_SENT = "utter_alert_sent"
ALERT_QUEUED = "utter_alert_queued"
ALERT_NOT_SENT = "utter_alert_not_sent"
PHONE_ADVICE = "utter_phone_advice"
FIRE_ADVICE = "utter_fire_advice"
STAY = "utter_stay_where_you_are"
POLICE_OFFICE = "utter_police_office"
ANYTHING_ELSE = "utter_anything_else"
"""Core response (nlu_data/domain.yml)."""

# Staff read the details of an alert (the office works in English); the resident never hears this.
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
CONFIRM_PAYLOAD = "/emergency_confirmed"


def last_bot_asked(tracker: Tracker) -> bool:
    """Whether Linli's last words were "Do you need help right now?" — in any language, so it is recognised by
    the response's name (Rasa's ``utter_action``) or by its "Yes, send help" button, never by its wording."""
    for event in reversed(tracker.events or []):
        if event.get("event") != "bot":
            continue
        metadata = event.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("utter_action") == QUESTION:
            return True
        buttons = (event.get("data") or {}).get("buttons") or []
        return any(isinstance(b, dict) and b.get("payload") == CONFIRM_PAYLOAD for b in buttons)
    return False


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
            if not last_bot_asked(tracker):
                dispatcher.utter_message(response=ANYTHING_ELSE)
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
            dispatcher.utter_message(response=ALERT_SENT)
        elif sent:
            dispatcher.utter_message(response=ALERT_QUEUED)
        else:
            dispatcher.utter_message(response=ALERT_NOT_SENT)
            dispatcher.utter_message(response=POLICE_OFFICE)
        if kind == "fire":
            dispatcher.utter_message(response=FIRE_ADVICE)
        else:
            if sent:
                dispatcher.utter_message(response=STAY)
            dispatcher.utter_message(response=PHONE_ADVICE)
        if sent and queued:
            dispatcher.utter_message(response=POLICE_OFFICE)
        dispatcher.utter_message(json_message={"alert": {"reference": reference, "queued": queued, "kind": kind}})
        return []
