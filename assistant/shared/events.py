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
class Reply(Event):
    """One message from the assistant, short enough to speak aloud."""

    type: ClassVar[str] = "reply"
    text: str
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)
    """Extra data from an action (e.g. ``{"speech_rate": "slower"}``)."""


@dataclass(frozen=True)
class Speak(Event):
    type: ClassVar[str] = "speak"
    text: str
    rate: int | None = None


@dataclass(frozen=True)
class Alert(Event):
    """An emergency alert was raised (or queued)."""

    type: ClassVar[str] = "alert"
    reference: str
    queued: bool


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


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls for cls in (UserText, Transcript, Reply, Speak, Alert, Error, VoiceState)
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :meth:`Event.to_dict` output; unknown types raise ``ValueError``."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type: {kind!r}")
    names = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if cls is Reply:
        kwargs["buttons"] = tuple(Button(**b) for b in kwargs.get("buttons", ()))
    return cls(**kwargs)
