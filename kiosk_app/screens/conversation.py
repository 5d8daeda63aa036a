"""The conversation screen: the messages, what is being heard, the dialogue's option buttons, typing, and
the talk / repeat / slower buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from assistant.shared.events import Button
from kiosk_app.widgets import Bubble

from . import kiosk

MAX_BUBBLES = 60
"""Messages kept on screen; older ones scroll away for good (memory and frame time stay bounded)."""


class ConversationScreen(Screen):
    partial_text = StringProperty("")
    """What the recogniser hears while the resident is still speaking."""

    # what is shown -----------------------------------------------------------------------------------------
    def add_bubble(self, text: str, who: str) -> None:
        """One message: ``who`` is ``resident`` or ``linli``."""
        box = self.ids.messages
        box.add_widget(Bubble(text=text, who=who))
        # every bubble holds a screen-wide text texture (~1 MiB); a resident's conversation is far shorter
        for old in box.children[MAX_BUBBLES:]:
            box.remove_widget(old)
        Clock.schedule_once(lambda _dt: setattr(self.ids.scroll, "scroll_y", 0), 0)

    def set_options(self, buttons: Sequence[Button]) -> None:
        """The dialogue's buttons; a tap sends the button's payload as it came and shows its words."""
        box = self.ids.options
        box.clear_widgets()
        for button in buttons:
            widget = Factory.OptionButton(text=button.title)
            widget.bind(on_release=lambda _w, b=button: kiosk().send(b.payload, "button", b.title))
            box.add_widget(widget)

    def set_listening(self, listening: bool) -> None:
        self.ids.talk_button.text = kiosk().tx["stop_listening" if listening else "speak"]

    def clear(self) -> None:
        """Privacy: nothing of the conversation stays on screen."""
        self.ids.messages.clear_widgets()
        self.partial_text = ""
        self.set_options([])

    @property
    def empty(self) -> bool:
        return not self.ids.messages.children

    @property
    def unsent_words(self) -> bool:
        """Typed but not sent: the idle timer counts it as half done."""
        return bool(self.ids.typed.text.strip())

    # resident actions ----------------------------------------------------------------------------------------
    def send_typed(self, field: Any) -> None:
        text = field.text.strip()
        field.text = ""
        if text:
            kiosk().send(text, "text")

    def scroll_messages(self, pages: int) -> None:
        """One page back (+1) or forward (−1) through the conversation."""
        scroll, box = self.ids.scroll, self.ids.messages
        if box.height <= scroll.height:
            return
        page = scroll.height / (box.height - scroll.height)
        scroll.scroll_y = min(1.0, max(0.0, scroll.scroll_y + pages * page * 0.9))
