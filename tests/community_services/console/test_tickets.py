"""The tickets desk pages against the real server: over HTTP with a logged-in session (httpx) and in Debian's
chromium (Playwright). Screenshots: ``var/screenshots/console-tickets*.png``."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
from desk_data import add_ticket, csrf_of, kiosk_get, resident_get

from community_services import models

ADMIN = ("Admin Wang", "admin-password-1")
DUTY = ("Duty Li", "duty-password-1")
Login = Callable[[tuple[str, str]], httpx.Client]


def _rows(html: str) -> list[str]:
    """Ticket numbers in the queue, in order."""
    return re.findall(r'<th scope="row"><a href="/console/tickets/(R[0-9A-Z]+)">', html)


# --- over HTTP ---


def test_the_queue_needs_a_login_and_a_duty_account_may_use_it(console_server: Any, logged_in: Login) -> None:
    with console_server.http() as anonymous:
        response = anonymous.get("/console/tickets?status=open")
        assert response.status_code == 303
        assert response.headers["location"] == "/console/login?next=%2Fconsole%2Ftickets%3Fstatus%3Dopen"
    number = add_ticket(console_server)
    duty = logged_in(DUTY)
    page = duty.get("/console/tickets")
    assert page.status_code == 200
    assert _rows(page.text) == [number]
    assert page.headers["Server-Timing"].startswith("queue;dur=")
    assert duty.get(f"/console/tickets/{number}").status_code == 200


def test_filters_by_status_category_building_and_age(console_server: Any, logged_in: Login) -> None:
    lift = add_ticket(console_server, problem="lift", place="the lift in Building 11", hours_ago=2)
    old_tap = add_ticket(console_server, place="3号楼 201", hours_ago=30)
    window = add_ticket(console_server, problem="window", place="5-302", hours_ago=1, status="resolved")
    http = logged_in(DUTY)
    assert _rows(http.get("/console/tickets").text) == [old_tap, lift, window]  # oldest first
    assert _rows(http.get("/console/tickets?status=open").text) == [old_tap, lift]
    assert _rows(http.get("/console/tickets?category=lift").text) == [lift]
    assert _rows(http.get("/console/tickets?building=Building+3").text) == [old_tap]
    assert _rows(http.get("/console/tickets?building=5").text) == [window]
    assert _rows(http.get("/console/tickets?age=24").text) == [old_tap]
    assert _rows(http.get("/console/tickets?overdue=1").text) == [old_tap]
    assert _rows(http.get("/console/tickets?status=open&building=11&category=lift").text) == [lift]
    nothing = http.get("/console/tickets?building=99")
    assert _rows(nothing.text) == [] and "No tickets match these filters." in nothing.text
    odd = http.get("/console/tickets?status=bogus&age=7&page=x")  # unknown values are dropped, not an error
    assert odd.status_code == 200 and len(_rows(odd.text)) == 3


def test_an_overdue_ticket_stands_out_with_a_word_not_only_colour(console_server: Any, logged_in: Login) -> None:
    late = add_ticket(console_server, problem="lift", hours_ago=5)  # lift: 4 h
    fine = add_ticket(console_server, problem="plumbing", hours_ago=5)  # plumbing: 24 h
    html = logged_in(DUTY).get("/console/tickets").text
    late_row = html.split(f">{late}</a>", 1)[1].split("</tr>", 1)[0]
    fine_row = html.split(f">{fine}</a>", 1)[1].split("</tr>", 1)[0]
    assert f'<tr class="overdue">\n      <th scope="row"><a href="/console/tickets/{late}">' in html
    assert "Overdue" in late_row and "Overdue" not in fine_row


def test_paging_keeps_the_filters(console_server: Any, logged_in: Login) -> None:
    numbers = [add_ticket(console_server, place="Building 7", hours_ago=100 - i) for i in range(53)]
    add_ticket(console_server, place="Building 8")
    http = logged_in(DUTY)
    first = http.get("/console/tickets?building=7")
    assert _rows(first.text) == numbers[:50]
    assert 'href="/console/tickets?building=7&amp;page=2" rel="next"' in first.text
    second = http.get("/console/tickets?building=7&page=2")
    assert _rows(second.text) == numbers[50:]
    assert 'href="/console/tickets?building=7" rel="prev"' in second.text and 'rel="next"' not in second.text


def test_assign_and_change_status_reach_the_kiosk_and_the_audit(console_server: Any, logged_in: Login) -> None:
    number = add_ticket(console_server)
    http = logged_in(DUTY)
    token = csrf_of(http, f"/console/tickets/{number}")
    assigned = http.post(f"/console/tickets/{number}/assign",
                         data={"csrf_token": token, "assignee": "Wang (plumber)", "internal_note": "Key at desk"})
    assert assigned.status_code == 303
    assert assigned.headers["location"] == f"/console/tickets/{number}?done=assigned"
    changed = http.post(f"/console/tickets/{number}/status",
                        data={"csrf_token": token, "status": "in_progress",
                              "public_note": "A plumber comes on Thursday morning.", "internal_note": ""})
    assert changed.status_code == 303
    seen = resident_get(console_server, f"/tickets/{number}")
    assert (seen["status"], seen["public_note"]) == ("in_progress", "A plumber comes on Thursday morning.")
    assert "Key at desk" not in str(seen)
    page = http.get(changed.headers["location"]).text
    assert "The status is changed." in page and "Wang (plumber)" in page and "Key at desk" in page
    with console_server.database.session() as session:
        entries = session.query(models.AuditEntry).filter(models.AuditEntry.target == f"ticket:{number}").all()
        history = session.query(models.TicketUpdate).all()
    assert [(e.staff_name, e.action, e.before, e.after) for e in entries] == [
        ("Duty Li", "ticket.assign", {"status": "open", "assignee": None},
         {"status": "assigned", "assignee": "Wang (plumber)", "internal_note": "Key at desk"}),
        ("Duty Li", "ticket.status", {"status": "assigned"},
         {"status": "in_progress", "public_note": "A plumber comes on Thursday morning."}),
    ]
    assert {h.staff_name for h in history} == {"Duty Li"}  # from the login, never typed


def test_a_wrong_transition_is_a_plain_message(console_server: Any, logged_in: Login) -> None:
    number = add_ticket(console_server, status="cancelled")
    http = logged_in(DUTY)
    token = csrf_of(http, f"/console/tickets/{number}")
    refused = http.post(f"/console/tickets/{number}/status",
                        data={"csrf_token": token, "status": "in_progress", "public_note": "Coming soon"})
    assert refused.status_code == 409
    assert f"Ticket {number} is cancelled; it cannot become in progress." in refused.text
    assert 'role="alert"' in refused.text and "Traceback" not in refused.text
    assert ">Coming soon</textarea>" in refused.text  # what was typed is kept
    assigned = http.post(f"/console/tickets/{number}/assign", data={"csrf_token": token, "assignee": "Wang"})
    assert assigned.status_code == 409 and "reopen it before assigning it" in assigned.text
    missing = http.post("/console/tickets/R999999/status", data={"csrf_token": token, "status": "open"})
    assert missing.status_code == 404 and "There is no repair ticket with that number." in missing.text
    assert http.get("/console/tickets/R999999").status_code == 404
    too_long = http.post(f"/console/tickets/{number}/status",
                         data={"csrf_token": token, "status": "open", "public_note": "x" * 301})
    assert too_long.status_code == 409 and "at most 300 fit" in too_long.text
    assert kiosk_get(console_server, f"/tickets/{number}")["status"] == "cancelled"


def test_a_post_without_csrf_is_refused(console_server: Any, logged_in: Login) -> None:
    number = add_ticket(console_server)
    http = logged_in(DUTY)
    for path, data in ((f"/console/tickets/{number}/assign", {"assignee": "Wang"}),
                       (f"/console/tickets/{number}/status", {"status": "resolved"})):
        assert http.post(path, data=data).status_code == 403
        assert http.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    assert kiosk_get(console_server, f"/tickets/{number}")["status"] == "open"
    with console_server.http() as anonymous:
        assert anonymous.post(f"/console/tickets/{number}/assign", data={"assignee": "Wang"}).status_code == 401


def test_markup_from_residents_and_staff_is_shown_as_text(console_server: Any, logged_in: Login) -> None:
    number = add_ticket(console_server, place='<img src=x onerror="alert(1)">',
                        description="<script>alert('tap')</script> leaking")
    http = logged_in(DUTY)
    token = csrf_of(http, f"/console/tickets/{number}")
    http.post(f"/console/tickets/{number}/status",
              data={"csrf_token": token, "status": "open", "public_note": "<b>soon</b>", "internal_note": "<i>x</i>"})
    for path in ("/console/tickets", f"/console/tickets/{number}"):
        html = http.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#39;tap&#39;)&lt;/script&gt;" in html
    html = http.get(f"/console/tickets/{number}").text
    assert "&lt;b&gt;soon&lt;/b&gt;" in html and "&lt;i&gt;x&lt;/i&gt;" in html and "<b>soon" not in html


# --- in chromium ---


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_browser_filter_the_queue_and_see_overdue(page: Any, console_server: Any,
                                                  console_tools: SimpleNamespace) -> None:
    late = add_ticket(console_server, problem="lift", place="the lift in Building 11", hours_ago=6,
                      description="The lift stops between floors 4 and 5 and the doors do not open.")
    add_ticket(console_server, problem="plumbing", place="Building 3, flat 201", hours_ago=2)
    add_ticket(console_server, problem="gas", place="12号楼 1201", hours_ago=1, status="assigned",
               description="闻到煤气味，厨房。")
    add_ticket(console_server, problem="window", place="Building 11, flat 1102", hours_ago=80, status="resolved")
    console_tools.login(page, console_server, *console_tools.DUTY, next_url="/console/tickets")
    assert page.get_by_role("heading", name="Repair tickets").is_visible()
    overdue_row = page.locator("tr.overdue")
    assert overdue_row.count() == 1 and late in overdue_row.inner_text()
    assert overdue_row.get_by_text("Overdue").is_visible()
    console_tools.shoot(page, "tickets")
    page.get_by_label("Building (e.g. 3)").fill("11")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Show tickets").click()
    page.wait_for_load_state()
    assert "building=11" in page.url and "status=open" in page.url  # bookmarkable
    links = page.locator("table.queue tbody th a")
    assert links.all_inner_texts() == [late]
    page.reload()
    assert page.get_by_label("Building (e.g. 3)").input_value() == "11"
    page.get_by_role("link", name="Clear the filters").click()
    page.wait_for_load_state()
    assert page.locator("table.queue tbody th a").count() == 4
    page.set_viewport_size({"width": 640, "height": 900})  # 200 % zoom of 1280
    assert _no_sideways_scroll(page)
    console_tools.shoot(page, "tickets-zoom200")


def test_browser_assign_change_status_and_a_stale_form(page: Any, console_server: Any,
                                                       console_tools: SimpleNamespace, logged_in: Login) -> None:
    number = add_ticket(console_server, problem="lift", place="the lift in Building 11", hours_ago=6,
                        description="<b>Lift</b> stuck on floor 4")
    console_tools.login(page, console_server, *console_tools.DUTY, next_url="/console/tickets")
    page.get_by_role("link", name=number).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Ticket {number}: lift").is_visible()
    assert page.get_by_text("<b>Lift</b> stuck on floor 4").is_visible()  # shown as typed, not as markup
    assert page.locator("dd b").count() == 0
    assert page.get_by_text("Anyone who knows the reference can hear it").is_visible()
    page.get_by_label("Worker or team").fill("Zhang (lift company)")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "The ticket is assigned."
    page.get_by_label("New status").select_option("in_progress")
    page.get_by_label("Public note for the resident").first.fill("A lift engineer comes today before 3 pm.")
    page.get_by_label("Internal note (office only, optional)").first.fill("Company ref 5531")
    page.get_by_role("button", name="Save the status").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "The status is changed."
    seen = resident_get(console_server, f"/tickets/{number}")
    assert (seen["status"], seen["public_note"]) == ("in_progress", "A lift engineer comes today before 3 pm.")
    history = page.locator("table.history tbody tr")
    assert history.count() == 2
    assert "Duty Li" in history.nth(1).inner_text() and "Company ref 5531" in history.nth(1).inner_text()
    console_tools.shoot(page, "ticket")

    # someone else cancels it meanwhile; this page's form still offers "waiting"
    other = logged_in(ADMIN)
    token = csrf_of(other, f"/console/tickets/{number}")
    assert other.post(f"/console/tickets/{number}/status",
                      data={"csrf_token": token, "status": "cancelled"}).status_code == 303
    page.get_by_label("New status").select_option("waiting")
    page.get_by_role("button", name="Save the status").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    assert alert.startswith(f"Ticket {number} is cancelled; it cannot become waiting.")
    console_tools.shoot(page, "ticket-refused")

    # the admin sees the changes in the audit log
    page.context.clear_cookies()
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/audit")
    assert page.get_by_role("cell", name="ticket.assign").is_visible()
    assert page.get_by_role("cell", name="ticket.status").count() == 2
    assert page.get_by_role("cell", name=f"ticket:{number}").count() == 3


def test_browser_keyboard_alone(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    number = add_ticket(console_server)
    console_tools.login(page, console_server, *console_tools.DUTY, next_url=f"/console/tickets/{number}")
    page.get_by_label("Worker or team").focus()
    page.keyboard.type("Wang")
    page.keyboard.press("Tab")  # to the public note
    focused = page.evaluate("document.activeElement.id")
    assert focused == "a-public"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the Assign button
    assert page.evaluate("document.activeElement.textContent") == "Assign"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "The ticket is assigned."


def test_a_note_older_than_the_finish_is_not_shown_as_heard(console_server: Any, logged_in: Login) -> None:
    number = add_ticket(console_server)
    http = logged_in(DUTY)
    token = csrf_of(http, f"/console/tickets/{number}")
    http.post(f"/console/tickets/{number}/status",
              data={"csrf_token": token, "status": "in_progress", "public_note": "Thursday morning."})
    assert "Thursday morning." in http.get(f"/console/tickets/{number}").text.split("What the resident hears")[1]
    console_server.clock.advance(minutes=20)  # within the login's idle time
    http.post(f"/console/tickets/{number}/status", data={"csrf_token": token, "status": "resolved"})
    heard = http.get(f"/console/tickets/{number}").text.split("What the resident hears now</dt>")[1]
    assert heard.split("</dd>")[0].endswith("so the kiosk no longer reads it.")
