"""Starting the kiosk: `linli run` (after the back end is up), `linli kiosk`, or `python -m kiosk_app`."""

from __future__ import annotations

import logging
import os

from assistant.shared.config import Settings, load_settings
from assistant.shared.errors import LinliError

log = logging.getLogger(__name__)


def display_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_kiosk(settings: Settings, *, voice: bool | None = None, fullscreen: bool | None = None) -> int:
    """Blocks until the kiosk window closes. Raises LinliError when there is no screen to open it on.

    ``voice`` and ``fullscreen`` left as None follow the settings (LINLI_KIOSK_VOICE, LINLI_KIOSK_FULLSCREEN).
    """
    if not display_available():
        raise LinliError("There is no screen to show the kiosk on.",
                         hint="Run it on the kiosk's display, or use `linli run --chat` / `linli run --voice`.")
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our flags are not Kivy's
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kivy.config import Config

    from kiosk_app.fonts import register_fonts

    register_fonts()  # before the Window exists, so every label uses the Latin + CJK font
    full = fullscreen if fullscreen is not None else settings.kiosk_fullscreen
    Config.set("graphics", "fullscreen", "auto" if full else "0")
    Config.set("graphics", "width", str(settings.kiosk_width))
    Config.set("graphics", "height", str(settings.kiosk_height))
    Config.set("graphics", "maxfps", str(settings.kiosk_maxfps))  # 0: unlimited (benchmark)
    Config.set("kivy", "exit_on_escape", "0")  # a resident's stray key must not close the kiosk
    Config.set("input", "mouse", "mouse,disable_multitouch")  # a tap is a tap, never a red multitouch dot
    from kiosk_app.app import KioskApp

    app = KioskApp(settings, voice=settings.kiosk_voice if voice is None else voice)
    port, token = settings.kiosk_control_port, settings.kiosk_control_token
    if port is not None and not token:
        log.error("The kiosk's control channel stays off: LINLI_KIOSK_CONTROL_PORT is set but "
                  "LINLI_KIOSK_CONTROL_TOKEN is not (anyone on this machine could drive the kiosk).")
    elif port is not None and token:
        from kiosk_app.control import start_control

        shots = settings.var_dir / "screenshots"

        def control(*_: object) -> None:  # returns None: a truthy result would stop App.on_start running
            start_control(app, port, token, shots)

        app.bind(on_start=control)
    app.run()
    return 0


def main() -> int:
    try:
        return run_kiosk(load_settings())
    except LinliError as e:
        print(f"linli kiosk: {e}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
