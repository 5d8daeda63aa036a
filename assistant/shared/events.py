"""Small typed messages between the parts of Linli (UI, speech, dialogue).

Each event is a frozen dataclass with a ``type`` tag and converts to and from a plain dict, so the same
events travel in-process (the kiosk's bus) and over a wire (JSON). Errors travel as data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class Button:
    title: str
    """What the resident sees and may say."""
    payload: str
    """What is sent to the dialogue when pressed (e.g. ``/affirm``)."""


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class UserText(Event):
    """Something the resident typed, tapped or said (after recognition)."""

    type: ClassVar[str] = "user_text"
    sender_id: str
    text: str
    source: Literal["text", "voice", "button"] = "text"
    shown: str = ""
    """For a tapped button: the words on it, shown in the conversation instead of its payload
    (``/report_repair`` means nothing to a resident)."""


@dataclass(frozen=True)
class Transcript(Event):
    """Speech recognition output; partial results change while the resident speaks."""

    type: ClassVar[str] = "transcript"
    text: str
    final: bool


@dataclass(frozen=True)
class Alert(Event):
    """An emergency alert was raised, queued, or could not be stored at all (``reference == ""``)."""

    type: ClassVar[str] = "alert"
    reference: str
    """The office's reference (or the outbox's local one while queued); ``""``: neither the office system nor
    the outbox took the alert, so the resident must be told to call 120 and press the wall alarm."""
    queued: bool
    """True while the alert waits in the outbox for the office system (always True without a reference)."""
    kind: str = ""
    """What the resident said happened (``fire``, ``fall``, ...) when the dialogue knows; ``""`` otherwise."""

    @property
    def stored(self) -> bool:
        """False when the alert is NOT safe anywhere (see ``reference``)."""
        return bool(self.reference)


@dataclass(frozen=True)
class ConfirmEmergency(Event):
    """The assistant asked "Do you need help right now?" (two buttons): unanswered for ``timeout`` seconds,
    the front end sends the alert itself (docs/emergency-triage.md)."""

    type: ClassVar[str] = "confirm_emergency"
    timeout: float = 15.0
    """Seconds to wait for an answer before the alert is sent."""
    local: bool = False
    """True when the front end asked by itself (the dialogue down, or its safety net): the answers are then
    handled by the front end, not sent to the dialogue."""
    details: str = ""
    """The resident's words that led to the question (they go with the alert)."""
    kind: str = ""
    """What the front end's detector read in them (``fall``, ``medical``...), ``""`` when the dialogue asked."""


@dataclass(frozen=True)
class HelpComing(Event):
    """A staff member acknowledged the resident's alert ("I'm going"): the kiosk shows and says who is coming."""

    type: ClassVar[str] = "help_coming"
    reference: str
    """The office's reference of the alert (``H1007``), never the outbox's local one."""
    staff_name: str
    """The name the staff member gave, as they typed it: shown as plain text (no markup), spoken as it is."""


@dataclass(frozen=True)
class UrgentNotice(Event):
    """The office sent an urgent notice (fire, gas, water cut, lift failure): the kiosk interrupts any screen,
    shows it in large type and says it; a safety one (fire, gas) also shows the way to the assembly point."""

    type: ClassVar[str] = "urgent_notice"
    notice_id: int
    revision: int
    """Goes up when staff change the notice: a changed notice is shown again."""
    title: str
    """Staff's text: shown as plain text (no markup)."""
    body: str
    kind: str
    """``fire``, ``gas``, ``water``, ``lift`` or ``other``."""
    safety: bool = False
    """Fire or gas: show the way to the assembly point."""


@dataclass(frozen=True)
class UrgentNoticeEnded(Event):
    """An urgent notice is no longer in force (withdrawn or over): the kiosk stops showing it."""

    type: ClassVar[str] = "urgent_notice_ended"
    notice_id: int


@dataclass(frozen=True)
class TourStep:
    """Where a walk of several stops (a heritage walk) has got to: the stop the way shown leads to."""

    tour: str
    """The tour's id on the map (``heritage-walk``): the "Next stop" button asks for its next stop."""
    name: str
    """The walk's name in the conversation's language ("Heritage Walk", ``文化漫步``)."""
    stop: int
    """This stop's number, 1 for the first."""
    count: int
    """How many stops the walk has: after the last one the walk is done."""
    story: str
    """The stop's story in the conversation's language (shown large; the reply says it)."""

    @classmethod
    def from_dict(cls, data: object) -> TourStep:
        """Inverse of ``asdict``; ``ValueError`` for anything malformed (it came over a wire)."""
        if not isinstance(data, dict):
            raise ValueError("a tour step must be a mapping")
        try:
            step = cls(tour=str(data["tour"]), name=str(data["name"]), stop=int(data["stop"]),
                       count=int(data["count"]), story=str(data["story"]))
        except (KeyError, TypeError) as e:
            raise ValueError(f"not a tour step: {e}") from e
        if not 1 <= step.stop <= step.count:
            raise ValueError(f"stop {step.stop} of {step.count}")
        return step


@dataclass(frozen=True)
class ShowRoute(Event):
    """Show the way to a place (the guide screen): the route drawn and as a QR code, or at least the place."""

    type: ClassVar[str] = "show_route"
    to: str
    """The place's id (a facility slug, e.g. ``clinic``)."""
    shape: dict[str, Any] | None = None
    """The planned route as the wayfinding ``Route.to_dict()`` writes it; ``None`` when only the place is known
    (no usable map): the screen then shows the office's words without a drawing."""
    guide_url: str = ""
    """A signed link that opens the same way on a phone; ``""``: the QR code carries the words instead."""
    tour: TourStep | None = None
    """On a walk of several stops: which stop this way leads to, and its story; ``None`` for a plain way."""


