"""A person from the office talks through the kiosk: open the handoff, relay the resident's words, hand back.

The state lives in Rasa's tracker as the slot ``handoff_reference`` (set here, cleared here); while it is set
``rasa_runtime/handoff_policy.py`` sends every resident turn to ``action_relay_to_person``. Staff words reach
the kiosk through the services client (``assistant/skill_runtime/handoff_watch.py``), never through Rasa.
See ``docs/handoff.md``.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime import context
from community_services.client import ServicesError
from community_services.schemas import HandoffCreate, HandoffEnd, HandoffMessageCreate, HandoffTranscriptLine

log = logging.getLogger(__name__)

HANDOFF_SLOT = "handoff_reference"
MAX_TRANSCRIPT = 60
MAX_TEXT = 1000
MAX_TRANSCRIPT_BYTES = 40_000
"""The office refuses a request over 64 KiB (413, not worth retrying): send the newest lines that fit."""
# What the resident hears: core responses (nlu_data/domain.yml, nlu_data/locale/<code>.yml).
OFFICE_WORDS = "utter_office_where"
OPENED = "utter_handoff_opened"
QUEUED = "utter_handoff_queued"
NOT_STORED = "utter_handoff_not_stored"
NOT_PASSED_ON = "utter_handoff_not_passed_on"
HANDOFF_OVER = "utter_handoff_over"
"""Staff ended the conversation; the resident is back with the assistant."""
BACK = "utter_back_with_linli"


def _words(event: dict[str, Any]) -> str:
    """What a user event said; a tapped button's payload (``/affirm``) as the intent's name."""
    text = str(event.get("text") or "").strip()
    if text.startswith("/"):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or text[1:]
        return f"(pressed: {str(intent).replace('_', ' ')})"
    return text


def conversation_so_far(tracker: Tracker) -> list[HandoffTranscriptLine]:
    """The session's resident and assistant lines, oldest first, the last ``MAX_TRANSCRIPT`` of them."""
    lines: list[HandoffTranscriptLine] = []
    for event in tracker.events:
        kind = event.get("event")
        if kind == "session_started" or (kind == "action" and event.get("name") == "action_session_start"):
            lines = []
        elif kind == "user" and (words := _words(event)):
            lines.append(HandoffTranscriptLine(who="resident", text=words[:MAX_TEXT]))
        elif kind == "bot" and (text := str(event.get("text") or "").strip()):
            lines.append(HandoffTranscriptLine(who="assistant", text=text[:MAX_TEXT]))
    kept: list[HandoffTranscriptLine] = []
    size = 0
    for line in reversed(lines[-MAX_TRANSCRIPT:]):
        size += len(line.text.encode("utf-8")) + 40  # the JSON around it
        if size > MAX_TRANSCRIPT_BYTES:
            break
        kept.append(line)
    return kept[::-1]


class ActionHumanHandoff(Action):
    """Open a live conversation with the office; when the office cannot be reached, queue the request (the
    outbox) so staff still come — there is no live conversation then."""

    def name(self) -> str:
        return "action_human_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        ctx = context.current()
        said = _words(tracker.latest_message) or "(asked for a person)"
        transcript = conversation_so_far(tracker)
        if transcript and (transcript[-1].who, transcript[-1].text) == ("resident", said):
            transcript = transcript[:-1]  # "said" is the request itself
        request = HandoffCreate(kiosk_id=ctx.settings.kiosk_id, location=ctx.settings.kiosk_location,
                                said=said[:MAX_TEXT], transcript=transcript)
        # one key per request turn: a retried action (Rasa's or ours) opens one handoff, not two
        key = f"handoff-{tracker.sender_id}-{len(tracker.events)}"
        try:
            opened = ctx.services.open_handoff(request, idempotency_key=key)
        except ServicesError as e:
            log.warning("handoff: the office could not open a live conversation (%s); queueing the request",
                        e.message)
            return self._queue(dispatcher, ctx, said)
        dispatcher.utter_message(response=OPENED, json_message={"handoff": {"reference": opened.reference}})
        return [SlotSet(HANDOFF_SLOT, opened.reference)]

    @staticmethod
    def _queue(dispatcher: CollectingDispatcher, ctx: context.SkillContext, said: str) -> list[EventType]:
        try:
            ctx.outbox.submit("feedback", {
                "text": f"A resident at the kiosk ({ctx.settings.kiosk_location}) asked to talk to a person: "
                        f"{said}"[:MAX_TEXT],
                "category": "handoff",
            })
            dispatcher.utter_message(response=QUEUED)
        except Exception:
            log.exception("handoff request could not be stored")
            dispatcher.utter_message(response=NOT_STORED)
        dispatcher.utter_message(response=OFFICE_WORDS)
        return []


class ActionRelayToPerson(Action):
    """The resident's words go to the person at the console; the assistant says nothing itself."""

    def name(self) -> str:
        return "action_relay_to_person"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reference = tracker.get_slot(HANDOFF_SLOT)
        words = _words(tracker.latest_message)
        if not reference or not words:
            return []
        metadata = tracker.latest_message.get("metadata") or {}
        spoken = isinstance(metadata, dict) and metadata.get("source") == "voice"
        try:
            context.services().add_handoff_message(
                str(reference), HandoffMessageCreate(text=words[:MAX_TEXT], via="spoken" if spoken else "typed"))
        except ServicesError as e:
            if e.status == 409:  # staff ended it while the resident spoke: hand back, and say so
                dispatcher.utter_message(response=HANDOFF_OVER,
                                         json_message={"handoff_ended": {"reference": reference, "by": "staff"}})
                return [SlotSet(HANDOFF_SLOT, None)]
            log.warning("handoff %s: the resident's words could not be passed on (%s)", reference, e.message)
            dispatcher.utter_message(response=NOT_PASSED_ON)
            return []
        # no words of the assistant's own, but not an empty answer: a front end can tell "meant" from "failed"
        dispatcher.utter_message(json_message={"handoff_relayed": {"reference": reference}})
        return []


class ActionEndHandoff(Action):
    """"Back to the assistant": the resident's button, or the kiosk after staff ended the conversation."""

    def name(self) -> str:
        return "action_end_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reference = tracker.get_slot(HANDOFF_SLOT)
        if not reference:
            dispatcher.utter_message(response=BACK)
            return []
        by = "resident"
        try:
            view = context.services().end_handoff(str(reference), HandoffEnd(reason="resident"))
            if view.ended_reason == "staff":
                by = "staff"
        except ServicesError as e:  # the slot is cleared anyway: the resident asked for the assistant
            log.warning("handoff %s: could not tell the office it ended (%s)", reference, e.message)
        dispatcher.utter_message(response=HANDOFF_OVER if by == "staff" else BACK,
                                 json_message={"handoff_ended": {"reference": reference, "by": by}})
        return [SlotSet(HANDOFF_SLOT, None)]


HANDOFF_ACTIONS: tuple[type[Action], ...] = (ActionHumanHandoff, ActionRelayToPerson, ActionEndHandoff)
