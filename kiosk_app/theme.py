"""Every size and colour of the kiosk, in one place, plus the WCAG 2.2 contrast maths that checks them.

Units: functions named ``*_px`` return pixels, computed from the window height so the layout looks the
same on any screen (30 px body text at 1080p). Names ending ``_dp`` are plain numbers in Kivy dp; this
module stays Kivy-free except :func:`style`, which converts dp to px with ``kivy.metrics.dp`` (imported
lazily, so importing the theme never starts Kivy's argument parsing or a window).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

RGBA = tuple[float, float, float, float]


# sizes ------------------------------------------------------------------------------------------------
TOUCH_MIN_DP = 60  # touch targets, both sides (dp)


@dataclass(frozen=True)
class Sizes:
    reference_height_px: float = 1080.0
    body_px_at_reference: float = 30.0  # the design rule: body text >= 30 px at 1080p, default step
    caption_px_at_reference: float = 24.0  # only for widgets marked ``linli_caption = True``
    floor_px: float = 16.0  # tiny dev windows: never render text smaller than this
    headline_ratio: float = 1.4
    tile_label_ratio: float = 1.2
    button_label_ratio: float = 1.0
    touch_min_dp: float = TOUCH_MIN_DP
    button_h_dp: float = 72.0  # a little above the minimum, so padding never pushes it under
    tile_w_dp: float = 240.0
    tile_h_dp: float = 160.0
    padding_dp: float = 24.0
    spacing_dp: float = 18.0


SIZES = Sizes()


@dataclass(frozen=True)
class TextStep:
    name: str
    scale: float


TEXT_STEPS: tuple[TextStep, ...] = (
    TextStep("normal", 1.0),
    TextStep("large", 1.25),
    TextStep("larger", 1.5),
    TextStep("largest", 1.75),
)
STEP_NAMES: tuple[str, ...] = tuple(s.name for s in TEXT_STEPS)
DEFAULT_STEP = "normal"


def step_scale(step: str) -> float:
    for s in TEXT_STEPS:
        if s.name == step:
            return s.scale
    raise ValueError(f"unknown text step {step!r}; expected one of {STEP_NAMES}")


def _scaled(px_at_reference: float, window_height: float) -> float:
    return max(SIZES.floor_px, px_at_reference * window_height / SIZES.reference_height_px)


def body_px(window_height: float, step: str = DEFAULT_STEP) -> float:
    return _scaled(SIZES.body_px_at_reference, window_height) * step_scale(step)


def headline_px(window_height: float, step: str = DEFAULT_STEP) -> float:
    return body_px(window_height, step) * SIZES.headline_ratio


def tile_label_px(window_height: float, step: str = DEFAULT_STEP) -> float:
    return body_px(window_height, step) * SIZES.tile_label_ratio


def button_label_px(window_height: float, step: str = DEFAULT_STEP) -> float:
    return body_px(window_height, step) * SIZES.button_label_ratio


def min_body_px(window_height: float) -> float:
    """The smallest allowed text (the default step's body size); the audit's rule."""
    return body_px(window_height, DEFAULT_STEP)


def min_caption_px(window_height: float) -> float:
    return _scaled(SIZES.caption_px_at_reference, window_height)


# colours ----------------------------------------------------------------------------------------------
def hex_to_rgba(value: str, alpha: float = 1.0) -> RGBA:
    """``"#8B0000"`` or ``"8B0000"`` -> (r, g, b, a) in 0..1, the form Kivy wants."""
    h = value.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6:
        raise ValueError(f"not an #RRGGBB colour: {value!r}")
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


def rgba_to_hex(rgba: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(c * 255):02X}" for c in rgba[:3])


@dataclass(frozen=True)
class Palette:
    name: str
    background: RGBA
    surface: RGBA  # cards, dialogs
    text: RGBA
    muted: RGBA  # secondary text; still AAA
    accent: RGBA  # highlighted text and outlines
    button_bg: RGBA
    button_fg: RGBA
    emergency_bg: RGBA
    emergency_fg: RGBA
    resident_bg: RGBA  # the resident's message bubbles
    resident_fg: RGBA
    linli_bg: RGBA  # the assistant's message bubbles
    linli_fg: RGBA
    outline: RGBA  # button borders: lets a dark button stand out on a dark background (WCAG 1.4.11)


def _palette(name: str, **hexes: str) -> Palette:
    return Palette(name=name, **{k: hex_to_rgba(v) for k, v in hexes.items()})


STANDARD = _palette(
    "standard",  # calm: near-black text on a warm off-white
    background="#F7F4EC", surface="#FFFFFF", text="#1A1A1A", muted="#404040", accent="#0B3D91",
    button_bg="#0B3D91", button_fg="#FFFFFF", emergency_bg="#8B0000", emergency_fg="#FFFFFF",
    resident_bg="#0B4F3F", resident_fg="#FFFFFF", linli_bg="#FFFFFF", linli_fg="#1A1A1A", outline="#1A1A1A",
)
HIGH_CONTRAST = _palette(
    "high_contrast",  # white and yellow on black
    background="#000000", surface="#000000", text="#FFFFFF", muted="#FFFF00", accent="#FFFF00",
    button_bg="#FFFF00", button_fg="#000000", emergency_bg="#8B0000", emergency_fg="#FFFFFF",
    resident_bg="#FFFFFF", resident_fg="#000000", linli_bg="#1A1A1A", linli_fg="#FFFFFF", outline="#FFFF00",
)
THEMES: dict[str, Palette] = {p.name: p for p in (STANDARD, HIGH_CONTRAST)}
THEME_NAMES: tuple[str, ...] = tuple(THEMES)


def colors(theme_name: str) -> Palette:
    try:
        return THEMES[theme_name]
    except KeyError:
        raise ValueError(f"unknown theme {theme_name!r}; expected one of {THEME_NAMES}") from None


# WCAG 2.2 contrast ------------------------------------------------------------------------------------
AAA_TEXT = 7.0
NON_TEXT_MIN = 3.0  # WCAG 1.4.11, for outlines and control boundaries


def _linear(channel: float) -> float:
    # sRGB -> linear light; WCAG 2.2 uses 0.04045 (earlier texts said 0.03928: no 8-bit value differs)
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: tuple[float, ...]) -> float:
    """WCAG relative luminance of an sRGB colour in 0..1 (alpha ignored)."""
    r, g, b = (_linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def blend(fg: tuple[float, ...], bg: tuple[float, ...]) -> tuple[float, float, float]:
    """A translucent foreground as it actually appears over ``bg`` (bg treated as opaque)."""
    a = fg[3] if len(fg) > 3 else 1.0
    return (fg[0] * a + bg[0] * (1 - a), fg[1] * a + bg[1] * (1 - a), fg[2] * a + bg[2] * (1 - a))


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG contrast ratio, 1..21; order does not matter; a translucent ``fg`` is composited over ``bg``."""
    la, lb = relative_luminance(blend(fg, bg)), relative_luminance(bg)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class PairCheck:
    theme: str
    fg_name: str
    bg_name: str
    ratio: float
    required: float

    @property
    def ok(self) -> bool:
        return self.ratio >= self.required


# every foreground/background pair the screens use for text
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "background"), ("text", "surface"), ("muted", "background"), ("muted", "surface"),
    ("accent", "background"), ("accent", "surface"), ("button_fg", "button_bg"),
    ("emergency_fg", "emergency_bg"), ("resident_fg", "resident_bg"), ("linli_fg", "linli_bg"),
)
# non-text: a control's outline against the page
UI_PAIRS: tuple[tuple[str, str], ...] = (("outline", "background"), ("outline", "surface"))


