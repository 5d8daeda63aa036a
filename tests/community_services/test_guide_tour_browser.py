"""A tour stop's page in Debian's chromium at a phone's width (412 px): the story is there in large text, the
read-aloud button hands the story to the phone's voice in the page's language (a recording stand-in for
``speechSynthesis``), a phone without a voice shows no button, and "Next stop" leads on to the next stop.
Screenshots: /tmp/tour-stop-*.png (Chinese drawn with the served font, no empty boxes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.phone_ar import CHROMIUM, CHROMIUM_ARGS, KEY, serve_guide_https
from wayfinding.community_map import default_map_path, load_map
from wayfinding.guide_links import TourLink

RECORDING_VOICE = """
  // the phone's voice, recorded: what was spoken, in which language, at which rate
  window.__spoken = [];
  const fake = {
    speaking: false,
    getVoices: () => [{lang: 'zh-CN', name: 'Chinese'}, {lang: 'en-US', name: 'English'}],
    speak(u) { window.__spoken.push({text: u.text, lang: u.lang, rate: u.rate, voice: u.voice && u.voice.lang});
               this.current = u; },
    cancel() { const u = this.current; this.current = null; if (u && u.onerror) u.onerror({error: 'canceled'}); },
  };
  Object.defineProperty(window, 'speechSynthesis', {value: fake, configurable: true});
  // a real utterance takes only the browser's own voice objects: the stand-in takes the stand-in's
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""
NO_VOICE = "Object.defineProperty(window, 'speechSynthesis', {value: undefined, configurable: true});"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_guide_https(tmp_path_factory.mktemp("tour-browser")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (requirements/debian-packages.txt, group test)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def phone(browser: Any, script: str) -> Any:
    context = browser.new_context(viewport={"width": 412, "height": 915}, device_scale_factor=1,
                                  ignore_https_errors=True, locale="zh-CN")
    context.add_init_script(script)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def test_a_stop_read_aloud_then_next_stop(browser: Any, base: str) -> None:
    walk = load_map(default_map_path()).tours[0]
    page = phone(browser, RECORDING_VOICE)
    page.goto(TourLink("sunny-garden", walk.id, 1, "zh-CN").to_url(base, KEY))
    page.evaluate("() => document.fonts.ready")
    story = page.locator("#story")
    assert story.inner_text() == walk.stops[0].story_in("zh-CN")
    assert float(story.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
    assert page.evaluate("() => document.fonts.check('30px Linli', '这儿是北门，阳光花园的正门')")

    button = page.locator("#read-aloud")
    assert button.is_visible() and button.inner_text() == "读给我听"
    box = button.bounding_box()
    assert box is not None and box["height"] >= 60 and box["width"] >= 300  # a big target for a thumb
    button.click()
    assert page.evaluate("() => window.__spoken") == [
        {"text": walk.stops[0].story_in("zh-CN"), "lang": "zh-CN", "rate": 0.9, "voice": "zh-CN"}]
    assert button.get_attribute("data-state") == "speaking" and button.inner_text() == "别读了"
    page.screenshot(path="/tmp/tour-stop-zh-412.png", full_page=True)
    button.click()  # a second press stops
    assert button.get_attribute("data-state") == "off"

    page.get_by_role("link", name="下一站：花园路，一号楼跟七号楼中间").click()
    page.wait_for_url("**/guide/sunny-garden/tour/heritage-walk/2?**")
    assert page.locator("#story").inner_text() == walk.stops[1].story_in("zh-CN")
    assert "第2站（共4站）" in page.locator(".stop-no").inner_text()
    assert page.locator("ol li").count() >= 2  # the way on to stop 3
    page.context.close()


def test_without_a_voice_there_is_no_button_and_the_story_stays(browser: Any, base: str) -> None:
    page = phone(browser, NO_VOICE)
    page.goto(TourLink("sunny-garden", "heritage-walk", 4).to_url(base, KEY))
    assert "South Gate" in page.locator("#story").inner_text()
    assert not page.locator("#read-aloud").is_visible()
    assert page.get_by_role("link", name="Start the walk again").is_visible()
    page.screenshot(path="/tmp/tour-stop-en-last-412.png", full_page=True)
    page.context.close()


def test_a_phone_without_a_voice_of_the_language_is_told(browser: Any, base: str) -> None:
    english_only = RECORDING_VOICE.replace("{lang: 'zh-CN', name: 'Chinese'}, ", "")
    page = phone(browser, english_only)
    page.goto(TourLink("sunny-garden", "heritage-walk", 3, "zh-CN").to_url(base, KEY))
    page.locator("#read-aloud").click()
    assert page.evaluate("() => window.__spoken") == []  # no English voice reading Chinese
    assert page.locator("#read-aloud-none").is_visible()
    page.context.close()


def test_screenshots_are_written() -> None:
    """The screenshots of the tests above exist for a person to look at (run after them in this module)."""
    for name in ("tour-stop-zh-412.png", "tour-stop-en-last-412.png"):
        if not Path("/tmp", name).exists():
            pytest.skip("the browser tests did not run")
