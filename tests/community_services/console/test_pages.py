"""``render``: autoescape everywhere, the context every page gets, and the nav by role."""

from __future__ import annotations

from starlette.requests import Request

from community_services.console.auth import StaffMember
from community_services.console.pages import environment, render


def _request(csrf: str = "csrf-value") -> Request:
    request = Request({"type": "http", "method": "GET", "path": "/console/staff", "query_string": b"",
                       "headers": [], "server": ("test", 80), "scheme": "http", "root_path": ""})
    request.state.console_csrf = csrf
    return request


def test_autoescape_is_on_for_every_template() -> None:
    assert environment.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_base_page_for_a_duty_account() -> None:
    html = render(_request(), "error.html", StaffMember(1, "<i>Li</i>", "duty"), heading="H", message="M",
                  back_href="/console/", back_label="Back").body.decode()
    assert '<html lang="en">' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert "&lt;i&gt;Li&lt;/i&gt;" in html and "<i>Li</i>" not in html
    assert 'name="csrf_token" value="csrf-value"' in html
    assert 'href="/console/static/console.css"' in html
    for label in ("Duty board", "Tickets", "Feedback", "Notices", "Kiosks"):
        assert f">{label}</a>" in html
    assert ">Staff</a>" not in html and ">Audit</a>" not in html


def test_admins_also_see_staff_and_audit_and_the_current_page_is_marked() -> None:
    html = render(_request(), "error.html", StaffMember(1, "Wang", "admin"), heading="H", message="M",
                  back_href="/console/", back_label="Back").body.decode()
    assert '<a href="/console/staff" aria-current="page">Staff</a>' in html
    assert ">Audit</a>" in html


def test_no_staff_no_nav_and_no_csrf_token() -> None:
    html = render(_request(), "error.html", None, status_code=401, heading="H", message="M", back_href="/",
                  back_label="B").body.decode()
    assert "Console sections" not in html and "csrf-value" not in html
