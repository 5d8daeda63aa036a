"""The bundled Latin + CJK font (WenQuanYi Micro Hei, ``assets/fonts/``) as the kiosk's default font.

Kivy's own default (Roboto) has no Chinese or Korean glyphs: they would show as boxes ("tofu").

Call :func:`register_fonts` once, as early as possible: before anything imports ``kivy.core.text``
(``kivy.uix.*`` and ``kivy.core.window`` do), i.e. before ``import kiosk_app.app``. Then the
``default_font`` config is read by Kivy at import and every Label defaults to ``"Linli"``. If it is called
later it still works: the name Kivy already took as its default (``"Roboto"``) is re-pointed at our file.
"""

from __future__ import annotations

from pathlib import Path

FONT_NAME = "Linli"
FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT_PATH = FONT_DIR / "wqy-microhei.ttc"


class FontMissingError(FileNotFoundError):
    pass


def font_path() -> Path:
    if not FONT_PATH.is_file():
        raise FontMissingError(
            f"The kiosk font is missing: {FONT_PATH}. Without it Chinese and Korean text shows as boxes. "
            "Restore it from the repository, or: apt-get install fonts-wqy-microhei && "
            f"cp /usr/share/fonts/truetype/wqy/wqy-microhei.ttc {FONT_DIR}/"
        )
    return FONT_PATH


def register_fonts() -> str:
    """Register the bundled font as ``"Linli"`` and make it Kivy's default; returns the font name."""
    path = str(font_path())
    from kivy.config import Config

    # read by kivy.core.text at its import: [name, regular, italic, bold, bold italic]
    Config.set("kivy", "default_font", [FONT_NAME, path, path, path, path])
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(name=FONT_NAME, fn_regular=path)
    if DEFAULT_FONT and DEFAULT_FONT != FONT_NAME:  # kivy.core.text was imported before us
        LabelBase.register(name=DEFAULT_FONT, fn_regular=path)
    return FONT_NAME
