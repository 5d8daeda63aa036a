"""Kivy in tests: a real Xvfb display and one Kivy window for the whole process.

Kivy reads its environment at import and can create its Window only once per process, so the
environment is set here at collection time (test modules may import kivy) and the window is a
session fixture. Never call ``App.run`` in these tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_KIVY_HOME = tempfile.mkdtemp(prefix="linli-kivy-home-")
os.environ["KIVY_NO_ARGS"] = "1"  # else Kivy parses pytest's argv as its own
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ["KIVY_HOME"] = _KIVY_HOME  # no writes to the user's ~/.kivy
os.environ.setdefault("KIVY_NO_FILELOG", "1")

SCREEN = (1920, 1080)


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed (apt-get install xvfb libgl1-mesa-dri)")
    for n in range(90, 190):
        if Path(f"/tmp/.X{n}-lock").exists() or Path(f"/tmp/.X11-unix/X{n}").exists():
            continue
        proc = subprocess.Popen(
            [xvfb, f":{n}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                return proc, f":{n}"
            time.sleep(0.05)
        proc.kill()  # lost a race for this display number, or it did not come up: try the next
        proc.wait()
    pytest.fail("no free X display number in :90..:189")


@pytest.fixture(scope="session")
def kivy_window() -> Iterator[Any]:
    """The process's one Kivy window (1920x1080, on Xvfb, Mesa software GL), bundled font as default."""
    proc, display = _start_xvfb()
    os.environ["DISPLAY"] = display
    try:
        from kivy.config import Config

        Config.set("graphics", "width", str(SCREEN[0]))
        Config.set("graphics", "height", str(SCREEN[1]))
        from kiosk_app.fonts import register_fonts

        register_fonts()  # before the window, as the app does
        from kivy.base import EventLoop

        EventLoop.ensure_window()
        from kivy.core.window import Window

        yield Window
        Window.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session", autouse=True)
def _remove_kivy_home() -> Iterator[None]:
    yield
    shutil.rmtree(_KIVY_HOME, ignore_errors=True)
