"""The console's routes: login, logout, the staff accounts page and the audit log; and its error pages.

Other areas plug in by defining ``router = APIRouter()`` in ``community_services/console/<area>.py`` and adding
one line at the end of this module: ``console_router.include_router(<area>.router)`` (their paths are then
under ``/console`` and stay out of the API spec). ``create_app`` includes ``console_router``, mounts
``/console/static`` and calls ``add_handlers``.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from . import accounts, audit
from .accounts import LoginRefused, StaffError
from .auth import (
    COOKIE_PATH,
    ConsoleAdmin,
    ConsoleForbidden,
    CsrfChecked,
    LoginRequired,
    StaffMember,
    current_staff,
    end_session,
    login_url,
    now_of,
    safe_next,
    start_session,
)
from .pages import STATIC_DIR, render

console_router = APIRouter(prefix="/console", include_in_schema=False)

LOGIN_COOKIE = "linli_console_login"
"""A random value set with the login form and sent back in it: a login form posted from elsewhere is refused."""
LOGIN_COOKIE_PATH = "/console/login"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _login_page(request: Request, *, status_code: int = 200, error: str = "", notice: str = "", name: str = "",
                next_url: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, status_code=status_code, error=error, notice=notice,
                      name=name, next=safe_next(next_url), login_token=token)
    response.set_cookie(LOGIN_COOKIE, token, path=LOGIN_COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", max_age=3600)
    return response


@console_router.get("/")
def console_home() -> RedirectResponse:
    return _see_other(f"{COOKIE_PATH}/board")


@console_router.get("/login")
def login_form(request: Request, next: str = "", out: str = "") -> Response:
    if current_staff(request) is not None:
        return _see_other(safe_next(next))
    return _login_page(request, next_url=next, notice="You are logged out." if out else "")


@console_router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    login_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not login_token or not secrets.compare_digest(expected.encode(), login_token.encode()):
        return _login_page(request, status_code=403, name=name[: accounts.MAX_NAME], next_url=next,
                           error="The login form was out of date. Please log in again.")
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            staff = accounts.check_login(session, name, password, now)
        except LoginRefused as refused:
            if refused.locked_now:
                audit.record(session, StaffMember(0, name.strip(), "?"), "login.locked", f"staff:{name.strip()}",
                             after={"locked_minutes": accounts.LOCK_MINUTES}, at=now)
            session.commit()  # the failed-login count
            return _login_page(request, status_code=401, error=refused.message, name=name[: accounts.MAX_NAME],
                               next_url=next)
        audit.record(session, staff, "login", f"staff:{staff.name}", at=now)
        session.commit()
    response = _see_other(safe_next(next))
    start_session(request, response, staff)
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_COOKIE_PATH)
    return response


@console_router.post("/logout")
def logout(request: Request, staff: CsrfChecked) -> Response:
    with request.app.state.db.session() as session:
        audit.record(session, staff, "logout", f"staff:{staff.name}", at=now_of(request))
        session.commit()
    response = _see_other(f"{COOKIE_PATH}/login?out=1")
    end_session(request, response)
    return response


# --- staff accounts (admins) ---

_DONE = {
    "added": "Added {name}.",
    "disabled": "Switched off {name}; their logins have ended.",
    "reset": "Set a new password for {name}; the account is unlocked and logged out everywhere.",
}


def _staff_page(request: Request, staff: StaffMember, *, status_code: int = 200, error: str = "", done: str = "",
                form_name: str = "", form_role: str = "duty") -> Response:
    with request.app.state.db.session() as session:
        listed = accounts.list_staff(session)
    return render(request, "staff.html", staff, status_code=status_code, accounts=listed, now=now_of(request),
                  error=error, done=done, form_name=form_name[: accounts.MAX_NAME], form_role=form_role,
                  min_password=accounts.MIN_PASSWORD)


@console_router.get("/staff")
def staff_page(request: Request, staff: ConsoleAdmin, added: str = "", disabled: str = "", reset: str = "") -> Response:
    done = ""
    for key, value in (("added", added), ("disabled", disabled), ("reset", reset)):
        if value:
            done = _DONE[key].format(name=value[: accounts.MAX_NAME])
    return _staff_page(request, staff, done=done)


def _same(password: str, again: str) -> None:
    if password != again:
        raise StaffError("The two passwords are not the same.")


@console_router.post("/staff/add")
def staff_add(
    request: Request,
    staff: ConsoleAdmin,
    _checked: CsrfChecked,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        try:
            _same(password, password_again)
            added = accounts.add_staff(session, name, role, password, now)
        except StaffError as e:
            session.rollback()
            return _staff_page(request, staff, status_code=400, error=e.message, form_name=name,
                               form_role=role if role in accounts.ROLES else "duty")
        audit.record(session, staff, "staff.add", f"staff:{added.name}", after={"name": added.name,
                                                                                 "role": added.role}, at=now)
        session.commit()
    return _see_other(f"{COOKIE_PATH}/staff?added={quote(added.name)}")


@console_router.post("/staff/disable")
def staff_disable(request: Request, staff: ConsoleAdmin, _checked: CsrfChecked,
                  name: Annotated[str, Form()] = "") -> Response:
    with request.app.state.db.session() as session:
        try:
            changed = accounts.disable_staff(session, name)
        except StaffError as e:
            session.rollback()
            return _staff_page(request, staff, status_code=400, error=e.message)
        audit.record(session, staff, "staff.disable", f"staff:{changed.name}", before={"disabled": False},
                     after={"disabled": True}, at=now_of(request))
        session.commit()
    return _see_other(f"{COOKIE_PATH}/staff?disabled={quote(changed.name)}")


@console_router.post("/staff/reset-password")
def staff_reset_password(
    request: Request,
    staff: ConsoleAdmin,
    _checked: CsrfChecked,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    with request.app.state.db.session() as session:
        try:
            _same(password, password_again)
            changed = accounts.reset_password(session, name, password)
        except StaffError as e:
            session.rollback()
            return _staff_page(request, staff, status_code=400, error=e.message)
        audit.record(session, staff, "staff.reset_password", f"staff:{changed.name}",
                     after={"password": "changed", "unlocked": True}, at=now_of(request))
        session.commit()
    response = _see_other(f"{COOKIE_PATH}/staff?reset={quote(changed.name)}")
    if changed.id == staff.id:  # their own: this session ended with the others
        end_session(request, response)
        response.headers["location"] = f"{COOKIE_PATH}/login"
    return response


# --- audit log (admins) ---


def _shown(value: dict[str, Any] | None) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@console_router.get("/audit")
def audit_page(request: Request, staff: ConsoleAdmin, page: str = "1") -> Response:
    number = int(page) if page.isdigit() else 1
    with request.app.state.db.session() as session:
        entries, pages = audit.page(session, number)
        number = min(max(1, number), pages)
    return render(request, "audit.html", staff, entries=entries, number=number, pages=pages, shown=_shown)


# --- error pages ---


def _wants_page(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method in ("GET", "HEAD") and ("text/html" in accept or not any(
        kind in accept for kind in ("application/json", "text/event-stream")))


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def _on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if _wants_page(request):
        return _see_other(login_url(request))
    if _wants_json(request):
        return JSONResponse({"detail": exc.message}, status_code=401)
    return render(request, "error.html", None, status_code=401, heading="Please log in", message=exc.message,
                  back_href=f"{COOKIE_PATH}/login", back_label="Go to the login page")


async def _on_forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleForbidden)
    if _wants_json(request):
        return JSONResponse({"detail": exc.message}, status_code=403)
    staff = getattr(request.state, "console_staff", None)
    return render(request, "error.html", staff, status_code=403, heading="Not allowed", message=exc.message,
                  back_href=f"{COOKIE_PATH}/", back_label="Back to the duty board")


def add_handlers(app: FastAPI) -> None:
    """The console's refusals as pages: login redirect / 401, and 403."""
    app.add_exception_handler(LoginRequired, _on_login_required)
    app.add_exception_handler(ConsoleForbidden, _on_forbidden)


def install(app: FastAPI) -> None:
    """Serve the console on ``app``: its routes, ``/console/static`` and its error pages."""
    app.include_router(console_router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    add_handlers(app)


# Areas of the console (issue 14) plug in here, one line each:
from . import board  # noqa: E402  (areas plug in after the console's own routes)
from . import feedback as feedback_area  # noqa: E402
from . import tickets as tickets_area  # noqa: E402

console_router.include_router(board.router)
console_router.include_router(tickets_area.router)
console_router.include_router(feedback_area.router)
from . import kiosks as kiosks_area  # noqa: E402

console_router.include_router(kiosks_area.router)
from . import handoffs as handoffs_area  # noqa: E402

console_router.include_router(handoffs_area.router)

from . import notices as notices_area  # noqa: E402

console_router.include_router(notices_area.router)
