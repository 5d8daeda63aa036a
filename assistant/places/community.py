"""This kiosk's community: the map file and the QR keys as the kiosk's settings name them.

``wayfinding`` takes its settings as parameters and raises its own errors; here the kiosk's settings
(``LINLI_MAP``, ``LINLI_QR_KEY``, read at each call as before; the key ring under ``var/qr-keys``) are filled
in and a map or key that cannot be used becomes the kiosk's :class:`~assistant.shared.errors.ConfigError`,
so every kiosk caller that handles a ``LinliError`` handles it too.
"""

from __future__ import annotations

from pathlib import Path

from assistant.shared.config import current, language_codes
from assistant.shared.errors import ConfigError
from wayfinding import community_map, key_ring
from wayfinding.community_map import CommunityMap
from wayfinding.errors import WayfindingError
from wayfinding.key_ring import KeyRing, RingCache


def default_map_path() -> Path:
    """``LINLI_MAP`` if set, else the demo community's map in ``assets/maps``."""
    return community_map.default_map_path(current("map_path_override"))


def community_languages() -> tuple[str, ...]:
    """``LINLI_LANGUAGES`` as known codes (every tour story on the map must be told in each)."""
    return language_codes(str(current("languages")), str(current("default_language")))


def load_map(path: Path) -> CommunityMap:
    """Read and validate a map file; a problem is a ``ConfigError`` starting ``file:line:``."""
    try:
        return community_map.load_map(path, community_languages())
    except WayfindingError as e:
        raise ConfigError(e.message, hint=e.hint) from e


KEY_SETTING = "LINLI_QR_KEY"


def configured_key() -> str | None:
    """``LINLI_QR_KEY`` (the legacy key, id 0), or ``None`` when it is not set: the key file ``var/qr-key``."""
    return current("qr_key") or None


def load_keys(var_dir: Path) -> KeyRing:
    """The community's QR keys: the legacy key (``LINLI_QR_KEY``, else ``var_dir/qr-key``, created on first use)
    and the ring keys in ``var_dir/qr-keys``; the newest signs, all of them verify."""
    try:
        return key_ring.load_ring(var_dir, configured_key(), source=KEY_SETTING)
    except WayfindingError as e:
        raise ConfigError(e.message, hint=e.hint) from e


def keys_cache(var_dir: Path) -> RingCache:
    """:func:`load_keys` for a long-running reader: read again every 30 s, so ``linli qr rotate-key`` or
    ``retire-key`` counts without a restart (a ring broken meanwhile is logged, the last one kept). The first
    read raises ``ConfigError``."""
    try:
        return RingCache(lambda: key_ring.load_ring(var_dir, configured_key(), source=KEY_SETTING))
    except WayfindingError as e:
        raise ConfigError(e.message, hint=e.hint) from e
