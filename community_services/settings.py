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
    "LINLI_VAR_DIR": ("<checkout>/var", "Databases and the QR keys (qr-key, qr-keys/).", False),
    "LINLI_KIOSK_TOKEN": ("", "Bearer token the kiosks use (required).", True),
    "LINLI_STAFF_TOKEN": ("", "Bearer token the office staff use (required).", True),
    "LINLI_MAP": ("<checkout>/assets/maps/sunny-garden.yml", "The community map for the phone guide page.", False),
    "LINLI_QR_KEY": ("", "The community's first QR key, of codes without k= (unset: the key file <var>/qr-key); "
                     "newer keys are in <var>/qr-keys.", True),
    "LINLI_GUIDE_HOST": ("127.0.0.1", "Address of the phones' walking-guide listener (serves /guide/... only; "
                         "0.0.0.0 or the LAN address so phones reach it).", False),
    "LINLI_GUIDE_PORT": ("<services port + 1>", "Port of the walking-guide listener (0: none).", False),
    "LINLI_TLS_CERT": ("<var>/tls/cert.pem", "TLS certificate for listeners that are not on loopback.", False),
    "LINLI_TLS_KEY": ("<var>/tls/key.pem", "Its private key (mode 600).", False),
    "LINLI_ALLOW_PLAIN_HTTP": ("0", "1: listen beyond loopback without TLS anyway (not recommended).", False),
    "LINLI_SERVICES_DB_URL": ("sqlite:///<var>/services.db",
                              "The services database, any SQLAlchemy URL (used by `linli staff`).", False),
    "LINLI_CONSOLE_IDLE_MINUTES": (str(DEFAULT_CONSOLE_IDLE_MINUTES),
                                   "Staff console: minutes of inactivity before a login expires.", False),
    "LINLI_ESCALATE_AFTER_SECONDS": ("120", "An emergency alert nobody acknowledged for this long escalates "
                                     "(red on every console, sent to the channels below); 0 turns escalation off.",
                                     False),
    "LINLI_SMTP_HOST": ("", "Mail server for escalation e-mails (unset: no e-mail).", False),
    "LINLI_SMTP_PORT": ("25", "Port of that mail server.", False),
    "LINLI_SMTP_STARTTLS": ("0", "1: switch to TLS (STARTTLS) before logging in and sending.", False),
    "LINLI_SMTP_USER": ("", "Login for the mail server (unset: no login).", False),
    "LINLI_SMTP_PASSWORD": ("", "Password of that login.", True),
    "LINLI_SMTP_FROM": ("linli@localhost", "Sender address of escalation e-mails.", False),
    "LINLI_SMTP_TO": ("", "Where escalation e-mails go: addresses separated by commas.", False),
    "LINLI_ESCALATION_WEBHOOK": ("", "URL that gets a JSON POST for each escalated alert (unset: none).", True),
    "LINLI_RETENTION_DAYS": ("30", "Days resident words are kept: handoff conversations, closed alerts' details, "
                             "the audit log's before/after (tickets and other work records are kept).", False),
    "LINLI_IDEMPOTENCY_DAYS": ("7", "Days a create's Idempotency-Key replays (its record is then deleted).", False),
    "LINLI_TEST_PAUSE_AFTER_COMMIT": ("", "Test hook, never set in service: `PATH` or `PATH=SECONDS` (e.g. "
                                      "`/api/v1/feedback=20`): a create on that path sleeps after its commit, "
                                      "before it answers, so a test can kill the server in between.", False),
}
"""Each variable the office system reads: its default, a sentence for operators (``docs/settings.md``), secret."""


