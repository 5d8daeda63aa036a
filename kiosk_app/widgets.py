"""Kiosk widgets: big tiles and buttons, message bubbles. Sizes and colours come from the App's style
properties (set from kiosk_app.theme), so a text-size or theme change restyles everything at once."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.label import Label

from wayfinding.icons import IconError, load_icons


class BigButton(Button):
    """A plain, large button; ``linli_bg`` tells the accessibility audit what colour it paints."""

    linli_bg = ListProperty([0, 0, 0, 1])
    linli_tappable = BooleanProperty(True)
    role = StringProperty("button")
    """``button`` or ``emergency``: picks the colours from the theme."""


class Tile(BigButton):
    """A home-screen service tile: it starts its skill by ``intent`` (a typed command, as option buttons
    start theirs by payload), so a tap never depends on how the language model happens to read a sentence."""

    intent = StringProperty("")
    icon = StringProperty("")
    """Its pictogram (``assets/icons/icons.yml``, ``tiles``), from the intent; none if the list has none."""

    def on_intent(self, _tile: Tile, intent: str) -> None:
        try:
            found = load_icons().tile(intent)
        except IconError:  # a tile without its picture still has its words
            found = None
        self.icon = str(found) if found is not None else ""


class EmergencyButton(BigButton):
    pass


class Bubble(Label):
    """One message; ``who`` is ``resident`` or ``linli``."""

    who = StringProperty("linli")
    linli_bg = ListProperty([1, 1, 1, 1])
