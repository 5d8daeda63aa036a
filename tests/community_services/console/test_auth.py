"""Console sessions against the real server: the cookie, idle expiry, CSRF and roles."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import select

from community_services.console.auth import StaffMember, safe_next
from community_services.models import ConsoleSession

Login = Callable[[tuple[str, str]], httpx.Client]


def test_the_cookie_is_httponly_samesite_strict_and_only_for_the_console(console_server: Any,
                                                                         console_tools: SimpleNamespace) -> None:
    with console_server.http() as http:
        response = console_tools.http_login(http, *console_tools.ADMIN)
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("linli_console="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/console", "samesite=strict"} <= attributes
    assert "secure" not in attributes  # plain http on loopback; https sets Secure (see test_secure_over_https)


def test_only_the_hash_of_the_cookie_is_stored(console_server: Any, console_tools: SimpleNamespace) -> None:
    with console_server.http() as http:
        console_tools.http_login(http, *console_tools.ADMIN)
        token = http.cookies["linli_console"]
    with console_server.database.session() as session:
        stored = session.scalars(select(ConsoleSession)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.csrf_token)


def test_secure_over_https(console_server: Any) -> None:
    from fastapi.testclient import TestClient

    from community_services.app import create_app

    app = create_app(f"sqlite:///{console_server.db_path}", "k-token", "s-token", seed=False)
    with TestClient(app, base_url="https://office.example") as client:
        form = client.get("/console/login")
        assert "secure" in form.headers["set-cookie"].lower()
        token = form.text.split('name="login_token" value="')[1].split('"')[0]
        done = client.post("/console/login", data={"name": "Admin Wang", "password": "admin-password-1",
                                                   "login_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert "; secure" in done.headers["set-cookie"].lower()


def test_no_session_redirects_pages_and_refuses_other_requests(console_server: Any) -> None:
    with console_server.http() as http:
        page = http.get("/console/staff?x=1", headers={"Accept": "text/html"})
        assert page.status_code == 303
        assert page.headers["location"] == "/console/login?next=%2Fconsole%2Fstaff%3Fx%3D1"
        assert http.get("/console/staff", headers={"Accept": "application/json"}).status_code == 401
        assert http.get("/console/staff", headers={"Accept": "text/event-stream"}).status_code == 401
        post = http.post("/console/staff/add", data={"name": "x"})
        assert post.status_code == 401
        assert "log in" in post.text


def test_a_session_expires_after_the_idle_time(console_server: Any, logged_in: Login,
                                               console_tools: SimpleNamespace) -> None:
    http = logged_in(console_tools.ADMIN)
    console_server.clock.advance(minutes=29)
    assert http.get("/console/staff").status_code == 200  # a request keeps it alive...
    console_server.clock.advance(minutes=29)
    assert http.get("/console/staff").status_code == 200
    console_server.clock.advance(minutes=30, seconds=1)  # ...idle for longer ends it
    expired = http.get("/console/staff")
    assert expired.status_code == 303
    assert expired.headers["location"].startswith("/console/login?next=")
    with console_server.database.session() as session:
        assert session.scalars(select(ConsoleSession)).all() == []  # the expired row is gone


def test_a_post_without_the_csrf_token_is_refused(logged_in: Login, console_tools: SimpleNamespace) -> None:
    http = logged_in(console_tools.ADMIN)
    token = console_tools.form_value(http.get("/console/staff").text, "csrf_token")
    new = {"name": "Zhao Min", "role": "duty", "password": "zhao-password", "password_again": "zhao-password"}
    for refused in (http.post("/console/staff/add", data=new),
                    http.post("/console/staff/add", data={**new, "csrf_token": "forged"}),
                    http.post("/console/staff/add", data=new, headers={"X-CSRF-Token": token[:-1]}),
                    http.post("/console/logout")):
        assert refused.status_code == 403
        assert "CSRF" in refused.text
    assert "Zhao Min" not in http.get("/console/staff").text
    assert http.post("/console/staff/add", data=new, headers={"X-CSRF-Token": token}).status_code == 303
    assert http.post("/console/staff/add", data={**new, "name": "Zhao Min 2", "csrf_token": token}).status_code \
        == 303


def test_a_duty_account_is_refused_admin_pages(logged_in: Login, console_tools: SimpleNamespace) -> None:
    http = logged_in(console_tools.DUTY)
    for path in ("/console/staff", "/console/audit"):
        refused = http.get(path)
        assert refused.status_code == 403
        assert "for admins only" in refused.text
    token = console_tools.form_value(refused.text, "csrf_token")  # the 403 page still has the logout form
    post = http.post("/console/staff/add", data={"name": "Sneaky", "role": "admin", "password": "x" * 12,
                                                 "password_again": "x" * 12, "csrf_token": token})
    assert post.status_code == 403


def test_logout_deletes_the_session(console_server: Any, logged_in: Login, console_tools: SimpleNamespace) -> None:
    http = logged_in(console_tools.ADMIN)
    old_cookie = http.cookies["linli_console"]
    token = console_tools.form_value(http.get("/console/staff").text, "csrf_token")
    out = http.post("/console/logout", data={"csrf_token": token})
    assert (out.status_code, out.headers["location"]) == (303, "/console/login?out=1")
    with console_server.database.session() as session:
        assert session.scalars(select(ConsoleSession)).all() == []
    with console_server.http() as replay:  # the old cookie is worth nothing now
        replay.cookies.set("linli_console", old_cookie, domain="127.0.0.1", path="/console")
        assert replay.get("/console/staff").status_code == 303


def test_switching_an_account_off_ends_its_sessions(console_server: Any, logged_in: Login,
                                                    console_tools: SimpleNamespace) -> None:
    duty = logged_in(console_tools.DUTY)
    duty_token = console_tools.form_value(duty.get("/console/staff").text, "csrf_token")  # the 403 page's form
    admin = logged_in(console_tools.ADMIN)
    token = console_tools.form_value(admin.get("/console/staff").text, "csrf_token")
    assert admin.post("/console/staff/disable", data={"name": "Duty Li", "csrf_token": token}).status_code == 303
    assert duty.post("/console/logout", data={"csrf_token": duty_token}).status_code == 401
    assert duty.get("/console/staff").status_code == 303  # to the login page
    with console_server.database.session() as session:
        assert len(session.scalars(select(ConsoleSession)).all()) == 1  # the admin's


def test_login_goes_only_to_console_pages() -> None:
    assert safe_next("/console/tickets?status=open") == "/console/tickets?status=open"
    for bad in ("https://evil.example/", "//evil.example/console/", "/console\\..\\x", "/api/v1/alerts",
                "/console/logout", "", None):
        assert safe_next(bad) == "/console/"


def test_a_login_form_posted_from_elsewhere_is_refused(console_server: Any, console_tools: SimpleNamespace) -> None:
    with console_server.http() as http:
        refused = http.post("/console/login", data={"name": console_tools.ADMIN[0],
                                                    "password": console_tools.ADMIN[1], "login_token": "made-up"})
    assert refused.status_code == 403
    assert "linli_console=" not in refused.headers.get("set-cookie", "").replace("linli_console_login=", "")


def test_staff_member() -> None:
    assert StaffMember(1, "A", "admin").is_admin
    assert not StaffMember(2, "B", "duty").is_admin
