"""The pictogram set (assets/icons/): the mapping in icons.yml points at files that load, covers every place kind
of the demo map, every step kind and turn, and every home tile; the licence and its source are with it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from PIL import Image

from wayfinding.community_map import DEMO_MAP_PATH, load_map
from wayfinding.icons import ICON_DIR, ICONS_FILE, IconError, icon_mask, load_icons
from wayfinding.route import RouteStep, StepKind, TurnSide

HOME_KV = Path(__file__).resolve().parents[2] / "kiosk_app" / "screens" / "home.kv"


def test_every_entry_points_at_an_icon_that_loads() -> None:
    icons = load_icons()
    entries = [*icons.places.values(), *icons.steps.values(), *icons.tiles.values()]
    assert entries
    for path in entries:
        assert path.is_file() and path.parent == ICON_DIR, path
        with Image.open(path) as image:
            rgba = image.convert("RGBA")
            assert rgba.size == (240, 240)
            assert rgba.getchannel("A").getextrema()[1] == 255  # something is drawn
            # white strokes, so Kivy's colour and the map renderer can tint them
            assert rgba.getchannel("R").getextrema() == (255, 255)
        assert icon_mask(path, 48).shape == (48, 48) and icon_mask(path, 48).max() > 200


def test_only_the_icons_used_are_vendored_with_their_licence() -> None:
    icons = load_icons()
    used = {p.name for p in (*icons.places.values(), *icons.steps.values(), *icons.tiles.values())}
    assert {p.name for p in ICON_DIR.glob("*.png")} == used
    licence = (ICON_DIR / "LICENSE.tabler-icons.txt").read_text()
    assert licence.startswith("MIT License")
    readme = (ICON_DIR / "README.md").read_text()
    assert "@tabler/icons-png@3.48.0" in readme and "MIT" in readme


def test_every_kind_has_its_own_picture() -> None:
    icons = load_icons()
    kinds = {p.kind for p in load_map(DEMO_MAP_PATH).places}
    assert None not in kinds and kinds <= set(icons.places)  # no place of the demo map falls back to the pin
    for kind in ("clinic", "lift", "stairs", "toilet", "entrance", "gate", "garbage", "activity-room"):
        assert kind in icons.places
    assert set(get_args(StepKind)) <= set(icons.steps) and set(get_args(TurnSide)) <= set(icons.steps)
    tiles = set(re.findall(r'intent: "(\w+)"', HOME_KV.read_text()))
    assert tiles and tiles <= set(icons.tiles)


def test_steps_pick_their_picture_by_kind_and_turn() -> None:
    icons = load_icons()
    left = RouteStep("Turn left.", "turn", 10.0, "a", turn="left")
    right = RouteStep("Turn right.", "turn", 10.0, "a", turn="right")
    assert icons.step(left).name == "corner-up-left.png" and icons.step(right).name == "corner-up-right.png"
    assert icons.step(RouteStep("Up the stairs.", "stairs", 4.0, "b")).name == "stairs.png"
    assert icons.place("no-such-kind") == icons.places["default"] == icons.place(None)


def test_a_broken_list_is_refused_naming_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "icons.yml"
    text = ICONS_FILE.read_text().replace("clinic: stethoscope.png", "clinic: missing.png")
    bad.write_text(text)
    for png in ICON_DIR.glob("*.png"):
        (tmp_path / png.name).write_bytes(png.read_bytes())
    with pytest.raises(IconError, match=r"places\.clinic names 'missing\.png'"):
        load_icons(bad)
