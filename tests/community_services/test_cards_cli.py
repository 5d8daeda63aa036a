"""``linli cards``: a real subprocess on a real database file, the PIN fed on standard input; the printed card's
QR code read back with OpenCV (as the kiosk camera reads it) opens the household."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import cv2
import pytest
from sqlalchemy import select

from community_services import households
from community_services.db import Database
from community_services.models import AuditEntry, Household

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LINLI_VAR_DIR": str(tmp_path), "LINLI_SERVICES_DB_URL": "", "PYTHONPATH": str(ROOT)}


def linli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", "cards", *args], input=stdin, text=True,
                          capture_output=True, env=env, cwd=ROOT, timeout=60)


def test_add_set_pin_list_print_and_the_card_opens_the_household(env: dict[str, str], tmp_path: Path) -> None:
    added = linli(env, "add", "3-502", "--phone", "138 0013 8000", stdin="2468\n")
    assert added.returncode == 0, added.stderr
    assert "2468" not in added.stdout + added.stderr
    assert linli(env, "add", "3-502", stdin="9753\n").returncode == 1  # there already
    easy = linli(env, "set-pin", "3-502", stdin="1111\n")
    assert easy.returncode == 1 and "too easy" in easy.stderr
    assert linli(env, "set-pin", "9-999", stdin="9753\n").stderr.startswith("linli cards: There is no household")
    assert linli(env, "add-phone", "3-502", "13900001111").returncode == 0
    listed = linli(env, "list")
    assert listed.stdout.split() == ["3-502", "ready", "…8000,", "…1111"]  # phones masked

    printed = linli(env, "print", "--out", str(tmp_path / "cards"))
    assert printed.returncode == 0, printed.stderr
    png = tmp_path / "cards" / "card-3-502.png"
    assert png.exists() and (tmp_path / "cards" / "card-3-502.pdf").read_bytes().startswith(b"%PDF")
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(png)))
    assert text.startswith("LINLI-CARD:1:")

    db = Database(f"sqlite:///{tmp_path / 'services.db'}")
    try:
        with db.session() as session:
            found = households.household_of_card(session, text)
            assert found is not None and found.flat == "3-502"
            assert found.pin_hash is not None and found.pin_hash.startswith("$argon2id$")
            verified = households.verify_resident(session, pin="2468", phone=None, card=text, kiosk_id="k",
                                                  address="a", now=datetime.now())
            assert verified.flat == "3-502"
            assert [e.action for e in session.scalars(select(AuditEntry))] == ["household.add", "household.add_phone"]
    finally:
        db.dispose()

    assert linli(env, "reissue", "3-502").returncode == 0
    with db.session() as session:
        assert households.household_of_card(session, text) is None  # the old card no longer opens it
        assert session.scalar(select(Household.flat)) == "3-502"
    db.dispose()
    assert linli(env, "unlock", "3-502").returncode == 0
    assert linli(env, "unlock-kiosk", "kiosk-lobby").returncode == 0
