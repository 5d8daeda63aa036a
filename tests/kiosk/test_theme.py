"""The theme's numbers: text steps, sizes at 1080p, WCAG contrast maths, AAA in both themes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk_app import theme as th


def test_four_text_steps_in_order() -> None:
    assert len(th.TEXT_STEPS) >= 4
    assert th.STEP_NAMES[:4] == ("normal", "large", "larger", "largest")
    assert [s.scale for s in th.TEXT_STEPS][:4] == [1.0, 1.25, 1.5, 1.75]
    with pytest.raises(ValueError, match="unknown text step"):
        th.step_scale("huge")


def test_body_text_at_1080p() -> None:
    assert th.body_px(1080) >= 30
    assert th.body_px(1080, "largest") == pytest.approx(52.5)
    assert th.body_px(2160) == pytest.approx(60)  # scales with the window height
    assert th.body_px(100) == th.SIZES.floor_px  # never below the floor
    assert th.headline_px(1080) > th.tile_label_px(1080) > th.body_px(1080)
    assert th.button_label_px(1080) >= th.body_px(1080)
    assert th.min_caption_px(1080) == pytest.approx(24)


def test_style_sizes_grow_with_the_step_and_respect_touch_minimum() -> None:
    from kivy.metrics import dp

    normal, largest = th.style(1080, "normal"), th.style(1080, "largest", "high_contrast")
    assert th.TOUCH_MIN_DP == 60
    for s in (normal, largest):
        assert s.button_h_px >= dp(60) and s.tile_h_px >= dp(60) and s.tile_w_px >= dp(60)
        assert s.title_px == s.headline_px
    assert largest.body_px > normal.body_px and largest.button_h_px >= normal.button_h_px
    assert largest.colors is th.HIGH_CONTRAST


def test_wcag_known_values() -> None:
    white, black = th.hex_to_rgba("#FFFFFF"), th.hex_to_rgba("#000000")
    assert th.relative_luminance(white) == pytest.approx(1.0)
    assert th.relative_luminance(black) == 0.0
    assert th.contrast_ratio(black, white) == pytest.approx(21.0)
    assert th.contrast_ratio(white, black) == pytest.approx(21.0)  # symmetric
    assert th.contrast_ratio(th.hex_to_rgba("#777"), white) == pytest.approx(4.48, abs=0.01)
    assert th.contrast_ratio(white, th.hex_to_rgba("#8B0000")) >= 7.0
    assert th.contrast_ratio((0, 0, 0, 0.0), white) == pytest.approx(1.0)  # invisible text


def test_hex_round_trip() -> None:
    assert th.rgba_to_hex(th.hex_to_rgba("#8b0000")) == "#8B0000"
    with pytest.raises(ValueError):
        th.hex_to_rgba("#12345")


@pytest.mark.parametrize("name", ["standard", "high_contrast"])
def test_every_pair_of_both_themes_passes(name: str) -> None:
    checks = th.check_palette(th.colors(name))
    assert len(checks) == len(th.TEXT_PAIRS) + len(th.UI_PAIRS)
    assert {(c.fg_name, c.bg_name) for c in checks if c.required == th.AAA_TEXT} == set(th.TEXT_PAIRS)
    assert [c for c in checks if not c.ok] == []


def test_a_bad_pair_is_detected() -> None:
    bad = dataclasses.replace(th.STANDARD, muted=th.hex_to_rgba("#777777"))
    failing = [(c.fg_name, c.bg_name) for c in th.check_palette(bad) if not c.ok]
    assert failing == [("muted", "background"), ("muted", "surface")]


def test_unknown_theme() -> None:
    assert set(th.THEME_NAMES) == {"standard", "high_contrast"}
    with pytest.raises(ValueError, match="unknown theme"):
        th.colors("neon")


def test_bundled_font_and_licence_present() -> None:
    from kiosk_app import fonts

    assert fonts.font_path().stat().st_size > 1_000_000
    assert (fonts.FONT_DIR / "wqy-microhei.LICENSE.txt").read_text().count("Apache-2.0") >= 1


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kiosk_app import fonts

    monkeypatch.setattr(fonts, "FONT_PATH", tmp_path / "nope.ttc")
    with pytest.raises(fonts.FontMissingError, match="kiosk font is missing.*fonts-wqy-microhei"):
        fonts.register_fonts()
