"""The community's QR key ring: the current key signs new guide links, older keys still verify (``docs/ar.md``).

A community rotates its key without reprinting every poster at once: ``rotate-key`` makes a new current key
(new links carry ``k=<id>``), the old keys stay accepted until ``retire-key`` once their posters are replaced.

Files under ``<var_dir>`` (plain text, secrets mode 600, each written once and atomically, never overwritten):

* ``qr-key`` — the legacy key, id ``0`` (links without ``k=``); a configured ``LINLI_QR_KEY`` takes its place.
  Made on first use while it is the current key (no ring key yet), exactly as before the ring existed.
* ``qr-keys/<id>`` — ring keys ``1``, ``2``, …: lines ``created: <ISO date>`` and ``key: <secret>``.
  The highest id that is not retired is the current key.
* ``qr-keys/retired/<id>`` — a retired key's record (dates only, no secret); its id is never used again.
* ``qr-keys/posters`` — which key signed each poster ``linli qr`` made: ``<poster-id> <key-id> <ISO date>``.

A broken key file is an error naming ``file:line``, never skipped or replaced: posters depend on it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from .errors import KeyConfigError
from .signing import KEY_ENV, KEY_FILE, check_key, load_key

log = logging.getLogger(__name__)

LEGACY_ID = "0"
"""The key of links without ``k=``: ``qr-key`` or ``LINLI_QR_KEY``, which signed every poster before the ring."""
RING_DIR = "qr-keys"
RETIRED_DIR = "retired"
POSTERS_FILE = "posters"
MAX_ID = 9999
KEY_ID = re.compile(r"^[1-9][0-9]{0,3}$")
"""A ring key's id as it appears in a link (``k=2``): 1 to 9999, no leading zeros (one spelling per key)."""
_HINT_BROKEN = ("Restore the file from a backup, or retire the key (`linli qr retire-key ID`) if its posters "
                "are gone; never edit a key that posters were printed with.")


@dataclass(frozen=True)
class QrKey:
    """One accepted key."""

    id: str
    secret: bytes = field(repr=False)
    created: datetime | None = None
    source: str = ""
    """Where it came from: a file path or the setting's name."""

    @property
    def legacy(self) -> bool:
        return self.id == LEGACY_ID


