"""This kiosk's community: the map file and the QR key as the kiosk's settings name them.

``wayfinding`` takes its settings as parameters and raises its own errors; here the kiosk's settings
(``LINLI_MAP``, ``LINLI_QR_KEY``, read at each call as before) are filled in and a map or key that cannot
be used becomes the kiosk's :class:`~assistant.shared.errors.ConfigError`, so every kiosk caller that
handles a ``LinliError`` handles it too.
"""

from __future__ import annotations

from pathlib import Path

from assistant.shared.config import current
from assistant.shared.errors import ConfigError
from wayfinding import community_map, signing
from wayfinding.community_map import CommunityMap
from wayfinding.errors import WayfindingError


def default_map_path() -> Path:
    """``LINLI_MAP`` if set, else the demo community's map in ``assets/maps``."""
    return community_map.default_map_path(current("map_path_override"))


def load_map(path: Path) -> CommunityMap:
    """Read and validate a map file; a problem is a ``ConfigError`` starting ``file:line:``."""
    try:
        return community_map.load_map(path)
    except WayfindingError as e:
        raise ConfigError(e.message, hint=e.hint) from e


def load_key(var_dir: Path) -> bytes:
    """The community key: ``LINLI_QR_KEY``, else ``var_dir/qr-key`` (created on first use)."""
    try:
        return signing.load_key(var_dir, current("qr_key") or None, source="LINLI_QR_KEY")
    except WayfindingError as e:
        raise ConfigError(e.message, hint=e.hint) from e
