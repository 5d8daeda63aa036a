"""The phone guide page's camera view (docs/ar.md "AR on the phone"), in Debian's chromium over HTTPS.

A FAKE CAMERA plays a generated clip (``bench.phone_ar.marker_clip``: the Sunny Garden North Gate post seen
from 1.8 m, ``bench.phone_ar.AHEAD`` and ``SIDEWAYS``); the page must find the post, work out where the phone is,
and show the kiosk's arrow for the way asked: ahead, left, right or around. A browser whose resident says no to the
camera gets the step list and the map. Chinese is drawn with the served font (screenshots in /tmp/phone-ar-*.png).
Nothing the page loads comes from anywhere but the guide listener.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.phone_ar import (
    AHEAD,
    CHROMIUM,
    KEY,
    SIDEWAYS,
    View,
    fake_camera_args,
    marker_clip,
    page_url,
    serve_guide_https,
)
from community_services.api.guide import PAGE_SCRIPTS, STATIC_FILES, GuideSettings, first_font
from community_services.guide_app import create_guide_app
from community_services.rate_limit import TokenBuckets
from wayfinding.community_map import default_map_path, load_map
from wayfinding.guide_links import GuideLink
from wayfinding.map_picture import format_distance
from wayfinding.routing import Router
from wayfinding.words import words_for

STATIC = Path(__file__).resolve().parents[2] / "community_services" / "static" / "guide"


# --- the rule, written out independently of the page (the kiosk's, docs/ar.md "Which way, always") ---------------


def expected_direction(view: View, to: str) -> str:
    """What the kiosk would say for the view's camera (default calibration: the picture spans
    ±atan(320.5 / 576) ≈ 29.1°)."""
    route = Router(load_map(default_map_path())).route(to, start=view.post_id)
    x, y = view.camera_at[0], view.camera_at[1]
    pts = route.points
    best = min(range(len(pts) - 1), key=lambda i: _segment_distance(pts[i], pts[i + 1], (x, y)))
    k = best + 1
    while k < len(pts) and math.dist(pts[k], (x, y)) < 2.0:
        k += 1
    assert k < len(pts)
    bearing = (math.degrees(math.atan2(pts[k][0] - x, pts[k][1] - y)) - view.heading + 180) % 360 - 180
    edge = math.degrees(math.atan2(320.5, 0.9 * 640))
    return "around" if abs(bearing) > 90 else "left" if bearing < -edge else "right" if bearing > edge else "ahead"


def _segment_distance(a: tuple[float, float], b: tuple[float, float], p: tuple[float, float]) -> float:
    abx, aby = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, ((p[0] - a[0]) * abx + (p[1] - a[1]) * aby) / max(abx * abx + aby * aby, 1e-12)))
    return math.dist((a[0] + abx * t, a[1] + aby * t), p)


# --- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("phone-ar")


@pytest.fixture(scope="module")
def clip(folder: Path) -> Path:
    return marker_clip(folder / "ahead.y4m", AHEAD)


@pytest.fixture(scope="module")
def sideways_clip(folder: Path) -> Path:
    return marker_clip(folder / "sideways.y4m", SIDEWAYS)


@pytest.fixture(scope="module")
def base(folder: Path) -> Iterator[str]:
    with serve_guide_https(folder) as url:
        yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """One Playwright per module (its sync API keeps an asyncio loop in this thread; see the console's conftest)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (requirements/debian-packages.txt, group test)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def camera_browser(playwright: Any, clip: Path) -> Iterator[Any]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=fake_camera_args(clip))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def sideways_browser(playwright: Any, sideways_clip: Path) -> Iterator[Any]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=fake_camera_args(sideways_clip))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def refusing_browser(playwright: Any, clip: Path) -> Iterator[Any]:
    """The same fake camera, but nobody says yes to the permission prompt: headless chromium refuses it."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=fake_camera_args(clip, grant=False))
    yield browser
    browser.close()


def phone(browser: Any, base: str) -> tuple[Any, list[str]]:
    """A 412 px wide phone tab, and every URL it requests."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, device_scale_factor=1,
                                  ignore_https_errors=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    return page, requested


YELLOW_SIDES_JS = """() => {
  // where the drawn arrow is: the share of yellow pixels in the left, middle and right thirds of the overlay
  const c = document.getElementById('ar-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const thirds = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] > 220 && d[i + 1] > 180 && d[i + 2] < 80 && d[i + 3] > 200) {
      const x = (i / 4) % c.width;
      thirds[Math.min(2, Math.floor(3 * x / c.width))] += 1;
    }
  }
  return thirds;
}"""


# --- the camera view ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("to", "direction"), [("community-service-centre", "ahead"), ("police-office", "left"),
                                               ("community-service-centre", "right"), ("north-gate", "around")])
