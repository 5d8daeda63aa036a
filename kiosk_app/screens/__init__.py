"""The kiosk's screens, as Kivy's showcase keeps them: each screen's behaviour in a Python module next to its
``.kv`` (``home.py`` + ``home.kv`` ...). The app (``kiosk_app/app.py``) keeps only what every screen shares:
the backend, the idle timer, the emergency overlay, the language and the style, and moving between screens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from kivy.app import App

from assistant.shared.events import StartIntent

if TYPE_CHECKING:
    from kiosk_app.backend import Backend
    from kiosk_app.guide_feed import GuideFeed


class KioskShell(Protocol):
    """What a screen may ask of the app. A Protocol rather than ``KioskApp`` itself: the app imports the
    screens, so the screens naming the app would be an import cycle (tests/test_architecture.py)."""

    tx: Any
    """The words of the current language (a Kivy DictProperty)."""
    backend: Backend | None
    guide_feed: GuideFeed | None
    language: str
    """The conversation's language (``en``, ``zh-CN``)."""
    body_px: float
    """The body text size in px for this window and text step (30 px at 1080p by default)."""

    def start_conversation(self, command: StartIntent, shown: str) -> None: ...

    def start(self, command: StartIntent, shown: str) -> None: ...

    def send(self, text: str, source: Literal["text", "button"], shown: str = "") -> None: ...


def kiosk() -> KioskShell:
    """The running kiosk app (the screens' way to the backend and the app-wide state)."""
    return cast("KioskShell", App.get_running_app())
