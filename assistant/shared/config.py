"""Settings for every Linli process, from environment variables with sensible defaults.

Defaults are declared here once; each variable may override one. Paths default to the project
checkout so ``make run`` works from a fresh clone.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAP_ENV = "LINLI_MAP"
"""The community map file; unset: the demo community's map (``wayfinding.community_map.DEMO_MAP_PATH``)."""
QR_KEY_ENV = "LINLI_QR_KEY"
"""The community's QR key; unset: ``<var_dir>/qr-key`` (``wayfinding.signing``)."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from e


@dataclass(frozen=True)
class Settings:
    root: Path = PROJECT_ROOT
    """The project checkout: skills/, nlu_data/ and the venvs live here."""
    var_dir: Path = PROJECT_ROOT / "var"
    """Databases, the outbox, trained models and logs."""
    host: str = "127.0.0.1"
    services_port: int = 8700
    actions_port: int = 5055
    rasa_port: int = 5005
    kiosk_token: str = ""
    staff_token: str = ""
    rasa_token: str = ""
    """Token for Rasa's HTTP API (``--auth-token``)."""
    kiosk_id: str = "kiosk-service-centre"
    kiosk_location: str = "Community Service Centre lobby, just inside the North Gate"
    services_url_override: str | None = None
    public_url_override: str | None = None
    """Address of the services API as residents' phones reach it (QR guide links); ``LINLI_PUBLIC_URL``."""
    knowledge_dir_override: Path | None = None
    """The knowledge entries' folder if not ``<root>/knowledge``; ``LINLI_KNOWLEDGE_DIR``."""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def knowledge_dir(self) -> Path:
        return self.knowledge_dir_override or self.root / "knowledge"

    @property
    def services_url(self) -> str:
        return self.services_url_override or f"http://{self.host}:{self.services_port}"

    @property
    def public_url(self) -> str:
        return (self.public_url_override or self.services_url).rstrip("/")

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def services_db_url(self) -> str:
        return os.environ.get("LINLI_SERVICES_DB_URL") or f"sqlite:///{self.var_dir / 'services.db'}"

    @property
    def outbox_path(self) -> Path:
        return self.var_dir / "outbox.db"

    @property
    def tracker_db_path(self) -> Path:
        return self.var_dir / "trackers.db"

    @property
    def models_dir(self) -> Path:
        return self.var_dir / "models"

    @property
    def build_dir(self) -> Path:
        return self.root / "build" / "rasa_project"

    @property
    def rasa_venv(self) -> Path:
        """Belongs to the installation, not to the content root (skills may live elsewhere)."""
        return Path(os.environ.get("LINLI_RASA_VENV") or PROJECT_ROOT / ".venv-rasa")

    def with_ports(self, services: int, actions: int, rasa: int) -> Settings:
        return replace(self, services_port=services, actions_port=actions, rasa_port=rasa)


def map_path_setting() -> str | None:
    """``LINLI_MAP`` as set, read at each call (the map may be changed for a test or a single command)."""
    return os.environ.get(MAP_ENV)


def qr_key_setting() -> str | None:
    """``LINLI_QR_KEY`` as set, read at each call."""
    return os.environ.get(QR_KEY_ENV)


def _dev_tokens(var_dir: Path) -> dict[str, str]:
    """Tokens for a developer machine: made once, kept in var/tokens.json (not committed)."""
    path = var_dir / "tokens.json"
    try:
        data = json.loads(path.read_text("utf-8"))
        if isinstance(data, dict) and all(isinstance(data.get(k), str) and data[k] for k in ("kiosk", "staff", "rasa")):
            return data
    except (OSError, ValueError):
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    data = {k: secrets.token_urlsafe(24) for k in ("kiosk", "staff", "rasa")}
    tmp = path.with_suffix(".tmp")
    # created with mode 600: never readable by others, not even between writing and chmod
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(data))
    os.chmod(tmp, 0o600)  # a left-over tmp file keeps its old mode on open
    tmp.replace(path)
    return data


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("LINLI_VAR_DIR") or PROJECT_ROOT / "var").resolve()
    root = Path(os.environ.get("LINLI_ROOT") or PROJECT_ROOT).resolve()
    tokens = {
        "kiosk": os.environ.get("LINLI_KIOSK_TOKEN", ""),
        "staff": os.environ.get("LINLI_STAFF_TOKEN", ""),
        "rasa": os.environ.get("LINLI_RASA_TOKEN", ""),
    }
    if not all(tokens.values()):
        dev = _dev_tokens(var_dir)
        tokens = {k: v or dev[k] for k, v in tokens.items()}
    return Settings(
        root=root,
        var_dir=var_dir,
        host=os.environ.get("LINLI_HOST", "127.0.0.1"),
        services_port=_env_int("LINLI_SERVICES_PORT", 8700),
        actions_port=_env_int("LINLI_ACTIONS_PORT", 5055),
        rasa_port=_env_int("LINLI_RASA_PORT", 5005),
        kiosk_token=tokens["kiosk"],
        staff_token=tokens["staff"],
        rasa_token=tokens["rasa"],
        kiosk_id=os.environ.get("LINLI_KIOSK_ID", Settings.kiosk_id),
        kiosk_location=os.environ.get("LINLI_KIOSK_LOCATION", Settings.kiosk_location),
        services_url_override=os.environ.get("LINLI_SERVICES_URL") or None,
        public_url_override=os.environ.get("LINLI_PUBLIC_URL") or None,
        knowledge_dir_override=Path(os.environ["LINLI_KNOWLEDGE_DIR"]) if os.environ.get("LINLI_KNOWLEDGE_DIR")
        else None,
    )
