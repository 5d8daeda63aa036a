"""The phone guide page in the reader's language: ``lang=zh-CN`` in the QR link (the kiosk's language) shows the
Chinese steps and names, with a switch to English; an unknown language is the English page.

Its own server: the guide's per-phone rate limit would otherwise count these requests with test_guide_page's.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from html import unescape
from urllib.parse import urljoin

import httpx
import pytest
import uvicorn

from community_services.api.guide import GuideSettings
from community_services.app import create_app
from wayfinding.community_map import default_map_path, load_map
from wayfinding.guide_links import GuideLink, parse_guide_url
from wayfinding.routing import Router

KEY = b"the-sunny-garden-test-key-0000000000000"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("guide") / "services.db"
    app = create_app(f"sqlite:///{db}", "kiosk-token", "staff-token", seed=False,
                     guide=GuideSettings(map_path=default_map_path(), key=KEY))
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
def base(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/")


def page_url(link: GuideLink, base: str) -> str:
    return link.to_url(base, KEY)


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a class="big[^"]*" href="([^"]+)"', html)]


def switch_hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a class="switch" [^>]*href="([^"]+)"', html)]


def test_the_page_in_chinese_with_a_switch_to_english(client: httpx.Client, base: str) -> None:
    url = page_url(GuideLink("sunny-garden", at="kiosk", to="community-clinic", lang="zh-CN"), base)
    assert url.endswith("&lang=zh-CN")  # the kiosk's language travels in the QR link
    html = client.get(url).text
    assert '<html lang="zh-Hans">' in html and "去社区卫生服务站怎么走" in html
    route = Router(load_map(default_map_path())).route("community-clinic", start="kiosk", lang="zh-CN")
    for step in route.steps:
        assert f"<li>{step.text}</li>" in unescape(html)
    assert "<li>顺着花园路往南走大约一百一十米。</li>" in unescape(html)
    assert "一共大约一百四十米，走路大概三分钟" in html  # the same rounded distance as in English
    english = [parse_guide_url(urljoin(url, h), KEY, "sunny-garden") for h in switch_hrefs(html)]
    assert english == [GuideLink("sunny-garden", at="kiosk", to="community-clinic")]
    back = [parse_guide_url(urljoin(url, h), KEY, "sunny-garden") for h in hrefs(html)]
    assert back and all(link.lang == "zh-CN" for link in back)  # the next page stays Chinese


def test_the_english_page_offers_chinese(client: httpx.Client, base: str) -> None:
    url = page_url(GuideLink("sunny-garden", at="post-lane-120"), base)
    html = client.get(url).text
    assert '<html lang="en">' in html and "Where would you like to go?" in html
    (chinese,) = [parse_guide_url(urljoin(url, h), KEY, "sunny-garden") for h in switch_hrefs(html)]
    assert chinese.lang == "zh-CN" and chinese.at == "post-lane-120"
    html_zh = client.get(urljoin(url, switch_hrefs(html)[0])).text
    assert "请问您想去哪儿？" in html_zh and "您现在在花园路，卫生服务站门口" in html_zh


@pytest.mark.parametrize("lang", ["fr", "zz-ZZ", "", "klingon"])
def test_an_unknown_lang_is_the_english_page(client: httpx.Client, base: str, lang: str) -> None:
    url = page_url(GuideLink("sunny-garden", at="kiosk", to="library"), base) + f"&lang={lang}"
    response = client.get(url)
    assert response.status_code == 200 and "Way to" in response.text and "Take the lobby stairs" in response.text


def test_the_language_is_not_signed_but_cannot_redirect(client: httpx.Client, base: str) -> None:
    """Changing ``lang`` changes only the words; changing where the link leads still breaks the signature."""
    url = page_url(GuideLink("sunny-garden", at="kiosk", to="library", lang="zh-CN"), base)
    assert client.get(url.replace("lang=zh-CN", "lang=en")).status_code == 200
    assert client.get(url.replace("to=library", "to=north-gate")).status_code == 403
