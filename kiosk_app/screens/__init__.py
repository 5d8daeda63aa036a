"""The kiosk's screens, as Kivy's showcase keeps them: each screen's behaviour in a Python module next to its
``.kv`` (``home.py`` + ``home.kv`` ...). The app (``kiosk_app/app.py``) keeps only what every screen shares:
the backend, the idle timer, the emergency overlay, the language and the style, and moving between screens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from kivy.app import App

if TYPE_CHECKING:
    from kiosk_app.app import KioskApp


def kiosk() -> KioskApp:
    """The running kiosk app (the screens' way to the backend and the app-wide state)."""
    return cast("KioskApp", App.get_running_app())
