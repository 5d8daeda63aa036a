"""Checks a live widget tree against the kiosk's rules (docs/kiosk.md, "Rules as numbers").

Rules, per widget of ``root.walk(restrict=True)`` (so only the current screen of a ScreenManager):

- ``text_size``: a Label (Buttons are Labels) with visible text has ``font_size`` (px) at least the
  default body size for this window height (30 px at 1080p). Widgets marked ``linli_caption = True``
  may go down to the caption minimum (24 px at 1080p) instead.
- ``touch_target``: anything that takes a tap (``ButtonBehavior``, so Button, ToggleButton, CheckBox...,
  or any widget marked ``linli_tappable = True``) is at least ``TOUCH_MIN_DP`` wide and high.
- ``contrast``: Label text colour against its effective background is at least 7:1 (WCAG AAA).

Background convention: Kivy cannot tell what a canvas paints, so **a widget that paints a background
sets ``linli_bg`` to the RGBA it paints**. A label's background is its own ``linli_bg``, else its nearest
ancestor's, else the page background of the theme. A translucent ``linli_bg`` is composited over the one
behind it. A Button without ``linli_bg`` is taken to paint its ``background_color`` (flat when
``background_normal`` is ``""``, else over Kivy's default grey button image).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from kiosk_app import theme as th

KIVY_BUTTON_GREY = (0.345, 0.345, 0.345, 1.0)  # mean colour of Kivy's default button image
_PX_SLACK = 0.01  # float noise from sp/dp and ratio arithmetic


@dataclass(frozen=True)
class Problem:
    widget: str  # the kv id if it has one, else the class name
    cls: str
    text: str  # a snippet of the widget's text ("" if none)
    rule: str  # "text_size" | "touch_target" | "contrast"
    measured: float
    required: float

    def __str__(self) -> str:
        return (f"{self.rule}: {self.widget} ({self.cls}) {self.text!r}: "
                f"{self.measured:.2f} < {self.required:.2f}")


def audit(root_widget: Any, window_height: float, theme: th.Palette | str = "standard") -> list[Problem]:
    """Every rule broken in the tree under ``root_widget``; empty means it passes."""
    from kivy.metrics import dp
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    palette = th.colors(theme) if isinstance(theme, str) else theme
    touch_min = float(dp(th.TOUCH_MIN_DP))
    widgets = list(root_widget.walk(restrict=True))
    names = _id_names(widgets)
    problems: list[Problem] = []

    def report(w: Any, rule: str, measured: float, required: float) -> None:
        text = " ".join(str(getattr(w, "text", "")).split())[:40]
        cls = type(w).__name__
        problems.append(Problem(names.get(id(w), cls), cls, text, rule, round(measured, 2), round(required, 2)))

    for w in widgets:
        if getattr(w, "opacity", 1) <= 0:
            continue
        if isinstance(w, ButtonBehavior) or getattr(w, "linli_tappable", False):
            smallest = min(float(w.width), float(w.height))
            if smallest < touch_min - _PX_SLACK:
                report(w, "touch_target", smallest, touch_min)
        if isinstance(w, Label) and str(w.text).strip():
            caption = bool(getattr(w, "linli_caption", False))
            need = th.min_caption_px(window_height) if caption else th.min_body_px(window_height)
            if float(w.font_size) < need - _PX_SLACK:
                report(w, "text_size", float(w.font_size), need)
            if not w.disabled:  # WCAG exempts inactive controls
                ratio = th.contrast_ratio(tuple(w.color), effective_bg(w, palette))
                if ratio < th.AAA_TEXT - _PX_SLACK:
                    report(w, "contrast", ratio, th.AAA_TEXT)
    return problems


def effective_bg(widget: Any, palette: th.Palette) -> tuple[float, float, float, float]:
    """The opaque colour behind ``widget``'s text, by the ``linli_bg`` convention (module docstring)."""
    from kivy.uix.button import Button

    own = _own_bg(widget)
    if own is None and isinstance(widget, Button):
        tint = tuple(float(c) for c in widget.background_color)
        flat = widget.background_normal == ""
        own = tint if flat else tuple(g * t for g, t in zip(KIVY_BUTTON_GREY, tint, strict=True))
    parent = getattr(widget, "parent", None)
    if own is not None and (len(own) < 4 or own[3] >= 1.0):
        return (own[0], own[1], own[2], 1.0)
    behind = effective_bg(parent, palette) if parent is not None and parent is not widget else palette.background
    if own is None:
        return behind
    r, g, b = th.blend(own, behind)
    return (r, g, b, 1.0)


def _own_bg(widget: Any) -> tuple[float, ...] | None:
    value = getattr(widget, "linli_bg", None)
    if value is None or len(value) < 3:
        return None
    return tuple(float(c) for c in value)


def _id_names(widgets: list[Any]) -> dict[int, str]:
    """kv ids live in the rule root's ``ids`` as weak proxies; ``proxy.__self__`` is the widget."""
    names: dict[int, str] = {}
    for w in widgets:
        for name, ref in getattr(w, "ids", {}).items():
            try:
                names.setdefault(id(ref.__self__), name)
            except ReferenceError:
                continue
    return names


# screenshots ------------------------------------------------------------------------------------------
def is_blank(png_path: str, *, min_other_fraction: float = 0.002, samples: int = 200_000) -> bool:
    """True when the image is (almost) one colour: fewer than ``min_other_fraction`` of the sampled pixels
    differ from the commonest colour. A screen with even one line of text is well above 0.2 %."""
    width, height, channels, data = _load_pixels(png_path)
    count = width * height
    if count == 0:
        return True
    stride = max(1, count // samples)
    # quantise to 32 levels per channel so anti-aliasing noise and compression do not count as content
    pixels = Counter(
        bytes(c >> 3 for c in data[i * channels : i * channels + min(channels, 3)])
        for i in range(0, count, stride)
    )
    total = sum(pixels.values())
    dominant = pixels.most_common(1)[0][1]
    return (total - dominant) / total < min_other_fraction


def _load_pixels(png_path: str) -> tuple[int, int, int, bytes]:
    from PIL import Image as PILImage  # Pillow comes with qrcode[pil]

    with PILImage.open(png_path) as img:
        rgb = img.convert("RGB")
        return rgb.width, rgb.height, 3, rgb.tobytes()
