"""``linli doctor``: check a deployment and say in plain lines what to fix (docs/security.md, docs/deploy.md).

Each check gives findings: ``fix`` (must be fixed: the exit status is 1), ``warn`` (worth a look) or ``ok``.
``linli run`` runs the checks marked ``before_run`` first and refuses to start while one of them says ``fix``
(an unsafe network configuration, secrets that are shared, default or on a command line, secret files others
can read): the rest (a missing model, disk space, the speech model) it reports or fixes by itself.

It reads; it never writes (not even the developer tokens ``load_settings`` would make).
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from assistant.shared import config
from assistant.shared.config import LOOPBACK, TOKEN_NAMES, Settings, is_loopback

Level = Literal["fix", "warn", "ok"]

DEFAULT_SECRETS = frozenset({"change-me", "changeme", "secret", "password", "token", "kiosk", "staff", "rasa",
                             "change-me-kiosk-token", "change-me-staff-token", "change-me-rasa-token",
                             "change-me-reload-token"})
"""Values that are someone's example, not a secret (``deploy/linli.env.example`` among them)."""
MIN_SECRET_LENGTH = 16
DISK_FIX_BYTES = 1 << 30
DISK_WARN_BYTES = 5 << 30


@dataclass(frozen=True)
class Finding:
    level: Level
    text: str
    before_run: bool = False
    """Part of the must-fix subset ``linli run`` checks before it starts anything."""


def _fix(text: str, *, before_run: bool = False) -> Finding:
    return Finding("fix", text, before_run)


def _ok(text: str) -> Finding:
    return Finding("ok", text)


# --- network ---------------------------------------------------------------------------------------------


def _tls_findings(settings: Settings, host: str, what: str, variable: str) -> Iterator[Finding]:
    if is_loopback(host):
        yield _ok(f"The {what} listens on {host} (this machine only).")
        return
    if settings.tls_available:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(settings.tls_cert),
                                                                                str(settings.tls_key))
        except (OSError, ssl.SSLError) as e:
            yield _fix(f"The {what} listens on {host} with TLS, but the certificate {settings.tls_cert} and key "
                       f"{settings.tls_key} cannot be used ({e}). Run `linli tls make --force` or fix "
                       "LINLI_TLS_CERT/LINLI_TLS_KEY.", before_run=True)
            return
        yield _ok(f"The {what} listens on {host} with TLS ({settings.tls_cert}).")
    elif settings.allow_plain_http:
        yield Finding("warn", f"The {what} listens on {host} without TLS (LINLI_ALLOW_PLAIN_HTTP=1): anyone on "
                      "that network can read and change its traffic. `linli tls make` makes a certificate.")
    else:
        yield _fix(f"The {what} would listen on {host} ({variable}) without TLS: anyone on that network could "
                   f"read and change its traffic. Run `linli tls make` (or set LINLI_TLS_CERT and LINLI_TLS_KEY), "
                   f"or set {variable}=127.0.0.1. LINLI_ALLOW_PLAIN_HTTP=1 allows it anyway.", before_run=True)


def listening(port: int, proc: Path = Path("/proc")) -> list[str]:
    """The local addresses something listens on at TCP ``port`` (from /proc/net/tcp and tcp6)."""
    import ipaddress

    found = []
    for name, size in (("tcp", 4), ("tcp6", 16)):
        try:
            lines = (proc / "net" / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 4 or parts[3] != "0A":  # 0A: LISTEN
                continue
            address, _, hex_port = parts[1].partition(":")
            if int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(address)
            # the kernel prints each 32-bit word in host order (little-endian here)
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, size, 4))
            found.append(str(ipaddress.ip_address(raw)))
    return found


def network(settings: Settings, proc: Path = Path("/proc")) -> Iterator[Finding]:
    yield from _tls_findings(settings, settings.host, "office API and staff console", "LINLI_HOST")
    yield from _tls_findings(settings, settings.guide_host, "phones' walking guide", "LINLI_GUIDE_HOST")
    for port, what in ((settings.actions_port, "action server"), (settings.rasa_port, "dialogue engine (Rasa)")):
        exposed = [a for a in listening(port, proc) if not is_loopback(a)]
        if exposed:
            yield _fix(f"Something listens on {', '.join(exposed)} port {port}, where the {what} must be reachable "
                       f"from this machine only. Stop it and start Linli again (`linli run` binds it to {LOOPBACK}).",
                       before_run=True)
    yield _ok(f"The action server and Rasa listen on {LOOPBACK} only.")