@dataclass(frozen=True)
class KeyRing:
    """The accepted keys, oldest first; the last one is the current key (it signs new links)."""

    keys: tuple[QrKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("No QR key is accepted: every key has been retired.",
                                 hint="Make a new one with `linli qr rotate-key` and reprint the posters.")

    @classmethod
    def single(cls, secret: bytes) -> KeyRing:
        """A ring of only the legacy key (links without ``k=``): what a plain ``bytes`` key means."""
        return cls((QrKey(LEGACY_ID, secret),))

    @property
    def current(self) -> QrKey:
        return self.keys[-1]

    def get(self, key_id: str) -> QrKey | None:
        return next((k for k in self.keys if k.id == key_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.keys)


@dataclass(frozen=True)
class KeyInfo:
    """What ``linli qr keys`` shows about one key, including retired and broken ones."""

    id: str
    source: str
    created: datetime | None = None
    key: QrKey | None = None
    """``None`` when retired or broken."""
    retired: bool = False
    retired_at: datetime | None = None
    problem: KeyConfigError | None = None
    current: bool = False
    file: Path | None = None
    """The file holding its secret (``None``: configured in the environment); for a retired key, a secret left
    behind by an interrupted ``retire-key`` (the next one removes it)."""


@dataclass(frozen=True)
class Survey:
    keys: tuple[KeyInfo, ...]
    """Sorted by id; at most one is ``current``."""
    ignored: tuple[Path, ...] = ()
    """Files in ``qr-keys/`` that are not keys (an editor's backup, …): listed, never read."""

    def get(self, key_id: str) -> KeyInfo | None:
        return next((k for k in self.keys if k.id == key_id), None)

    def problems(self) -> list[KeyConfigError]:
        return [k.problem for k in self.keys if k.problem is not None and not k.retired]

    def ring(self) -> KeyRing:
        """The accepted keys; the first broken one raises."""
        problems = self.problems()
        if problems:
            raise problems[0]
        return KeyRing(tuple(k.key for k in self.keys if k.key is not None and not k.retired))


def ring_dir(var_dir: Path) -> Path:
    return var_dir / RING_DIR


def is_key_id(text: str) -> bool:
    return text == LEGACY_ID or bool(KEY_ID.match(text))


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _when(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _read_fields(path: Path, names: Iterable[str]) -> dict[str, tuple[int, str]]:
    """``name: value`` lines (``#`` comments and blank lines skipped) → name → (line number, value)."""
    try:
        text = path.read_text("ascii")
    except UnicodeDecodeError as e:
        raise KeyConfigError(f"{path}: this is not a QR key file (it is not plain text: {e.reason}).",
                             hint=_HINT_BROKEN) from e
    except OSError as e:
        raise KeyConfigError(f"Cannot read the QR key {path}: {e.strerror or e}") from e
    allowed = tuple(names)
    found: dict[str, tuple[int, str]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or name not in allowed:
            raise KeyConfigError(f"{path}:{number}: unknown line {line[:40]!r} (expected "
                                 + " or ".join(f'"{n}: …"' for n in allowed) + ").", hint=_HINT_BROKEN)
        if name in found:
            raise KeyConfigError(f"{path}:{number}: {name} is given twice (first on line {found[name][0]}).",
                                 hint=_HINT_BROKEN)
        found[name] = (number, value.strip())
    return found


def _read_key_file(path: Path, key_id: str) -> QrKey:
    fields = _read_fields(path, ("created", "key"))
    if "key" not in fields:
        raise KeyConfigError(f"{path}: there is no \"key: …\" line, so this is not a usable QR key.",
                             hint=_HINT_BROKEN)
    number, text = fields["key"]
    try:
        secret = check_key(text, f"{path}:{number}")
    except KeyConfigError as e:
        raise KeyConfigError(f"{path}:{number}: this QR key is not usable: it must be at least 22 URL-safe "
                             "characters (A-Z a-z 0-9 - _).", hint=_HINT_BROKEN) from e
    created = None
    if "created" in fields:
        number, value = fields["created"]
        try:
            created = _when(value)
        except ValueError as e:
            raise KeyConfigError(f"{path}:{number}: created is not a date (like 2025-03-01T09:30:00+00:00): "
                                 f"{value[:40]!r}.", hint=_HINT_BROKEN) from e
    return QrKey(key_id, secret, created, str(path))


def _read_retired(path: Path) -> tuple[datetime | None, datetime | None]:
    """When a retired key was created and retired; the record only informs (its presence is what counts), so
    junk in it is ``None``."""
    try:
        fields = _read_fields(path, ("created", "retired"))
    except KeyConfigError:
        return None, None
    dates: list[datetime | None] = []
    for name in ("created", "retired"):
        try:
            dates.append(_when(fields[name][1]))
        except (KeyError, ValueError):
            dates.append(None)
    return dates[0], dates[1]


def _ids_in(folder: Path) -> tuple[dict[str, Path], list[Path]]:
    """Key ids → files in ``folder``, and the files that are not keys (hidden files are skipped)."""
    keys: dict[str, Path] = {}
    other: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        return keys, other
    except OSError as e:
        raise KeyConfigError(f"Cannot read the QR key folder {folder}: {e.strerror or e}") from e
    for path in entries:
        if path.name.startswith("."):
            continue  # a temporary file of a key being written
        if KEY_ID.match(path.name):
            keys[path.name] = path
        elif path.name not in (RETIRED_DIR, POSTERS_FILE):
            other.append(path)
    return keys, other


def survey(var_dir: Path, configured: str | None, *, source: str = KEY_ENV, create: bool = False) -> Survey:
    """Every key: accepted, retired or broken. ``create``: make ``qr-key`` if it is the current key and missing
    (what signing a link does on first use); ``linli qr keys`` only looks."""
    folder = ring_dir(var_dir)
    files, ignored = _ids_in(folder)
    retired_files, _ = _ids_in(folder / RETIRED_DIR)
    infos: list[KeyInfo] = []
    for key_id in sorted(set(files) | set(retired_files), key=int):
        path = files.get(key_id)
        if key_id in retired_files:
            created, retired_at = _read_retired(retired_files[key_id])
            infos.append(KeyInfo(key_id, str(path or retired_files[key_id]), created, retired=True,
                                 retired_at=retired_at, file=path))
            continue
        assert path is not None
        try:
            key = _read_key_file(path, key_id)
        except KeyConfigError as e:
            infos.append(KeyInfo(key_id, str(path), problem=e, file=path))
        else:
            infos.append(KeyInfo(key_id, str(path), key.created, key, file=path))
    legacy = _legacy(var_dir, configured, source, create=create and not any(not i.retired for i in infos))
    if legacy is not None:
        infos.insert(0, legacy)
    for i, info in reversed(list(enumerate(infos))):
        if not info.retired:  # the newest key not retired, broken or not: nothing newer may take its place
            infos[i] = replace(info, current=True)
            break
    return Survey(tuple(infos), tuple(ignored))


def _legacy(var_dir: Path, configured: str | None, source: str, *, create: bool) -> KeyInfo | None:
    tombstone = ring_dir(var_dir) / RETIRED_DIR / LEGACY_ID
    path = var_dir / KEY_FILE
    if tombstone.exists():
        leftover = path if path.exists() and not (configured and configured.strip()) else None
        created, retired_at = _read_retired(tombstone)
        return KeyInfo(LEGACY_ID, source if configured and configured.strip() else str(path), created,
                       retired=True, retired_at=retired_at, file=leftover)
    if configured and configured.strip():
        try:
            return KeyInfo(LEGACY_ID, source, key=QrKey(LEGACY_ID, check_key(configured, source), None, source))
        except KeyConfigError as e:
            return KeyInfo(LEGACY_ID, source, problem=e)
    if not create and not path.exists():
        return None
    try:
        secret = load_key(var_dir, None)  # reads qr-key, or makes it (mode 600, atomic) on first use
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    except KeyConfigError as e:
        return KeyInfo(LEGACY_ID, str(path), problem=e, file=path)
    except OSError:
        created = None
    return KeyInfo(LEGACY_ID, str(path), created, QrKey(LEGACY_ID, secret, created, str(path)), file=path)


def load_ring(var_dir: Path, configured: str | None, *, source: str = KEY_ENV) -> KeyRing:
    """The accepted keys: the legacy key (``configured``, read by the caller from ``source``, else
    ``var_dir/qr-key``, made on first use while it is the only key) and the ring keys in ``var_dir/qr-keys``.
    Raises ``KeyConfigError`` (``file:line: …``) when a key that is not retired cannot be used."""
    return survey(var_dir, configured, source=source, create=True).ring()


# --- changing the ring ------------------------------------------------------------------------------------


def _write_new(path: Path, text: str) -> bool:
    """Writes ``path`` (mode 600 from the start) unless it exists; ``False`` when it did. Atomic: a reader sees
    the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # never overwrites: a key another process made meanwhile is kept
        except FileExistsError:
            return False
        except OSError:  # no hard links on this file system
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def rotate_key(var_dir: Path, configured: str | None, *, source: str = KEY_ENV,
               now: datetime | None = None) -> QrKey:
    """Makes a new current key (the next unused id); every other accepted key stays accepted."""
    found = survey(var_dir, configured, source=source)
    problems = found.problems()
    if problems:
        raise KeyConfigError(f"Not rotating: {problems[0].message}", hint=problems[0].hint or _HINT_BROKEN)
    used = [int(k.id) for k in found.keys]
    next_id = max(used, default=0) + 1
    created = (now or _now()).astimezone(UTC)
    folder = ring_dir(var_dir)
    try:
        while next_id <= MAX_ID:
            path = folder / str(next_id)
            if not (folder / RETIRED_DIR / str(next_id)).exists():
                secret = secrets.token_urlsafe(32)
                text = (f"# Linli QR key {next_id}: signs guide codes that carry k={next_id}. Keep it secret and "
                        "never edit it;\n# copy the whole qr-keys folder to every machine that checks guide codes.\n"
                        f"created: {created.isoformat()}\nkey: {secret}\n")
                if _write_new(path, text):
                    return _read_key_file(path, str(next_id))
            next_id += 1  # another rotation took this id meanwhile
    except OSError as e:
        raise KeyConfigError(f"Cannot write a new QR key in {folder}: {e.strerror or e}") from e
    raise KeyConfigError(f"No free QR key id is left (they go up to {MAX_ID}).",
                         hint=f"Retired ids are never reused; see {folder / RETIRED_DIR}.")


def retire_key(var_dir: Path, configured: str | None, key_id: str, *, source: str = KEY_ENV,
               now: datetime | None = None) -> KeyInfo:
    """Stops accepting ``key_id`` (its posters must have been replaced): records it in ``qr-keys/retired`` and
    deletes its secret. The current key cannot be retired (rotate first). Returns what was retired."""
    key_id = key_id.strip()
    if not is_key_id(key_id):
        raise KeyConfigError(f"{key_id[:20]!r} is not a QR key id: ids are whole numbers like 0 (the first key, "
                             "links without k=) or 2.", hint="See them with `linli qr keys`.")
    found = survey(var_dir, configured, source=source)
    info = found.get(key_id)
    if info is None:
        known = ", ".join(k.id for k in found.keys) or "none"
        raise KeyConfigError(f"There is no QR key {key_id} (the keys: {known}).", hint="See `linli qr keys`.")
    if info.current:
        raise KeyConfigError(
            f"Key {key_id} is the current key: it signs new posters and guide links, so it cannot be retired.",
            hint="Make a new one with `linli qr rotate-key`, reprint the posters (`linli qr`), then retire this one.")
    when = (now or _now()).astimezone(UTC)
    tombstone = ring_dir(var_dir) / RETIRED_DIR / key_id
    try:
        if not info.retired:
            created = info.created.isoformat() if info.created else "unknown"
            _write_new(tombstone, f"# QR key {key_id} is no longer accepted; its id is never used again.\n"
                                  f"created: {created}\nretired: {when.isoformat()}\n")
        if info.file is not None:  # then the secret goes (after a crash in between, the next retire-key does it)
            info.file.unlink(missing_ok=True)
    except OSError as e:
        raise KeyConfigError(f"Cannot retire QR key {key_id}: {e.strerror or e}") from e
    return replace(info, retired=True, retired_at=info.retired_at or when, key=None, file=None)


# --- which key signed which poster ------------------------------------------------------------------------


def poster_keys(var_dir: Path) -> dict[str, str] | None:
    """Poster id → the id of the key that signed the last copy ``linli qr`` made; ``None``: no record yet.
    Raises ``KeyConfigError`` (``file:line``) for a broken record."""
    path = ring_dir(var_dir) / POSTERS_FILE
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise KeyConfigError(f"Cannot read the poster record {path}: {e}") from e
    found: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2 or not is_key_id(parts[1]):
            raise KeyConfigError(f"{path}:{number}: expected \"<poster-id> <key-id> <date>\", not {line[:60]!r}.")
        found[parts[0]] = parts[1]
    return found


def poster_counts(var_dir: Path) -> dict[str, int] | None:
    """Key id → how many posters (as last made by ``linli qr``) it signed; ``None``: nothing recorded."""
    found = poster_keys(var_dir)
    if found is None:
        return None
    counts: dict[str, int] = {}
    for key_id in found.values():
        counts[key_id] = counts.get(key_id, 0) + 1
    return counts


def record_posters(var_dir: Path, key_id: str, poster_ids: Iterable[str], *, now: datetime | None = None) -> None:
    """Notes that ``key_id`` signed these posters (replacing what an earlier copy of each was signed with)."""
    found = poster_keys(var_dir) or {}
    when = (now or _now()).astimezone(UTC).date().isoformat()
    dates: dict[str, str] = {}
    path = ring_dir(var_dir) / POSTERS_FILE
    if path.exists():
        for raw in path.read_text("utf-8").splitlines():
            parts = raw.split()
            if len(parts) >= 3 and not raw.lstrip().startswith("#"):
                dates[parts[0]] = parts[2]
    for poster in poster_ids:
        found[poster], dates[poster] = key_id, when
    lines = ["# Which QR key signed each poster `linli qr` made: poster, key id, date made."]
    lines += [f"{poster} {key} {dates.get(poster, '-')}" for poster, key in sorted(found.items())]
    tmp = path.with_name(f".{POSTERS_FILE}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text("\n".join(lines) + "\n", "utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise KeyConfigError(f"Cannot write the poster record {path}: {e.strerror or e}") from e


# --- long-running readers ---------------------------------------------------------------------------------


class RingCache:
    """The ring for a long-running reader (the office's guide pages, the kiosk camera, the skill that signs):
    read again at most every ``max_age_s``, so a rotation or a retirement counts without a restart. A ring
    that became unreadable meanwhile is logged and the last good one kept; the first read raises."""

    def __init__(self, load: Callable[[], KeyRing], *, max_age_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._max_age = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._ring = load()
        self._read_at = clock()

    @classmethod
    def fixed(cls, ring: KeyRing) -> RingCache:
        return cls(lambda: ring, max_age_s=float("inf"))

    def get(self) -> KeyRing:
        with self._lock:
            if self._clock() - self._read_at >= self._max_age:
                self._read_at = self._clock()
                try:
                    self._ring = self._load()
                except KeyConfigError as e:
                    log.error("the QR keys could not be read again, the last ones stay in use: %s", e)
            return self._ring


def describe_posters(counts: Mapping[str, int] | None, key_id: str) -> str:
    """"3 posters" / "none recorded" / "unknown" (nothing recorded at all) for ``linli qr keys``."""
    if counts is None:
        return "unknown"
    n = counts.get(key_id, 0)
    return f"{n} poster{'s' if n != 1 else ''}" if n else "none recorded"
