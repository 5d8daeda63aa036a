"""Checks a live widget tree against the kiosk's rules (docs/kiosk.md, "Rules as numbers").

Rules, per widget of ``root.walk(restrict=True)`` (so only the current screen of a ScreenManager):

- ``text_size``: a Label (Buttons are Labels) with visible text has ``font_size`` (px) at least the
  default body size for this window height (30 px at 1080p). Widgets marked ``linli_caption = True``
  may go down to the caption minimum (24 px at 1080p) instead.
- ``touch_target``: anything that takes a tap (``ButtonBehavior``, so Button, ToggleButton, CheckBox...,
  or any widget marked ``linli_tappable = True``) is at least ``TOUCH_MIN_DP`` wide and high.
- ``contrast``: Label text colour against its effective background is at least 7:1 (WCAG AAA).
- Text drawn **into a picture** (the guide map): a widget carrying ``linli_picture`` (an object with ``rgb``, the
  array shown, and ``labels``, each with ``text``, ``box`` and ``plate``: see ``wayfinding.guide_map``) has each
  label measured *on the picture*: the height of the glyphs' ink inside its box (not the font size asked for),
  times the scale the picture is shown at, must reach the body minimum (``picture_text_size``); the ink
  against the plate at least 7:1 (``picture_contrast``); no two plates overlap (``picture_overlap``).
  :func:`audit_picture` checks one picture on its own.

Background convention: Kivy cannot tell what a canvas paints, so **a widget that paints a background
sets ``linli_bg`` to the RGBA it paints**. A label's background is its own ``linli_bg``, else its nearest
ancestor's, else the page background of the theme. A translucent ``linli_bg`` is composited over the one
behind it. A Button without ``linli_bg`` is taken to paint its ``background_color`` (flat when
``background_normal`` is ``""``, else over Kivy's default grey button image).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from kiosk_app import theme as th

KIVY_BUTTON_GREY = (0.345, 0.345, 0.345, 1.0)  # mean colour of Kivy's default button image
_PX_SLACK = 0.01  # float noise from sp/dp and ratio arithmetic


@dataclass(frozen=True)
class Problem:
    widget: str  # the kv id if it has one, else the class name
    cls: str
    text: str  # a snippet of the widget's text ("" if none)
    rule: str  # "text_size" | "touch_target" | "contrast" | "picture_text_size" | "picture_contrast" | ...
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
        picture = getattr(w, "linli_picture", None)
        if picture is not None:
            name = names.get(id(w), type(w).__name__)
            problems += audit_picture(picture.rgb, picture.labels, window_height, scale=shown_scale(w, picture.rgb),
                                      widget=name, cls=type(w).__name__)
    return problems


# text drawn into pictures ------------------------------------------------------------------------------
class PictureLabel(Protocol):
    """What a renderer reports of each text it drew (``wayfinding.guide_map.DrawnLabel``)."""

    @property
    def text(self) -> str: ...

    @property
    def box(self) -> tuple[int, int, int, int]: ...

    @property
    def plate(self) -> tuple[int, int, int, int]: ...


def shown_scale(widget: Any, rgb: np.ndarray) -> float:
    """How much bigger (or smaller) the picture appears than its pixels: a Kivy ``Image`` fits its texture into
    ``norm_image_size``. A big picture shrunk to fit has its text measured as small as it is shown."""
    height, width = rgb.shape[:2]
    shown = getattr(widget, "norm_image_size", None)
    if not shown or width == 0 or height == 0:
        return 1.0
    return min(float(shown[0]) / width, float(shown[1]) / height)


def ink_height(rgb: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """Rows of glyph ink in ``box`` of the picture: the plate is the box's commonest colour; ink is what differs
    from it by at least half the largest difference there (anti-aliased edges count from half coverage)."""
    region = _region(rgb, box)
    if region.size == 0:
        return 0
    bg = _commonest(region)
    dist = np.abs(region.astype(np.int16) - bg).max(axis=2)
    peak = int(dist.max())
    if peak < 48:  # no readable text at all
        return 0
    rows = np.nonzero((dist >= peak / 2).any(axis=1))[0]
    return int(rows[-1] - rows[0] + 1)


def ink_contrast(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """WCAG contrast between the plate (commonest colour) and the ink (the pixels that differ most from it)."""
    region = _region(rgb, box)
    if region.size == 0:
        return 1.0
    bg = _commonest(region)
    flat = region.reshape(-1, 3).astype(np.int16)
    dist = np.abs(flat - bg).max(axis=1)
    if int(dist.max()) == 0:
        return 1.0
    ink = np.median(flat[dist >= dist.max() * 0.9], axis=0)
    return th.contrast_ratio((*(ink / 255.0), 1.0), (*(bg / 255.0), 1.0))


def _region(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    region: np.ndarray = rgb[y0:y1, x0:x1, :3] if x1 > x0 and y1 > y0 else np.zeros((0, 0, 3), np.uint8)
    return region


def _commonest(region: np.ndarray) -> np.ndarray:
    colours, counts = np.unique(region.reshape(-1, 3), axis=0, return_counts=True)
    commonest: np.ndarray = colours[int(counts.argmax())].astype(np.int16)
    return commonest


def audit_picture(rgb: np.ndarray, labels: Sequence[PictureLabel], window_height: float, *, scale: float = 1.0,
                  widget: str = "picture", cls: str = "Image") -> list[Problem]:
    """Every rule the text drawn into ``rgb`` breaks, measured on the pixels (see the module docstring)."""
    need = th.min_body_px(window_height)
    problems: list[Problem] = []
    for label in labels:
        measured = ink_height(rgb, label.box) * scale
        if measured < need - _PX_SLACK:
            problems.append(Problem(widget, cls, label.text[:40], "picture_text_size", round(measured, 2),
                                    round(need, 2)))
        ratio = ink_contrast(rgb, label.box)
        if ratio < th.AAA_TEXT - _PX_SLACK:
            problems.append(Problem(widget, cls, label.text[:40], "picture_contrast", round(ratio, 2), th.AAA_TEXT))
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a.plate, b.plate
            if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
                problems.append(Problem(widget, cls, f"{a.text} / {b.text}"[:40], "picture_overlap", 1.0, 0.0))
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
