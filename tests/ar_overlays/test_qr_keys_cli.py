"""``linli qr keys | rotate-key | retire-key``: rotating without reprinting at once, plain one-line errors."""

from __future__ import annotations

import argparse
import re
import stat
from pathlib import Path

import pytest

from ar_overlays.qr_cli import add_qr_parser
from wayfinding.key_ring import load_ring

PUBLIC = "http://192.168.1.20:8700"


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("LINLI_VAR_DIR", str(var))
    for name in ("LINLI_QR_KEY", "LINLI_PUBLIC_URL", "LINLI_MAP", "LINLI_SERVICES_URL"):
        monkeypatch.delenv(name, raising=False)
    return var


def linli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="linli")
    add_qr_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["qr", *argv])
    return int(args.func(args))


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("linli qr: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def rows(out: str) -> dict[str, str]:
    """``linli qr keys``'s table: id → the rest of its row."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^ +(\d+)  (.*)$", out, re.M)}


def test_rotate_check_and_retire(tmp_path: Path, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "posters"
    assert linli("--only", "library", "community-clinic", "--out", str(out), "--public-url", PUBLIC) == 0
    old_poster = out / "library.png"
    old_poster.rename(tmp_path / "old-library.png")
    capsys.readouterr()

    assert linli("keys") == 0
    table = rows(capsys.readouterr().out)
    assert list(table) == ["0"] and "2 posters" in table["0"] and "CURRENT" in table["0"]

    assert linli("rotate-key") == 0
    said = capsys.readouterr().out
    assert "Made QR key 1" in said and "k=1" in said and "Key 0 still works" in said
    assert stat.S_IMODE((env / "qr-keys" / "1").stat().st_mode) == 0o600

    # the old poster still opens, and --check says it was signed with the older key
    assert linli("--check", str(tmp_path / "old-library.png"), "--public-url", PUBLIC) == 0
    said = capsys.readouterr().out
    assert "GENUINE" in said and "older QR key 0" in said

    # retiring key 0 is refused while posters made with it have not been remade
    assert linli("retire-key", "0") == 1
    err = one_error(capsys)
    assert "2 posters made with key 0" in err and "community-clinic, library" in err and "--force" in err

    assert linli("--only", "library", "community-clinic", "--out", str(out), "--public-url", PUBLIC) == 0
    assert "Signed with QR key 1 (the codes carry k=1)" in capsys.readouterr().out
    assert linli("keys") == 0
    table = rows(capsys.readouterr().out)
    assert "none recorded" in table["0"] and "accepted" in table["0"]
    assert "2 posters" in table["1"] and "CURRENT" in table["1"]

    assert linli("retire-key", "0") == 0
    assert "Retired QR key 0" in capsys.readouterr().out
    assert load_ring(env, None).ids == ("1",)
    assert linli("--check", str(tmp_path / "old-library.png"), "--public-url", PUBLIC) == 1
    assert "REFUSED: This guide code has been changed or was not made by this community" in capsys.readouterr().out
    assert linli("--check", str(out / "library.png"), "--public-url", PUBLIC) == 0
    assert linli("keys") == 0
    table = rows(capsys.readouterr().out)
    assert "retired" in table["0"] and "CURRENT" in table["1"]
    assert linli("retire-key", "0") == 0
    assert "already retired" in capsys.readouterr().out


def test_force_retires_a_key_with_posters_left(tmp_path: Path, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert linli("--only", "library", "--out", str(tmp_path / "p")) == 0
    assert linli("rotate-key") == 0
    assert linli("retire-key", "0", "--force") == 0
    assert load_ring(env, None).ids == ("1",)


def test_keys_before_any_key(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert linli("keys") == 0
    assert "No QR key yet" in capsys.readouterr().out
    assert not env.exists() or not (env / "qr-key").exists()  # listing makes nothing


@pytest.mark.parametrize("argv, message", [
    (["retire-key", "abc"], "'abc' is not a QR key id"),
    (["retire-key", "2"], "There is no QR key 2 (the keys: 1)"),  # a fresh install: no legacy key
    (["retire-key", "1"], "Key 1 is the current key"),
    (["retire-key", "0x1"], "'0x1' is not a QR key id"),
    (["--only", "library", "keys"], "no place, marker post or tour stop 'keys'"),  # --only took "keys" as an id
    (["--out", "x", "rotate-key"], "--out is for making or checking posters, not for `linli qr rotate-key`"),
])
def test_bad_key_commands_are_one_plain_line(argv: list[str], message: str | None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert linli("rotate-key") == 0
    capsys.readouterr()
    assert linli(*argv) == 1
    err = one_error(capsys)
    if message:
        assert message in err


def test_a_broken_key_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert linli("rotate-key") == 0
    assert linli("rotate-key") == 0
    broken = env / "qr-keys" / "1"
    text = broken.read_text().replace("key: ", "key: !")
    broken.write_text(text)
    capsys.readouterr()

    assert linli("rotate-key") == 1
    err = one_error(capsys)
    assert f"Not rotating: {broken}:4: this QR key is not usable" in err and "backup" in err
    assert linli("--only", "library") == 1  # posters are not signed while a key is broken
    assert f"{broken}:4:" in one_error(capsys)

    assert linli("keys") == 1
    captured = capsys.readouterr()
    table = rows(captured.out)
    assert f"BROKEN: {broken}:4: this QR key is not usable" in table["1"] and "CURRENT" in table["2"]
    assert captured.err.startswith(f"linli qr: {broken}:4:") and captured.err.count("\n") == 1
    assert broken.read_text() == text  # never replaced

    assert linli("retire-key", "1") == 0  # the way out when its posters are gone
    assert linli("keys") == 0
    assert "retired" in rows(capsys.readouterr().out)["1"]


def test_a_broken_legacy_key_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env.mkdir(parents=True)
    (env / "qr-key").write_text("oops\n")
    assert linli("rotate-key") == 1
    assert "Not rotating: The QR key in " in one_error(capsys)
    assert (env / "qr-key").read_text() == "oops\n"


def test_a_configured_legacy_key(env: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINLI_QR_KEY", "Q2hhbmdlLW1lLXRvLWEtcmFuZG9tLWtleQ")
    assert linli("rotate-key") == 0
    assert linli("keys") == 0
    table = rows(capsys.readouterr().out)
    assert "links without k=; LINLI_QR_KEY" in table["0"] and "CURRENT" in table["1"]
    assert linli("retire-key", "0") == 0
    assert "remove that setting" in capsys.readouterr().out
    assert not (env / "qr-key").exists()
