"""``linli chat``: a text conversation in the terminal, through the same client the kiosk uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.errors import LinliError
from assistant.shared.events import Button, Reply

EXIT_WORDS = {"/quit", "/exit", "quit", "exit"}


def render(replies: list[Reply], write: Callable[[str], None]) -> list[Button]:
    buttons: list[Button] = []
    for reply in replies:
        if reply.text:
            write(f"Linli: {reply.text}")
        for button in reply.buttons:
            buttons.append(button)
            write(f"   [{len(buttons)}] {button.title}")
    return buttons


def chat_loop(client: ConversationClient, read: Callable[[str], str] = input,
              write: Callable[[str], None] = print, sender_id: str | None = None) -> None:
    sender = sender_id or f"chat-{uuid.uuid4().hex[:10]}"
    write("Linli text chat. Type your question; a number picks a button; 'quit' ends.")
    buttons: list[Button] = []
    while True:
        try:
            text = read("You: ")
        except (EOFError, KeyboardInterrupt):
            write("")
            break
        if text.strip().lower() in EXIT_WORDS:
            break
        choice = text.strip()
        if choice.isdigit() and 1 <= int(choice) <= len(buttons):
            text = buttons[int(choice) - 1].payload
        try:
            buttons = render(client.send(sender, text), write)
        except LinliError as e:
            write(f"Linli: {e.message}")
    write("Goodbye.")
