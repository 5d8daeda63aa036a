"""The home screen: the service tiles, the clock, "press and speak" and the way to the settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from assistant.shared.events import StartIntent
from kiosk_app.widgets import Tile

from . import kiosk


class HomeScreen(Screen):
    clock_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        Clock.schedule_interval(self.tick_clock, 1.0)
        self.tick_clock(0)

    def tick_clock(self, _dt: float) -> None:
        self.clock_text = datetime.now().strftime("%A %d %B  %H:%M")

    def open_tile(self, tile: Tile) -> None:
        """A tile starts its skill by intent (a typed command, not a sentence the model might misread), and the
        conversation shows the tile's words."""
        kiosk().start_conversation(StartIntent(tile.intent), tile.text)
