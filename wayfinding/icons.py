"""Pictograms for places, steps of a way and the kiosk's tiles (``assets/icons/``, mapping in ``icons.yml``).

Which picture goes with what is data (``icons.yml``), as words are: a new place kind or a better picture is a
file change, not a code change. The icons are white strokes on transparency so that each user can tint them:
Kivy multiplies by ``Image.color``; the map renderer uses the alpha as a mask (:func:`icon_mask`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from .errors import WayfindingError
from .route import RouteStep

ICON_DIR = Path(__file__).resolve().parents[1] / "assets" / "icons"
ICONS_FILE = ICON_DIR / "icons.yml"
SECTIONS = ("places", "steps", "tiles")


class IconError(WayfindingError):
    """``icons.yml`` is wrong or names a file that is not there."""

    code = "icon_error"


@dataclass(frozen=True)
class IconSet:
    """Kind → icon file, per section (``places``, ``steps``, ``tiles``)."""

    places: dict[str, Path]
    steps: dict[str, Path]
    tiles: dict[str, Path]

    def place(self, kind: str | None) -> Path:
        """A place kind's picture; the default pin for no kind or a kind the set does not know."""
        return self.places.get(kind or "", self.places["default"])

    def step(self, step: RouteStep) -> Path:
        """A step's picture: a turn by its side (left/right/around), everything else by its kind."""
        key = step.turn if step.kind == "turn" and step.turn else step.kind
        return self.steps.get(key, self.steps["walk"])

    def tile(self, intent: str) -> Path | None:
        return self.tiles.get(intent)


@functools.cache
def load_icons(path: Path = ICONS_FILE) -> IconSet:
    """Read and check ``icons.yml``: each entry a file beside it; ``places.default`` and ``steps.walk`` given
    (the fallbacks). Raises :class:`IconError` naming the entry."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise IconError(f"cannot read the pictogram list {path}: {e}") from e
    if not isinstance(data, dict) or set(data) != set(SECTIONS):
        raise IconError(f"{path}: expected exactly the sections {', '.join(SECTIONS)}")
    sections: dict[str, dict[str, Path]] = {}
    for section in SECTIONS:
        entries = data[section]
        if not isinstance(entries, dict):
            raise IconError(f"{path}: {section} must map a kind to a file name")
        found: dict[str, Path] = {}
        for kind, name in entries.items():
            file = path.parent / str(name)
            if not isinstance(name, str) or "/" in name or not file.is_file():
                raise IconError(f"{path}: {section}.{kind} names {name!r}, which is not a file in {path.parent}")
            found[str(kind)] = file
        sections[section] = found
    if "default" not in sections["places"] or "walk" not in sections["steps"]:
        raise IconError(f"{path}: places.default and steps.walk are needed (the pictures for anything unlisted)")
    return IconSet(places=sections["places"], steps=sections["steps"], tiles=sections["tiles"])


@functools.lru_cache(maxsize=64)
def icon_mask(path: Path, px: int) -> np.ndarray:
    """The icon's coverage (alpha, 0..255) at ``px`` × ``px``: the map renderer paints it in any colour."""
    with Image.open(path) as image:
        alpha = image.convert("RGBA").getchannel("A").resize((px, px), Image.Resampling.LANCZOS)
    return np.asarray(alpha, np.uint8).copy()
