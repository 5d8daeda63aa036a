"""A tour stop's phone page (heritage walks): a stop poster's code opens its stop, the story and the way to the
next stop (the route page's own steps and map), the end of the walk, refusals and clear 404 pages, the photo."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from ar_overlays.detect import QrScanner
from ar_overlays.posters import make_posters
from community_services.api.guide import STATIC_FILES, GuideSettings
from community_services.guide_app import create_guide_app
from community_services.rate_limit import TokenBuckets
from wayfinding.community_map import default_map_path, load_map
from wayfinding.guide_links import GuideLink, TourLink
from wayfinding.routing import Router

KEY = b"the-sunny-garden-test-key-0000000000000"
BASE = "http://testserver"
REFUSAL = "This code is not one of Sunny Garden’s guide codes."


def guide_client(map_path: Path) -> TestClient:
    app = create_guide_app(GuideSettings(map_path=map_path, key=KEY))
    app.state.guide.per_address = TokenBuckets(1000.0, 10_000)  # many pages from one "phone" in a test run
    return TestClient(app)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return guide_client(default_map_path())


def stop_url(n: int, lang: str | None = None, tour: str = "heritage-walk") -> str:
    return TourLink("sunny-garden", tour, n, lang).to_url(BASE, KEY)


def story(html: str) -> str:
    found = re.search(r'<p id="story" class="story" lang="[^"]+">([^<]*)</p>', html)
    assert found, "the page has no story"
    return unescape(found.group(1))


def link_titled(html: str, page_url: str, words: str) -> str:
    """The absolute address of the page's big link whose text starts with ``words``."""
    for href, text in re.findall(r'<a class="big[^"]*" href="([^"]+)">([^<]*)', html):
        if unescape(text).startswith(words):
            return urljoin(page_url, unescape(href))
    raise AssertionError(f"no link {words!r} on the page")