# --- secrets ---------------------------------------------------------------------------------------------


def secrets_in_use(settings: Settings | None = None) -> dict[str, str]:
    """Each purpose's secret as a run would use it: the settings' (or the environment's), else var/tokens.json."""
    if settings is not None:
        given = {name: getattr(settings, f"{name}_token") for name in TOKEN_NAMES}
        var_dir = settings.var_dir
    else:
        values = config.from_environment()
        given = {name: values.get(f"{name}_token", "") for name in TOKEN_NAMES}
        var_dir = values.get("var_dir", config.PROJECT_ROOT / "var")
    stored = config.read_tokens(var_dir)
    return {name: given[name] or stored.get(name, "") for name in TOKEN_NAMES}


def _our_command_lines(proc: Path = Path("/proc")) -> Iterator[tuple[int, str]]:
    """(pid, command line) of every process this user owns."""
    uid = os.getuid()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        yield int(entry.name), raw.replace(b"\0", b" ").decode("utf-8", "replace")


def secrets_on_command_lines(values: Iterable[str], proc: Path = Path("/proc")) -> list[tuple[int, str]]:
    """(pid, program) of our processes whose command line holds one of ``values`` (never the value itself)."""
    wanted = [v for v in values if len(v) >= 8]
    return [(pid, line.split(" ", 1)[0]) for pid, line in _our_command_lines(proc) if any(v in line for v in wanted)]


def secrets(settings: Settings | None, *, exposed: bool, proc: Path = Path("/proc")) -> Iterator[Finding]:
    """``exposed``: something listens beyond loopback, so a weak secret is a must-fix for ``linli run`` too."""
    values = secrets_in_use(settings)
    missing = [n for n, v in values.items() if not v]
    if missing:
        yield _fix(f"No {', '.join(missing)} secret: set LINLI_{missing[0].upper()}_TOKEN, or let `linli run` make "
                   "them once in var/tokens.json.")
    present = {n: v for n, v in values.items() if v}
    by_value: dict[str, list[str]] = {}
    for name, value in present.items():
        by_value.setdefault(value, []).append(name)
    for names in by_value.values():
        if len(names) > 1:
            yield _fix(f"The {' and '.join(names)} secrets are the same; each purpose needs its own (a kiosk would "
                       f"hold the staff's powers). Give LINLI_{names[1].upper()}_TOKEN a new value.", before_run=True)
    weak = [n for n, v in present.items() if v.strip().lower() in DEFAULT_SECRETS or len(v) < MIN_SECRET_LENGTH]
    if weak:
        yield _fix(f"The {', '.join(weak)} secret{'s are' if len(weak) > 1 else ' is'} an example value or shorter "
                   f"than {MIN_SECRET_LENGTH} characters. Make one with "
                   "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`.", before_run=exposed)
    leaks = secrets_on_command_lines(present.values(), proc)
    for pid, program in leaks:
        yield _fix(f"Process {pid} ({program}) has a secret on its command line, which every local user can read "
                   "(/proc/<pid>/cmdline). Stop it and pass the secret in the environment instead.", before_run=True)
    if not missing and not weak and not leaks and len(by_value) == len(present):
        yield _ok("Secrets: kiosk, staff, Rasa and reload are set, distinct, and on no command line.")


# --- files -------------------------------------------------------------------------------------------------


def _private(path: Path, what: str, *, before_run: bool) -> Iterator[Finding]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        yield _fix(f"{what} {path} can be read by other users (mode {mode:o}): chmod 600 {path}",
                   before_run=before_run)


def files(settings: Settings) -> Iterator[Finding]:
    found = list(_file_findings(settings, settings.var_dir))
    yield from found
    if not found:
        yield _ok("Secret files (tokens, QR keys, TLS key) and databases are private.")


