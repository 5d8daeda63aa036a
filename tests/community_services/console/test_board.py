"""The duty board in Debian's chromium against the real server: live rows, chime, "I'm going", resolve,
escaping, escalation, handoffs. Screenshots: ``var/screenshots/console-board*.png``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from community_services.escalation import EscalationSettings

KIOSK = "kiosk-token-for-console-tests"  # conftest.KIOSK

OTHER = ("Duty Zhang", "duty-password-2")


def raise_alert(server: Any, details: str = "I have fallen", kind: str = "fall") -> str:
    """As the kiosk does: POST /api/v1/alerts with the kiosk token."""
    response = httpx.post(f"{server.url}/api/v1/alerts", headers={"Authorization": f"Bearer {KIOSK}"},
                          json={"kind": kind, "location": "Building 3 lobby", "kiosk_id": "lobby-1",
                                "details": details}, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def kiosk_status(server: Any, reference: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/v1/alerts/{reference}/status",
                         headers={"Authorization": f"Bearer {KIOSK}"}, timeout=10)
    assert response.status_code == 200
    return dict(response.json())


def open_board(page: Any, server: Any, tools: SimpleNamespace, who: tuple[str, str]) -> None:
    tools.login(page, server, *who, next_url="/console/board")
    assert page.url.endswith("/console/board")
    page.wait_for_selector('body[data-live="open"]', state="attached")


def row(page: Any, reference: str, kind: str = "alert") -> Any:
    return page.locator(f'[id="{kind}:{reference}"]')


def test_a_pressed_alert_appears_live_and_im_going_reaches_the_kiosk(
        page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    open_board(page, console_server, console_tools, console_tools.DUTY)
    assert page.get_by_text("Nothing open").is_visible()
    console_tools.shoot(page, "board-empty")
    reference = raise_alert(console_server)
    page.wait_for_selector(f'[id="alert:{reference}"]', timeout=2000)  # no reload, within 2 s
    assert page.evaluate("document.body.dataset.chimes") == "1"
    assert "New request: Emergency: Fall, Building 3 lobby" in page.locator("#announcer").inner_text()
    alert_row = row(page, reference)
    assert "Building 3 lobby (kiosk lobby-1)" in alert_row.inner_text()
    assert "I have fallen" in alert_row.inner_text()
    page.wait_for_timeout(1100)
    assert alert_row.locator(".waited").inner_text().endswith(" s")
    console_tools.shoot(page, "board")
    alert_row.get_by_role("button", name=f"I'm going to {reference}").click()
    page.wait_for_selector(f'[id="alert:{reference}"] .who-going:text-is("Duty Li")')
    assert kiosk_status(console_server, reference)["acknowledged_by"] == "Duty Li"
    alert_row.get_by_label(f"Note on {reference}").fill("Helped her up; her daughter is with her.")
    alert_row.get_by_role("button", name=f"Resolve {reference}").click()
    alert_row.wait_for(state="detached")
    assert kiosk_status(console_server, reference)["status"] == "resolved"
    page.goto(f"{console_server.url}/console/board")
    assert row(page, reference).count() == 0
    with console_server.database.session() as session:
        from community_services.models import AuditEntry
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert "alert.going" in actions and "alert.resolve" in actions


def test_two_staff_press_im_going_one_wins(browser: Any, page: Any, console_server: Any,
                                           console_tools: SimpleNamespace) -> None:
    console_server.add_staff(*OTHER[:1], "duty", OTHER[1])
    reference = raise_alert(console_server)
    other_context = browser.new_context(viewport={"width": 1280, "height": 900})
    other = other_context.new_page()
    try:
        open_board(page, console_server, console_tools, console_tools.DUTY)
        open_board(other, console_server, console_tools, OTHER)
        row(page, reference).get_by_role("button", name=f"I'm going to {reference}").click()
        page.wait_for_selector(f'[id="alert:{reference}"] .who-going:text-is("Duty Li")')
        # the other board may already show it live; pressing anyway must name the winner
        other_row = row(other, reference)
        other_row.get_by_role("button", name=f"I'm going to {reference}").click()
        other_row.locator(".row-message.error").wait_for()
        assert other_row.locator(".row-message").inner_text() == "Duty Li is already going."
        assert other_row.locator(".who-going").inner_text() == "Duty Li"
        console_tools.shoot(other, "board-taken")
    finally:
        other_context.close()
    assert kiosk_status(console_server, reference)["acknowledged_by"] == "Duty Li"


def test_markup_in_resident_text_is_shown_as_text(page: Any, console_server: Any,
                                                  console_tools: SimpleNamespace) -> None:
    markup = "<img src=x onerror=alert(1)>"
    before = raise_alert(console_server, details=markup)  # server-rendered
    open_board(page, console_server, console_tools, console_tools.DUTY)
    live = raise_alert(console_server, details=markup)  # built by board.js
    page.wait_for_selector(f'[id="alert:{live}"]', timeout=2000)
    for reference in (before, live):
        assert row(page, reference).locator(".details").inner_text() == markup
        assert row(page, reference).locator("img").count() == 0
    assert page.locator("main img").count() == 0


def test_a_handoff_request_is_on_the_board(page: Any, console_server: Any,
                                           console_tools: SimpleNamespace) -> None:
    open_board(page, console_server, console_tools, console_tools.DUTY)
    response = httpx.post(f"{console_server.url}/api/v1/feedback", headers={"Authorization": f"Bearer {KIOSK}"},
                          json={"text": "I want to talk to a real person", "category": "handoff"}, timeout=10)
    reference = response.json()["reference"]
    handoff = row(page, reference, "handoff")
    handoff.wait_for(timeout=2000)
    assert page.evaluate("document.body.dataset.chimes") == "1"
    assert "Talk to a person" in handoff.inner_text()
    handoff.get_by_role("button", name=f"I'm going to {reference}").click()
    page.wait_for_selector(f'[id="handoff:{reference}"] .who-going:text-is("Duty Li")')
    handoff.get_by_label(f"Note on {reference}").fill("Wang from the office will call you today.")
    handoff.get_by_role("button", name=f"Resolve {reference}").click()
    handoff.wait_for(state="detached")
    answer = httpx.get(f"{console_server.url}/api/v1/feedback/{reference}",
                       headers={"Authorization": f"Bearer {KIOSK}"}, timeout=10).json()
    assert (answer["status"], answer["reply"]) == ("answered", "Wang from the office will call you today.")


def test_keyboard_only_and_200_percent(page: Any, console_server: Any,
                                       console_tools: SimpleNamespace) -> None:
    reference = raise_alert(console_server, details="Please come, I feel dizzy and cannot stand up")
    page.set_viewport_size({"width": 640, "height": 900})  # 1280 at 200 % zoom
    open_board(page, console_server, console_tools, console_tools.DUTY)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    console_tools.shoot(page, "board-200")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('going')"):
            break
    else:
        pytest.fail("Tab never reached the I'm going button")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'[id="alert:{reference}"] .who-going:text-is("Duty Li")')
    page.keyboard.press("Tab")
    page.keyboard.type("On my way, back in ten minutes")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    row(page, reference).wait_for(state="detached")


@pytest.fixture
def escalating_server(tmp_path: Path, console_tools: SimpleNamespace) -> Iterator[Any]:
    running = console_tools.start_server(tmp_path / "services.db",
                                   escalation=EscalationSettings(after_seconds=60, interval=0.2))
    running.add_staff("Duty Li", "duty", "duty-password-1")
    yield running
    running.stop()


def test_an_escalated_alert_turns_red_and_loud(page: Any, escalating_server: Any,
                                               console_tools: SimpleNamespace) -> None:
    open_board(page, escalating_server, console_tools, console_tools.DUTY)
    reference = raise_alert(escalating_server)
    page.wait_for_selector(f'[id="alert:{reference}"]', timeout=2000)
    escalating_server.clock.advance(seconds=61)
    page.wait_for_selector(f'[id="alert:{reference}"].escalated', timeout=5000)
    assert page.locator("#escalation-banner").is_visible()
    for _ in range(80):
        if int(page.evaluate("document.body.dataset.loudChimes")) >= 2:
            break
        page.wait_for_timeout(100)
    assert int(page.evaluate("document.body.dataset.loudChimes")) >= 2
    console_tools.shoot(page, "board-escalated")
    # another console page shows the banner too
    other = page.context.new_page()
    other.goto(f"{escalating_server.url}/console/board/items")  # any console page; JSON here needs no banner
    other.close()
    row(page, reference).get_by_role("button", name=f"I'm going to {reference}").click()
    page.wait_for_selector(f'[id="alert:{reference}"]:not(.escalated)')
    assert page.locator("#escalation-banner").is_hidden()
