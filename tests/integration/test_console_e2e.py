"""End to end: the emergency button on the real kiosk → the duty board in chromium → "I'm going" → the kiosk.

Real parts: the community services (``python -m community_services``, started by ``Stack.start_services`` on a
free loopback port with a fresh ``var/``), a duty account made with the real ``linli staff add`` on that
database, the kiosk app (``python -m kiosk_app`` under Xvfb, driven through its control channel, with its
speech model and espeak-ng voice) and Debian's chromium (Playwright) with the board open and logged in.
Rasa is not started: the emergency button and the kiosk's help watch do not need it.

Hardware edges: there is no speaker, so the kiosk writes what it would play to WAV files
(``LINLI_SPEECH_OUTPUT``, ``FileSpeaker``); the test compares them with the sentence synthesised by the same
voice. The board's chime is Web Audio: an init script wraps ``OscillatorNode.prototype.start`` to record each
tone (frequency, context state) as well as the board's own ``data-chimes`` counter.
Screenshots: ``/tmp/shots/e2e-*.png``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from assistant.shared.config import Settings
from assistant.stack import Stack, free_ports
from tests.community_services.console.conftest import CHROMIUM, CHROMIUM_ARGS, login
from tests.integration import test_kiosk_app as kiosk_tests

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path("/tmp/shots")
DUTY = ("Duty Zhao", "duty-zhao-password-1")
KIOSK_ID = "kiosk-e2e"
LOCATION = "Building 7 lobby"
display = kiosk_tests.display  # the module's Xvfb

RECORD_TONES = """(() => {
  window.__tones = [];
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    window.__tones.push({freq: this.frequency.value, state: this.context.state});
    return start.apply(this, args);
  };
})();"""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real services process only (no action server, no Rasa: its port is left dead)."""
    services_port, rasa_port = free_ports(2)
    settings = Settings(var_dir=tmp_path_factory.mktemp("var"), services_port=services_port, rasa_port=rasa_port,
                        kiosk_token="e2e-kiosk-token", staff_token="e2e-staff-token", rasa_token="e2e-rasa-token",
                        kiosk_id=KIOSK_ID, kiosk_location=LOCATION)
    stack = Stack(settings, progress=print)
    stack.start_services()
    yield stack
    stack.stop_all()


def add_duty_account(settings: Settings) -> None:
    """``linli staff add`` as an office admin would run it (the password on standard input)."""
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "staff", "add", DUTY[0], "--role", "duty"],
                          input=DUTY[1] + "\n", text=True, capture_output=True, cwd=ROOT, timeout=60,
                          env={**_env(), "LINLI_VAR_DIR": str(settings.var_dir)})
    assert done.returncode == 0, done.stderr
    assert f"Added {DUTY[0]} (duty)" in done.stdout


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "LINLI_SERVICES_DB_URL"}


def spoken_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.wav")) if folder.is_dir() else []


def synthesised(*texts: str) -> list[tuple[np.ndarray, int]]:
    """The sentences as the kiosk's voice makes them (the same settings, from the same environment)."""
    from assistant.speech.settings import load_speech_settings
    from assistant.speech.tts import Synthesizer

    synthesizer = Synthesizer(load_speech_settings())
    try:
        clips = [synthesizer.synthesize(text) for text in texts]
    finally:
        synthesizer.close()
    return [(clip.samples, clip.rate) for clip in clips]