def test_the_arrow_points_the_way_the_kiosk_would(camera_browser: Any, sideways_browser: Any, base: str, to: str,
                                                  direction: str) -> None:
    view = AHEAD if direction == "ahead" else SIDEWAYS
    assert expected_direction(view, to) == direction  # the case is what its name says
    page, requested = phone(camera_browser if view is AHEAD else sideways_browser, base)
    page.goto(page_url(base, to, at=view.post_id))
    page.click("#ar-start")
    page.wait_for_selector(f"#ar[data-state=tracking][data-direction={direction}]")
    ar = page.locator("#ar")
    post = next(p for p in load_map(default_map_path()).markers if p.id == view.post_id)
    assert ar.get_attribute("data-post") == str(post.aruco)
    bearing = float(ar.get_attribute("data-bearing") or "nan")
    assert {"ahead": abs(bearing) < 29, "left": -90 <= bearing < -29, "right": 29 < bearing <= 90,
            "around": abs(bearing) > 90}[direction], bearing
    page.wait_for_timeout(300)  # a few more frames: the decision holds (no flicker on a steady view)
    assert ar.get_attribute("data-direction") == direction
    left, middle, right = page.evaluate(YELLOW_SIDES_JS)
    if direction == "left":
        assert left > 5 * max(right, 1)
    elif direction == "right":
        assert right > 5 * max(left, 1)
    else:
        assert middle > 0 and abs(left - right) < 0.5 * (left + right + 1)
    words = page.locator("#ar-words").inner_text()
    assert words == {"ahead": "往前走", "left": "向左转", "right": "向右转", "around": "向后转"}[direction] or \
        words == {"ahead": "Straight ahead", "left": "Turn left", "right": "Turn right",
                  "around": "Turn around"}[direction]
    page.screenshot(path=f"/tmp/phone-ar-camera-{direction}.png")
    origin = base.rstrip("/")
    assert requested and all(url.startswith(origin + "/") for url in requested), requested  # nothing elsewhere
    page.context.close()


def test_no_post_in_view_asks_for_one(playwright: Any, folder: Path, base: str) -> None:
    empty = marker_clip(folder / "no-post.y4m", frames=3, with_marker=False)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=fake_camera_args(empty))
    try:
        page, _ = phone(browser, base)
        page.goto(page_url(base, "community-clinic", lang="zh-CN"))
        page.click("#ar-start")
        page.wait_for_selector("#ar[data-state=searching]")
        page.wait_for_timeout(500)
        assert page.locator("#ar").get_attribute("data-state") == "searching"
        assert "标志牌" in page.locator("#ar-words").inner_text()
    finally:
        browser.close()


def test_camera_refused_shows_the_steps_and_the_map(refusing_browser: Any, base: str) -> None:
    page, _ = phone(refusing_browser, base)
    page.goto(page_url(base, "community-clinic", lang="zh-CN"))
    page.click("#ar-start")
    page.wait_for_selector("#ar[data-state=refused]")
    assert page.locator("#ar-message").is_visible() and "下面的步骤和地图" in page.locator("#ar-message").inner_text()
    assert not page.locator("#ar-view").is_visible() and not page.locator("#ar-start").is_visible()
    assert page.locator("ol li").count() >= 2 and page.locator("ol li").first.is_visible()
    page.wait_for_function("() => document.querySelector('img').complete")
    assert page.evaluate("() => document.querySelector('img').naturalWidth") == 720
    page.screenshot(path="/tmp/phone-ar-refused.png", full_page=True)
    page.context.close()


# --- Chinese with the served font ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-CN", None])
def test_chinese_is_drawn_with_the_served_font(camera_browser: Any, base: str, lang: str | None) -> None:
    page, requested = phone(camera_browser, base)
    page.goto(page_url(base, "community-clinic", lang=lang))
    page.evaluate("() => document.fonts.ready")
    faces = page.evaluate("() => [...document.fonts].map(f => [f.family, f.status])")
    assert ['"Linli"', "loaded"] in faces or ["Linli", "loaded"] in faces, faces
    assert any("/guide/_static/wqy-microhei.ttf?v=" in url for url in requested)
    assert page.evaluate("() => document.fonts.check('28px Linli', '社区卫生服务站')")
    page.screenshot(path=f"/tmp/phone-ar-{lang or 'en'}-412.png", full_page=True)
    page.context.close()


# --- over plain HTTP: no browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    app = create_guide_app(GuideSettings(map_path=default_map_path(), key=KEY))
    app.state.guide.per_address = TokenBuckets(1000.0, 10_000)  # hundreds of pages from one test "phone"
    with TestClient(app) as client:
        yield client


