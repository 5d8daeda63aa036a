"""The handoff page against the real server: over HTTP with a logged-in session (httpx) and in Debian's
chromium (Playwright): a handoff opened through the kiosk's API is on the board, staff join, the page shows the
transcript, a reply reaches the kiosk's GET, a resident message appears without a reload, the resident's end is
shown. Screenshots: ``var/screenshots/console-handoff*.png`` and ``/tmp/shots/handoff-*.png``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from desk_data import csrf_of

from community_services import models

DUTY = ("Duty Li", "duty-password-1")
OTHER = ("Duty Zhang", "duty-password-2")
KIOSK = "kiosk-token-for-console-tests"  # conftest.KIOSK
MARKUP = "<script>alert('x')</script><img src=x onerror=alert(1)>"
SHOTS = Path("/tmp/shots")
Login = Callable[[tuple[str, str]], httpx.Client]


def kiosk(server: Any, method: str, path: str, json: Any = None) -> httpx.Response:
    return httpx.request(method, f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {KIOSK}"},
                         json=json, timeout=10)


def open_handoff(server: Any, said: str = "I want to talk to a person", **extra: Any) -> str:
    body = {"kiosk_id": "lobby-1", "location": "Service centre lobby", "said": said,
            "transcript": [{"who": "resident", "text": "My heating is broken"},
                           {"who": "assistant", "text": "I can report a repair for you."},
                           {"who": "resident", "text": said}], **extra}
    response = kiosk(server, "POST", "/handoffs", body)
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def audit_actions(server: Any) -> list[tuple[str, str, str]]:
    with server.database.session() as session:
        return [(e.staff_name, e.action, e.target)
                for e in session.query(models.AuditEntry).order_by(models.AuditEntry.id)]


def save_shot(page: Any, tools: SimpleNamespace, name: str) -> Path:
    path = tools.shoot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")
    return path


# --- over HTTP ---


def test_resident_text_is_escaped_on_the_page_and_the_board(console_server: Any, logged_in: Login) -> None:
    reference = open_handoff(console_server, said=MARKUP)
    assert kiosk(console_server, "POST", f"/handoffs/{reference}/messages", {"text": MARKUP}).status_code == 201
    http = logged_in(DUTY)
    for path in (f"/console/handoffs/{reference}", "/console/board"):
        html = http.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert http.get(f"/console/handoffs/{reference}").headers["Content-Security-Policy"].startswith(
        "default-src 'self'; script-src 'self'")


def test_join_one_wins_reply_end_and_audit(console_server: Any, logged_in: Login) -> None:
    console_server.add_staff(OTHER[0], "duty", OTHER[1])
    reference = open_handoff(console_server)
    li, zhang = logged_in(DUTY), logged_in(OTHER)
    li_token, zhang_token = csrf_of(li, "/console/board"), csrf_of(zhang, "/console/board")
    json_headers = {"Accept": "application/json"}
    won = li.post(f"/console/board/handoff/{reference}/going", data={"csrf_token": li_token}, headers=json_headers)
    assert won.status_code == 200
    assert won.json()["href"] == f"/console/handoffs/{reference}"
    lost = zhang.post(f"/console/board/handoff/{reference}/going", data={"csrf_token": zhang_token},
                      headers=json_headers)
    assert (lost.status_code, lost.json()["detail"]) == (409, "Duty Li is already going.")
    # the loser cannot talk in it either; the form comes back with the sentence and what was typed
    refused = zhang.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": zhang_token, "text": "Hi!"})
    assert refused.status_code == 409 and "Duty Li is already talking with the resident." in refused.text
    assert kiosk(console_server, "GET", f"/handoffs/{reference}").json()["staff_name"] == "Duty Li"
    # the winner replies (form post without JavaScript: back to the page)
    sent = li.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": li_token, "text": "Hello, I am Li."})
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/console/handoffs/{reference}?done=")
    no_csrf = li.post(f"/console/handoffs/{reference}/reply", data={"text": "sneaky"})
    assert no_csrf.status_code == 403
    view = kiosk(console_server, "GET", f"/handoffs/{reference}").json()
    assert [(m["sender"], m["name"], m["text"]) for m in view["messages"] if m["sender"] in ("staff", "system")] == [
        ("system", "Duty Li", "Duty Li has joined the conversation."), ("staff", "Duty Li", "Hello, I am Li.")]
    ended = li.post(f"/console/handoffs/{reference}/end", data={"csrf_token": li_token, "note": ""})
    assert ended.status_code == 303
    view = kiosk(console_server, "GET", f"/handoffs/{reference}").json()
    assert (view["status"], view["ended_reason"]) == ("ended", "staff")
    answer = kiosk(console_server, "GET", f"/feedback/{reference}").json()
    assert answer["status"] == "answered"
    assert "This request is closed" in li.get(f"/console/handoffs/{reference}").text
    again = li.post(f"/console/handoffs/{reference}/end", data={"csrf_token": li_token})
    assert again.status_code == 409 and "already closed" in again.text
    late = li.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": li_token, "text": "Still there?"})
    assert late.status_code == 409 and "This conversation has ended" in late.text
    assert reference not in li.get("/console/board").text  # resolved: off the board
    actions = [a for a in audit_actions(console_server) if a[2] == f"handoff:{reference}"]
    assert actions == [("Duty Li", "handoff.join", f"handoff:{reference}"),
                       ("Duty Zhang", "handoff.join", f"handoff:{reference}"),
                       ("Duty Li", "handoff.reply", f"handoff:{reference}"),
                       ("Duty Li", "handoff.end", f"handoff:{reference}")]


def test_a_reply_while_nobody_has_joined_joins_and_a_form_join_lands_on_the_page(
        console_server: Any, logged_in: Login) -> None:
    first, second = open_handoff(console_server), open_handoff(console_server)
    http = logged_in(DUTY)
    token = csrf_of(http, "/console/board")
    http.post(f"/console/handoffs/{first}/reply", data={"csrf_token": token, "text": "Hello from the office"})
    view = kiosk(console_server, "GET", f"/handoffs/{first}").json()
    assert (view["status"], view["staff_name"], view["messages"][-1]["text"]) == (
        "joined", "Duty Li", "Hello from the office")
    assert [a[1] for a in audit_actions(console_server) if a[2] == f"handoff:{first}"] == [
        "handoff.join", "handoff.reply"]
    landed = http.post(f"/console/board/handoff/{second}/going", data={"csrf_token": token})  # no JavaScript
    assert landed.status_code == 303 and landed.headers["location"].startswith(f"/console/handoffs/{second}?")


def test_the_resident_left_is_shown_and_the_request_can_still_be_closed(console_server: Any,
                                                                       logged_in: Login) -> None:
    reference = open_handoff(console_server)
    assert kiosk(console_server, "POST", f"/handoffs/{reference}/end", {"reason": "resident_left"}).status_code == 200
    http = logged_in(DUTY)
    page = http.get(f"/console/handoffs/{reference}").text
    assert "The resident has left the kiosk." in page and "Close this request" in page
    board = http.get("/console/board").text
    assert "The resident has left the kiosk." in board  # still on the board until someone closes it
    token = csrf_of(http, f"/console/handoffs/{reference}")
    refused = http.post(f"/console/board/handoff/{reference}/going", data={"csrf_token": token},
                        headers={"Accept": "application/json"})
    assert (refused.status_code, refused.json()["detail"]) == (409, "The resident has left the kiosk.")
    closed = http.post(f"/console/handoffs/{reference}/end",
                       data={"csrf_token": token, "note": "Called her back at home."})
    assert closed.status_code == 303
    view = kiosk(console_server, "GET", f"/handoffs/{reference}").json()
    assert view["ended_reason"] == "resident_left"  # the first end's reason stays
    assert kiosk(console_server, "GET", f"/feedback/{reference}").json()["reply"] == "Called her back at home."


def test_unknown_old_path_and_login(console_server: Any, logged_in: Login) -> None:
    plain = kiosk(console_server, "POST", "/feedback", {"text": "I want to talk to a person", "category": "handoff"})
    http = logged_in(DUTY)
    for reference in ("F999999", plain.json()["reference"]):
        response = http.get(f"/console/handoffs/{reference}")
        assert response.status_code == 404 and "No such conversation" in response.text
    assert http.get("/console/handoffs/F999999/messages").status_code == 404
    with console_server.http() as anonymous:
        assert anonymous.get("/console/handoffs/F1001").status_code == 303
        assert anonymous.get("/console/handoffs/F1001/messages",
                             headers={"Accept": "application/json"}).status_code == 401
        assert anonymous.post("/console/handoffs/F1001/reply", data={"text": "x"}).status_code in (401, 403)


# --- in chromium ---


def test_the_whole_conversation_in_the_browser(page: Any, console_server: Any,
                                               console_tools: SimpleNamespace) -> None:
    console_tools.login(page, console_server, *console_tools.DUTY, next_url="/console/board")
    page.wait_for_selector('body[data-live="open"]', state="attached")
    reference = open_handoff(console_server, said="Can I speak to someone about <b>my rent</b>?")
    row = page.locator(f'[id="handoff:{reference}"]')
    row.wait_for(timeout=2000)
    text = row.inner_text()
    assert "Service centre lobby (kiosk lobby-1)" in text
    assert "Can I speak to someone about <b>my rent</b>?" in text
    assert row.locator("b").count() == 0
    row.get_by_role("button", name=f"I'm going to {reference}").click()
    page.wait_for_url(f"**/console/handoffs/{reference}")
    page.wait_for_selector('body[data-live="open"]', state="attached")
    log = page.locator("#messages")
    assert "My heating is broken" in log.inner_text() and "I can report a repair for you." in log.inner_text()
    assert "You are talking with the resident." in page.locator("#handoff-status").inner_text()
    # a reply, Enter sends; the kiosk's GET has it
    page.get_by_label("Your message to the resident").fill("Hello, this is Li from the office.")
    page.get_by_label("Your message to the resident").press("Enter")
    page.locator("#messages .from-staff", has_text="Hello, this is Li from the office.").wait_for()
    assert page.get_by_label("Your message to the resident").input_value() == ""
    view = kiosk(console_server, "GET", f"/handoffs/{reference}").json()
    assert view["messages"][-1]["text"] == "Hello, this is Li from the office."
    # the resident answers through the API: it appears without a reload
    page.evaluate("window.__sameDocument = true")
    said = kiosk(console_server, "POST", f"/handoffs/{reference}/messages",
                 {"text": "Thank you! <script>alert(1)</script>", "via": "spoken"})
    assert said.status_code == 201
    page.locator(f'#msg-{said.json()["id"]}').wait_for(timeout=3000)
    assert page.locator(f'#msg-{said.json()["id"]} .text').inner_text() == "Thank you! <script>alert(1)</script>"
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    save_shot(page, console_tools, "handoff-page")
    # the resident presses "Back to the assistant"
    kiosk(console_server, "POST", f"/handoffs/{reference}/end", {"reason": "resident"})
    page.locator("#handoff-status", has_text="The resident went back to the assistant.").wait_for(timeout=3000)
    assert page.get_by_label("Your message to the resident").is_disabled()
    assert page.get_by_role("button", name="Close this request").is_visible()
    save_shot(page, console_tools, "handoff-ended")
    page.get_by_role("button", name="Close this request").click()
    page.get_by_text("The request is closed.").first.wait_for()
    assert kiosk(console_server, "GET", f"/feedback/{reference}").json()["status"] == "answered"


def test_keyboard_only_at_200_percent(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    reference = open_handoff(console_server, said="Please, a person " * 10)
    page.set_viewport_size({"width": 640, "height": 900})  # 1280 at 200 % zoom
    console_tools.login(page, console_server, *console_tools.DUTY, next_url=f"/console/handoffs/{reference}")
    page.wait_for_selector('body[data-live="open"]', state="attached")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "reply-text":
            break
    else:
        pytest.fail("Tab never reached the reply box")
    page.keyboard.type("Typed with the keyboard only")
    page.keyboard.press("Enter")
    page.locator("#messages .from-staff", has_text="Typed with the keyboard only").wait_for()
    assert page.evaluate("document.activeElement.id") == "reply-text"
    assert "You are talking with the resident." in page.locator("#handoff-status").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_shot(page, console_tools, "handoff-200")
