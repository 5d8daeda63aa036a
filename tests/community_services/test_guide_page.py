"""The phones' walking guide page: signed queries only, the steps, the map image and signed links onward."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import cv2
import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI

from community_services.api.guide import GuideSettings
from community_services.app import create_app
from community_services.settings import OfficeSettings
from wayfinding.community_map import default_map_path, load_map
from wayfinding.guide_links import GuideLink, parse_guide_url
from wayfinding.key_ring import RingCache, load_ring, retire_key, rotate_key
from wayfinding.routing import Router

KEY = b"the-sunny-garden-test-key-0000000000000"
REFUSAL = "This code is not one of Sunny Garden’s guide codes."


@contextmanager
def serve(app: FastAPI) -> Iterator[httpx.Client]:
    """The real app with uvicorn on a free loopback port (as conftest.py does for the API)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=20) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("guide") / "services.db"
    app = create_app(f"sqlite:///{db}", "kiosk-token", "staff-token", seed=False,
                     guide=GuideSettings(map_path=default_map_path(), key=KEY))
    with serve(app) as http:
        yield http


@pytest.fixture(scope="module")
def base(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/")


def page_url(link: GuideLink, base: str) -> str:
    return link.to_url(base, KEY)


def hrefs(html: str) -> list[str]:
    """The page's own links (not the language switch, which leads to the same page)."""
    return [unescape(h) for h in re.findall(r'<a class="big[^"]*" href="([^"]+)"', html)]


def img_src(html: str) -> str:
    found = re.search(r'<img src="([^"]+)"', html)
    assert found
    return unescape(found.group(1))


def test_route_page_shows_the_steps_and_a_map(client: httpx.Client, base: str) -> None:
    url = page_url(GuideLink("sunny-garden", at="kiosk", to="community-clinic"), base)
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="en">' in html and 'name="viewport"' in html and "font:24px" in html
    # scripts only from the guide's own folder, and the camera view hidden until one of them finds a camera:
    # without scripts the page is the steps and the map (test_guide_phone_ar.py has the camera)
    assert all(src.startswith("_static/") for src in re.findall(r'<script src="([^"]+)"', html))
    assert '<section id="ar" hidden' in html
    assert "Community Clinic" in html and "社区卫生服务站" in html
    route = Router(load_map(default_map_path())).route("community-clinic", start="kiosk")
    for step in route.steps:
        assert f"<li>{step.text}</li>" in unescape(html)
    assert "about 140 metres in all" in html  # the route's one rounded distance (143 m), as the steps say it
    assert "Way without steps" not in html  # no stairs on this way

    image = client.get(urljoin(url, img_src(html)))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = cv2.imdecode(np.frombuffer(image.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (960, 720, 3)
    assert client.get(urljoin(url, img_src(html))).content == image.content  # cached, same picture

    back = [h for h in hrefs(html) if "sig=" in h]
    assert back and parse_guide_url(urljoin(url, back[0]), KEY, "sunny-garden") == GuideLink(
        "sunny-garden", at="kiosk")


@pytest.mark.parametrize("query", [
    "to=community-clinic",  # no signature
    "to=community-clinic&sig=",
    "to=community-clinic&sig=AAAAAAAAAAAAAAAAAAAAAA",
    "to=community-clinic&sig=" + "é" * 10,
])
def test_unsigned_or_forged_queries_are_refused(client: httpx.Client, base: str, query: str) -> None:
    for path in ("/guide/sunny-garden", "/guide/sunny-garden/map.png"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 403
        assert REFUSAL in r.text and "Please tell the Property Management Office." in r.text


def test_altered_and_foreign_codes_are_refused(client: httpx.Client, base: str) -> None:
    url = page_url(GuideLink("sunny-garden", at="kiosk", to="community-clinic"), base)
    assert client.get(url.replace("to=community-clinic", "to=library")).status_code == 403
    assert client.get(url.replace("&sig=", "&sf=1&sig=")).status_code == 403
    assert client.get(url + "&to=library").status_code == 403  # a second value
    foreign = GuideLink("sunny-garden", to="library").to_url(base, b"another-key-00000000000000000000000000")
    assert client.get(foreign).status_code == 403
    other = GuideLink("maple-court", to="library").to_url(base, KEY)
    r = client.get(other)
    assert r.status_code == 403 and REFUSAL in r.text


def test_unknown_place_is_404(client: httpx.Client, base: str) -> None:
    for link in (GuideLink("sunny-garden", to="swimming-pool"), GuideLink("sunny-garden", at="moon-base")):
        r = client.get(page_url(link, base))
        assert r.status_code == 404 and "We do not know this place" in r.text
    assert client.get(page_url(GuideLink("sunny-garden", to="swimming-pool"), base).replace(
        "/guide/sunny-garden?", "/guide/sunny-garden/map.png?")).status_code == 404


def test_only_at_lists_every_place_with_signed_links(client: httpx.Client, base: str) -> None:
    community = load_map(default_map_path())
    url = page_url(GuideLink("sunny-garden", at="post-lane-120"), base)
    r = client.get(url)
    assert r.status_code == 200
    assert "You are at Garden Lane by the Community Clinic" in r.text and "Where would you like to go?" in r.text
    assert "min-height:60px" in r.text
    links = [parse_guide_url(urljoin(url, h), KEY, "sunny-garden") for h in hrefs(r.text)]
    assert links == [GuideLink("sunny-garden", at="post-lane-120", to=p.id) for p in community.places]
    assert "社区卫生服务站" in r.text
    image = client.get(urljoin(url, img_src(r.text)))  # the map with "you are here"
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    # and each of them opens a route page
    assert client.get(urljoin(url, hrefs(r.text)[0])).status_code == 200


def test_to_without_at_starts_at_the_kiosk_and_offers_other_starts(client: httpx.Client, base: str) -> None:
    url = page_url(GuideLink("sunny-garden", to="community-clinic"), base)
    r = client.get(url)
    assert r.status_code == 200 and "From: the information kiosk" in r.text
    assert "Start from somewhere else" in r.text
    starts = [parse_guide_url(urljoin(url, h), KEY, "sunny-garden") for h in hrefs(r.text)]
    assert GuideLink("sunny-garden", at="post-north-gate", to="community-clinic") in starts
    assert GuideLink("sunny-garden", at="building-3", to="community-clinic") in starts


def test_step_free_link_when_the_way_has_stairs(client: httpx.Client, base: str) -> None:
    url = page_url(GuideLink("sunny-garden", at="kiosk", to="central-garden"), base)
    r = client.get(url)
    assert r.status_code == 200 and "with steps" in r.text and "Way without steps" in r.text
    links = [parse_guide_url(urljoin(url, h), KEY, "sunny-garden") for h in hrefs(r.text)]
    step_free = GuideLink("sunny-garden", at="kiosk", to="central-garden", step_free=True)
    assert step_free in links
    r = client.get(page_url(step_free, base))
    assert r.status_code == 200 and "This way has no steps." in r.text and "Way without steps" not in r.text
    assert "ramp" in r.text.lower()
    assert client.get(urljoin(page_url(step_free, base), img_src(r.text))).status_code == 200


def test_no_guide_configured_is_503(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 's.db'}", "kiosk-token", "staff-token", seed=False)
    with serve(app) as bare:
        for path in ("/guide/sunny-garden?to=library&sig=x", "/guide/sunny-garden/map.png"):
            r = bare.get(path)
            assert r.status_code == 503 and "not available" in r.text


def test_guide_pages_are_not_in_the_api_spec(client: httpx.Client) -> None:
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/guide")]


# --- a phone script cannot keep both cores busy (issue 16) ---------------------------------------------------------

def test_one_address_is_held_to_the_rate_after_its_burst(tmp_path: Path) -> None:
    from community_services.api import guide as guide_module

    app = create_app(f"sqlite:///{tmp_path / 'services.db'}", "kiosk-token", "staff-token", seed=False,
                     guide=GuideSettings(map_path=default_map_path(), key=KEY))
    with serve(app) as http:
        url = page_url(GuideLink("sunny-garden", at="kiosk", to="community-clinic"), str(http.base_url).rstrip("/"))
        codes = [http.get(url).status_code for _ in range(guide_module.PER_ADDRESS_BURST + 5)]
    assert codes[:guide_module.PER_ADDRESS_BURST] == [200] * guide_module.PER_ADDRESS_BURST
    assert set(codes[guide_module.PER_ADDRESS_BURST + 1:]) == {429}


def test_a_429_says_when_to_come_back(tmp_path: Path) -> None:
    from community_services.api import guide as guide_module

    app = create_app(f"sqlite:///{tmp_path / 'services.db'}", "kiosk-token", "staff-token", seed=False,
                     guide=GuideSettings(map_path=default_map_path(), key=KEY))
    with serve(app) as http:
        url = page_url(GuideLink("sunny-garden", to="library"), str(http.base_url).rstrip("/"))
        for _ in range(guide_module.PER_ADDRESS_BURST):
            http.get(url)
        r = http.get(url)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "请稍等" in r.text and "<script" not in r.text


def test_drawings_wait_for_the_one_slot_and_the_cache_answers_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    from community_services.api import guide as guide_module

    guide = guide_module.Guide(GuideSettings(map_path=default_map_path(), key=KEY))
    drawing = threading.Event()
    at_once: list[int] = []
    busy = [0]
    real = guide._map_png

    def slow_draw(at: str | None, to: str | None, step_free: bool) -> bytes:
        busy[0] += 1
        at_once.append(busy[0])
        drawing.set()
        time.sleep(0.2)
        busy[0] -= 1
        return real(at, to, step_free)

    monkeypatch.setattr(guide, "_map_png", slow_draw)
    places = [p.id for p in guide.map.places][:4]
    threads = [threading.Thread(target=guide.map_png, args=("kiosk", to, False)) for to in places]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert max(at_once) == guide_module.RENDER_SLOTS and len(at_once) == len(places)
    guide.map_png("kiosk", places[0], False)  # cached: not drawn again
    assert len(at_once) == len(places)


def test_no_slot_in_time_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    from community_services.api import guide as guide_module

    monkeypatch.setattr(guide_module, "RENDER_WAIT_S", 0.1)
    guide = guide_module.Guide(GuideSettings(map_path=default_map_path(), key=KEY))
    assert guide._render_slots.acquire()
    try:
        with pytest.raises(guide_module.Busy):
            guide.map_png("kiosk", "library", False)
    finally:
        guide._render_slots.release()


def test_the_pages_verify_with_the_whole_key_ring(tmp_path: Path) -> None:
    var = tmp_path / "var"
    settings = GuideSettings.from_settings(OfficeSettings(var_dir=var))
    assert (var / "qr-key").exists()  # before any rotation: the legacy key, as before the ring
    # the same settings, re-read at every request instead of every 30 s
    cache = RingCache(lambda: load_ring(var, None), max_age_s=0)
    app = create_app(f"sqlite:///{tmp_path / 's.db'}", "kiosk-token", "staff-token", seed=False,
                     guide=GuideSettings(map_path=settings.map_path, key=cache))
    with serve(app) as http:
        base = str(http.base_url).rstrip("/")
        old = GuideLink("sunny-garden", to="library").to_url(base, load_ring(var, None))  # printed long ago
        assert "k=" not in old and http.get(old).status_code == 200
        rotate_key(var, None)
        new = GuideLink("sunny-garden", to="community-clinic").to_url(base, load_ring(var, None))
        assert "&k=1&" in new
        for url in (old, new):  # both verify: posters are reprinted at leisure
            r = http.get(url)
            assert r.status_code == 200
            links = [h for h in hrefs(r.text) if h.startswith("?")]
            assert links and all("k=1" in h for h in links)  # the page's own links use the current key
            assert "k=1" in img_src(r.text) and http.get(urljoin(url, img_src(r.text))).status_code == 200
        forged = old.replace("&sig=", "&k=1&sig=")
        assert http.get(forged).status_code == 403
        retire_key(var, None, "0")
        r = http.get(old)
        assert r.status_code == 403 and REFUSAL in r.text  # retired: the usual refusal
        assert http.get(new).status_code == 200

