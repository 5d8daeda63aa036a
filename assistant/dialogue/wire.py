"""Rasa's wire formats, in one place: an action's ``custom`` payload in, an intent message and a turn's
metadata out.

Front ends see only typed events: :func:`decode_custom` turns a reply's ``custom`` dict into
:class:`Alert` / :class:`ConfirmEmergency` / :class:`ShowRoute` / :class:`SpeechRate` once, here, and
:func:`intent_message` writes a :class:`StartIntent` command in Rasa's ``/intent{"entity": "value"}`` syntax
(also used for the payload of a button an action offers, which is the same syntax).
Pure functions: no HTTP, no rasa import.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from assistant.shared.events import (
    Alert,
    ConfirmEmergency,
    HandoffEnded,
    HandoffOpened,
    HandoffRelayed,
    ReplyData,
    ShowRoute,
    SpeechRate,
    StartIntent,
    TourStep,
)

log = logging.getLogger(__name__)

INTENT_RE = re.compile(r"[A-Za-z0-9_]+")


def turn_metadata(metadata: Mapping[str, Any] | None, locale: str | None) -> dict[str, Any]:
    """A REST turn's ``metadata``: what the front end says of the turn (``{"source": "voice"}``) with the
    conversation's language as ``locale`` (docs/languages.md: front ends send it on every turn, and the turn's
    language is decided from it before the script of the words). ``None``: no locale, Rasa goes by the script.
    A locale the front end set explicitly in ``metadata`` is kept."""
    built = dict(metadata or {})
    if locale and not built.get("locale"):
        built["locale"] = locale
    return built


def intent_message(intent: str | StartIntent, entities: Mapping[str, str] | None = None) -> str:
    """``/navigate_to{"facility": "clinic"}``: the text that starts ``intent`` in Rasa with these entities
    (no NLU guess involved). Raises ``ValueError`` for a name Rasa would not read as an intent."""
    if isinstance(intent, StartIntent):
        name, entities = intent.intent, intent.entities
    else:
        name = intent
    if not INTENT_RE.fullmatch(name):
        raise ValueError(f"not an intent name: {name!r}")
    # json.dumps' default spacing and \u escapes: byte for byte what the actions and the kiosk always sent
    return f"/{name}{json.dumps(dict(entities))}" if entities else f"/{name}"


def decode_custom(custom: object) -> tuple[ReplyData, ...]:
    """The typed events in a reply's ``custom`` payload (``{}`` or absent: none).

    Each key is one kind of event. An unknown key, or a route or speech-rate change that cannot be read, is
    logged and left out: the reply's words still reach the resident. An alert is never left out (see
    :func:`decode_alert`).
    """
    if custom is None:
        return ()
    if not isinstance(custom, Mapping):
        log.warning("ignored a reply's custom payload that is not an object: %.200r", custom)
        return ()
    decoded: list[ReplyData] = []
    for key, value in custom.items():
        decoder = _DECODERS.get(key) if isinstance(key, str) else None
        if decoder is None:
            log.warning("ignored an unknown kind of custom payload %.80r", key)
            continue
        item = decoder(value)
        if item is not None:
            decoded.append(item)
    return tuple(decoded)


def decode_alert(value: object) -> Alert:
    """An emergency action's ``{"reference", "queued", "kind"}``.

    Why one rule, and this one: a missing (or unreadable) reference means the action could neither reach
    the office system nor write the outbox (skills/emergency_help sends ``"reference": None`` exactly then).
    The resident must be told the truth, and emergency beats everything, so that becomes
    ``Alert(reference="", queued=True)`` — the same "not safe" alert the kiosk's own button produces — and
    the screen tells them to call 120. Dropping it (as the voice session once did) hid a lost alert; an
    unreadable ``queued`` is read as queued, the weaker claim, never as "the staff have it".
    """
    if not isinstance(value, Mapping):
        log.error("an emergency reply carried an unreadable alert (%.200r); telling the resident to call 120",
                  value)
        return Alert(reference="", queued=True)
    reference = value.get("reference")
    kind = value.get("kind")
    kind = kind if isinstance(kind, str) else ""
    if not isinstance(reference, str) or not reference.strip():
        if reference is not None:
            log.error("an emergency reply carried an unreadable alert reference %.80r", reference)
        return Alert(reference="", queued=True, kind=kind)
    return Alert(reference=reference.strip(), queued=value.get("queued") is not False, kind=kind)


CONFIRM_TIMEOUT = 15.0
"""Seconds the front end waits for an answer to "Do you need help right now?" when the payload names none."""
MAX_CONFIRM_TIMEOUT = 120.0


def decode_confirm_emergency(value: object) -> ConfirmEmergency:
    """``utter_confirm_emergency``'s ``{"timeout": 15}``: the question whose silence sends the alert.

    Like an alert, never dropped: an unreadable or absurd timeout becomes the default 15 s (a question with no
    timer would leave a resident who cannot answer without help)."""
    timeout = value.get("timeout") if isinstance(value, Mapping) else None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_CONFIRM_TIMEOUT:
        log.error("an emergency question carried an unreadable timeout (%.200r); waiting %s s", value,
                  CONFIRM_TIMEOUT)
        return ConfirmEmergency(timeout=CONFIRM_TIMEOUT)
    return ConfirmEmergency(timeout=float(timeout))


def decode_route(value: object) -> ShowRoute | None:
    """A way-finding action's ``{"to", "guide_url"?, ...Route.to_dict()}``, or just ``{"to"}`` without a map."""
    if not isinstance(value, Mapping) or not isinstance(value.get("to"), str) or not value["to"]:
        log.warning("ignored a route without a place to go to: %.200r", value)
        return None
    guide_url = value.get("guide_url")
    if guide_url is not None and not isinstance(guide_url, str):
        log.warning("ignored a route's guide link that is not text: %.80r", guide_url)
        guide_url = None
    # the shape is checked where it is drawn (the kiosk parses it with the wayfinding Route)
    shape: dict[str, Any] | None = None
    if "points" in value:
        shape = {k: v for k, v in value.items() if k not in ("to", "guide_url", "tour")}
    tour: TourStep | None = None
    if value.get("tour") is not None:
        try:
            tour = TourStep.from_dict(value["tour"])
        except ValueError as e:  # the way is still worth showing; only the walk around it is lost
            log.warning("ignored a route's unreadable tour step (%s): %.200r", e, value["tour"])
    return ShowRoute(to=value["to"], shape=shape, guide_url=guide_url or "", tour=tour)