def likeness(a: np.ndarray, b: np.ndarray, rate: int) -> float:
    """How alike two utterances sound: correlation of their 20 ms loudness envelopes (silence trimmed), 0 when
    their lengths differ by more than 3 %. espeak-ng is not sample-exact from run to run (a few samples more or
    less): the same sentence scores ~0.97, one with another name ~0.1–0.8."""

    def envelope(x: np.ndarray) -> np.ndarray:
        loud = np.flatnonzero(np.abs(x) > 50)
        x = x[loud[0]:loud[-1] + 1].astype(float)
        n = int(rate * 0.02)
        return np.asarray(np.sqrt((x[: len(x) // n * n].reshape(-1, n) ** 2).mean(axis=1)))

    ea, eb = envelope(a), envelope(b)
    if abs(len(ea) / len(eb) - 1) > 0.03:
        return 0.0
    n = min(len(ea), len(eb))
    return float(np.corrcoef(ea[:n], eb[:n])[0, 1])


def test_kiosk_button_to_board_to_going_and_back_to_the_kiosk(services: Stack, display: str,
                                                              tmp_path: Path) -> None:
    import soundfile as sf
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (requirements/debian-packages.txt, group test)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings = services.settings
    add_duty_account(settings)
    spoken = tmp_path / "spoken"
    kiosk = kiosk_tests.Kiosk(settings, display, tmp_path, LINLI_KIOSK_IDLE_SECONDS="600",
                              LINLI_SPEECH_OUTPUT=str(spoken))
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM),
                                          args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
            context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            context.add_init_script(RECORD_TONES)
            page = context.new_page()
            page.set_default_timeout(15_000)
            loads: list[str] = []
            page.on("load", lambda: loads.append(page.url))

            # the duty board, open and live before anything happens
            login(page, _server(settings), *DUTY, next_url="/console/board")
            assert page.url.endswith("/console/board"), page.url
            page.wait_for_selector('body[data-live="open"]', state="attached")
            assert page.locator("#requests > li").count() == 0
            page.screenshot(path=str(SHOTS / "e2e-board-before.png"), full_page=True)
            origin = page.evaluate("performance.timeOrigin")
            loads_before = len(loads)

            # the kiosk: its voice ready (the speaker is the file folder; there is no microphone here)
            kiosk.wait_for(lambda s: s["screen"] == "home")
            kiosk.wait_for(lambda s: any("microphone" in b["text"].lower() for b in s["bubbles"]), timeout=90)
            assert spoken_files(spoken) == []

            # the resident presses the emergency button
            kiosk.tap("emergency_button")
            s = kiosk.wait_for(lambda s: "EmergencyView" in s["overlays"]
                               and any("Help is on the way" in t for t in s["texts"]))
            found = re.search(r"Reference (\S+)", " ".join(s["texts"]))
            assert found, s["texts"]
            reference = found.group(1)
            shutil.copyfile(kiosk.screenshot("e2e-kiosk-alert-sent"), SHOTS / "e2e-kiosk-alert-sent.png")

            # the board shows it live, with the chime
            row = page.locator(f'[id="alert:{reference}"]')
            row.wait_for(state="visible")
            assert page.evaluate("performance.timeOrigin") == origin and len(loads) == loads_before, "no reload"
            assert row.locator(".label").inner_text() == "Emergency: Help"  # the kiosk button sends kind "help"
            assert LOCATION in row.locator(".where").inner_text() and KIOSK_ID in row.locator(".where").inner_text()
            assert row.locator(".who-going").inner_text() == "Nobody yet"
            refs = page.locator("#requests .ref").all_inner_texts()
            assert refs.count(reference) == 1 and len(refs) == 1, refs
            assert page.locator(f'#requests > li[data-reference="{reference}"]').count() == 1
            assert page.evaluate("document.body.dataset.chimes") == "1"
            tones: list[dict[str, Any]] = page.evaluate("window.__tones")
            assert [t["freq"] for t in tones] == [880, 660], tones  # board.js's chime: two tones
            assert {t["state"] for t in tones} <= {"running", "suspended"}
            assert page.evaluate("document.body.dataset.loudChimes") == "0"
            assert "New request" in page.locator("#announcer").inner_text()
            page.screenshot(path=str(SHOTS / "e2e-board-alert.png"), full_page=True)

            # staff: "I'm going"
            row.locator("button.going").click()
            expect(row.locator(".who-going")).to_have_text(DUTY[0])
            # the live stream may name the taker before the button's own answer fills the row's message
            expect(row.locator(".row-message")).to_contain_text(f"You are going to {reference}.")
            assert page.evaluate("performance.timeOrigin") == origin and len(loads) == loads_before, "no reload"
            assert page.locator("#requests .ref").all_inner_texts() == [reference]
            page.screenshot(path=str(SHOTS / "e2e-board-after.png"), full_page=True)
            context.close()
            chromium.close()

        # the kiosk shows who is coming (its help watch polls every 2 s) and says it
        s = kiosk.wait_for(lambda s: any(f"{DUTY[0]} is coming to you now." in t for t in s["texts"]), timeout=20)
        shown = " ".join(s["texts"])
        assert f"Reference {reference}" in shown and "EmergencyView" in s["overlays"]
        shutil.copyfile(kiosk.screenshot("e2e-kiosk-help-coming"), SHOTS / "e2e-kiosk-help-coming.png")
        deadline = time.monotonic() + 20
        while not spoken_files(spoken) and time.monotonic() < deadline:
            time.sleep(0.1)
        files = spoken_files(spoken)
        assert len(files) == 1, files
        heard, rate = sf.read(files[0], dtype="int16")
        (want, want_rate), (other, _) = synthesised(f"{DUTY[0]} is coming to you now.",
                                                    "Wang Fang is coming to you now.")
        assert rate == want_rate and len(heard) > rate // 2, "about a second of speech"
        said, not_said = likeness(heard, want, rate), likeness(heard, other, rate)
        # the lengths in the message: a likeness of 0 means the lengths differ by more than 3 %
        assert said >= 0.9 > not_said, (said, not_said, f"heard {len(heard) / rate:.2f} s, that sentence "
                                         f"{len(want) / want_rate:.2f} s", shown)  # that sentence, not another name
        # the office's record: one alert from this kiosk, taken by the duty account
        staff = httpx.Client(base_url=settings.services_url, timeout=10,
                             headers={"Authorization": f"Bearer {settings.staff_token}"})
        alerts = staff.get("/api/v1/alerts").raise_for_status().json()
        alerts = alerts if isinstance(alerts, list) else alerts.get("items", [])
        assert [a["reference"] for a in alerts if a.get("kiosk_id") == KIOSK_ID] == [reference]
        status = staff.get(f"/api/v1/alerts/{reference}/status").raise_for_status().json()
        assert status["acknowledged_by"] == DUTY[0] and status["status"] != "resolved"
        staff.close()
    finally:
        kiosk.close()
    for name in ("e2e-board-before", "e2e-board-alert", "e2e-board-after", "e2e-kiosk-alert-sent",
                 "e2e-kiosk-help-coming"):
        assert kiosk_tests.not_blank(SHOTS / f"{name}.png"), name


def _server(settings: Settings) -> Any:
    """What the console tests' ``login`` needs of a server: its url."""
    from types import SimpleNamespace

    return SimpleNamespace(url=settings.services_url)