@dataclass(frozen=True)
class OfficeSettings:
    var_dir: Path
    """Databases and the QR keys (``LINLI_VAR_DIR``; default: ``<checkout>/var``)."""
    kiosk_token: str = field(default="", repr=False)
    """Bearer token of the kiosks (``LINLI_KIOSK_TOKEN``); empty when not set."""
    staff_token: str = field(default="", repr=False)
    """Bearer token of the office staff (``LINLI_STAFF_TOKEN``); empty when not set."""
    map_path: Path = field(default_factory=default_map_path)
    """The community map file (``LINLI_MAP``; default: the demo community's map)."""
    qr_key: str | None = field(default=None, repr=False)
    """The community's legacy QR key (``LINLI_QR_KEY``; codes without ``k=``); ``None``: the key file
    ``<var_dir>/qr-key``. Newer keys are in ``<var_dir>/qr-keys`` (``wayfinding.key_ring``)."""
    database_url: str = ""
    """The services database (``LINLI_SERVICES_DB_URL``); empty: ``sqlite:///<var_dir>/services.db``, as the
    kiosk side's ``Settings.services_db_url``."""
    console_idle_minutes: int = DEFAULT_CONSOLE_IDLE_MINUTES
    """Staff console: a login expires after this many minutes without a request (``LINLI_CONSOLE_IDLE_MINUTES``)."""
    escalate_after_seconds: float = 120.0
    """Unacknowledged alerts escalate after this long (``LINLI_ESCALATE_AFTER_SECONDS``); 0: never."""
    smtp_host: str = ""
    """Mail server of escalation e-mails (``LINLI_SMTP_HOST``); empty: no e-mail."""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "linli@localhost"
    smtp_to: tuple[str, ...] = ()
    """Recipients of escalation e-mails (``LINLI_SMTP_TO``, comma-separated)."""
    escalation_webhook: str = field(default="", repr=False)
    """URL for a JSON POST per escalated alert (``LINLI_ESCALATION_WEBHOOK``); empty: none. Secret: such URLs
    often carry a token."""
    retention_days: float = 30.0
    """Resident words are kept this many days (``LINLI_RETENTION_DAYS``; ``retention.py``)."""
    idempotency_days: float = 7.0
    """An ``Idempotency-Key`` replays this many days (``LINLI_IDEMPOTENCY_DAYS``)."""
    guide_host: str = "127.0.0.1"
    """The walking-guide listener's address (``LINLI_GUIDE_HOST``): phones reach only that one."""
    guide_port: int | None = None
    """Its port (``LINLI_GUIDE_PORT``); ``None``: the API's port + 1; 0: no guide listener."""
    tls_cert: Path | None = None
    """TLS certificate (``LINLI_TLS_CERT``); ``None``: ``<var_dir>/tls/cert.pem``."""
    tls_key: Path | None = None
    """Its key (``LINLI_TLS_KEY``); ``None``: ``<var_dir>/tls/key.pem``."""
    allow_plain_http: bool = False
    """``LINLI_ALLOW_PLAIN_HTTP``: serve beyond loopback without TLS anyway."""
    pause_after_commit: tuple[str, float] | None = None
    """Test hook (``LINLI_TEST_PAUSE_AFTER_COMMIT``, off by default): a create on this path sleeps this many seconds
    after its commit and before its response (``tests/integration/test_faults.py`` kills the server then)."""

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'services.db'}")
        if self.tls_cert is None:
            object.__setattr__(self, "tls_cert", self.var_dir / "tls" / "cert.pem")
        if self.tls_key is None:
            object.__setattr__(self, "tls_key", self.var_dir / "tls" / "key.pem")
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
            escalate_after_seconds=_number(env, "LINLI_ESCALATE_AFTER_SECONDS", 120.0),
            smtp_host=(env.get("LINLI_SMTP_HOST") or "").strip(),
            smtp_port=int(_number(env, "LINLI_SMTP_PORT", 25)),
            smtp_starttls=(env.get("LINLI_SMTP_STARTTLS") or "0").strip().lower() in ("1", "true", "yes", "on"),
            smtp_user=env.get("LINLI_SMTP_USER") or "",
            smtp_password=env.get("LINLI_SMTP_PASSWORD") or "",
            smtp_from=(env.get("LINLI_SMTP_FROM") or "linli@localhost").strip(),
            smtp_to=tuple(a.strip() for a in (env.get("LINLI_SMTP_TO") or "").split(",") if a.strip()),
            escalation_webhook=(env.get("LINLI_ESCALATION_WEBHOOK") or "").strip(),
            retention_days=_number(env, "LINLI_RETENTION_DAYS", 30.0),
            idempotency_days=_number(env, "LINLI_IDEMPOTENCY_DAYS", 7.0),
            guide_host=(env.get("LINLI_GUIDE_HOST") or "127.0.0.1").strip(),
            guide_port=int(_number(env, "LINLI_GUIDE_PORT", -1)) if (env.get("LINLI_GUIDE_PORT") or "").strip()
            else None,
            tls_cert=Path(env["LINLI_TLS_CERT"]) if (env.get("LINLI_TLS_CERT") or "").strip() else None,
            tls_key=Path(env["LINLI_TLS_KEY"]) if (env.get("LINLI_TLS_KEY") or "").strip() else None,
            allow_plain_http=(env.get("LINLI_ALLOW_PLAIN_HTTP") or "0").strip().lower() in ("1", "true", "yes", "on"),
            pause_after_commit=_pause(env.get("LINLI_TEST_PAUSE_AFTER_COMMIT")),
        )


def is_loopback(host: str) -> bool:
    """Whether a listener on ``host`` is reachable from this machine only (a name other than localhost: no)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _pause(raw: str | None) -> tuple[str, float] | None:
    """``/api/v1/feedback=20`` → (``/api/v1/feedback``, 20.0); a path alone pauses 30 s; unset: ``None``."""
    raw = (raw or "").strip()
    if not raw:
        return None
    path, _, seconds = raw.partition("=")
    try:
        return path.strip(), float(seconds) if seconds.strip() else 30.0
    except ValueError:
        raise ValueError(f"LINLI_TEST_PAUSE_AFTER_COMMIT must be PATH or PATH=SECONDS, not {raw!r}") from None


def _minutes(raw: str | None) -> int:
    if not raw or not raw.strip():
        return DEFAULT_CONSOLE_IDLE_MINUTES
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"LINLI_CONSOLE_IDLE_MINUTES must be a whole number of minutes, not {raw!r}") from None


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number from the environment; a bad value is an error that names the variable."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < 0 or value != value:
        raise ValueError(f"{name} must not be negative")
    return value
