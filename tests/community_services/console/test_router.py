"""The console's pages over HTTP: login and lockout audit, the staff page's actions and messages."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import select

from community_services.console import accounts
from community_services.models import AuditEntry, StaffAccount

Login = Callable[[tuple[str, str]], httpx.Client]


def test_the_console_root_goes_to_the_duty_board(console_server: Any) -> None:
    with console_server.http() as http:
        response = http.get("/console/")
    assert (response.status_code, response.headers["location"]) == (303, "/console/board")


def test_login_goes_where_it_was_asked(console_server: Any, console_tools: SimpleNamespace) -> None:
    with console_server.http() as http:
        done = console_tools.http_login(http, *console_tools.ADMIN, next_url="/console/audit?page=2")
        assert done.headers["location"] == "/console/audit?page=2"
        # logged in already: the login page sends them on
        assert http.get("/console/login?next=/console/staff").headers["location"] == "/console/staff"


def test_a_wrong_password_keeps_the_name_and_says_so(console_server: Any, console_tools: SimpleNamespace) -> None:
    with console_server.http() as http:
        refused = console_tools.http_login(http, "Admin Wang", "nope-nope-nope")
    assert refused.status_code == 401
    assert accounts.LOGIN_REFUSED in refused.text
    assert 'value="Admin Wang"' in refused.text
    assert "linli_console=" not in ";".join(refused.headers.get_list("set-cookie")).replace("linli_console_login", "")


def test_the_lock_is_audited(console_server: Any, console_tools: SimpleNamespace) -> None:
    with console_server.http() as http:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            console_tools.http_login(http, "Duty Li", "wrong-wrong-wrong")
        assert console_tools.http_login(http, *console_tools.DUTY).status_code == 401
        console_server.clock.advance(minutes=accounts.LOCK_MINUTES, seconds=1)
        assert console_tools.http_login(http, *console_tools.DUTY).status_code == 303
    with console_server.database.session() as session:
        actions = [(e.staff_name, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [("Duty Li", "login.locked"), ("Duty Li", "login")]


def test_markup_in_a_stored_name_is_shown_as_text(console_server: Any, logged_in: Login) -> None:
    # an older database (or a direct SQL insert) may hold a name the forms would refuse
    with console_server.database.session() as session:
        account = session.scalars(select(StaffAccount).where(StaffAccount.name == "Duty Li")).one()
        account.name = '<img src=x onerror="alert(1)">'
        session.commit()
    page = logged_in(("Admin Wang", "admin-password-1")).get("/console/staff").text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_the_staff_page_refuses_bad_input_plainly(logged_in: Login, console_tools: SimpleNamespace) -> None:
    http = logged_in(console_tools.ADMIN)
    token = console_tools.form_value(http.get("/console/staff").text, "csrf_token")
    cases = [
        ({"name": "", "role": "duty", "password": "p" * 12, "password_again": "p" * 12}, "A name is needed"),
        ({"name": "Zhao", "role": "root", "password": "p" * 12, "password_again": "p" * 12}, "duty or admin"),
        ({"name": "Zhao", "role": "duty", "password": "short", "password_again": "short"}, "at least 10"),
        ({"name": "Zhao", "role": "duty", "password": "p" * 12, "password_again": "q" * 12}, "not the same"),
        ({"name": "Z" * 5000, "role": "duty", "password": "p" * 12, "password_again": "p" * 12}, "at most 60"),
        ({"name": "<b>Zhao</b>", "role": "duty", "password": "p" * 12, "password_again": "p" * 12},
         "cannot contain &lt; or &gt;"),
        ({}, "A name is needed"),
    ]
    for form, says in cases:
        response = http.post("/console/staff/add", data={**form, "csrf_token": token})
        assert response.status_code == 400, form
        assert says in response.text, (form, response.text[-800:])
        assert "Traceback" not in response.text
    assert http.get("/console/staff").text.count('<th scope="row">') == 2  # nothing was added


def test_reset_and_disable_from_the_page(logged_in: Login, console_tools: SimpleNamespace,
                                         console_server: Any) -> None:
    http = logged_in(console_tools.ADMIN)
    token = console_tools.form_value(http.get("/console/staff").text, "csrf_token")
    reset = http.post("/console/staff/reset-password", data={"name": "Duty Li", "password": "new-duty-password",
                                                             "password_again": "new-duty-password",
                                                             "csrf_token": token})
    assert reset.headers["location"] == "/console/staff?reset=Duty%20Li"
    assert "Set a new password for Duty Li" in http.get(reset.headers["location"]).text
    with console_server.http() as other:
        assert console_tools.http_login(other, "Duty Li", "new-duty-password").status_code == 303
    refused = http.post("/console/staff/disable", data={"name": "Admin Wang", "csrf_token": token})
    assert refused.status_code == 400
    assert "last active admin" in refused.text


def test_audit_page_numbers_are_forgiving(logged_in: Login, console_tools: SimpleNamespace) -> None:
    http = logged_in(console_tools.ADMIN)
    for query in ("page=abc", "page=-1", "page=999999999999"):
        response = http.get(f"/console/audit?{query}")
        assert response.status_code == 200
        assert "Page 1 of 1" in response.text


def test_pages_carry_a_strict_content_security_policy(logged_in: Login, console_tools: SimpleNamespace) -> None:
    response = logged_in(console_tools.ADMIN).get("/console/staff")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_static_files_are_served(console_server: Any) -> None:
    with console_server.http() as http:
        css = http.get("/console/static/console.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]
