"""The feedback desk pages against the real server: over HTTP with a logged-in session (httpx) and in Debian's
chromium (Playwright). Screenshots: ``var/screenshots/console-feedback*.png``."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
from desk_data import add_feedback, csrf_of, kiosk_get

from community_services import models

DUTY = ("Duty Li", "duty-password-1")
Login = Callable[[tuple[str, str]], httpx.Client]


def _rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/console/feedback/(F[0-9A-Z]+)">', html)


def test_listed_by_category_and_status_with_handoff(console_server: Any, logged_in: Login) -> None:
    noise = add_feedback(console_server, "The lift music is too loud.", "noise")
    person = add_feedback(console_server, "I want to talk to a person about my rent.", "handoff")
    praise = add_feedback(console_server, "Thank you for the new benches.", "praise")
    http = logged_in(DUTY)
    with console_server.http() as anonymous:
        assert anonymous.get("/console/feedback").status_code == 303
    listed = http.get("/console/feedback")
    assert _rows(listed.text) == [praise, person, noise]  # newest first
    assert "wants to talk to a person (handoff)" in listed.text
    assert listed.headers["Server-Timing"].startswith("feedback;dur=")
    assert _rows(http.get("/console/feedback?category=handoff").text) == [person]
    token = csrf_of(http, f"/console/feedback/{noise}")
    assert http.post(f"/console/feedback/{noise}/status",
                     data={"csrf_token": token, "status": "in_progress"}).status_code == 303
    assert _rows(http.get("/console/feedback?status=in_progress").text) == [noise]
    assert _rows(http.get("/console/feedback?status=new").text) == [praise, person]
    assert _rows(http.get("/console/feedback?status=answered").text) == []
    assert len(_rows(http.get("/console/feedback?status=bogus&page=-2").text)) == 3


def test_reply_reaches_the_kiosk_and_the_audit(console_server: Any, logged_in: Login) -> None:
    reference = add_feedback(console_server)
    http = logged_in(DUTY)
    token = csrf_of(http, f"/console/feedback/{reference}")
    saved = http.post(f"/console/feedback/{reference}/reply",
                      data={"csrf_token": token, "text": "We turned the lift music down. Thank you."})
    assert saved.status_code == 303 and saved.headers["location"] == f"/console/feedback/{reference}?done=reply"
    answer = kiosk_get(console_server, f"/feedback/{reference}")
    assert (answer["status"], answer["reply"]) == ("answered", "We turned the lift music down. Thank you.")
    assert "text" not in answer  # the kiosk hears the reply, not the resident's words
    page = http.get(saved.headers["location"]).text
    assert "The reply is saved; the feedback is answered." in page and "the one the resident hears" in page
    with console_server.database.session() as session:
        entries = session.query(models.AuditEntry).filter(models.AuditEntry.target == f"feedback:{reference}").all()
        reply = session.query(models.FeedbackReply).one()
    assert [(e.staff_name, e.action, e.before, e.after) for e in entries] == [
        ("Duty Li", "feedback.reply", {"status": "new"},
         {"status": "answered", "reply": "We turned the lift music down. Thank you."})]
    assert reply.staff_name == "Duty Li"


def test_refusals_are_plain_messages(console_server: Any, logged_in: Login) -> None:
    reference = add_feedback(console_server)
    http = logged_in(DUTY)
    token = csrf_of(http, f"/console/feedback/{reference}")
    empty = http.post(f"/console/feedback/{reference}/reply", data={"csrf_token": token, "text": "   "})
    assert empty.status_code == 409 and "The reply is empty." in empty.text and 'role="alert"' in empty.text
    long = http.post(f"/console/feedback/{reference}/reply", data={"csrf_token": token, "text": "x" * 1001})
    assert long.status_code == 409 and "at most 1000 fit" in long.text
    answered = http.post(f"/console/feedback/{reference}/status", data={"csrf_token": token, "status": "answered"})
    assert answered.status_code == 409 and "becomes answered when you write the reply" in answered.text
    missing = http.post("/console/feedback/F999999/reply", data={"csrf_token": token, "text": "Hi"})
    assert missing.status_code == 404 and "There is no feedback with that reference." in missing.text
    assert http.get("/console/feedback/F999999").status_code == 404
    assert http.post(f"/console/feedback/{reference}/reply", data={"text": "Hi"}).status_code == 403
    assert http.post(f"/console/feedback/{reference}/status", data={"status": "in_progress"}).status_code == 403
    assert kiosk_get(console_server, f"/feedback/{reference}") == {
        "reference": reference, "status": "new", "reply": None, "replied_at": None}


def test_markup_in_feedback_and_replies_is_text(console_server: Any, logged_in: Login) -> None:
    reference = add_feedback(console_server, "<script>alert('x')</script> the bins smell", "<b>bins</b>")
    http = logged_in(DUTY)
    token = csrf_of(http, f"/console/feedback/{reference}")
    http.post(f"/console/feedback/{reference}/reply", data={"csrf_token": token, "text": "<i>Emptied</i> today"})
    for path in ("/console/feedback", f"/console/feedback/{reference}"):
        html = http.get(path).text
        assert "<script>alert" not in html and "<b>bins" not in html and "<i>Emptied" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and "&lt;i&gt;Emptied&lt;/i&gt;" in html


def test_browser_filter_reply_and_status(page: Any, console_server: Any, console_tools: SimpleNamespace) -> None:
    add_feedback(console_server, "The lift music is too loud.", "noise")
    person = add_feedback(console_server, "我想和工作人员谈谈我的房租。", "handoff")
    reference = add_feedback(console_server, "The bench by Building 3 is broken. <b>Please</b> fix it.", "facilities")
    console_tools.login(page, console_server, *console_tools.DUTY, next_url="/console/feedback")
    assert page.get_by_role("heading", name="Feedback", exact=True).is_visible()
    console_tools.shoot(page, "feedback-list")
    page.get_by_label("Category").select_option("handoff")
    page.get_by_role("button", name="Show feedback").click()
    page.wait_for_load_state()
    assert "category=handoff" in page.url
    assert page.locator("table.queue tbody th a").all_inner_texts() == [person]
    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_role("link", name=reference).click()
    page.wait_for_load_state()
    assert page.get_by_text("The bench by Building 3 is broken. <b>Please</b> fix it.").is_visible()
    assert page.get_by_text("Anyone who knows the reference can hear it").is_visible()
    page.get_by_label("In progress").check()
    page.get_by_role("button", name="Save the status").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "The status is changed."
    page.get_by_label("Reply to the resident").fill("A carpenter repairs the bench on Friday.")
    page.get_by_role("button", name="Save the reply").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "The reply is saved; the feedback is answered."
    assert kiosk_get(console_server, f"/feedback/{reference}")["reply"] == "A carpenter repairs the bench on Friday."
    console_tools.shoot(page, "feedback")
    page.set_viewport_size({"width": 640, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    page.context.clear_cookies()
    console_tools.login(page, console_server, *console_tools.ADMIN, next_url="/console/audit")
    assert page.get_by_role("cell", name="feedback.reply").is_visible()
    assert page.get_by_role("cell", name="feedback.status").is_visible()
