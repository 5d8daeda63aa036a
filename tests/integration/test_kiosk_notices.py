"""A real kiosk (``python -m kiosk_app`` under Xvfb, driven by its control channel) shows an urgent notice a staff
member sent from the office's console, and the office learns it was shown. No Rasa: the dialogue is not needed
(its port is a free one, nothing listens there). Screenshots: ``/tmp/shots/notice-*.png``."""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from assistant.shared.config import Settings
from community_services.console import accounts
from community_services.db import Database
from tests.conftest import KIOSK_TOKEN, STAFF_TOKEN, RunningServices, free_port, start_services, stop_services
from tests.integration.test_kiosk_app import Kiosk, not_blank
from tests.integration.test_kiosk_app import display as display  # noqa: F401 - a fixture this module uses

SHOTS = Path("/tmp/shots")
KIOSK_ID = "kiosk-notice-test"
DUTY = ("Duty Li", "duty-password-1")


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServices]:
    running = start_services(tmp_path_factory.mktemp("office") / "services.db")
    database = Database(f"sqlite:///{running.db_path}")
    with database.session() as session:
        accounts.add_staff(session, DUTY[0], "duty", DUTY[1], datetime.now())
        session.commit()
    database.dispose()
    yield running
    stop_services(running)


def _login(http: httpx.Client) -> httpx.Client:
    form = http.get("/console/login").text
    token = re.search(r'name="login_token" value="([^"]*)"', form)
    assert token
    assert http.post("/console/login", data={"name": DUTY[0], "password": DUTY[1], "next": "",
                                             "login_token": token.group(1)}).status_code == 303
    return http


def _receipts(db_path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute("SELECT kiosk_id, announcement_id FROM notice_receipts"))


def _heartbeats(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return [row[0] for row in conn.execute("SELECT kiosk_id FROM kiosk_heartbeats")]


def test_a_running_kiosk_shows_an_urgent_fire_notice_and_confirms_it(office: RunningServices, display: str,
                                                                    tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", services_port=office.port, rasa_port=free_port(),
                        rasa_token="no-rasa-here", kiosk_token=KIOSK_TOKEN, staff_token=STAFF_TOKEN,
                        kiosk_id=KIOSK_ID, kiosk_location="Community Service Centre lobby")
    kiosk = Kiosk(settings, display, tmp_path, LINLI_KIOSK_VOICE="0", LINLI_KIOSK_BROADCAST_SECONDS="1.0",
                  LINLI_KIOSK_IDLE_SECONDS="600")
    try:
        kiosk.wait_for(lambda s: s["screen"] == "home")
        deadline = time.monotonic() + 20
        while KIOSK_ID not in _heartbeats(office.db_path):
            assert time.monotonic() < deadline, "the kiosk never reported to the office"
            time.sleep(0.1)
        with httpx.Client(base_url=office.url, timeout=10) as console:
            _login(console)
            token = re.search(r'name="csrf_token" value="([^"]*)"', console.get("/console/notices/new").text)
            assert token
            now = datetime.now().strftime("%Y-%m-%dT%H:%M")
            sent_at = time.monotonic()
            sent = console.post("/console/notices", data={
                "title": "Fire in Building 3", "body": "There is a fire in Building 3. Please leave calmly.",
                "valid_from": now, "valid_until": "", "for": "all", "urgency": "urgent", "kind": "fire",
                "confirmed": "1", "csrf_token": token.group(1)})
            assert sent.status_code == 303, sent.text
            notice_id = int(sent.headers["location"].split("/")[-1].split("?")[0])
            state = kiosk.wait_for(lambda s: "UrgentNoticeView" in s["overlays"]
                                   and "Fire in Building 3" in s["texts"], timeout=10)
            shown_after = time.monotonic() - sent_at
            assert shown_after < 5, f"shown {shown_after:.1f} s after sending"
            assert "FIRE" in state["texts"]
            state = kiosk.wait_for(lambda s: any(t.startswith("1. ") for t in s["texts"]), timeout=15)
            assert any("assembly point: Central Garden" in t for t in state["texts"])
            SHOTS.mkdir(parents=True, exist_ok=True)
            time.sleep(0.3)
            shot = Path(shutil.copyfile(kiosk.screenshot("notice-fire-en"), SHOTS / "notice-fire-en.png"))
            assert not_blank(shot)
            deadline = time.monotonic() + 10
            while (KIOSK_ID, notice_id) not in _receipts(office.db_path):
                assert time.monotonic() < deadline, "the kiosk never confirmed the notice"
                time.sleep(0.1)
            page = console.get(f"/console/notices/{notice_id}").text
            assert re.search(rf'data-kiosk="{KIOSK_ID}" class="shown">.*shown at \d\d:\d\d:\d\d', page)

            kiosk.call("set_language", "zh-CN")
            state = kiosk.wait_for(lambda s: "火警" in s["texts"], timeout=10)
            kiosk.wait_for(lambda s: any(t.startswith("1. ") for t in s["texts"]), timeout=15)
            time.sleep(0.3)
            assert not_blank(Path(shutil.copyfile(kiosk.screenshot("notice-fire-zh"), SHOTS / "notice-fire-zh.png")))
            assert kiosk.post("/audit") == []
            kiosk.tap("notice_ok")
            kiosk.wait_for(lambda s: "UrgentNoticeView" not in s["overlays"])
            kiosk.call("set_language", "en")

            withdrawn = console.post(f"/console/notices/{notice_id}/withdraw", data={"csrf_token": token.group(1)})
            assert withdrawn.status_code == 303
        kiosk.call("reset_conversation")  # the idle reset: a withdrawn notice does not come back
        time.sleep(2.5)
        assert "UrgentNoticeView" not in kiosk.state()["overlays"]
    finally:
        kiosk.close()