def _file_findings(settings: Settings, var: Path) -> Iterator[Finding]:
    yield from _private(config.tokens_path(var), "The tokens file", before_run=True)
    yield from _private(var / "qr-key", "The QR key", before_run=True)
    keys = var / "qr-keys"
    if keys.is_dir():
        for path in sorted(keys.iterdir()):
            if path.is_file():
                yield from _private(path, "The QR key", before_run=True)
    yield from _private(settings.tls_key, "The TLS key", before_run=True)
    for db in sorted(var.glob("*.db")):
        try:
            mode = stat.S_IMODE(db.stat().st_mode)
        except OSError:
            continue
        if mode & 0o007:  # residents' requests and alerts: the group may be the kiosk user's, others never
            yield _fix(f"The database {db} can be read by every user (mode {mode:o}): chmod 600 {db} "
                       "(660 if the kiosk user shares its group).")


# --- models and disk -----------------------------------------------------------------------------------------


def models(settings: Settings) -> Iterator[Finding]:
    found = sorted(settings.models_dir.glob("linli-*.tar.gz")) if settings.models_dir.is_dir() else []
    if found:
        yield _ok(f"Trained model: {found[-1].name}.")
    else:
        yield _fix(f"No trained model in {settings.models_dir}: run `linli train` (about two minutes).")
    if not settings.kiosk_voice:
        return
    try:
        from assistant.speech.model_files import resolve_model
        from assistant.speech.settings import load_speech_settings

        speech = load_speech_settings()
        path = resolve_model(speech.locale, speech.model, settings)
        yield _ok(f"Speech model: {path.name}.")
    except Exception as e:  # a missing model, a broken manifest: its own message names the fix
        yield _fix(f"Speech model: {e} (or LINLI_KIOSK_VOICE=0 for touch only).")


def disk(settings: Settings) -> Iterator[Finding]:
    folder = settings.var_dir if settings.var_dir.exists() else settings.var_dir.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    gib = free / (1 << 30)
    if free < DISK_FIX_BYTES:
        yield _fix(f"Only {gib:.1f} GiB free for {settings.var_dir}: the outbox and databases need room. Free some "
                   "space (old logs in var/logs/, old models in var/models/).")
    elif free < DISK_WARN_BYTES:
        yield Finding("warn", f"{gib:.1f} GiB free for {settings.var_dir}; keep at least 5 GiB.")
    else:
        yield _ok(f"{gib:.0f} GiB free for {settings.var_dir}.")


# --- together ------------------------------------------------------------------------------------------------


def exposed(settings: Settings) -> bool:
    return not is_loopback(settings.host) or not is_loopback(settings.guide_host)


def check(settings: Settings, *, proc: Path = Path("/proc")) -> list[Finding]:
    """Every finding, in the order printed."""
    return [*network(settings, proc), *secrets(settings, exposed=exposed(settings), proc=proc),
            *files(settings), *models(settings), *disk(settings)]


def before_run(settings: Settings, *, proc: Path = Path("/proc")) -> list[Finding]:
    """The must-fix subset ``linli run`` refuses to start with (network, secrets, secret files)."""
    found = [*network(settings, proc), *secrets(settings, exposed=exposed(settings), proc=proc), *files(settings)]
    return [f for f in found if f.level == "fix" and f.before_run]


def report(findings: list[Finding]) -> str:
    label = {"fix": "FIX ", "warn": "WARN", "ok": "ok  "}
    lines = [f"{label[f.level]} {f.text}" for f in findings]
    fixes = sum(f.level == "fix" for f in findings)
    lines.append(f"{fixes} thing{'s' if fixes != 1 else ''} to fix." if fixes else "Nothing to fix.")
    return "\n".join(lines)


def _settings_without_making_tokens() -> Settings:
    """The settings as ``load_settings`` reads them, but without writing var/tokens.json."""
    values = config.from_environment()
    for name in ("root", "var_dir"):
        if name in values:
            values[name] = values[name].resolve()
    values.setdefault("var_dir", (config.PROJECT_ROOT / "var").resolve())
    settings = Settings(**values)
    stored: dict[str, Any] = {f"{n}_token": v for n, v in secrets_in_use(settings).items()}
    return replace(settings, **stored)


def cmd_doctor(args: argparse.Namespace) -> int:
    findings = check(_settings_without_making_tokens())
    if args.quiet:
        findings = [f for f in findings if f.level != "ok"]
    print(report(findings))
    return 1 if any(f.level == "fix" for f in findings) else 0


def add_doctor_parser(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="check this deployment (network, TLS, secrets, file modes, models, disk)")
    doctor.add_argument("--quiet", action="store_true", help="only what to fix or look at")
    doctor.set_defaults(func=cmd_doctor)
