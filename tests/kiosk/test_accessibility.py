"""The accessibility audit on small widget trees, the bundled font, and blank-screenshot detection.

Everything here needs the one Kivy window (``kivy_window``, conftest.py): Xvfb + Mesa software GL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk_app import theme as th
from kiosk_app.accessibility import audit, effective_bg, is_blank

pytestmark = pytest.mark.usefixtures("kivy_window")

GOOD = """
#:import dp kivy.metrics.dp
BoxLayout:
    linli_bg: 1, 1, 1, 1
    Label:
        id: fine_label
        text: "Good morning"
        font_size: 30
        color: 0.1, 0.1, 0.1, 1
    Label:
        id: fine_caption
        text: "small print"
        font_size: 26
        color: 0.1, 0.1, 0.1, 1
        linli_caption: True
    Button:
        id: big_button
        text: "Home"
        font_size: 32
        size_hint: None, None
        size: dp(200), dp(80)
        background_normal: ""
        background_color: 0.04, 0.24, 0.57, 1
        linli_bg: self.background_color
        color: 1, 1, 1, 1
    Label:
        text: ""
        font_size: 8  # no text: nothing to read
"""

PLANTED = """
#:import dp kivy.metrics.dp
BoxLayout:
    linli_bg: 1, 1, 1, 1
    Button:
        id: tiny_button
        text: "OK"
        font_size: 30
        size_hint: None, None
        size: dp(40), dp(90)
        background_normal: ""
        background_color: 0, 0, 0, 1
        linli_bg: 0, 0, 0, 1
        color: 1, 1, 1, 1
    Label:
        id: small_text
        text: "Opening hours 9-17"
        font_size: 20
        color: 0, 0, 0, 1
    BoxLayout:
        linli_bg: 1, 1, 1, 1
        Label:
            id: grey_text
            text: "grey on white"
            font_size: 30
            color: 0.4667, 0.4667, 0.4667, 1
    Label:
        id: tiny_caption
        text: "caption"
        font_size: 20
        color: 0, 0, 0, 1
        linli_caption: True
    Widget:
        id: tap_area
        linli_tappable: True
        size_hint: None, None
        size: dp(100), dp(30)
