"""Signed tour stop links (``/guide/<community>/tour/<tour>/<n>``): round trip with the legacy key and a ring,
and every way a stop's code can be wrong is refused with a plain reason, as route codes are."""

from __future__ import annotations

import pytest

from wayfinding.guide_links import (
    GuideLink,
    GuideLinkError,
    TourLink,
    is_tour_url,
    parse_guide_url,
    parse_tour_url,
    verify_tour_query,
)
from wayfinding.key_ring import KeyRing, QrKey

KEY = b"the-sunny-garden-test-key-0000000000000"
OTHER_KEY = b"somebody-elses-key-000000000000000000000"
BASE = "http://192.168.1.20:8700"
RING = KeyRing((QrKey("0", KEY), QrKey("1", b"the-first-rotated-key-00000000000000000")))


def refused(text: str, reason: str, key: bytes | KeyRing = KEY) -> None:
    with pytest.raises(GuideLinkError) as info:
        parse_tour_url(text, key, "sunny-garden")
    assert info.value.reason == reason


@pytest.mark.parametrize("key", [KEY, RING], ids=["legacy key", "ring"])
@pytest.mark.parametrize("link", [TourLink("sunny-garden", "heritage-walk", 1),
                                  TourLink("sunny-garden", "heritage-walk", 4, lang="zh-CN")])
def test_round_trip(link: TourLink, key: bytes | KeyRing) -> None:
    url = link.to_url(BASE + "/", key)
    assert url.startswith(f"{BASE}/guide/sunny-garden/tour/heritage-walk/{link.stop}?")
    assert ("k=1&" in url) == (key is RING)
    assert is_tour_url(url) and not is_tour_url(GuideLink("sunny-garden", to="library").to_url(BASE, key))
    assert parse_tour_url(url, key, "sunny-garden") == link


def test_another_stop_or_tour_with_the_same_signature_is_refused() -> None:
    url = TourLink("sunny-garden", "heritage-walk", 2).to_url(BASE, KEY)
    refused(url.replace("/heritage-walk/2?", "/heritage-walk/3?"), "altered")
    refused(url.replace("/heritage-walk/2?", "/garden-walk/2?"), "altered")
    refused(url, "altered", OTHER_KEY)
    refused(url.split("?")[0], "unsigned")


@pytest.mark.parametrize("stop", ["0", "02", "-1", "1000", "two", "1.0"])
def test_a_stop_that_is_not_a_plain_number_is_no_guide_code(stop: str) -> None:
    with pytest.raises(GuideLinkError) as info:
        verify_tour_query("sunny-garden", "heritage-walk", stop, {"sig": "x"}, KEY)
    assert info.value.reason == "not_guide"


@pytest.mark.parametrize("stop", [0, -1, 1000, True])
def test_no_link_is_made_for_a_stop_out_of_range(stop: int) -> None:
    with pytest.raises(GuideLinkError):
        TourLink("sunny-garden", "heritage-walk", stop)


def test_route_and_tour_signatures_never_stand_for_each_other() -> None:
    """The messages have their own prefixes: a route's signature moved onto a tour path verifies nothing."""
    route = GuideLink("sunny-garden", at="heritage-walk", to="x").to_url(BASE, KEY)
    sig = route.split("sig=")[1]
    refused(f"{BASE}/guide/sunny-garden/tour/heritage-walk/1?sig={sig}", "altered")
    tour = TourLink("sunny-garden", "heritage-walk", 1).to_url(BASE, KEY)
    with pytest.raises(GuideLinkError):
        parse_guide_url(f"{BASE}/guide/sunny-garden?{tour.split('?')[1]}", KEY)
    assert TourLink("a", "b", 1).message() != GuideLink("a", "b", "1").message()


def test_another_communitys_tour_code() -> None:
    url = TourLink("rainbow-court", "heritage-walk", 1).to_url(BASE, KEY)
    refused(url, "other_community")


def test_the_language_is_not_signed() -> None:
    url = TourLink("sunny-garden", "heritage-walk", 1).to_url(BASE, KEY)
    assert parse_tour_url(url + "&lang=zh-CN", KEY).lang == "zh-CN"
    refused(url + "&sig=again", "altered")  # a field twice: refused, not guessed
