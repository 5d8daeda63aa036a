"""Staff accounts on a real SQLite file: Argon2id hashes, validation, lockout and its expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from community_services.console import accounts
from community_services.console.accounts import LoginRefused, StaffError
from community_services.db import Database
from community_services.models import StaffAccount

NOW = datetime(2026, 3, 2, 9, 0)
PASSWORD = "right-password-1"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'services.db'}")
    db.create_schema()
    with db.session() as session:
        accounts.add_staff(session, "Li Wei", "duty", PASSWORD, NOW)
        session.commit()
    yield db
    db.dispose()


def test_the_password_is_kept_as_an_argon2id_hash_only(database: Database) -> None:
    with database.session() as session:
        account = session.scalars(select(StaffAccount)).one()
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash


def test_a_right_password_logs_in(database: Database) -> None:
    with database.session() as session:
        staff = accounts.check_login(session, " Li Wei ", PASSWORD, NOW)
    assert (staff.name, staff.role, staff.is_admin) == ("Li Wei", "duty", False)


@pytest.mark.parametrize(("name", "role", "password", "says"), [
    ("", "duty", PASSWORD, "A name is needed"),
    ("   ", "duty", PASSWORD, "A name is needed"),
    ("x" * 61, "duty", PASSWORD, "at most 60"),
    ("<script>alert(1)</script>", "duty", PASSWORD, "cannot contain < or >"),
    ("Li\nWei", "duty", PASSWORD, "control characters"),
    ("Zhang San", "boss", PASSWORD, "duty or admin"),
    ("Zhang San", "duty", "short", "at least 10"),
    ("Zhang San", "duty", "p" * 300, "at most 256"),
    ("Zhang San", "duty", " " * 12, "only spaces"),
    ("li wei", "duty", PASSWORD, "already a staff account"),
])
def test_bad_input_is_refused_plainly_and_nothing_is_written(database: Database, name: str, role: str,
                                                             password: str, says: str) -> None:
    with database.session() as session, pytest.raises(StaffError, match=says):
        accounts.add_staff(session, name, role, password, NOW)
    with database.session() as session:
        assert [s.name for s in accounts.list_staff(session)] == ["Li Wei"]


def test_the_refusal_does_not_tell_whether_the_name_exists(database: Database) -> None:
    with database.session() as session:
        with pytest.raises(LoginRefused) as unknown:
            accounts.check_login(session, "Nobody", PASSWORD, NOW)
        with pytest.raises(LoginRefused) as wrong:
            accounts.check_login(session, "Li Wei", "wrong-password", NOW)
    assert unknown.value.message == wrong.value.message == accounts.LOGIN_REFUSED


def _fail(database: Database, times: int, now: datetime) -> list[bool]:
    locked = []
    for _ in range(times):
        with database.session() as session:
            with pytest.raises(LoginRefused) as refused:
                accounts.check_login(session, "Li Wei", "wrong-password", now)
            session.commit()
        locked.append(refused.value.locked_now)
    return locked


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(database: Database) -> None:
    assert _fail(database, accounts.MAX_FAILED_LOGINS, NOW) == [False] * 4 + [True]
    with database.session() as session:
        account = session.scalars(select(StaffAccount)).one()
        assert account.locked_until == NOW + timedelta(minutes=accounts.LOCK_MINUTES)
        # locked: even the right password is refused, with the same message
        with pytest.raises(LoginRefused, match="Wrong name or password"):
            accounts.check_login(session, "Li Wei", PASSWORD, NOW + timedelta(minutes=14, seconds=59))
    with database.session() as session:  # the lock expires by itself
        staff = accounts.check_login(session, "Li Wei", PASSWORD, NOW + timedelta(minutes=15, seconds=1))
        session.commit()
        assert staff.name == "Li Wei"
        account = session.scalars(select(StaffAccount)).one()
        assert (account.failed_logins, account.locked_until) == (0, None)


def test_a_good_login_resets_the_count(database: Database) -> None:
    _fail(database, 4, NOW)
    with database.session() as session:
        accounts.check_login(session, "Li Wei", PASSWORD, NOW)
        session.commit()
    assert _fail(database, 4, NOW) == [False] * 4


def test_reset_password_unlocks_and_the_old_password_stops_working(database: Database) -> None:
    _fail(database, 5, NOW)
    with database.session() as session:
        accounts.reset_password(session, "Li Wei", "brand-new-password")
        session.commit()
    with database.session() as session:
        assert accounts.check_login(session, "Li Wei", "brand-new-password", NOW).name == "Li Wei"
        with pytest.raises(LoginRefused):
            accounts.check_login(session, "Li Wei", PASSWORD, NOW)


def test_a_disabled_account_cannot_log_in(database: Database) -> None:
    with database.session() as session:
        accounts.disable_staff(session, "Li Wei")
        session.commit()
        with pytest.raises(LoginRefused, match="switched off"):
            accounts.check_login(session, "Li Wei", PASSWORD, NOW)
        with pytest.raises(StaffError, match="already switched off"):
            accounts.disable_staff(session, "Li Wei")
        assert accounts.list_staff(session)[0].status(NOW) == "disabled"


def test_the_last_admin_cannot_be_switched_off(database: Database) -> None:
    with database.session() as session:
        accounts.add_staff(session, "Boss", "admin", PASSWORD, NOW)
        with pytest.raises(StaffError, match="last active admin"):
            accounts.disable_staff(session, "Boss")
        accounts.add_staff(session, "Second Boss", "admin", PASSWORD, NOW)
        assert accounts.disable_staff(session, "Boss").disabled


def test_unknown_names_are_plain_errors(database: Database) -> None:
    with database.session() as session:
        with pytest.raises(StaffError, match="no staff account named 'Ghost'"):
            accounts.disable_staff(session, "Ghost")
        with pytest.raises(StaffError, match="no staff account"):
            accounts.reset_password(session, "Ghost", PASSWORD)