def check_palette(palette: Palette) -> list[PairCheck]:
    """Every text pair (>= 7:1) and outline pair (>= 3:1) of ``palette`` with its measured ratio."""
    values = {f.name: getattr(palette, f.name) for f in fields(palette)}
    return [
        PairCheck(palette.name, fg, bg, contrast_ratio(values[fg], values[bg]), required)
        for pairs, required in ((TEXT_PAIRS, AAA_TEXT), (UI_PAIRS, NON_TEXT_MIN))
        for fg, bg in pairs
    ]


def check_themes() -> list[PairCheck]:
    return [c for p in THEMES.values() for c in check_palette(p)]


# the bundle the app applies ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Style:
    """Sizes in px (already converted from dp for this window) and the palette."""

    step: str
    body_px: float
    headline_px: float
    tile_px: float
    button_px: float
    caption_px: float
    button_h_px: float
    tile_w_px: float
    tile_h_px: float
    touch_min_px: float
    padding_px: float
    spacing_px: float
    colors: Palette

    @property
    def title_px(self) -> float:  # the .kv files call the headline "title"
        return self.headline_px


def style(window_height: float, step: str = DEFAULT_STEP, theme_name: str = "standard") -> Style:
    from kivy.metrics import dp  # lazy: see the module docstring

    body = body_px(window_height, step)
    return Style(
        step=step,
        body_px=body,
        headline_px=headline_px(window_height, step),
        tile_px=tile_label_px(window_height, step),
        button_px=button_label_px(window_height, step),
        caption_px=min_caption_px(window_height) * step_scale(step),
        # buttons and tiles grow with the text, never below their dp minimum
        button_h_px=max(float(dp(SIZES.button_h_dp)), body * 2.2),
        tile_w_px=max(float(dp(SIZES.tile_w_dp)), body * 7),
        tile_h_px=max(float(dp(SIZES.tile_h_dp)), body * 4.5),
        touch_min_px=float(dp(SIZES.touch_min_dp)),
        padding_px=float(dp(SIZES.padding_dp)),
        spacing_px=float(dp(SIZES.spacing_dp)),
        colors=colors(theme_name),
    )