def test_a_stop_posters_code_opens_that_stop(client: TestClient, tmp_path: Path) -> None:
    community = load_map(default_map_path())
    make_posters(community, KEY, BASE, tmp_path, only=["heritage-walk-stop-3"])
    poster = cv2.imread(str(tmp_path / "heritage-walk-stop-3.png"), cv2.IMREAD_GRAYSCALE)
    small = cv2.resize(poster, None, fx=0.35, fy=0.35, interpolation=cv2.INTER_AREA)
    found = QrScanner().scan(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
    assert len(found) == 1
    page = client.get(found[0].text)
    assert page.status_code == 200
    assert "Stop 3 of 4" in page.text and "Central Garden" in page.text
    assert story(page.text) == community.tours[0].stops[2].story_in("en")


@pytest.mark.parametrize("lang", [None, "zh-CN"])
def test_the_stop_shows_the_story_and_the_way_to_the_next_stop(client: TestClient, lang: str | None) -> None:
    community = load_map(default_map_path())
    walk = community.tours[0]
    page = client.get(stop_url(2, lang))
    assert page.status_code == 200
    assert story(page.text) == walk.stops[1].story_in(lang)
    assert ("第2站（共4站）" if lang else "Stop 2 of 4") in page.text
    route = Router(community).route("central-garden", start="post-lane-45", lang=lang)
    steps = re.findall(r"<li>([^<]*)</li>", page.text)
    assert [unescape(s) for s in steps] == [step.text for step in route.steps]  # the route page's steps
    assert 'id="ar"' in page.text  # and its camera view
    nxt = link_titled(page.text, stop_url(2, lang), "下一站：中心花园" if lang else "Next stop: Central Garden")
    assert urlsplit(nxt).path == "/guide/sunny-garden/tour/heritage-walk/3"
    assert client.get(nxt).status_code == 200
    previous = link_titled(page.text, stop_url(2, lang), "上一站" if lang else "Previous stop")
    assert urlsplit(previous).path.endswith("/heritage-walk/1")


def test_the_way_on_the_stop_page_has_its_map_and_step_free_offer(client: TestClient) -> None:
    page = client.get(stop_url(2))
    image = re.search(r'<img src="([^"]+)"', page.text)
    assert image
    picture = client.get(urljoin(stop_url(2), unescape(image.group(1))))
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    decoded = cv2.imdecode(np.frombuffer(picture.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape[:2] == (960, 720)
    step_free = link_titled(page.text, stop_url(2), "Way without steps")  # the garden's three steps
    way = client.get(step_free)
    assert way.status_code == 200 and "ramp" in way.text


def test_the_last_stop_ends_the_walk_and_leads_back_to_the_first(client: TestClient) -> None:
    page = client.get(stop_url(4))
    assert "you have walked the whole Heritage Walk" in page.text
    assert "Next stop" not in page.text and "<ol>" not in page.text
    again = link_titled(page.text, stop_url(4), "Start the walk again")
    first = client.get(again)
    assert "Stop 1 of 4" in first.text and "North Gate" in first.text
    zh = client.get(stop_url(4, "zh-CN"))
    assert "文化漫步您都走完了" in zh.text and "从头再走一遍" in zh.text


def test_the_language_switch_keeps_the_stop(client: TestClient) -> None:
    page = client.get(stop_url(3))
    switch = re.search(r'<a class="switch" lang="zh-Hans" href="([^"]+)"', page.text)
    assert switch
    chinese = client.get(urljoin(stop_url(3), unescape(switch.group(1))))
    assert "第3站（共4站）" in chinese.text and "太极拳" in story(chinese.text)


def test_a_tampered_or_unsigned_stop_is_refused(client: TestClient) -> None:
    genuine = stop_url(2)
    for forged in (genuine.replace("/heritage-walk/2?", "/heritage-walk/3?"), genuine.split("?")[0],
                   genuine.replace("sig=", "sig=x"), f"{genuine}&sig=again"):
        page = client.get(forged)
        assert page.status_code == 403 and REFUSAL in page.text
    route_sig = GuideLink("sunny-garden", to="library").to_url(BASE, KEY).split("?")[1]
    assert client.get(f"/guide/sunny-garden/tour/heritage-walk/1?{route_sig}").status_code == 403


@pytest.mark.parametrize("url", [
    stop_url(5),  # signed, but the walk has 4 stops
    stop_url(1, tour="garden-walk"),  # signed for a walk the map does not have (any more)
    "/guide/sunny-garden/tour/heritage-walk/two?sig=abc",
    "/guide/sunny-garden/tour/heritage-walk/0?sig=abc",
])
def test_an_unknown_walk_or_stop_is_a_clear_404_page(client: TestClient, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 404
    assert "We do not know this walk or this stop." in page.text and "我们不知道这条路线或者这一站。" in page.text
    assert "Traceback" not in page.text
    choose = link_titled(page.text, urljoin(BASE, url), "Where would you like to go?")
    assert client.get(choose).status_code == 200


def test_the_story_is_read_aloud_by_a_served_script_only(client: TestClient) -> None:
    page = client.get(stop_url(1, "zh-CN"))
    button = re.search(r'<button type="button" id="read-aloud"[^>]*>', page.text)
    assert button and " hidden " in button.group(0) and 'data-lang="zh-CN"' in button.group(0)
    assert 'data-read="读给我听"' in button.group(0)
    scripts = [unescape(s) for s in re.findall(r'<script src="([^"]+)"', page.text)]
    assert any("guide-read-aloud.js" in s for s in scripts)
    for src in scripts:  # everything from the guide's own _static, as the CSP demands
        absolute = urljoin(stop_url(1), src)
        assert urlsplit(absolute).path.startswith("/guide/_static/")
        assert client.get(absolute).status_code == 200
    assert "guide-read-aloud.js" in STATIC_FILES
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_stop_photo_is_shown_and_served_signed(tmp_path: Path) -> None:
    folder = tmp_path / "maps"
    folder.mkdir()
    map_path = folder / "sunny-garden.yml"
    shutil.copy(default_map_path(), map_path)
    text = map_path.read_text(encoding="utf-8").replace(
        "      - at: central-garden\n", "      - at: central-garden\n        photo: photos/pavilion.png\n")
    map_path.write_text(text, encoding="utf-8")
    (folder / "photos").mkdir()
    assert cv2.imwrite(str(folder / "photos" / "pavilion.png"), np.full((120, 160, 3), (30, 140, 60), np.uint8))
    client = guide_client(map_path)
    page = client.get(stop_url(3))
    image = re.search(r'<img src="(3/photo\?[^"]+)" alt="Photo: Central Garden">', page.text)
    assert image
    photo = client.get(urljoin(stop_url(3), unescape(image.group(1))))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert photo.content == (folder / "photos" / "pavilion.png").read_bytes()
    assert client.get("/guide/sunny-garden/tour/heritage-walk/3/photo").status_code == 403  # unsigned
    no_photo = client.get(stop_url(2).replace("/2?", "/2/photo?"))
    assert no_photo.status_code == 404
    assert '/photo?' not in client.get(stop_url(2)).text