def test_the_page_references_only_its_own_origin(http: TestClient) -> None:
    html = http.get(GuideLink("sunny-garden", at=AHEAD.post_id, to="community-clinic").to_url("", KEY)).text
    refs = [unescape(r) for r in re.findall(r'(?:src|href)="([^"]*)"|url\("([^"]*)"\)', html) for r in r if r]
    assert refs and all(not re.match(r"^([a-z]+:|//)", ref) for ref in refs), refs  # relative: same origin
    for name in PAGE_SCRIPTS:
        text = STATIC_FILES[name][0].read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", "", text, flags=re.S)  # comments name their sources
        code = code.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name (its marker maker), not a fetch
        assert not re.search(r"https?://|wss?://|\bimportScripts\b|\bfetch\(|XMLHttpRequest", code), name


def test_static_files_are_served_with_long_caching_and_nothing_else(http: TestClient) -> None:
    font = http.get("/guide/_static/wqy-microhei.ttf?v=1")
    assert font.status_code == 200 and font.headers["content-type"] == "font/ttf"
    assert font.content[:4] == b"\x00\x01\x00\x00"  # a plain TrueType font: chromium refuses a collection
    assert font.headers["cache-control"] == "public, max-age=31536000, immutable" and font.headers.get("etag")
    assert http.get("/guide/_static/wqy-microhei.ttf", headers={"If-None-Match": font.headers["etag"]}
                    ).status_code == 304
    script = http.get("/guide/_static/guide-ar.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    for bad in ("wqy-microhei.ttc", "../api/guide.py", "vendor/js-aruco2/package.json", "%2e%2e/guide.py",
                "nothing.js"):
        assert http.get(f"/guide/_static/{bad}").status_code == 404


def test_the_camera_data_is_the_maps_geometry(http: TestClient) -> None:
    html = http.get(GuideLink("sunny-garden", at=SIDEWAYS.post_id, to="library").to_url("", KEY)).text
    import json

    found = re.search(r'<script type="application/json" id="guide-ar-data">(.*?)</script>', html, re.S)
    assert found
    data = json.loads(found.group(1))
    m = load_map(default_map_path())
    route = Router(m).route("library", start=SIDEWAYS.post_id)
    assert data["route"]["points"] == [list(p) for p in route.points]
    assert 1 in data["route"]["floors"]["change"]  # the Library is upstairs
    post = next(p for p in m.markers if p.id == SIDEWAYS.post_id)
    assert data["posts"][str(post.aruco)] == {"id": post.id, "at": list(post.at), "facing": post.facing,
                                              "height": post.height, "size": post.size}
    assert data["dictionary"] == "DICT_4X4_50"


# --- one distance everywhere --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", [None, "zh-CN"])
def test_the_page_and_its_map_say_the_same_distance(http: TestClient, lang: str | None) -> None:
    m = load_map(default_map_path())
    router = Router(m)
    for start in [None, *(p.id for p in m.markers)]:
        for place in m.places:
            if place.id == start:
                continue
            route = router.route(place.id, start=start, lang=lang)
            html = unescape(http.get(GuideLink("sunny-garden", at=start, to=place.id, lang=lang).to_url("", KEY)).text)
            said = words_for(lang).distance_text(route.length_m)
            assert said in html
            label = format_distance(route.length_m)  # what the map picture draws under the page
            if lang is None:  # the same figure: "about 50 metres" over "50 m", "a few steps" over "< 15 m"
                assert metres_in(said) == metres_in(label), (said, label)


def metres_in(text: str) -> float | None:
    found = re.search(r"(\d+(?:\.\d+)?) (m|metres|km|kilometres)\b", text)
    if found is None or text.startswith("<"):
        return None
    return float(found.group(1)) * (1000 if found.group(2).startswith("k") else 1)


def test_the_first_font_of_a_collection_keeps_its_tables() -> None:
    import struct

    from PIL import ImageFont

    from community_services.api.guide import FONT_PATH

    collection = FONT_PATH.read_bytes()
    font = first_font(collection)
    count = struct.unpack_from(">H", font, 4)[0]
    first = struct.unpack_from(">I", collection, 12)[0]
    assert count == struct.unpack_from(">H", collection, first + 4)[0]
    for i in range(count):  # every table's bytes where its record says
        tag, _, at, length = struct.unpack_from(">4sIII", font, 12 + 16 * i)
        old = next(struct.unpack_from(">4sIII", collection, first + 12 + 16 * j) for j in range(count)
                   if struct.unpack_from(">4s", collection, first + 12 + 16 * j)[0] == tag)
        assert font[at:at + length] == collection[old[2]:old[2] + old[3]]
    assert first_font(font) == font
    path = Path(__file__).parent / "font.ttf"
    try:
        path.write_bytes(font)
        face = ImageFont.truetype(str(path), 24)
        assert face.getname()[0] == "WenQuanYi Micro Hei" and face.getbbox("社区")[2] > 24
    finally:
        path.unlink(missing_ok=True)
