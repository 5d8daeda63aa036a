"""The community key (made once, mode 600, never silently replaced) and HMAC signatures."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wayfinding.errors import KeyConfigError
from wayfinding.signing import KEY_ENV, load_key, sign, verify

KEY = b"a-test-key-of-enough-length-000000000000"


def test_sign_is_short_urlsafe_and_stable() -> None:
    sig = sign(KEY, "v1|sunny-garden||community-clinic|")
    assert len(sig) == 22 and "=" not in sig
    assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert sig == sign(KEY, "v1|sunny-garden||community-clinic|")
    assert sig != sign(KEY, "v1|sunny-garden||building-3|")
    assert sig != sign(KEY + b"x", "v1|sunny-garden||community-clinic|")


def test_verify_accepts_only_our_signature() -> None:
    message = "v1|sunny-garden|kiosk|library|1"
    sig = sign(KEY, message)
    assert verify(KEY, message, sig)
    assert not verify(KEY, message + "x", sig)
    assert not verify(b"another-community-key-000000000000", message, sig)
    assert not verify(KEY, message, sig[:-1])


@pytest.mark.parametrize("junk", [None, 42, b"bytes", "", "é" * 22, "x" * 10_000, "\x00" * 22, ["list"]])
def test_verify_tolerates_junk(junk: object) -> None:
    assert verify(KEY, "v1|sunny-garden||library|", junk) is False


def test_verify_tolerates_a_junk_message() -> None:
    assert verify(KEY, "\ud800 lone surrogate", "A" * 22) is False


def test_key_file_is_made_once_with_mode_600(tmp_path: Path) -> None:
    var = tmp_path / "var"
    key = load_key(var, None)
    path = var / "qr-key"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 22
    assert load_key(var, None) == key  # kept: printed posters depend on it
    assert [p.name for p in var.iterdir()] == ["qr-key"]  # no temporary files left


def test_a_configured_key_wins(tmp_path: Path) -> None:
    assert load_key(tmp_path, "  Q2hhbmdlLW1lLXRvLWEtcmFuZG9tLWtleQ  ") == b"Q2hhbmdlLW1lLXRvLWEtcmFuZG9tLWtleQ"
    assert not (tmp_path / "qr-key").exists()
    assert load_key(tmp_path, "  ") == load_key(tmp_path, "")  # blank: not configured, the key file is used
    assert (tmp_path / "qr-key").exists()


@pytest.mark.parametrize("bad", ["short", "has spaces in the middle of it!!", "x" * 21])
def test_a_weak_configured_key_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(KeyConfigError, match=KEY_ENV):
        load_key(tmp_path, bad)
    with pytest.raises(KeyConfigError, match="the kiosk.yml"):
        load_key(tmp_path, bad, source="the kiosk.yml")


def test_a_broken_key_file_is_an_error_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "qr-key").write_text("oops\n")
    with pytest.raises(KeyConfigError, match="qr-key"):
        load_key(tmp_path, None)
    assert (tmp_path / "qr-key").read_text() == "oops\n"


def test_an_unwritable_var_dir_is_a_plain_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(KeyConfigError, match="QR key .*file/var/qr-key"):
        load_key(blocker / "var", None)