"""


def build(kv: str) -> Any:
    from kivy.lang import Builder

    return Builder.load_string(kv)


def found(problems: list[Any]) -> set[tuple[str, str]]:
    return {(p.widget, p.rule) for p in problems}


def test_good_tree_passes() -> None:
    assert audit(build(GOOD), 1080, th.STANDARD) == []


def test_planted_problems_found_exactly() -> None:
    problems = audit(build(PLANTED), 1080, "standard")
    assert found(problems) == {
        ("tiny_button", "touch_target"),
        ("small_text", "text_size"),
        ("grey_text", "contrast"),
        ("tiny_caption", "text_size"),
        ("tap_area", "touch_target"),
    }
    by_id = {p.widget: p for p in problems}
    assert by_id["grey_text"].measured == pytest.approx(4.48, abs=0.01) and by_id["grey_text"].required == 7.0
    assert by_id["small_text"].required == 30 and by_id["tiny_caption"].required == 24
    assert by_id["tiny_button"].cls == "Button" and by_id["tiny_button"].text == "OK"
    assert "touch_target" in str(by_id["tap_area"])


def test_minimum_scales_with_window_height() -> None:
    from kivy.uix.label import Label

    label = Label(text="hello", font_size=21, color=(0, 0, 0, 1))
    label.linli_bg = (1, 1, 1, 1)
    assert audit(label, 720, th.STANDARD) == []  # 30 px at 1080p is 20 px at 720p
    assert found(audit(label, 1080, th.STANDARD)) == {("Label", "text_size")}


def test_background_falls_back_to_theme_and_composites() -> None:
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label

    box, label = BoxLayout(), Label(text="white text", font_size=30, color=(1, 1, 1, 1))
    box.add_widget(label)
    # no linli_bg anywhere: the page background of the theme
    assert found(audit(box, 1080, th.STANDARD)) == {("Label", "contrast")}
    assert audit(box, 1080, th.HIGH_CONTRAST) == []
    box.linli_bg = (0, 0, 0, 0.5)  # half-black over the light page: mid grey behind the label
    assert 0.3 < effective_bg(label, th.STANDARD)[0] < 0.6


def test_kivy_default_button_is_judged_on_its_grey() -> None:
    from kivy.uix.button import Button

    button = Button(text="Plain", font_size=30, size_hint=(None, None), size=(200, 100), color=(0, 0, 0, 1))
    assert found(audit(button, 1080, th.STANDARD)) == {("Button", "contrast")}


def test_bundled_font_draws_cjk_glyphs_not_tofu() -> None:
    """Missing glyphs all render as the same box; real glyphs differ from each other."""
    from kivy.core.text import Label as CoreLabel
    from kivy.resources import resource_find

    def glyphs(font: str) -> list[bytes]:
        out = []
        for ch in "你好안녕":
            label = CoreLabel(text=ch, font_name=font, font_size=40)
            label.refresh()
            out.append(bytes(label.texture.pixels))
        return out

    ours = glyphs("Linli")
    assert len(set(ours)) == 4 and all(any(px[3::4]) for px in ours)
    roboto = resource_find("data/fonts/Roboto-Regular.ttf")
    assert roboto and len(set(glyphs(roboto))) == 1  # the check would catch tofu


def test_multilingual_text_renders_with_default_font(tmp_path: Path, kivy_window: Any) -> None:
    from kivy.base import EventLoop
    from kivy.core.text import LabelBase
    from kivy.graphics import Color, Rectangle
    from kivy.lang import Builder
    from kivy.uix.label import Label

    from kiosk_app.fonts import FONT_PATH

    label = Label(text="Hello 你好 안녕", font_size=60, color=(0, 0, 0, 1), size=(1920, 1080))
    # register_fonts made our file the default (as "Linli", or "Roboto" re-pointed if Kivy was imported first)
    assert LabelBase._fonts[label.font_name][0] == str(FONT_PATH)
    with label.canvas.before:
        Color(1, 1, 1, 1)
        Rectangle(pos=label.pos, size=label.size)
    label.texture_update()
    Builder.sync()  # kv canvas rules (the text rectangle) update lazily, normally on the next frame
    assert label.texture_size[0] > 300
    png = tmp_path / "label.png"
    label.export_to_png(str(png))
    assert png.is_file() and not is_blank(str(png))

    kivy_window.add_widget(label)
    try:
        for _ in range(3):
            EventLoop.idle()
        shot = kivy_window.screenshot(name=str(tmp_path / "screen.png"))
        assert shot and not is_blank(shot)
    finally:
        kivy_window.remove_widget(label)


def test_empty_widget_screenshot_is_blank(tmp_path: Path) -> None:
    from kivy.graphics import Color, Rectangle
    from kivy.uix.widget import Widget

    blank = Widget(size=(400, 300))
    with blank.canvas:
        Color(0.97, 0.96, 0.93, 1)
        Rectangle(pos=blank.pos, size=blank.size)
    png = tmp_path / "blank.png"
    blank.export_to_png(str(png))
    assert is_blank(str(png))


def test_text_drawn_into_a_picture_is_measured_on_the_picture() -> None:
    """An Image carrying ``linli_picture`` (the guide map and the labels it drew) has each label's glyph ink
    measured on the pixels, at the scale the picture is shown: big labels pass, small ones fail, and so do
    big labels on a picture shown at half its size."""
    from kivy.graphics.texture import Texture
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.image import Image

    from wayfinding.community_map import DEMO_MAP_PATH, load_map
    from wayfinding.guide_map import render_guide_map
    from wayfinding.routing import Router

    m = load_map(DEMO_MAP_PATH)
    route = Router(m).route("clinic")

    def shown(picture: Any, size: tuple[int, int]) -> Any:
        box = BoxLayout(size=size)
        box.linli_bg = (1, 1, 1, 1)
        image = Image(fit_mode="contain", size_hint=(None, None), size=size)
        texture = Texture.create(size=(picture.rgb.shape[1], picture.rgb.shape[0]), colorfmt="rgb")
        texture.blit_buffer(picture.rgb.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        image.texture = texture
        image.linli_picture = picture
        box.add_widget(image)
        return box

    good = render_guide_map(m, route, (800, 600))
    assert audit(shown(good, (800, 600)), 1080, th.STANDARD) == []
    small = render_guide_map(m, route, (800, 600), min_text_px=14)
    problems = audit(shown(small, (800, 600)), 1080, th.STANDARD)
    assert problems and {p.rule for p in problems} == {"picture_text_size"} and all(p.measured < 30 for p in problems)
    halved = audit(shown(good, (400, 300)), 1080, th.STANDARD)  # the good picture shrunk to fit a small widget
    assert halved and {p.rule for p in halved} == {"picture_text_size"}
    assert audit(shown(good, (800, 600)), 540, th.STANDARD) == []  # 30 px at 1080p is 15 px at 540p