@dataclass(frozen=True)
class SpeechRate(Event):
    """The resident asked the assistant to speak more slowly."""

    type: ClassVar[str] = "speech_rate"
    change: Literal["slower"] = "slower"
    """The only change the dialogue asks for; faster is a kiosk setting, never a spoken request."""


@dataclass(frozen=True)
class HandoffOpened(Event):
    """The resident asked for a person and the office opened a live conversation (a handoff) for it."""

    type: ClassVar[str] = "handoff_opened"
    reference: str
    """The office's reference of the handoff (``F1003``)."""


@dataclass(frozen=True)
class HandoffJoined(Event):
    """A staff member joined the handoff: the kiosk says who is talking."""

    type: ClassVar[str] = "handoff_joined"
    reference: str
    staff_name: str
    """As the staff member typed it: shown as plain text, spoken as it is."""


@dataclass(frozen=True)
class HandoffMessage(Event):
    """A staff member's words for the resident: shown and spoken."""

    type: ClassVar[str] = "handoff_message"
    reference: str
    staff_name: str
    text: str


@dataclass(frozen=True)
class HandoffRelayed(Event):
    """The resident's words went to the person at the console: the assistant's whole answer to the turn, so
    a front end knows the silence is meant (not a failed turn)."""

    type: ClassVar[str] = "handoff_relayed"
    reference: str


@dataclass(frozen=True)
class HandoffEnded(Event):
    """The handoff is over; the assistant answers again."""

    type: ClassVar[str] = "handoff_ended"
    reference: str
    by: Literal["resident", "resident_left", "staff"]
    """Who ended it: the resident ("Back to the assistant"), the idle reset, or the staff member."""
    staff_name: str = ""


ReplyData = Alert | ConfirmEmergency | ShowRoute | SpeechRate | HandoffOpened | HandoffRelayed | HandoffEnded
"""What a reply can carry besides words (Rasa's ``custom`` payload, decoded once by the conversation client)."""


@dataclass(frozen=True)
class Reply(Event):
    """One message from the assistant, short enough to speak aloud."""

    type: ClassVar[str] = "reply"
    text: str
    buttons: tuple[Button, ...] = ()
    data: tuple[ReplyData, ...] = ()
    """What an action attached besides words, already typed (``assistant/dialogue/wire.py`` decodes it)."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "text": self.text, "buttons": tuple(asdict(b) for b in self.buttons),
                "data": tuple(d.to_dict() for d in self.data)}


@dataclass(frozen=True)
class Speak(Event):
    """The assistant starts saying ``text`` aloud."""

    type: ClassVar[str] = "speak"
    text: str
    rate: int | None = None
    """Words per minute it is said at."""


@dataclass(frozen=True)
class Error(Event):
    """Something failed; ``message`` is safe to show or speak to a resident."""

    type: ClassVar[str] = "error"
    code: str
    message: str


@dataclass(frozen=True)
class VoiceState(Event):
    """What the voice side is doing, for the microphone indicator."""

    type: ClassVar[str] = "voice_state"
    state: Literal["idle", "listening", "thinking", "speaking", "unavailable"]
    detail: str = ""
    """Why, when ``unavailable`` (safe to show: "No microphone was found.")."""


@dataclass(frozen=True)
class StartIntent(Event):
    """A command from a front end: start ``intent`` directly, as a tapped tile or poster does, so a tap never
    depends on how the language model reads a sentence. The conversation client writes it in Rasa's syntax
    (``assistant/dialogue/wire.py``); front ends never do."""

    type: ClassVar[str] = "start_intent"
    intent: str
    """The intent's name, e.g. ``navigate_to``."""
    entities: dict[str, str] = field(default_factory=dict)
    """Entity values the intent starts with, e.g. ``{"facility": "clinic", "access": "step-free"}``."""


def navigate(to: str, *, step_free: bool = False) -> StartIntent:
    """Ask the way to the place ``to`` (a facility slug), without steps if ``step_free``."""
    return StartIntent("navigate_to", {"facility": to, **({"access": "step-free"} if step_free else {})})


def take_tour(tour: str, stop: int = 1) -> StartIntent:
    """Start the walk ``tour`` (a tour id) at stop ``stop``, or go on to it ("Next stop"); past the last stop,
    the walk is done. Asked like a way (``navigate_to``) with the walk in its ``tour`` entity."""
    return StartIntent("navigate_to", {"tour": tour, "tour_stop": str(stop)})


def show_card(code: str) -> StartIntent:
    """A household card held up to the kiosk camera (its QR text, ``LINLI-CARD:…``): the dialogue takes it as the
    answer to "show your card or tell me your phone number" (``docs/resident-verification.md``)."""
    return StartIntent("resident_card", {"resident_card": code})


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls for cls in (UserText, StartIntent, Transcript, Reply, ShowRoute, SpeechRate, Speak, Alert,
                              ConfirmEmergency, HelpComing, Error, VoiceState, HandoffOpened, HandoffJoined,
                              HandoffMessage, HandoffRelayed, HandoffEnded, UrgentNotice, UrgentNoticeEnded)
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :meth:`Event.to_dict` output; unknown types raise ``ValueError``."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type: {kind!r}")
    names = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if cls is ShowRoute and kwargs.get("tour") is not None:
        kwargs["tour"] = TourStep.from_dict(kwargs["tour"])
    if cls is Reply:
        kwargs["buttons"] = tuple(Button(**b) for b in kwargs.get("buttons", ()))
        kwargs["data"] = tuple(event_from_dict(d) for d in kwargs.get("data", ()))
        if not all(isinstance(d, ReplyData) for d in kwargs["data"]):
            raise ValueError("a reply carries only alerts, confirm questions, routes, speech-rate changes and "
                             "handoff changes")
    return cls(**kwargs)
