"""The console in Debian's chromium (Playwright) against the real server on loopback.

Screenshots of each page go to ``var/screenshots/console-*.png``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from community_services.console import accounts


def test_login_and_logout(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    page.goto(f"{console_server.url}/console/staff")
    assert page.url.endswith("/console/login?next=%2Fconsole%2Fstaff")
    console_tools.shoot(page, "login")
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/staff")
    assert page.url.endswith("/console/staff")
    assert page.get_by_role("heading", name="Staff accounts").is_visible()
    assert page.get_by_text("Logged in as Admin Wang").is_visible()
    console_tools.shoot(page, "staff")
    cookie = next(c for c in page.context.cookies() if c["name"] == "linli_console")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/console")
    page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/console/login?out=1")
    assert page.get_by_text("You are logged out.").is_visible()
    page.goto(f"{console_server.url}/console/audit")
    assert "/console/login" in page.url


def test_wrong_password_then_lockout(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    for _ in range(accounts.MAX_FAILED_LOGINS):
        console_tools.login(page, console_server, "Admin Wang", "not-the-password")
        assert page.get_by_role("alert").inner_text() == accounts.LOGIN_REFUSED
    console_tools.shoot(page, "login-refused")
    console_tools.login(page, console_server, *console_tools.ADMIN)  # the right password, but locked
    assert page.get_by_role("alert").inner_text() == accounts.LOGIN_REFUSED
    console_server.clock.advance(minutes=accounts.LOCK_MINUTES + 1)
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/audit")
    assert page.url.endswith("/console/audit")
    assert page.get_by_role("cell", name="login.locked").is_visible()


def test_a_duty_account_is_refused_the_staff_page(page: Any, console_server: Any,
                                                   console_tools: SimpleNamespace) -> None:
    console_tools.login(page, console_server, *console_tools.DUTY)
    response = page.goto(f"{console_server.url}/console/staff")
    assert response.status == 403
    assert "for admins only" in page.get_by_role("alert").inner_text()
    nav = page.get_by_role("navigation", name="Console sections")
    assert nav.get_by_role("link", name="Duty board").is_visible()
    assert nav.get_by_role("link", name="Staff").count() == 0
    console_tools.shoot(page, "forbidden")


def test_an_expired_session_goes_back_to_login(page: Any, console_server: Any,
                                               console_tools: SimpleNamespace) -> None:
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/staff")
    console_server.clock.advance(minutes=31)
    page.goto(f"{console_server.url}/console/audit")
    assert page.url.endswith("/console/login?next=%2Fconsole%2Faudit")
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/audit")
    assert page.url.endswith("/console/audit")


def test_a_post_without_csrf_is_refused(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/staff")
    page.locator('#add-heading ~ form input[name="csrf_token"]').evaluate("e => e.remove()")
    page.get_by_label("Name", exact=True).fill("Zhao Min")
    page.get_by_label("Password (at least 10 characters)").first.fill("zhao-password-1")
    page.get_by_label("The same password again").first.fill("zhao-password-1")
    page.get_by_role("button", name="Add staff member").click()
    assert "no valid CSRF token" in page.get_by_role("alert").inner_text()
    page.goto(f"{console_server.url}/console/staff")
    assert page.get_by_role("rowheader", name="Zhao Min").count() == 0


def test_admin_adds_staff_and_the_audit_shows_it(page: Any, console_server: Any,
                                                  console_tools: SimpleNamespace) -> None:
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/staff")
    # markup in a name: refused, and the refusal shows it as text
    page.get_by_label("Name", exact=True).fill('<img src=x onerror="document.title=1">')
    page.get_by_label("Password (at least 10 characters)").first.fill("zhao-password-1")
    page.get_by_label("The same password again").first.fill("zhao-password-1")
    page.get_by_role("button", name="Add staff member").click()
    assert page.get_by_role("alert").inner_text() == "A name cannot contain < or >."
    assert page.locator("main img").count() == 0
    assert page.get_by_label("Name", exact=True).input_value() == '<img src=x onerror="document.title=1">'
    assert page.title() != "1"
    console_tools.shoot(page, "staff-refused")

    page.get_by_label("Name", exact=True).fill("赵敏 Zhao Min")
    page.get_by_label("Admin: also staff accounts and the audit log").check()
    page.get_by_label("Password (at least 10 characters)").first.fill("zhao-password-1")
    page.get_by_label("The same password again").first.fill("zhao-password-1")
    page.get_by_role("button", name="Add staff member").click()
    assert page.get_by_role("status").inner_text() == "Added 赵敏 Zhao Min."
    assert page.get_by_role("rowheader", name="赵敏 Zhao Min").is_visible()
    console_tools.shoot(page, "staff-added")

    page.get_by_role("navigation", name="Console sections").get_by_role("link", name="Audit").click()
    first_row = page.locator("tbody tr").first
    assert "staff.add" in first_row.inner_text()
    assert "staff:赵敏 Zhao Min" in first_row.inner_text()
    assert '"role": "admin"' in first_row.inner_text()
    console_tools.shoot(page, "audit")


def test_markup_in_a_stored_name_is_text(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    from sqlalchemy import select

    from community_services.models import StaffAccount

    with console_server.database.session() as session:
        account = session.scalars(select(StaffAccount).where(StaffAccount.name == "Duty Li")).one()
        account.name = "<b>Bold</b><script>document.title='owned'</script>"
        session.commit()
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/staff")
    assert page.get_by_role("rowheader", name="<b>Bold</b><script>").is_visible()
    assert page.locator("main b, main script").count() == 0
    assert page.title() != "owned"


def test_keyboard_alone(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    page.goto(f"{console_server.url}/console/login")
    page.wait_for_function("document.activeElement.id === 'name'")  # the form starts focused (autofocus)
    page.keyboard.type(console_tools.ADMIN[0])
    page.keyboard.press("Tab")
    page.keyboard.type(console_tools.ADMIN[1])
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/board")  # the duty board (another area builds it)
    page.goto(f"{console_server.url}/console/staff")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the page content"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # shown when focused
    console_tools.shoot(page, "skip-link")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'main'")
    outline = page.evaluate("""() => { const b = document.querySelector('main button');
        b.focus(); const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth]; }""")
    assert outline[0] != "none" and outline[1] != "0px"
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18


def test_usable_at_200_percent_zoom(browser: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    # 200 % zoom on a 1280-pixel screen lays the page out as 640 CSS pixels wide
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    page = context.new_page()
    try:
        console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/staff")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        console_tools.shoot(page, "staff-zoom-200")
    finally:
        context.close()
