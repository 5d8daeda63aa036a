"""What ``linli voice`` shows: one live line for the partial transcript, then what was heard and answered."""

from __future__ import annotations

import sys
from typing import TextIO

from assistant.shared.events import Error, Event, Reply, Transcript, VoiceState

from .words import speech_words

_STATES = ("listening", "thinking", "idle")


class TerminalUI:
    """Renders voice events. On a terminal the partial line is rewritten in place; in a log, finals only."""

    def __init__(self, out: TextIO | None = None, *, live: bool | None = None, show_states: bool = True,
                 language: str = "en") -> None:
        self.language = language
        """The terminal's own words (``assets/speech/words.yml``) follow the conversation's language."""
        self.out = out or sys.stdout
        self.live = self.out.isatty() if live is None else live
        self.show_states = show_states
        self._partial_shown = False

    def _clear_partial(self) -> None:
        if self._partial_shown:
            self.out.write("\r\033[K")
            self._partial_shown = False

    def _line(self, text: str) -> None:
        self._clear_partial()
        self.out.write(text + "\n")
        self.out.flush()

    def handle(self, event: Event) -> None:
        if isinstance(event, Transcript):
            if event.final:
                self._line(speech_words(self.language)["you_said"].format(text=event.text))
            elif self.live:
                self._clear_partial()
                self.out.write(f"\r\033[K  … {event.text}")
                self.out.flush()
                self._partial_shown = True
        elif isinstance(event, Reply):
            if event.text:
                self._line(f"Linli: {event.text}")
            for n, button in enumerate(event.buttons, 1):
                self._line(f"   [{n}] {button.title}")
        elif isinstance(event, Error):
            self._line(f"Linli: {event.message}")
        elif isinstance(event, VoiceState):
            if event.state == "unavailable":
                self._line(f"Linli: {event.detail}")
            elif self.show_states and self.live and event.state in _STATES and not self._partial_shown:
                self.out.write(f"\r\033[K{speech_words(self.language)[event.state]}")
                self.out.flush()
                self._partial_shown = True
