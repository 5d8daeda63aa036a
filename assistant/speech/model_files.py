"""Where each speech model lives and whether it is whole (no hashing: that is :mod:`.model_verify`).

* A **package** model stays where pip put it and is found with importlib; it is never copied.
* A **downloaded** model lives in ``var/models/speech/<name>/``, with ``linli-manifest.json`` (size + sha256
  of every file) and ``linli-download.json`` (where the zip came from and its sha256) beside it.

``resolve_model`` runs a cheap structural check (files present, non-empty, sizes as in the manifest) on every
call.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from assistant.shared.config import Settings
from assistant.shared.errors import SpeechModelError

from .model_catalog import Catalog, ModelEntry, PackageSource, load_catalog

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

ModelState = Literal["ready", "not installed", "incomplete", "corrupt"]


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


def manifest_for(model_dir: Path, entry: ModelEntry | None, catalog: Catalog | None) -> Path | None:
    """The committed manifest if the catalog has one, else the one written at download time, else None."""
    if entry is not None and catalog is not None and entry.manifest:
        return catalog.manifest_path(entry)
    own = model_dir / MANIFEST_FILE
    return own if own.is_file() else None


def file_size(path: Path) -> int | None:
    """The size of a regular file; None when there is none at ``path``."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def layout_findings(model_dir: Path) -> list[tuple[str, str]]:
    """``(file, problem)`` for required files that are absent or empty."""

    def absent(rel: str) -> tuple[str, str] | None:
        size = file_size(model_dir / rel)
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
        size = file_size(model_dir / rel)
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
    return [line for rel, line in layout_findings(model_dir) if rel not in seen] + [line for _, line in sized]


def supports_grammar(model_dir: Path) -> bool:
    """True when the model has a dynamic graph (HCLr.fst + Gr.fst): only those take a runtime grammar."""
    return all((file_size(model_dir / f) or 0) > 0 for f in GRAPH_LAYOUTS["dynamic"])


def looks_like_folder(name: str) -> bool:
    """True when a model name is a folder path rather than a catalog name."""
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
    if name is not None and looks_like_folder(name):
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise SpeechModelError(
                f"The speech model folder {folder} does not exist.",
                hint="Check LINLI_SPEECH_MODEL, or pick a model from `linli models list`.",
            )
        manifest_path = manifest_for(folder, None, None)
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
    manifest_path = manifest_for(path, entry, cat)
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
                manifest_path = manifest_for(path, entry, cat)
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
