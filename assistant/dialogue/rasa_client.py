"""Typed client for the Rasa server: the REST channel for turns, the HTTP API for state and health.

Front ends (text chat, voice terminal, kiosk) use this and receive :class:`Reply` events whose ``custom``
payloads are already typed (:mod:`assistant.dialogue.wire`); they send text or a :class:`StartIntent`
command and never write Rasa's syntax nor import rasa. Every failure becomes a :class:`LinliError` whose
message can be shown to a resident.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from assistant.shared.errors import DialogueUnavailable, InputError, LinliError
from assistant.shared.events import Button, Reply, StartIntent
from foundation.language import normalise, script_language

from .wire import decode_custom, intent_message, turn_metadata

MAX_TEXT_CHARS = 1000
"""Longer than any spoken request; a paste of 20 kB is refused kindly instead of parsed slowly."""
SENDER_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
_DROP = frozenset({"Cc", "Cf", "Cs", "Co"})
UNAVAILABLE = "I cannot answer right now because my thinking part is not running. Please try again in a minute."


def clean_text(text: object) -> str:
    """Strip control characters and surrounding space; refuse empty, too long or non-text input."""
    if not isinstance(text, str):
        raise InputError("Please type or say your question in words.")
    # Control, format, surrogate and private-use characters go; the zero-width joiners that hold emoji like 👨‍👩‍👧
    # together stay, and so do characters newer than this Python's Unicode tables (category Cn: new emoji).
    cleaned = "".join(ch for ch in text if ch in "\n\t\u200c\u200d" or unicodedata.category(ch) not in _DROP)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InputError("I did not get any words. Please type or say your question.")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise InputError("That is too long for me. Please say it in one or two short sentences.")
    return cleaned


def check_sender(sender_id: object) -> str:
    if not isinstance(sender_id, str) or not SENDER_RE.match(sender_id):
        raise InputError("This conversation has an invalid id; please start a new conversation.")
    return sender_id


def _replies(messages: Any) -> list[Reply]:
    if not isinstance(messages, list):
        raise DialogueUnavailable("The assistant sent an answer I could not read. Please try again.")
    replies = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        buttons = tuple(Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                        for b in m.get("buttons") or [] if isinstance(b, dict))
        replies.append(Reply(text=str(m.get("text") or ""), buttons=buttons, data=decode_custom(m.get("custom"))))
    return replies


class ConversationClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None, language: str | None = None,
                 languages: Sequence[str] = (), on_language: Callable[[str], None] | None = None) -> None:
        """``language``: the conversation's language, sent as every turn's ``locale`` (``None``: none is sent
        and Rasa goes by the script of the words); ``languages``: the ones the community offers — words the
        resident types or says in one of them (Chinese characters, Latin letters) switch ``language`` to it
        before the turn is sent, and ``on_language(code)`` is told (the screen, the voice follow)."""
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self.language = normalise(language) if language else None
        self.languages = tuple(c for c in (normalise(code) for code in languages) if c)
        self.on_language = on_language

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ConversationClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = kwargs.pop("params", {}) | {"token": self._token}
        try:
            response = self._http.request(method, path, params=params, **kwargs)
        except httpx.HTTPError as e:
            raise DialogueUnavailable(UNAVAILABLE) from e
        if response.status_code >= 400:  # 4xx too (a wrong token): callers only expect LinliError
            raise DialogueUnavailable(UNAVAILABLE)
        return response

    def send(self, sender_id: str, message: str | StartIntent,
             metadata: dict[str, Any] | None = None) -> list[Reply]:
        """One resident turn through the REST channel: their words, or a command such as a tapped tile's;
        returns the assistant's replies in order."""
        text = intent_message(message) if isinstance(message, StartIntent) else clean_text(message)
        if not isinstance(message, StartIntent):
            self.follow_words(text)
        body = {"sender": check_sender(sender_id), "message": text,
                "metadata": turn_metadata(metadata, self.language)}
        response = self._request("POST", "/webhooks/rest/webhook", json=body)
        if response.status_code != 200:
            raise DialogueUnavailable(UNAVAILABLE)
        try:
            return _replies(response.json())
        except ValueError as e:
            raise DialogueUnavailable("The assistant sent an answer I could not read. Please try again.") from e

    def follow_words(self, text: str) -> str | None:
        """The resident's own words say which language they speak (a payload or digits say nothing): the
        conversation switches to it when the community offers it. Returns the language now in use."""
        said = script_language(text)
        if said is not None and said in self.languages and said != self.language:
            self.language = said
            if self.on_language is not None:
                self.on_language(said)
        return self.language

    def health(self) -> bool:
        try:
            return self._http.get("/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def status(self) -> dict[str, Any]:
        """Rasa's /status (model file and fingerprint); raises if Rasa is down."""
        response = self._request("GET", "/status")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def tracker(self, sender_id: str) -> dict[str, Any]:
        response = self._request("GET", f"/conversations/{check_sender(sender_id)}/tracker")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def understand(self, text: str) -> tuple[str, float] | None:
        """What the model alone makes of ``text`` (``/model/parse``: no action runs, nothing is stored):
        ``(intent, confidence)``, or ``None`` when Rasa cannot be asked. The safety net uses it when a turn came
        back empty because the action server is down, while Rasa itself still answers."""
        try:
            response = self._request("POST", "/model/parse", json={"text": clean_text(text)})
            intent = response.json().get("intent") or {}
        except (LinliError, ValueError, AttributeError):
            return None
        name, confidence = intent.get("name"), intent.get("confidence")
        if not isinstance(name, str) or not isinstance(confidence, int | float):
            return None
        return name, float(confidence)

    def reset(self, sender_id: str) -> None:
        """Forget a conversation (privacy: the kiosk clears itself when idle)."""
        response = self._request("POST", f"/conversations/{check_sender(sender_id)}/tracker/events",
                                 json={"event": "restart"})
        response.raise_for_status()
