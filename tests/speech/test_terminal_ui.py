from __future__ import annotations

import io

from assistant.shared.events import Button, Error, Reply, Transcript, VoiceState
from assistant.speech.terminal_ui import TerminalUI


def test_live_terminal_rewrites_the_partial_line() -> None:
    out = io.StringIO()
    ui = TerminalUI(out, live=True)
    ui.handle(Transcript("my tap", final=False))
    ui.handle(Transcript("my tap is leaking", final=False))
    ui.handle(Transcript("my tap is leaking", final=True))
    ui.handle(Reply("Which room?", (Button("Kitchen", "kitchen"),)))
    text = out.getvalue()
    assert text.count("\r\033[K") >= 3
    assert "You said: my tap is leaking\n" in text and "Linli: Which room?\n" in text and "[1] Kitchen" in text


def test_a_log_gets_finals_only() -> None:
    out = io.StringIO()
    ui = TerminalUI(out, live=False)
    ui.handle(Transcript("my", final=False))
    ui.handle(VoiceState("listening"))
    ui.handle(Transcript("my tap", final=True))
    ui.handle(Error("dialogue_unavailable", "The assistant is resting."))
    ui.handle(VoiceState("unavailable", "No microphone was found."))
    assert out.getvalue() == ("You said: my tap\nLinli: The assistant is resting.\n"
                              "Linli: No microphone was found.\n")
