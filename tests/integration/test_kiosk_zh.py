"""The real kiosk in 中文 under Xvfb, on the real stack (services, actions, trained Rasa), driven like a resident.

Modelled on test_kiosk_app.py (its ``Kiosk`` driver and display): the home screen's 中文 button, typed Chinese
and ``LINLI_DEFAULT_LANGUAGE`` turn the whole kiosk Chinese — its words, and Rasa's answers (every turn carries
``{"locale": "zh-CN"}``); the idle reset returns to the default; the emergency button answers in Chinese.
On every Chinese screen: no tofu (each character on screen is drawn unlike a character the font lacks, in the
kiosk process with its own font), no clipped label (a long Chinese sentence wraps inside its bubble), the
accessibility audit, and a named screenshot in ``var/test-screenshots/zh-*.png`` for people to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.stack import Stack
from tests.integration.helpers import staff_list
from tests.integration.test_kiosk_app import Kiosk, display, not_blank  # noqa: F401 - display is a fixture

pytestmark = pytest.mark.integration
HAN = re.compile(r"[\u4e00-\u9fff]")
LONG_ZH = ("我跟你说啊，那个三号楼五零二的厨房水龙头漏水了，漏了好几天了，地上都是水，"
           "麻烦你下礼拜三下午两点半派个师傅来看看，有事就打我电话幺三八幺二三四五六七八，嗯，谢谢你啊。")


@pytest.fixture(scope="module")
def kiosk(stack: Stack, display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:  # noqa: F811
    k = Kiosk(stack.settings, display, tmp_path_factory.mktemp("kiosk-zh"), LINLI_KIOSK_IDLE_SECONDS="600",
              LINLI_KIOSK_VOICE="0")
    yield k
    k.close()


def chinese_on_screen(s: dict[str, Any]) -> str:
    return "".join(HAN.findall("".join(s["texts"])))


def check_chinese_screen(kiosk: Kiosk, name: str) -> None:
    """No tofu, no clipped label, the audit, and the screenshot."""
    s = kiosk.state()
    shown = chinese_on_screen(s)
    assert shown, f"{name}: no Chinese on screen: {s['texts']}"
    assert kiosk.post("/tofu", text=shown) == [], f"{name}: characters drawn as boxes"
    assert kiosk.post("/clipped") == [], name
    assert kiosk.post("/audit") == [], name
    assert s["body_px"] >= 30
    assert not_blank(kiosk.screenshot(name))


def start_english(kiosk: Kiosk) -> None:
    kiosk.call("reset_conversation")
    kiosk.wait_for(lambda s: s["screen"] == "home" and s["language"] == "en" and not s["bubbles"])


def test_the_tofu_check_catches_a_missing_glyph(live_stack: Stack, kiosk: Kiosk) -> None:
    assert kiosk.post("/tofu", text="\U0010fffd好") == ["\U0010fffd"]


def test_the_chinese_button_turns_the_kiosk_and_the_dialogue_chinese(live_stack: Stack, kiosk: Kiosk) -> None:
    start_english(kiosk)
    kiosk.tap("language_button")
    s = kiosk.wait_for(lambda s: s["language"] == "zh-CN" and "报修" in s["texts"])
    assert "紧急求助" in s["texts"] and "English" in s["texts"]  # the way back, named in itself
    check_chinese_screen(kiosk, "zh-home")
    kiosk.tap("tile_repair")
    s = kiosk.wait_for(lambda s: s["screen"] == "conversation" and HAN.search(kiosk.last_linli(s)), timeout=60)
    check_chinese_screen(kiosk, "zh-conversation")


def test_typed_chinese_switches_an_english_kiosk(live_stack: Stack, kiosk: Kiosk) -> None:
    start_english(kiosk)
    kiosk.call("show", "conversation")
    kiosk.type("请问那个社区诊所几点开门？")
    s = kiosk.wait_for(lambda s: s["language"] == "zh-CN" and "发送" in s["texts"]
                       and len(s["bubbles"]) >= 2 and s["bubbles"][-1]["who"] == "linli", timeout=60)
    assert HAN.search(kiosk.last_linli(s)), f"the answer is not Chinese: {kiosk.last_linli(s)}"
    check_chinese_screen(kiosk, "zh-typed")


def test_a_long_chinese_sentence_wraps_inside_its_bubble(live_stack: Stack, kiosk: Kiosk) -> None:
    start_english(kiosk)
    kiosk.tap("language_button")
    kiosk.call("show", "conversation")
    kiosk.type(LONG_ZH)
    kiosk.wait_for(lambda s: any(b["text"] == LONG_ZH for b in s["bubbles"]) and s["bubbles"][-1]["who"] == "linli",
                   timeout=60)
    for step in ("normal", "largest"):  # the largest text wraps into more lines, still inside the bubble
        kiosk.call("set_text_step", step)
        kiosk.wait_for(lambda s, step=step: s["text_step"] == step)
        check_chinese_screen(kiosk, f"zh-long-answer-{step}")
    kiosk.call("set_text_step", "normal")


def test_the_emergency_button_answers_in_chinese(live_stack: Stack, kiosk: Kiosk) -> None:
    start_english(kiosk)
    kiosk.tap("language_button")
    kiosk.wait_for(lambda s: s["language"] == "zh-CN")
    before = len(staff_list(live_stack, "alerts"))
    kiosk.tap("emergency_button")
    s = kiosk.wait_for(lambda s: "EmergencyView" in s["overlays"])
    assert any("救助人员正在赶来" in t for t in s["texts"]), s["texts"]
    check_chinese_screen(kiosk, "zh-emergency")
    assert len(staff_list(live_stack, "alerts")) == before + 1
    kiosk.tap("emergency_close")
    kiosk.wait_for(lambda s: "EmergencyView" not in s["overlays"])


def test_the_idle_reset_returns_to_the_default_language(live_stack: Stack, display: str,  # noqa: F811
                                                        tmp_path: Path) -> None:
    k = Kiosk(live_stack.settings, display, tmp_path, LINLI_KIOSK_IDLE_SECONDS="3", LINLI_KIOSK_CONFIRM_SECONDS="3",
              LINLI_KIOSK_VOICE="0")
    try:
        k.wait_for(lambda s: s["screen"] == "home" and s["language"] == "en")
        k.tap("language_button")
        k.tap("tile_notices")
        k.wait_for(lambda s: HAN.search(k.last_linli(s)), timeout=60)
        s = k.wait_for(lambda s: s["screen"] == "home" and not s["bubbles"] and not s["overlays"], timeout=30)
        assert s["language"] == "en" and "Report a repair" in s["texts"]
        k.screenshot("zh-after-idle-reset")
    finally:
        k.close()


def test_a_chinese_community_starts_and_resets_in_chinese(live_stack: Stack, display: str,  # noqa: F811
                                                          tmp_path: Path) -> None:
    k = Kiosk(live_stack.settings, display, tmp_path, LINLI_DEFAULT_LANGUAGE="zh-CN", LINLI_KIOSK_VOICE="0",
              LINLI_KIOSK_IDLE_SECONDS="600")
    try:
        k.wait_for(lambda s: s["screen"] == "home" and s["language"] == "zh-CN" and "报修" in s["texts"])
        check_chinese_screen(k, "zh-default-home")
        k.tap("language_button")  # an English speaker
        k.wait_for(lambda s: s["language"] == "en")
        k.call("reset_conversation")
        k.wait_for(lambda s: s["language"] == "zh-CN" and "报修" in s["texts"])
    finally:
        k.close()
