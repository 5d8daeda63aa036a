"""The settings screen: text size, contrast, speech rate and volume, language.

Text size, contrast, language and "slower" are the app's (every screen follows them, and "slower" is on the
conversation screen too); faster and the volume are only here.
"""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from . import kiosk

VOLUME_STEP = 0.2


class SettingsScreen(Screen):
    def faster(self) -> None:
        backend = kiosk().backend
        if backend is not None:
            backend.faster()

    def change_volume(self, steps: int) -> None:
        """Louder (+1) or quieter (−1), one step a tap."""
        backend = kiosk().backend
        if backend is not None:
            backend.change_volume(steps * VOLUME_STEP)