def decode_speech_rate(value: object) -> SpeechRate | None:
    if value != "slower":
        log.warning("ignored an unknown speech-rate change %.80r", value)
        return None
    return SpeechRate("slower")


def decode_handoff(value: object) -> HandoffOpened | None:
    """``action_human_handoff``'s ``{"reference": "F1003"}``: a live conversation with a person is open."""
    reference = value.get("reference") if isinstance(value, Mapping) else None
    if not isinstance(reference, str) or not reference.strip():
        log.warning("ignored a handoff without a reference: %.200r", value)
        return None
    return HandoffOpened(reference.strip())


def decode_handoff_relayed(value: object) -> HandoffRelayed | None:
    """``action_relay_to_person``'s ``{"reference"}``: the words went to the person; no answer is meant."""
    reference = value.get("reference") if isinstance(value, Mapping) else None
    if not isinstance(reference, str):
        log.warning("ignored an unreadable relay: %.200r", value)
        return None
    return HandoffRelayed(reference)


HANDOFF_ENDERS = ("resident", "resident_left", "staff")


def decode_handoff_ended(value: object) -> HandoffEnded | None:
    """``action_end_handoff``'s ``{"reference", "by"}``: the assistant answers again."""
    if not isinstance(value, Mapping) or not isinstance(value.get("reference"), str):
        log.warning("ignored an unreadable end of a handoff: %.200r", value)
        return None
    by = value.get("by")
    return HandoffEnded(value["reference"], by if by in HANDOFF_ENDERS else "resident")


_DECODERS: dict[str, Callable[[object], ReplyData | None]] = {
    "alert": decode_alert,
    "confirm_emergency": decode_confirm_emergency,
    "handoff": decode_handoff,
    "handoff_ended": decode_handoff_ended,
    "handoff_relayed": decode_handoff_relayed,
    "route": decode_route,
    "speech_rate": decode_speech_rate,
}
