"""The real kiosk app under Xvfb, on the real stack (services, actions, trained Rasa), driven like a resident.

The app runs in its own process (``python -m kiosk_app``) with its loopback control channel; a test taps
widgets by id or by label, types, and reads what is on screen. Screenshots of every screen go to
``var/test-screenshots/`` (kept for people to look at) and are checked not blank. Fakes: none — there is
no microphone or speaker on CI, which the app reports on screen as a resident would see it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.shared.config import Settings
from assistant.stack import Stack, free_ports
from tests.integration.helpers import staff_list

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "test-screenshots"


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed (apt-get install xvfb)")
    for n in range(90, 140):
        if not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f":{n}"
    proc.terminate()
    proc.wait(5)


class Kiosk:
    """The running app, seen through its control channel."""

    def __init__(self, settings: Settings, display: str, tmp: Path, **env: str) -> None:
        (self.port,) = free_ports(1)
        self.log = tmp / f"kiosk-{self.port}.log"
        token = secrets.token_urlsafe(16)
        environ = {**os.environ, "DISPLAY": display, "LINLI_KIOSK_CONTROL_PORT": str(self.port),
                   "LINLI_KIOSK_CONTROL_TOKEN": token,
                   "LINLI_RASA_PORT": str(settings.rasa_port), "LINLI_RASA_TOKEN": settings.rasa_token,
                   "LINLI_SERVICES_PORT": str(settings.services_port), "LINLI_KIOSK_TOKEN": settings.kiosk_token,
                   "LINLI_STAFF_TOKEN": settings.staff_token, "LINLI_VAR_DIR": str(settings.var_dir),
                   "LINLI_KIOSK_ID": settings.kiosk_id, "LINLI_KIOSK_LOCATION": settings.kiosk_location,
                   "KIVY_HOME": str(tmp / "kivy"), **env}
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk_app"], env=environ, cwd=ROOT,
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=20,
                                 headers={"Authorization": f"Bearer {token}"})
        deadline = time.monotonic() + 60
        while True:
            try:
                self.state()
                break
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the kiosk did not start:\n{self.log.read_text()[-3000:]}") from None
                time.sleep(0.2)

    def state(self) -> dict[str, Any]:
        return self.http.get("/state").raise_for_status().json()

    def post(self, endpoint: str, **body: Any) -> Any:
        r = self.http.post(endpoint, json=body).json()
        assert r.get("ok"), r
        return r.get("result")

    def tap(self, widget_id: str) -> None:
        self.post("/tap", id=widget_id)

    def tap_text(self, text: str) -> None:
        self.post("/tap_text", text=text)

    def type(self, text: str) -> None:
        self.post("/type", text=text)

    def call(self, name: str, *args: Any) -> None:
        self.post("/call", name=name, args=list(args))

    def wait_for(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            s = self.state()
            if predicate(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; last state: {s}")
            time.sleep(0.1)

    def last_linli(self, s: dict[str, Any]) -> str:
        said = [b["text"] for b in s["bubbles"] if b["who"] == "linli"]
        return said[-1] if said else ""

    def screenshot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        made = Path(self.post("/screenshot", name=name))  # the kiosk writes only under its var/screenshots
        time.sleep(0.05)
        path = SHOTS / f"{name}.png"
        shutil.copyfile(made, path)
        return path

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def not_blank(path: Path) -> bool:
    from kiosk_app.accessibility import is_blank

    return path.exists() and not is_blank(str(path))


@pytest.fixture(scope="module")
def kiosk(stack: Stack, display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    k = Kiosk(stack.settings, display, tmp_path_factory.mktemp("kiosk"),
              LINLI_KIOSK_IDLE_SECONDS="600")
    yield k
    k.close()


def test_home_screen_shows_the_services_and_passes_the_audit(live_stack: Stack, kiosk: Kiosk) -> None:
    s = kiosk.wait_for(lambda s: s["screen"] == "home")
    for text in ("Report a repair", "Book the clinic", "Events", "Where is…?", "Garbage sorting", "Notices",
                 "Press and speak", "EMERGENCY — call for help"):
        assert text in s["texts"], text
    assert s["body_px"] >= 30
    assert not_blank(kiosk.screenshot("home"))
    assert kiosk.post("/audit") == []


def test_a_repair_request_by_touch_reaches_the_services_database(kiosk: Kiosk, live_stack: Stack) -> None:
    kiosk.call("reset_conversation")
    kiosk.tap("tile_repair")
    answers = {"where is the problem": "Building 5, flat 302", "what is wrong": "the kitchen tap drips all night",
               "phone number": "138 0013 8000"}
    reference = None
    for _ in range(12):
        s = kiosk.wait_for(lambda s: s["screen"] == "conversation" and kiosk.last_linli(s)
                           and len(s["bubbles"]) and s["bubbles"][-1]["who"] == "linli")
        said = kiosk.last_linli(s).lower()
        match = re.search(r"repair number is (R[2-9A-HJ-NP-Z]{8}|R\d{4})", " ".join(b["text"] for b in s["bubbles"]))
        if match:
            reference = match.group(1)
            break
        if "what is broken" in said:
            kiosk.screenshot("conversation-options")
            kiosk.tap_text("Water, pipe or tap")
        elif "shall i send it" in said:
            kiosk.screenshot("conversation")
            kiosk.tap_text("Yes, send it")
        else:
            typed = next((a for q, a in answers.items() if q in said), None)
            assert typed, f"unexpected question: {said}"
            kiosk.type(typed)
        time.sleep(0.2)
    assert reference, "the repair was filed"
    said_by_resident = [b["text"] for b in s["bubbles"] if b["who"] == "resident"]
    assert {"Report a repair", "Water, pipe or tap"} <= set(said_by_resident), "taps show their words"
    assert not any(t.startswith("/") for t in said_by_resident), said_by_resident
    kiosk.tap("earlier_button")  # reading back is one tap a page, no swipe
    kiosk.tap("latest_button")
    tickets = staff_list(live_stack, "tickets")
    assert any(t.get("number") == reference for t in tickets)


def test_press_and_speak_without_a_microphone_explains_and_touch_still_works(kiosk: Kiosk) -> None:
    kiosk.call("reset_conversation")
    kiosk.tap("speak_button")
    s = kiosk.wait_for(lambda s: any("microphone" in b["text"].lower() for b in s["bubbles"]), timeout=60)
    assert s["screen"] == "conversation"
    kiosk.tap_text("Repeat")  # the other buttons still answer
    kiosk.call("go_home")
    kiosk.tap("tile_notices")
    kiosk.wait_for(lambda s: len([b for b in s["bubbles"] if b["who"] == "linli"]) >= 2)
    kiosk.call("reset_conversation")


def test_emergency_button_raises_the_alert_without_asking(kiosk: Kiosk, live_stack: Stack) -> None:
    before = len(staff_list(live_stack, "alerts"))
    kiosk.tap("emergency_button")
    s = kiosk.wait_for(lambda s: "EmergencyView" in s["overlays"])
    assert any("Help is on the way" in t for t in s["texts"])
    kiosk.screenshot("emergency")
    assert len(staff_list(live_stack, "alerts")) == before + 1
    kiosk.tap("emergency_close")
    kiosk.wait_for(lambda s: "EmergencyView" not in s["overlays"])


def test_text_size_steps_grow_the_text_and_stay_accessible(kiosk: Kiosk) -> None:
    sizes = []
    kiosk.call("show", "settings")
    for step in ("normal", "large", "larger", "largest"):
        kiosk.call("set_text_step", step)
        s = kiosk.wait_for(lambda s, step=step: s["text_step"] == step)
        sizes.append(s["body_px"])
        assert kiosk.post("/audit") == [], step
    assert sizes == sorted(sizes) and sizes[-1] >= sizes[0] * 1.7
    assert not_blank(kiosk.screenshot("settings-largest"))
    kiosk.call("toggle_contrast")
    assert kiosk.post("/audit") == []
    assert not_blank(kiosk.screenshot("settings-high-contrast"))
    kiosk.call("toggle_contrast")
    kiosk.call("set_text_step", "normal")
    shot = kiosk.screenshot("settings-standard-again")
    from PIL import Image

    with Image.open(shot) as img:  # the emergency button keeps its red after the theme went back and forth
        bar = img.convert("RGB").getpixel((img.width - 40, img.height - 30))
    assert bar[0] > 100 and bar[1] < 40 and bar[2] < 40, bar


def test_every_screen_has_a_screenshot_with_its_text(kiosk: Kiosk) -> None:
    expected = {"home": "Press and speak", "conversation": "Repeat", "guide": "Scan with your phone",
                "settings": "Text size"}
    for name, text in expected.items():
        kiosk.call("show", name)
        s = kiosk.wait_for(lambda s, name=name: s["screen"] == name)
        assert any(text in t for t in s["texts"]), (name, s["texts"])
        assert not_blank(kiosk.screenshot(f"screen-{name}"))
    kiosk.call("go_home")


def read_qr(path: str) -> str:
    import cv2

    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(path))
    return str(text)


def test_where_is_shows_the_guide_and_its_qr_code_opens_the_same_way_on_a_phone(kiosk: Kiosk) -> None:
    kiosk.call("reset_conversation")
    kiosk.call("show", "conversation")
    kiosk.type("where is the community clinic?")
    s = kiosk.wait_for(lambda s: s["screen"] == "guide" and any("Garden Lane" in t for t in s["texts"])
                       and s["guide"]["picture"] == "map")
    assert s["guide"]["to"] == "community-clinic" and not s["guide"]["step_free_offer"]
    assert not_blank(kiosk.screenshot("guide-route"))
    url = read_qr(s["guide"]["qr"])
    assert "/guide/sunny-garden?" in url and "to=community-clinic" in url and "sig=" in url
    page = httpx.get(url, timeout=10)  # what the resident's phone opens
    assert page.status_code == 200 and "on your right" in page.text and "map.png" in page.text
    assert httpx.get(url.replace("community-clinic", "south-gate"), timeout=10).status_code == 403
    kiosk.tap("back_to_conversation")
    kiosk.wait_for(lambda s: s["screen"] == "conversation")
    kiosk.call("reset_conversation")


def test_a_way_with_steps_offers_the_way_without_them(kiosk: Kiosk) -> None:
    kiosk.call("reset_conversation")
    kiosk.call("show", "conversation")
    kiosk.type("directions to the central garden")
    s = kiosk.wait_for(lambda s: s["screen"] == "guide" and s["guide"]["step_free_offer"])
    assert any("three steps" in t for t in s["texts"])
    kiosk.tap("step_free_button")
    s = kiosk.wait_for(lambda s: s["screen"] == "guide" and any("ramp" in t for t in s["texts"])
                       and not s["guide"]["step_free_offer"])
    assert not any("three steps" in t for t in s["texts"] if "ramp" in t)
    assert "sf=1" in read_qr(s["guide"]["qr"])
    assert not_blank(kiosk.screenshot("guide-step-free"))
    kiosk.call("reset_conversation")


def test_a_poster_held_to_the_kiosk_camera_opens_its_guide(live_stack: Stack, display: str, tmp_path: Path) -> None:
    """The camera is hardware: here it is a still image of a poster's QR code, signed with the stack's key."""
    import cv2
    import numpy as np
    import qrcode

    from ar_overlays.testing import warp_image_into_frame
    from assistant.places.community import load_keys
    from wayfinding.guide_links import GuideLink

    settings = live_stack.settings
    link = GuideLink(community="sunny-garden", to="seniors-canteen")
    code = np.array(qrcode.make(link.to_url(settings.public_url, load_keys(settings.var_dir))).convert("L"))
    camera = tmp_path / "camera.png"
    cv2.imwrite(str(camera), warp_image_into_frame(code, np.array([[500, 150], [820, 170], [810, 490], [505, 480]])))
    poster_kiosk = Kiosk(settings, display, tmp_path, LINLI_KIOSK_IDLE_SECONDS="600", LINLI_CAMERA=str(camera))
    try:
        s = poster_kiosk.wait_for(lambda s: s["screen"] == "guide" and s["guide"]["to"] == "seniors-canteen"
                                  and any("Building 6" in t for t in s["texts"])
                                  and s["guide"]["picture"] != "none", timeout=60)
        assert s["guide"]["picture"] in ("map", "ar")
        assert not_blank(poster_kiosk.screenshot("guide-from-poster"))
    finally:
        poster_kiosk.close()


def test_chinese_texts(kiosk: Kiosk) -> None:
    kiosk.call("go_home")
    kiosk.call("set_language", "zh-CN")
    try:
        s = kiosk.wait_for(lambda s: "报修" in s["texts"])
        assert "紧急求助" in s["texts"]
        assert not_blank(kiosk.screenshot("home-zh"))
        assert kiosk.post("/audit") == []
    finally:
        kiosk.call("set_language", "en")


def test_idle_asks_first_when_a_form_is_half_done_then_clears(live_stack: Stack, display: str,
                                                              tmp_path: Path) -> None:
    k = Kiosk(live_stack.settings, display, tmp_path, LINLI_KIOSK_IDLE_SECONDS="3", LINLI_KIOSK_CONFIRM_SECONDS="3",
              LINLI_KIOSK_VOICE="0")
    try:
        k.tap("tile_repair")
        k.wait_for(lambda s: "what is broken" in k.last_linli(s).lower())
        s = k.wait_for(lambda s: "StillThereView" in s["overlays"], timeout=20)
        assert "Are you still there?" in s["texts"]
        k.screenshot("still-there")
        s = k.wait_for(lambda s: s["screen"] == "home" and not s["bubbles"] and not s["overlays"], timeout=20)
    finally:
        k.close()


def test_services_down_emergency_is_kept_and_delivered_later(live_stack: Stack, display: str,
                                                             tmp_path: Path) -> None:
    """The kiosk cannot reach the office system; the alert waits in the outbox that the running action
    server empties, and arrives exactly once: one alert in the office with the reference the queued one got."""
    from assistant.skill_runtime.outbox import Outbox

    (dead,) = free_ports(1)
    k = Kiosk(replace(live_stack.settings, services_port=dead), display, tmp_path, LINLI_KIOSK_VOICE="0")
    try:
        k.tap("emergency_button")
        s = k.wait_for(lambda s: "EmergencyView" in s["overlays"], timeout=20)
        message = " ".join(s["texts"])
        assert "will be sent" in message and "120" in message
        found = re.search(r"Reference (Q\d{5})", message)
        assert found, message
    finally:
        k.close()
    local_ref = found.group(1)
    outbox = Outbox(live_stack.settings.outbox_path, client=None)  # type: ignore[arg-type]
    item = outbox.get(local_ref)
    assert item is not None and item.kind == "alert", "the alert the screen named is in the action server's outbox"
    # The running action server's sender may already have delivered it (it looks every few seconds, and closing
    # the kiosk takes a while): then its payload is cleared (privacy) and the words are checked in the office.
    assert item.status in ("pending", "delivered"), item
    details = item.payload.get("details") if item.status == "pending" else None
    assert item.status == "delivered" or details, "a waiting alert keeps what the resident said"
    deadline = time.monotonic() + 60
    while (item := outbox.get(local_ref)) is not None and item.status != "delivered" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert item is not None and item.status == "delivered" and item.reference, f"not delivered in time: {item}"
    rows = [a for a in staff_list(live_stack, "alerts") if a["reference"] == item.reference]
    assert len(rows) == 1, rows
    assert rows[0]["kiosk_id"] == live_stack.settings.kiosk_id and rows[0]["details"]
    assert details is None or rows[0]["details"] == details
    assert item.payload == {}, "delivered: the resident's words are no longer kept on the kiosk"


def test_speech_from_a_file_as_the_microphone_shows_partials_and_gets_an_answer(live_stack: Stack, display: str,
                                                                              tmp_path: Path) -> None:
    """Hardware edge: a WAV file stands in for the microphone (LINLI_SPEECH_INPUT), listening all the time."""
    from tests.speech.conftest import espeak_wav

    wav = tmp_path / "speech.wav"
    subprocess.run(["sox", str(espeak_wav("수도관이 새고 있어요", tmp_path / "raw.wav")), str(wav),
                    "pad", "8", "3"], check=True)  # 8 s of quiet first: the speech model loads meanwhile
    k = Kiosk(live_stack.settings, display, tmp_path, LINLI_SPEECH_INPUT=str(wav), LINLI_SPEECH_MODE="always")
    try:
        k.call("show", "conversation")
        s = k.wait_for(lambda s: s["partial"] != "", timeout=60)
        assert s["screen"] == "conversation"
        s = k.wait_for(lambda s: any(b["who"] == "resident" for b in s["bubbles"]), timeout=30)
        k.wait_for(lambda s: s["bubbles"][-1]["who"] == "linli", timeout=30)
        assert not_blank(k.screenshot("voice-turn"))
    finally:
        k.close()


def test_rasa_down_gives_a_plain_message_and_the_app_keeps_running(live_stack: Stack, display: str,
                                                                  tmp_path: Path) -> None:
    (dead,) = free_ports(1)
    settings = replace(live_stack.settings, rasa_port=dead)
    k = Kiosk(settings, display, tmp_path, LINLI_KIOSK_VOICE="0")
    try:
        k.tap("tile_clinic")
        s = k.wait_for(lambda s: k.last_linli(s) != "")
        assert "try again" in k.last_linli(s).lower()
        assert "Traceback" not in " ".join(s["texts"])
        k.tap("home_button")
        assert k.wait_for(lambda s: s["screen"] == "home")
        assert k.proc.poll() is None
    finally:
        k.close()
