"""Staff accounts: add, list, disable, reset a password, and check a login (with lockout).

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``, RFC 9106 defaults). After
``MAX_FAILED_LOGINS`` wrong passwords in a row an account is locked for ``LOCK_MINUTES``; while locked even
the right password is refused. A refused login says the same thing whether the name exists or not.

These functions change the session but never commit: the caller records the audit entry and commits both
in one transaction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from foundation.errors import ReadableError

from ..models import ConsoleSession, StaffAccount
from .auth import StaffMember

ROLES = ("duty", "admin")
MAX_FAILED_LOGINS = 5
"""Wrong passwords in a row that lock an account."""
LOCK_MINUTES = 15
"""How long a locked account refuses every login."""
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_NAME = 60

LOGIN_REFUSED = (
    f"Wrong name or password. After {MAX_FAILED_LOGINS} wrong tries an account is locked for "
    f"{LOCK_MINUTES} minutes."
)
"""The one message for an unknown name, a wrong password and a locked account: it reveals nothing."""
ACCOUNT_DISABLED = "This account is switched off. Ask an admin to set a new password or a new account."

_hasher = PasswordHasher()  # Argon2id
_DUMMY_HASH = _hasher.hash("not a real password: spends the same time for an unknown name")


class StaffError(ReadableError):
    """A staff account cannot be added or changed; ``message`` says why, in plain words."""

    code = "staff_error"


class LoginRefused(ReadableError):
    """A login is refused; ``message`` is safe to show on the login page. ``locked_now``: this attempt locked
    the account (the caller audits that)."""

    code = "login_refused"

    def __init__(self, message: str, *, locked_now: bool = False) -> None:
        super().__init__(message)
        self.locked_now = locked_now


@dataclass(frozen=True)
class StaffRecord:
    """One account as the staff page and ``linli staff list`` show it (never the hash)."""

    id: int
    name: str
    role: str
    disabled: bool
    locked_until: datetime | None
    created_at: datetime

    def status(self, now: datetime) -> str:
        if self.disabled:
            return "disabled"
        if self.locked_until and self.locked_until > now:
            return f"locked until {self.locked_until:%H:%M}"
        return "active"


def clean_name(name: str) -> str:
    """The name as stored (outer spaces dropped), or ``StaffError`` saying what is wrong with it."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise StaffError("A name is needed.")
    if len(name) > MAX_NAME:
        raise StaffError(f"A name can be at most {MAX_NAME} characters long.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise StaffError("A name cannot contain control characters or line breaks.")
    if any(c in "<>" for c in name):
        raise StaffError("A name cannot contain < or >.")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise StaffError(f"The role must be {' or '.join(ROLES)}, not {role[:20]!r}.")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise StaffError(f"A password can be at most {MAX_PASSWORD} characters long.")
    if not password.strip():
        raise StaffError("A password cannot be only spaces.")
    return password


def _record(account: StaffAccount) -> StaffRecord:
    return StaffRecord(account.id, account.name, account.role, account.disabled, account.locked_until,
                       account.created_at)


def _find(session: Session, name: str) -> StaffAccount | None:
    return session.scalars(select(StaffAccount).where(StaffAccount.name == name)).first()


def find_staff(session: Session, name: str) -> StaffRecord:
    """The account named ``name``, or ``StaffError``."""
    return _record(_get(session, name))


def _get(session: Session, name: str) -> StaffAccount:
    account = _find(session, (name or "").strip())
    if account is None:
        raise StaffError(f"There is no staff account named {name[:MAX_NAME]!r}.")
    return account


def add_staff(session: Session, name: str, role: str, password: str, now: datetime | None = None) -> StaffRecord:
    """Add an account; ``StaffError`` for a bad name, role or password, or a name already taken."""
    name = clean_name(name)
    check_role(role)
    check_password(password)
    taken = session.scalar(select(StaffAccount.id).where(func.lower(StaffAccount.name) == name.lower()))
    if taken is not None:
        raise StaffError(f"There is already a staff account named {name!r}.")
    account = StaffAccount(name=name, role=role, password_hash=_hasher.hash(password), disabled=False,
                           failed_logins=0, locked_until=None, created_at=now or datetime.now())
    session.add(account)
    session.flush()
    return _record(account)


def list_staff(session: Session) -> list[StaffRecord]:
    """Every account, by name."""
    return [_record(a) for a in session.scalars(select(StaffAccount).order_by(StaffAccount.name))]


def _end_sessions(session: Session, account: StaffAccount) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.staff_id == account.id))


def disable_staff(session: Session, name: str) -> StaffRecord:
    """Switch an account off and end its logins. The last active admin cannot be switched off."""
    account = _get(session, name)
    if account.disabled:
        raise StaffError(f"The account {account.name!r} is already switched off.")
    if account.role == "admin":
        admins = session.scalar(
            select(func.count()).select_from(StaffAccount).where(StaffAccount.role == "admin",
                                                                 StaffAccount.disabled.is_(False)))
        if (admins or 0) <= 1:
            raise StaffError("This is the last active admin account: add another admin first.")
    account.disabled = True
    _end_sessions(session, account)
    session.flush()
    return _record(account)


def reset_password(session: Session, name: str, password: str) -> StaffRecord:
    """Set a new password; the account is unlocked and its open logins end."""
    account = _get(session, name)
    check_password(password)
    account.password_hash = _hasher.hash(password)
    account.failed_logins = 0
    account.locked_until = None
    _end_sessions(session, account)
    session.flush()
    return _record(account)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_login(session: Session, name: str, password: str, now: datetime) -> StaffMember:
    """The staff member for a right name and password, or ``LoginRefused``.

    A wrong password counts towards the lock (the count is flushed; the caller commits even on refusal).
    """
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name or len(name) > MAX_NAME or len(password) > MAX_PASSWORD:
        _verify(_DUMMY_HASH, "x")
        raise LoginRefused(LOGIN_REFUSED)
    account = _find(session, name)
    if account is None:
        _verify(_DUMMY_HASH, password)  # the same time as a known name
        raise LoginRefused(LOGIN_REFUSED)
    right = _verify(account.password_hash, password)
    if account.locked_until is not None and account.locked_until > now:
        raise LoginRefused(LOGIN_REFUSED)
    if not right:
        account.failed_logins = (account.failed_logins or 0) + 1
        locked = account.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            account.failed_logins = 0
        session.flush()
        raise LoginRefused(LOGIN_REFUSED, locked_now=locked)
    if account.disabled:
        raise LoginRefused(ACCOUNT_DISABLED)
    account.failed_logins = 0
    account.locked_until = None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    session.flush()
    return StaffMember(account.id, account.name, account.role)
