"""The kiosks page against the real server: heartbeats sent over the real API with the kiosk token, the page over
HTTP and in Debian's chromium. Screenshots: ``var/screenshots/console-kiosks*.png``."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx

KIOSK = "kiosk-token-for-console-tests"
DUTY = ("Duty Li", "duty-password-1")
Login = Callable[[tuple[str, str]], httpx.Client]
MARKUP = "<b>Lobby</b> <script>alert('x')</script>"


def _beat(server: Any, kiosk_id: str, location: str, *, refused: int = 0, backlog: int = 0,
          model: str | None = "20260301-120000-warm-tree.tar.gz", **more: Any) -> None:
    with httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {KIOSK}"}) as http:
        response = http.put(f"/kiosks/{kiosk_id}/heartbeat", json={
            "location": location, "model": model, "outbox_backlog": backlog, "outbox_refused": refused, **more})
        assert response.status_code == 200, response.text


def _three_kiosks(server: Any) -> None:
    _beat(server, "kiosk-north", "North Gate lobby", model=None)
    server.clock.advance(minutes=5)  # north is silent from here on
    _beat(server, "kiosk-east", "East gate, Building 12", refused=2, backlog=1)
    _beat(server, "kiosk-markup", MARKUP)
    server.clock.advance(seconds=30)


def test_the_page_needs_a_login_and_escapes_what_kiosks_report(console_server: Any, logged_in: Login) -> None:
    with console_server.http() as anonymous:
        assert anonymous.get("/console/kiosks").status_code == 303
    duty = logged_in(DUTY)
    empty = duty.get("/console/kiosks")
    assert empty.status_code == 200 and "No kiosk has reported yet" in empty.text
    _three_kiosks(console_server)
    html = duty.get("/console/kiosks").text
    assert "<b>Lobby</b>" not in html and "<script>alert" not in html
    assert "&lt;b&gt;Lobby&lt;/b&gt; &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert html.count('class="flagged"') == 2
    assert html.index("kiosk-east") < html.index("kiosk-north") < html.index("kiosk-markup")  # flagged first


def test_a_kiosk_with_stuck_requests_is_flagged_with_the_reason(console_server: Any, logged_in: Login) -> None:
    _beat(console_server, "kiosk-token-old", "West gate", backlog=3, outbox_stuck=3,
          outbox_problem="alert Q12345: token not accepted (401)")
    _beat(console_server, "kiosk-fine", "South gate")
    html = logged_in(DUTY).get("/console/kiosks").text
    row = html[html.index("kiosk-token-old"):]
    row = row[:row.index("</tr>")]
    assert "3 stuck" in row and "Needs attention." in row
    assert "3 requests are stuck" in row and "Latest: alert Q12345: token not accepted (401)." in row
    assert html.count('class="flagged"') == 1


def test_browser_flags_a_silent_kiosk_and_one_with_refused_items(page: Any, console_server: Any,
                                                                 console_tools: SimpleNamespace) -> None:
    _three_kiosks(console_server)
    console_tools.login(page, console_server, *console_tools.DUTY, next_url="/console/kiosks")
    assert page.get_by_role("heading", name="Kiosks").is_visible()
    assert page.get_by_role("status").inner_text() == "2 of 3 kiosks need attention."
    north = page.locator("tr", has_text="kiosk-north")
    assert "flagged" in (north.get_attribute("class") or "")
    assert north.get_by_text("Silent", exact=True).is_visible()
    assert "5 min ago" in north.inner_text() and "not known" in north.inner_text()
    assert "Silent for 5 minutes" in north.inner_text()
    east = page.locator("tr", has_text="kiosk-east")
    assert east.get_by_text("Refused items").is_visible() and "The office refused 2 requests" in east.inner_text()
    fine = page.locator("tr", has_text="kiosk-markup")
    assert "flagged" not in (fine.get_attribute("class") or "") and "just now" in fine.inner_text()
    assert fine.get_by_text(MARKUP).is_visible()  # the markup is shown as text
    assert page.evaluate("document.querySelectorAll('main script, main b').length") == 0
    console_tools.shoot(page, "kiosks")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    for _ in range(12):  # through the nav and logout to the table's scroll region
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('role')") == "region":
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-labelledby')") == "kiosks-caption"
    page.set_viewport_size({"width": 640, "height": 900})  # 200 % zoom of 1280
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    console_tools.shoot(page, "kiosks-zoom200")


def test_a_kiosk_whose_back_end_is_restarting_a_part_is_flagged(console_server: Any, logged_in: Login) -> None:
    with httpx.Client(base_url=f"{console_server.url}/api/v1", headers={"Authorization": f"Bearer {KIOSK}"}) as http:
        response = http.put("/kiosks/kiosk-degraded/heartbeat", json={
            "location": "West gate", "model": None, "outbox_backlog": 0, "outbox_refused": 0,
            "stack": {"state": "degraded", "parts": [{"name": "services", "state": "up"},
                                                     {"name": "actions", "state": "restarting", "restarts": 3}]}})
        assert response.status_code == 200, response.text
    html = logged_in(DUTY).get("/console/kiosks").text
    assert html.count('class="flagged"') == 1
    assert "Degraded: actions restarting (3 restarts)." in html
