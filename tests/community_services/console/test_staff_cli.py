"""``linli staff``: a real subprocess on a real database file, the password fed on standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from community_services.console import accounts
from community_services.db import Database
from community_services.models import AuditEntry, StaffAccount

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LINLI_VAR_DIR": str(tmp_path), "LINLI_SERVICES_DB_URL": "",
            "PYTHONPATH": str(ROOT)}


def linli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", "staff", *args], input=stdin, text=True,
                          capture_output=True, env=env, cwd=ROOT, timeout=60)


def _rows(tmp_path: Path) -> tuple[list[StaffAccount], list[AuditEntry]]:
    db = Database(f"sqlite:///{tmp_path / 'services.db'}")
    db.create_schema()  # a refused command may not have created it
    try:
        with db.session() as session:
            return (list(session.scalars(select(StaffAccount))),
                    list(session.scalars(select(AuditEntry).order_by(AuditEntry.id))))
    finally:
        db.dispose()


def test_add_list_reset_disable(env: dict[str, str], tmp_path: Path) -> None:
    added = linli(env, "add", "Li Wei", "--role", "admin", stdin="a-long-password\n")
    assert added.returncode == 0, added.stderr
    assert "Added Li Wei (admin)" in added.stdout
    assert "a-long-password" not in added.stdout + added.stderr
    assert linli(env, "add", "Zhao Min", "--role", "duty", stdin="another-password\n").returncode == 0
    listed = linli(env, "list")
    assert listed.returncode == 0
    assert [line.split("  ")[0].strip() for line in listed.stdout.splitlines()] == ["Li Wei", "Zhao Min"]
    assert linli(env, "reset-password", "Zhao Min", stdin="third-password!\n").returncode == 0
    assert linli(env, "disable", "Zhao Min").returncode == 0
    assert "disabled" in linli(env, "list").stdout

    staff, entries = _rows(tmp_path)
    assert all(s.password_hash.startswith("$argon2id$") for s in staff)
    db = Database(f"sqlite:///{tmp_path / 'services.db'}")
    with db.session() as session:
        assert accounts.check_login(session, "Li Wei", "a-long-password", accounts.datetime.now()).is_admin
    db.dispose()
    assert [e.action for e in entries] == ["staff.add", "staff.add", "staff.reset_password", "staff.disable"]
    assert all(e.staff_name.startswith("cli:") and len(e.staff_name) > 4 for e in entries)


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (("add", "", "--role", "duty"), "a-long-password\n", "A name is needed"),
    (("add", "<b>x</b>", "--role", "duty"), "a-long-password\n", "cannot contain < or >"),
    (("add", "Li", "--role", "duty"), "short\n", "at least 10 characters"),
    (("add", "Li", "--role", "duty"), "", "No password was given"),
    (("add", "Li", "--role", "duty"), "p" * 5000 + "\n", "at most 256"),
    (("disable", "Ghost"), "", "no staff account named 'Ghost'"),
    (("reset-password", "Ghost"), "a-long-password\n", "no staff account named 'Ghost'"),
])
def test_bad_input_is_a_plain_message_and_nothing_is_written(env: dict[str, str], tmp_path: Path,
                                                             args: tuple[str, ...], stdin: str, says: str) -> None:
    result = linli(env, *args, stdin=stdin)
    assert result.returncode == 1, result
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert _rows(tmp_path) == ([], [])


def test_a_wrong_role_is_refused_by_the_parser(env: dict[str, str]) -> None:
    result = linli(env, "add", "Li", "--role", "boss", stdin="a-long-password\n")
    assert result.returncode == 2
    assert "invalid choice: 'boss'" in result.stderr


def test_there_is_no_password_option(env: dict[str, str]) -> None:
    result = linli(env, "add", "Li", "--role", "duty", "--password", "x")
    assert result.returncode == 2


def test_an_unusable_database_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env["LINLI_SERVICES_DB_URL"] = f"sqlite:///{blocker / 'services.db'}"
    result = linli(env, "list")
    assert result.returncode == 1
    assert result.stderr.startswith("linli staff: cannot use the database sqlite:///")
    assert "Traceback" not in result.stderr
