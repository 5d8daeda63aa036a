"""``linli qr``: writes the posters, checks a scanned poster, and says what is wrong in one line."""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import pytest

from ar_overlays.posters import make_posters
from ar_overlays.qr_cli import add_qr_parser
from wayfinding.community_map import default_map_path, load_map

PUBLIC = "http://192.168.1.20:8700"


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("LINLI_VAR_DIR", str(var))
    for name in ("LINLI_QR_KEY", "LINLI_PUBLIC_URL", "LINLI_MAP", "LINLI_SERVICES_URL", "LINLI_DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    return var


def linli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="linli")
    add_qr_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["qr", *argv])
    return int(args.func(args))


@pytest.mark.parametrize(("given", "env_default", "in_link"), [
    (["--lang", "zh-CN"], None, "&lang=zh-CN"),
    ([], "zh-CN", "&lang=zh-CN"),  # a Chinese community's posters open the Chinese page
    (["--lang", "en"], "zh-CN", None),
    (["--lang", "klingon"], None, None),  # unknown: the English page (which offers 中文)
])
def test_the_page_language_travels_in_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], given: list[str],
                                               env_default: str | None, in_link: str | None) -> None:
    if env_default:
        monkeypatch.setenv("LINLI_DEFAULT_LANGUAGE", env_default)
    out = tmp_path / "posters"
    assert linli("--only", "library", "--out", str(out), "--public-url", PUBLIC, *given) == 0
    capsys.readouterr()
    assert linli("--check", str(out / "library.png"), "--public-url", PUBLIC) == 0
    scanned = capsys.readouterr().out
    assert "GENUINE" in scanned
    assert (in_link in scanned) if in_link else ("lang=" not in scanned)


def test_writes_posters_and_checks_one(tmp_path: Path, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "posters"
    assert linli("--only", "community-clinic", "post-lobby", "--out", str(out), "--public-url", PUBLIC + "/") == 0
    said = capsys.readouterr().out
    assert "Wrote 2 posters for Sunny Garden" in said and "community-clinic" in said and "post-lobby" in said
    assert f"{PUBLIC}/guide/sunny-garden" in said
    assert sorted(p.name for p in out.iterdir()) == [
        "community-clinic.pdf", "community-clinic.png", "post-lobby.pdf", "post-lobby.png"]
    assert (env / "qr-key").exists()  # the community key was made on first use

    assert linli("--check", str(out / "community-clinic.png"), "--public-url", PUBLIC) == 0
    said = capsys.readouterr().out
    assert "GENUINE Sunny Garden guide code: opens the way to community-clinic" in said
    assert "another address" not in said
    assert linli("--check", str(out / "community-clinic.png"), "--public-url", "http://10.0.0.9:8700") == 0
    assert "another address than http://10.0.0.9:8700" in capsys.readouterr().out


def test_default_out_dir_and_public_url(env: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINLI_PUBLIC_URL", "https://guide.example.org")
    assert linli("--only", "library") == 0
    assert (env / "posters" / "library.png").exists()
    assert "https://guide.example.org/guide/sunny-garden" in capsys.readouterr().out


def test_check_refuses_a_code_signed_by_someone_else(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    community = load_map(default_map_path())
    make_posters(community, b"someone-elses-key-00000000000000000000", PUBLIC, tmp_path, ["library"])
    assert linli("--check", str(tmp_path / "library.png")) == 1
    assert "REFUSED: This guide code has been changed" in capsys.readouterr().out


def test_check_without_a_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 200, np.uint8))
    assert linli("--check", str(blank)) == 1
    err = capsys.readouterr().err
    assert err.startswith("linli qr: No QR code could be read") and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["--check", "missing.png"], "Cannot read the image"),
    (["--only", "clinic"],
     "There is no place, marker post or tour stop 'clinic' in the map. Did you mean community-clinic?"),
    (["--public-url", "192.168.1.20:8700"], "must start with http:// or https://"),
    (["--map", "nowhere.yml"], "nowhere.yml"),
])
def test_errors_are_one_plain_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert linli(*argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("linli qr: ") and message in err and err.count("\n") == 1


def test_an_unwritable_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    assert linli("--out", str(tmp_path / "file"), "--only", "library") == 1
    assert "it is a file, not a folder" in capsys.readouterr().err
