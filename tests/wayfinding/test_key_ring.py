"""The QR key ring: the legacy key plus numbered keys; rotate (mode 600, atomic, never replacing), retire
(a record without the secret, ids never reused), broken files as ``file:line`` errors, and the poster record."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wayfinding.errors import KeyConfigError
from wayfinding.key_ring import (
    KeyRing,
    RingCache,
    load_ring,
    poster_counts,
    poster_keys,
    record_posters,
    retire_key,
    rotate_key,
    survey,
)
from wayfinding.signing import load_key

ENV_KEY = "Q2hhbmdlLW1lLXRvLWEtcmFuZG9tLWtleQ"
WHEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def test_without_a_ring_the_legacy_key_is_all_there_is(tmp_path: Path) -> None:
    ring = load_ring(tmp_path, None)
    assert ring.ids == ("0",) and ring.current.legacy
    assert ring.current.secret == load_key(tmp_path, None)  # the same qr-key file as before the ring
    assert not (tmp_path / "qr-keys").exists()


def test_a_configured_key_is_the_legacy_key(tmp_path: Path) -> None:
    ring = load_ring(tmp_path, f"  {ENV_KEY} ")
    assert ring.ids == ("0",) and ring.current.secret == ENV_KEY.encode() and ring.current.source == "LINLI_QR_KEY"
    assert not (tmp_path / "qr-key").exists()
    rotate_key(tmp_path, ENV_KEY)
    ring = load_ring(tmp_path, ENV_KEY)
    assert ring.ids == ("0", "1") and ring.get("0") is not None and ring.get("0").secret == ENV_KEY.encode()


def test_rotate_makes_a_new_current_key_with_mode_600(tmp_path: Path) -> None:
    legacy = load_ring(tmp_path, None).current
    key = rotate_key(tmp_path, None, now=WHEN)
    path = tmp_path / "qr-keys" / "1"
    assert key.id == "1" and key.source == str(path) and key.created == WHEN
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "created: 2025-03-01T09:30:00+00:00" in path.read_text()
    assert sorted(p.name for p in path.parent.iterdir()) == ["1"]  # no temporary file left
    ring = load_ring(tmp_path, None)
    assert ring.ids == ("0", "1") and ring.current == key and ring.get("0") == legacy
    assert rotate_key(tmp_path, None).id == "2"
    assert load_ring(tmp_path, None).current.id == "2"
    assert path.read_text().endswith(f"key: {key.secret.decode()}\n")  # an older key is never rewritten


def test_rotating_on_a_fresh_install_makes_no_legacy_key(tmp_path: Path) -> None:
    assert rotate_key(tmp_path, None).id == "1"
    assert load_ring(tmp_path, None).ids == ("1",)
    assert not (tmp_path / "qr-key").exists()  # nothing was ever signed with it


def test_retire_stops_accepting_and_forgets_the_secret(tmp_path: Path) -> None:
    load_ring(tmp_path, None)
    rotate_key(tmp_path, None)
    rotate_key(tmp_path, None)
    retired = retire_key(tmp_path, None, "1", now=WHEN)
    assert retired.retired and retired.retired_at == WHEN and retired.key is None
    assert not (tmp_path / "qr-keys" / "1").exists()
    record = (tmp_path / "qr-keys" / "retired" / "1").read_text()
    assert "retired: 2025-03-01T09:30:00+00:00" in record and "key:" not in record
    assert load_ring(tmp_path, None).ids == ("0", "2")
    retire_key(tmp_path, None, "0")
    assert not (tmp_path / "qr-key").exists()
    assert load_ring(tmp_path, None).ids == ("2",)  # and qr-key is not made again
    assert not (tmp_path / "qr-key").exists()
    assert rotate_key(tmp_path, None).id == "3"
    retire_key(tmp_path, None, "2")
    assert rotate_key(tmp_path, None).id == "4"  # retired ids are never reused, even the newest


def test_retiring_twice_is_harmless_and_finishes_an_interrupted_retirement(tmp_path: Path) -> None:
    rotate_key(tmp_path, None)
    rotate_key(tmp_path, None)
    retire_key(tmp_path, None, "1")
    retire_key(tmp_path, None, "1")
    # a crash between writing the record and deleting the secret: not accepted, and removed next time
    (tmp_path / "qr-keys" / "1").write_text("key: " + "x" * 30 + "\n")
    assert load_ring(tmp_path, None).ids == ("2",)
    assert survey(tmp_path, None).get("1").file is not None
    retire_key(tmp_path, None, "1")
    assert not (tmp_path / "qr-keys" / "1").exists()


@pytest.mark.parametrize("bad, message", [
    ("abc", "'abc' is not a QR key id"),
    ("-1", "'-1' is not a QR key id"),
    ("01", "'01' is not a QR key id"),
    ("", "'' is not a QR key id"),
    ("10000", "'10000' is not a QR key id"),
    ("7", r"There is no QR key 7 \(the keys: 0, 1\)"),
    ("1", "Key 1 is the current key"),
])
def test_retire_refuses_bad_ids_and_the_current_key(tmp_path: Path, bad: str, message: str) -> None:
    load_ring(tmp_path, None)
    rotate_key(tmp_path, None)
    with pytest.raises(KeyConfigError, match=message):
        retire_key(tmp_path, None, bad)
    assert load_ring(tmp_path, None).ids == ("0", "1")


def test_the_legacy_key_cannot_be_retired_while_it_is_current(tmp_path: Path) -> None:
    load_ring(tmp_path, None)
    with pytest.raises(KeyConfigError, match="Key 0 is the current key") as err:
        retire_key(tmp_path, None, "0")
    assert err.value.hint and "rotate-key" in err.value.hint


def test_retiring_a_configured_legacy_key(tmp_path: Path) -> None:
    rotate_key(tmp_path, ENV_KEY)
    retire_key(tmp_path, ENV_KEY, "0")
    assert load_ring(tmp_path, ENV_KEY).ids == ("1",)


@pytest.mark.parametrize("text, where", [
    ("created: 2025-03-01T09:30:00+00:00\nkey: too-short\n", r"qr-keys/1:2: this QR key is not usable"),
    ("created: 2025-03-01T09:30:00+00:00\n", r"qr-keys/1: there is no \"key: …\" line"),
    ("# comment\n\ncreated: yesterday\nkey: " + "k" * 43 + "\n", r"qr-keys/1:3: created is not a date"),
    ("key: " + "k" * 43 + "\nkey: " + "j" * 43 + "\n", r"qr-keys/1:2: key is given twice \(first on line 1\)"),
    ("secret = " + "k" * 43 + "\n", r"qr-keys/1:1: unknown line"),
    ("", r"qr-keys/1: there is no \"key: …\" line"),
])
def test_a_broken_ring_key_is_a_file_line_error_and_never_replaced(tmp_path: Path, text: str, where: str) -> None:
    load_ring(tmp_path, None)
    folder = tmp_path / "qr-keys"
    folder.mkdir()
    (folder / "1").write_text(text)
    for action in (lambda: load_ring(tmp_path, None), lambda: rotate_key(tmp_path, None)):
        with pytest.raises(KeyConfigError, match=where) as err:
            action()
        assert err.value.hint and "backup" in err.value.hint
    assert (folder / "1").read_text() == text
    assert sorted(p.name for p in folder.iterdir()) == ["1"]
    info = survey(tmp_path, None).get("1")
    assert info is not None and info.current and info.problem is not None


def test_a_binary_key_file_is_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "qr-keys").mkdir()
    (tmp_path / "qr-keys" / "1").write_bytes(b"\xff\xfe\x00key")
    with pytest.raises(KeyConfigError, match="qr-keys/1: this is not a QR key file"):
        load_ring(tmp_path, None)


def test_a_broken_old_key_can_be_retired(tmp_path: Path) -> None:
    rotate_key(tmp_path, None)
    rotate_key(tmp_path, None)
    (tmp_path / "qr-keys" / "1").write_text("key: oops\n")
    with pytest.raises(KeyConfigError, match="qr-keys/1:1"):
        load_ring(tmp_path, None)
    retire_key(tmp_path, None, "1")
    assert load_ring(tmp_path, None).ids == ("2",)


def test_files_that_are_not_keys_are_listed_not_read(tmp_path: Path) -> None:
    rotate_key(tmp_path, None)
    folder = tmp_path / "qr-keys"
    (folder / "1~").write_text("an editor's backup")
    (folder / ".1.abc.tmp").write_text("half written")
    found = survey(tmp_path, None)
    assert [k.id for k in found.keys] == ["1"] and found.ignored == (folder / "1~",)


def test_no_key_left_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="every key has been retired"):
        KeyRing(())


def test_the_poster_record(tmp_path: Path) -> None:
    assert poster_counts(tmp_path) is None
    record_posters(tmp_path, "0", ["library", "community-clinic", "post-lobby"], now=WHEN)
    record_posters(tmp_path, "1", ["library"])
    assert poster_keys(tmp_path) == {"library": "1", "community-clinic": "0", "post-lobby": "0"}
    assert poster_counts(tmp_path) == {"0": 2, "1": 1}
    assert "community-clinic 0 2025-03-01" in (tmp_path / "qr-keys" / "posters").read_text()
    (tmp_path / "qr-keys" / "posters").write_text("library\n")
    with pytest.raises(KeyConfigError, match=r"qr-keys/posters:1: expected"):
        poster_counts(tmp_path)


def test_ring_cache_reads_again_and_keeps_the_last_good_ring(tmp_path: Path) -> None:
    now = [0.0]
    cache = RingCache(lambda: load_ring(tmp_path, None), max_age_s=30, clock=lambda: now[0])
    assert cache.get().ids == ("0",)
    rotate_key(tmp_path, None)
    assert cache.get().ids == ("0",)  # not yet
    now[0] = 31
    assert cache.get().ids == ("0", "1")
    (tmp_path / "qr-keys" / "1").write_text("key: broken\n")
    now[0] = 62
    assert cache.get().ids == ("0", "1")  # logged, the last good ring stays
    with pytest.raises(KeyConfigError):
        RingCache(lambda: load_ring(tmp_path, None))
