"""Console logins: the session cookie, who is asking (``ConsoleStaff``, ``ConsoleAdmin``) and CSRF (``CsrfChecked``).

The cookie ``linli_console`` holds a random token; the database keeps only its SHA-256 (``ConsoleSession``),
so a copy of the database logs no one in. A session expires after ``idle`` minutes without a request
(``LINLI_CONSOLE_IDLE_MINUTES``, 30 by default); the clock is the app's (``app.state.clock``, tests move it).

Refusals are exceptions the console's handlers turn into pages (``router.add_handlers``): no or an expired
session is a 303 to the login page for a page GET, 401 otherwise; a duty account on an admin page and a
state-changing request without the right CSRF token are 403 with a plain message.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy import delete, select
from starlette.responses import Response

from ..models import ConsoleSession, StaffAccount

COOKIE = "linli_console"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class StaffMember:
    """The staff member a request comes from (or ``linli staff``'s ``cli:<user>``)."""

    id: int
    name: str
    role: str
    """``duty`` or ``admin``."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(Exception):
    """No session, or it expired: log in (a redirect for a page, 401 for anything else)."""

    def __init__(self, message: str = "Please log in.") -> None:
        super().__init__(message)
        self.message = message


class ConsoleForbidden(Exception):
    """Logged in, but not allowed: 403 with ``message`` (a duty account on an admin page, a bad CSRF token)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def idle_limit(request: Request) -> timedelta:
    return getattr(request.app.state, "console_idle", timedelta(minutes=30))


def now_of(request: Request) -> datetime:
    clock = request.app.state.clock
    return clock()


def start_session(request: Request, response: Response, staff: StaffMember) -> str:
    """Open a session for ``staff``, set the cookie on ``response``; returns its CSRF token.

    Sessions idle past the limit (anyone's) are deleted here, so the table does not grow.
    """
    now = now_of(request)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with request.app.state.db.session() as session:
        session.execute(delete(ConsoleSession).where(ConsoleSession.last_seen < now - idle_limit(request)))
        session.add(ConsoleSession(token_hash=token_hash(token), staff_id=staff.id, csrf_token=csrf,
                                   created_at=now, last_seen=now))
        session.commit()
    response.set_cookie(COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return csrf


def end_session(request: Request, response: Response) -> None:
    """Delete the session row of this request's cookie (if any) and the cookie."""
    token = request.cookies.get(COOKIE)
    if token:
        with request.app.state.db.session() as session:
            session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token)))
            session.commit()
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


def login_url(request: Request) -> str:
    """The login page, coming back to this page after."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{COOKIE_PATH}/login?next={quote(here, safe='')}"


def safe_next(target: str | None) -> str:
    """Where to go after login: only a console path (never another site, never ``//host``)."""
    if target and target.startswith(f"{COOKIE_PATH}/") and not target.startswith("//") and "\\" not in target \
            and not target.startswith(f"{COOKIE_PATH}/login") and not target.startswith(f"{COOKIE_PATH}/logout"):
        return target
    return f"{COOKIE_PATH}/"


def current_staff(request: Request) -> StaffMember | None:
    """The staff member of this request's session, or ``None``; refreshes ``last_seen``.

    Also sets ``request.state.console_staff`` and ``request.state.console_csrf``.
    """
    cached = getattr(request.state, "console_staff", None)
    if cached is not None:
        return cached
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 200:
        return None
    now = now_of(request)
    with request.app.state.db.session() as session:
        row = session.execute(
            select(ConsoleSession, StaffAccount)
            .join(StaffAccount, StaffAccount.id == ConsoleSession.staff_id)
            .where(ConsoleSession.token_hash == token_hash(token))
        ).first()
        if row is None:
            return None
        console_session, account = row
        if account.disabled or console_session.last_seen + idle_limit(request) < now:
            session.delete(console_session)
            session.commit()
            return None
        console_session.last_seen = now
        session.commit()
        staff = StaffMember(account.id, account.name, account.role)
        request.state.console_staff = staff
        request.state.console_csrf = console_session.csrf_token
        return staff


def require_staff(request: Request) -> StaffMember:
    """Any active staff member; otherwise ``LoginRequired``."""
    staff = current_staff(request)
    if staff is None:
        raise LoginRequired("Your login has expired or you are not logged in. Please log in.")
    return staff


def require_admin(staff: Annotated[StaffMember, Depends(require_staff)]) -> StaffMember:
    """An admin; a duty account gets 403."""
    if not staff.is_admin:
        raise ConsoleForbidden("This page is for admins only. Your account is a duty account.")
    return staff


async def check_csrf(request: Request, staff: Annotated[StaffMember, Depends(require_staff)]) -> StaffMember:
    """For every state-changing request: the form field ``csrf_token`` or header ``X-CSRF-Token`` must match."""
    expected: str = request.state.console_csrf
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.method in STATE_CHANGING:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not given or not secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise ConsoleForbidden("This form is out of date or did not come from the console (no valid CSRF token). "
                               "Reload the page and try again.")
    return staff


ConsoleStaff = Annotated[StaffMember, Depends(require_staff)]
ConsoleAdmin = Annotated[StaffMember, Depends(require_admin)]
CsrfChecked = Annotated[StaffMember, Depends(check_csrf)]
