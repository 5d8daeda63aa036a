"""The office system's settings, from the same ``LINLI_*`` environment variables the kiosk uses.

The office system may run on another machine than the kiosk and installs without it, so it reads its own
settings here rather than the kiosk's (``assistant.shared.config``). Defaults match the kiosk's: the var
folder is the project checkout's ``var/``; the map is the demo community's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wayfinding.community_map import default_map_path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The project checkout (``community_services/`` lives in it)."""

DEFAULT_CONSOLE_IDLE_MINUTES = 30
"""A staff console login expires after this many idle minutes unless ``LINLI_CONSOLE_IDLE_MINUTES`` says otherwise."""


VARIABLES: dict[str, tuple[str, str, bool]] = {
    "LINLI_VAR_DIR": ("<checkout>/var", "Databases and the QR key file.", False),
    "LINLI_KIOSK_TOKEN": ("", "Bearer token the kiosks use (required).", True),
    "LINLI_STAFF_TOKEN": ("", "Bearer token the office staff use (required).", True),
    "LINLI_MAP": ("<checkout>/assets/maps/sunny-garden.yml", "The community map for the phone guide page.", False),
    "LINLI_QR_KEY": ("", "The community's QR key (unset: the key file <var>/qr-key).", True),
    "LINLI_SERVICES_DB_URL": ("sqlite:///<var>/services.db",
                              "The services database, any SQLAlchemy URL (used by `linli staff`).", False),
    "LINLI_CONSOLE_IDLE_MINUTES": (str(DEFAULT_CONSOLE_IDLE_MINUTES),
                                   "Staff console: minutes of inactivity before a login expires.", False),
}
"""Each variable the office system reads: its default, a sentence for operators (``docs/settings.md``), secret."""


@dataclass(frozen=True)
class OfficeSettings:
    var_dir: Path
    """Databases and the QR key file (``LINLI_VAR_DIR``; default: ``<checkout>/var``)."""
    kiosk_token: str = field(default="", repr=False)
    """Bearer token of the kiosks (``LINLI_KIOSK_TOKEN``); empty when not set."""
    staff_token: str = field(default="", repr=False)
    """Bearer token of the office staff (``LINLI_STAFF_TOKEN``); empty when not set."""
    map_path: Path = field(default_factory=default_map_path)
    """The community map file (``LINLI_MAP``; default: the demo community's map)."""
    qr_key: str | None = field(default=None, repr=False)
    """The community's QR key (``LINLI_QR_KEY``); ``None``: the key file ``<var_dir>/qr-key``."""
    database_url: str = ""
    """The services database (``LINLI_SERVICES_DB_URL``); empty: ``sqlite:///<var_dir>/services.db``, as the
    kiosk side's ``Settings.services_db_url``."""
    console_idle_minutes: int = DEFAULT_CONSOLE_IDLE_MINUTES
    """Staff console: a login expires after this many minutes without a request (``LINLI_CONSOLE_IDLE_MINUTES``)."""

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'services.db'}")
        if self.console_idle_minutes < 1:
            raise ValueError("LINLI_CONSOLE_IDLE_MINUTES must be a whole number of minutes, at least 1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OfficeSettings:
        env = os.environ if environ is None else environ
        return cls(
            var_dir=Path(env.get("LINLI_VAR_DIR") or PROJECT_ROOT / "var").resolve(),
            kiosk_token=env.get("LINLI_KIOSK_TOKEN") or "",
            staff_token=env.get("LINLI_STAFF_TOKEN") or "",
            map_path=default_map_path(env.get("LINLI_MAP")),
            qr_key=env.get("LINLI_QR_KEY"),
            database_url=env.get("LINLI_SERVICES_DB_URL") or "",
            console_idle_minutes=_minutes(env.get("LINLI_CONSOLE_IDLE_MINUTES")),
        )


def _minutes(raw: str | None) -> int:
    if not raw or not raw.strip():
        return DEFAULT_CONSOLE_IDLE_MINUTES
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"LINLI_CONSOLE_IDLE_MINUTES must be a whole number of minutes, not {raw!r}") from None
