"""The full check of an installed speech model: every file's size and sha256 against its manifest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.shared.config import Settings
from assistant.shared.errors import SpeechModelError

from .model_catalog import Catalog, ModelEntry, load_catalog
from .model_files import (
    METADATA_FILES,
    Manifest,
    ModelState,
    file_size,
    installed_path,
    layout_findings,
    looks_like_folder,
    manifest_for,
    read_manifest,
)

CHUNK = 1024 * 1024
ProgressFn = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)``: stage is "download", "copy", "extract" or "verify"; done/total in bytes
(total None when unknown)."""


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


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON through a temporary file, so ``path`` is never half written."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_manifest(model_dir: Path, path: Path) -> Manifest:
    """Write the manifest of ``model_dir`` to ``path`` (used once for the committed ko manifest)."""
    manifest = compute_manifest(model_dir)
    write_json(path, manifest)
    return manifest


def _locate(name: str, settings: Settings, catalog: Catalog | None) -> tuple[ModelEntry | None, Catalog | None, Path]:
    if looks_like_folder(name):
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
    manifest_path = manifest_for(path, entry, cat)
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
        size = file_size(path / rel)
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
    report.missing += [line for rel, line in layout_findings(path) if rel not in reported]
    if not manifest:
        report.files_checked = sum(1 for p in path.rglob("*") if p.is_file())
    return report
