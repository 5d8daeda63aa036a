"""The notices area against the real server: forms over HTTP (CSRF, confirmation, audit, escaping, what kiosks
and residents then get over the real API), and in Debian's chromium: write an urgent notice, confirm it, see a
kiosk's receipt appear live. Screenshots: ``var/screenshots/console-notices*.png``."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import select

from community_services import models

KIOSK = "kiosk-token-for-console-tests"
DUTY = ("Duty Li", "duty-password-1")
Login = Callable[[tuple[str, str]], httpx.Client]
MARKUP = "<b>Gas</b> <script>alert('x')</script>"


def _api(server: Any) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {KIOSK}"}, timeout=10)


def _beat(server: Any, kiosk_id: str, location: str) -> None:
    with _api(server) as http:
        assert http.put(f"/kiosks/{kiosk_id}/heartbeat", json={
            "location": location, "model": None, "outbox_backlog": 0, "outbox_refused": 0}).status_code == 200


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found
    return found.group(1)


def _form(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "Gas leak near Building 9", "body": "Leave Building 9 now. Do not use lifts.",
                            "valid_from": "2026-03-02T07:30", "valid_until": "2026-03-02T12:00", "for": "some",
                            "buildings": ["9"], "urgency": "urgent", "kind": "gas"}
    body.update(changes)
    return body


def test_write_confirm_edit_withdraw_over_http(console_server: Any, logged_in: Login) -> None:
    duty = logged_in(DUTY)
    token = _csrf(duty.get("/console/notices/new").text)
    assert duty.post("/console/notices", data=_form()).status_code == 403  # no CSRF token
    asked = duty.post("/console/notices", data={**_form(title=MARKUP), "csrf_token": token})
    assert asked.status_code == 200 and "Send this urgent notice?" in asked.text
    assert "<b>Gas</b>" not in asked.text and "&lt;b&gt;Gas&lt;/b&gt;" in asked.text
    with console_server.database.session() as session:
        assert session.scalars(select(models.NoticeDetails)).all() == []  # nothing stored before the second button
    bad = duty.post("/console/notices", data={**_form(title="", buildings=[]), "csrf_token": token})
    assert bad.status_code == 422 and "Write a title." in bad.text and "Choose at least one building" in bad.text

    sent = duty.post("/console/notices", data={**_form(title=MARKUP), "confirmed": "1", "csrf_token": token})
    assert sent.status_code == 303
    url = sent.headers["location"]
    assert url.endswith("?done=sent")
    notice_id = int(url.split("/")[-1].split("?")[0])
    with _api(console_server) as kiosk:
        got = kiosk.get("/broadcasts", params={"kiosk_id": "kiosk-east", "building": ["9"]}).json()
        assert [(b["id"], b["title"], b["safety"]) for b in got] == [(notice_id, MARKUP, True)]
        assert kiosk.get("/broadcasts", params={"building": ["1"]}).json() == []
        heard = kiosk.get("/announcements", params={"building": "9"}).json()
        assert notice_id in [a["id"] for a in heard]

    edited = duty.post(f"/console/notices/{notice_id}", data={**_form(title="Gas leak: Building 9"), "confirmed": "1",
                                                              "csrf_token": token})
    assert edited.status_code == 303
    page = duty.get(f"/console/notices/{notice_id}").text
    assert "Gas leak: Building 9" in page
    with _api(console_server) as kiosk:
        assert kiosk.get("/broadcasts").json()[0]["revision"] == 2
    assert duty.post(f"/console/notices/{notice_id}/withdraw", data={"csrf_token": token}).status_code == 303
    with _api(console_server) as kiosk:
        assert kiosk.get("/broadcasts").json() == []
        assert notice_id not in [a["id"] for a in kiosk.get("/announcements").json()]
    listing = duty.get("/console/notices").text
    assert "withdrawn by Duty Li" in listing
    with console_server.database.session() as session:
        actions = [(e.action, e.staff_name, e.target) for e in session.scalars(
            select(models.AuditEntry).where(models.AuditEntry.action.like("notice.%")).order_by(models.AuditEntry.id))]
    assert actions == [("notice.create", "Duty Li", f"notice:{notice_id}"), ("notice.edit", "Duty Li",
                       f"notice:{notice_id}"), ("notice.withdraw", "Duty Li", f"notice:{notice_id}")]


def test_an_ordinary_notice_is_saved_at_once_and_listed_as_upcoming(console_server: Any, logged_in: Login) -> None:
    duty = logged_in(DUTY)
    token = _csrf(duty.get("/console/notices/new").text)
    saved = duty.post("/console/notices", data={**_form(urgency="ordinary", title="Painting Building 3",
                                                        valid_from="2026-03-05T08:00", valid_until="",
                                                        **{"for": "all"}), "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=created")
    listing = duty.get("/console/notices").text
    upcoming = listing.split('id="upcoming-heading"')[1].split('id="past-heading"')[0]
    assert "Painting Building 3" in upcoming and "until withdrawn" in upcoming


def test_browser_sends_an_urgent_notice_and_sees_a_kiosk_confirm_it(page: Any, console_server: Any,
                                                                    console_tools: SimpleNamespace) -> None:
    _beat(console_server, "kiosk-lobby", "Service Centre lobby")
    _beat(console_server, "kiosk-east", "East gate, Building 12")
    console_tools.login(page, console_server, *console_tools.DUTY, next_url="/console/notices")
    page.get_by_role("link", name="Write a notice").click()
    page.get_by_label("Title").fill("Fire in Building 3")
    page.get_by_label("The notice").fill("There is a fire in Building 3. Leave calmly and go to the Central Garden.")
    page.get_by_label("All buildings").check()
    page.get_by_label("Urgent: it interrupts the kiosks at once").check()
    page.get_by_label("Kind of urgent notice").select_option("fire")
    page.get_by_role("button", name="Save the notice").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Send this urgent notice?").is_visible()
    confirm = page.get_by_role("button", name="Send to the kiosks now")
    assert confirm.evaluate("b => b === document.activeElement")  # the keyboard is on the second button
    console_tools.shoot(page, "notices-confirm")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/notices/\d+\?done=sent"))
    notice_id = int(page.url.split("/")[-1].split("?")[0])
    assert page.get_by_role("status").first.inner_text() == "The urgent notice is sent to the kiosks."
    assert page.locator("#shown-count").inner_text() == "0 of 2 kiosks have shown it."
    lobby = page.locator("tr[data-kiosk='kiosk-lobby']")
    assert lobby.locator(".shown-at").inner_text() == "not yet"
    page.wait_for_function("() => document.getElementById('live-state').textContent.includes('updates by itself')")
    page.wait_for_timeout(300)  # the stream is open
    with _api(console_server) as kiosk:
        posted = kiosk.post(f"/broadcasts/{notice_id}/receipts", json={
            "kiosk_id": "kiosk-lobby", "revision": 1, "shown_at": "2026-03-02T07:30:04"})
        assert posted.status_code == 201, posted.text
        kiosk.post(f"/broadcasts/{notice_id}/receipts", json={
            "kiosk_id": "kiosk-new", "revision": 1, "shown_at": "2026-03-02T07:30:05"})
    page.wait_for_function("() => document.getElementById('shown-count').textContent.startsWith('2 of 3')")
    assert lobby.locator(".shown-at").inner_text() == "shown at 07:30:04"
    assert page.locator("tr[data-kiosk='kiosk-east'] .shown-at").inner_text() == "not yet"
    assert page.locator("tr[data-kiosk='kiosk-new'] .shown-at").inner_text() == "shown at 07:30:05"
    console_tools.shoot(page, "notices-receipts")
    page.set_viewport_size({"width": 640, "height": 900})  # 200 % zoom of 1280
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(f"{console_server.url}/console/notices")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.locator("tr.urgent", has_text="Fire in Building 3").get_by_text("Urgent: Fire").is_visible()
    console_tools.shoot(page, "notices-list-zoom")
