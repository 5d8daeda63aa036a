"""Signed guide links: round trip, and every way a code can be wrong is refused with a plain reason."""

from __future__ import annotations

import pytest
import qrcode

from wayfinding.errors import WayfindingError
from wayfinding.guide_links import ALTERED, GuideLink, GuideLinkError, parse_guide_url, verify_query
from wayfinding.key_ring import KeyRing, QrKey

KEY = b"the-sunny-garden-test-key-0000000000000"
OTHER_KEY = b"somebody-elses-key-000000000000000000000"
BASE = "http://192.168.1.20:8700"
HOST_30 = "http://linli-guide.example:8700"  # 30 characters, the size budget's host


def refused(text: str, reason: str, key: bytes | KeyRing = KEY,
            community: str | None = "sunny-garden") -> GuideLinkError:
    with pytest.raises(GuideLinkError) as info:
        parse_guide_url(text, key, community)
    assert info.value.reason == reason
    assert isinstance(info.value, WayfindingError) and info.value.code == "guide_link_error"
    return info.value


@pytest.mark.parametrize("link", [
    GuideLink("sunny-garden", to="community-clinic"),
    GuideLink("sunny-garden", at="post-lane-120"),
    GuideLink("sunny-garden", at="kiosk", to="library", step_free=True),
    GuideLink("sunny-garden"),
])
def test_round_trip(link: GuideLink) -> None:
    url = link.to_url(BASE + "/", KEY)
    assert url.startswith(f"{BASE}/guide/sunny-garden?")
    assert parse_guide_url(url, KEY, "sunny-garden") == link
    assert parse_guide_url(f"  {url}\n", KEY) == link  # scanners add whitespace


def test_url_leaves_out_empty_fields() -> None:
    url = GuideLink("sunny-garden", to="community-clinic").to_url(BASE, KEY)
    assert "at=" not in url and "sf=" not in url
    assert url.split("?")[1].startswith("to=community-clinic&sig=")


def test_public_url_may_have_a_path_prefix() -> None:
    link = GuideLink("sunny-garden", to="library")
    assert parse_guide_url(link.to_url("https://example.org/linli", KEY), KEY, "sunny-garden") == link


@pytest.mark.parametrize("change", [
    ("to=community-clinic", "to=building-3"),
    ("at=kiosk", "at=post-lobby"),
    ("at=kiosk&", ""),
    ("&sf=1", ""),
])
def test_altered_fields_are_refused(change: tuple[str, str]) -> None:
    url = GuideLink("sunny-garden", at="kiosk", to="community-clinic", step_free=True).to_url(BASE, KEY)
    assert change[0] in url
    error = refused(url.replace(*change), "altered")
    assert "changed" in error.message


def test_adding_step_free_is_refused() -> None:
    url = GuideLink("sunny-garden", to="community-clinic").to_url(BASE, KEY)
    refused(url.replace("&sig=", "&sf=1&sig="), "altered")
    refused(url.replace("&sig=", "&sf=yes&sig="), "altered")


def test_a_repeated_field_is_refused() -> None:
    url = GuideLink("sunny-garden", to="community-clinic").to_url(BASE, KEY)
    refused(url + "&to=building-3", "altered")


def test_a_foreign_key_is_refused() -> None:
    url = GuideLink("sunny-garden", to="community-clinic").to_url(BASE, OTHER_KEY)
    refused(url, "altered")


def test_another_community_is_refused() -> None:
    url = GuideLink("maple-court", to="community-clinic").to_url(BASE, OTHER_KEY)
    error = refused(url, "other_community")
    assert "another community" in error.message and "maple-court" in error.message
    # without a community to compare with, the signature still fails
    refused(url, "altered", community=None)


def test_missing_signature() -> None:
    refused(f"{BASE}/guide/sunny-garden?to=community-clinic", "unsigned")
    refused(f"{BASE}/guide/sunny-garden?to=community-clinic&sig=", "unsigned")


@pytest.mark.parametrize("text", [
    "", "hello", "WIFI:S:lobby;T:WPA;P:secret;;", "https://example.com/", "https://example.com/guide/",
    f"{BASE}/guides/sunny-garden?to=library&sig=x", "ftp://x/guide/sunny-garden?sig=x",
    "javascript:alert(1)//guide/sunny-garden", f"{BASE}/guide/Sunny Garden?sig=x", f"{BASE}/guide/a|b?sig=x",
    f"{BASE}/guide/sunny-garden?to=Library&sig=x", f"{BASE}/guide/sunny-garden?to=a|b&sig=x",
    "http://[::1/guide/sunny-garden?sig=x", "x" * 5000,
])
def test_junk_is_not_a_guide_code(text: str) -> None:
    error = refused(text, "not_guide")
    assert error.message == "This is not a Linli guide code."


def test_bad_ids_cannot_be_signed() -> None:
    with pytest.raises(GuideLinkError):
        GuideLink("sunny-garden", to="a|b")


def test_verify_query_for_the_server() -> None:
    link = GuideLink("sunny-garden", at="kiosk", to="library", step_free=True)
    params = dict(pair.split("=") for pair in link.query(KEY).split("&"))
    assert verify_query("sunny-garden", params, KEY) == link
    assert verify_query("sunny-garden", {**params, "utm": "x"}, KEY) == link  # unknown fields change nothing
    with pytest.raises(GuideLinkError):
        verify_query("maple-court", params, KEY)
    with pytest.raises(GuideLinkError):
        verify_query("sunny-garden", {k: v for k, v in params.items() if k != "sig"}, KEY)


def qr_version(text: str, ecc: int) -> int:
    qr = qrcode.QRCode(error_correction=ecc)
    qr.add_data(text)
    qr.make(fit=True)
    return int(qr.version)


@pytest.mark.parametrize("link", [
    GuideLink("sunny-garden", at="kiosk", to="community-clinic"),  # the kiosk's code after a route
    GuideLink("sunny-garden", at="post-lane-120"),  # a marker post
    GuideLink("sunny-garden", to="parcel-lockers-south"),  # a place poster
])
def test_urls_stay_small_enough_for_a_version_6_code(link: GuideLink) -> None:
    url = link.to_url(HOST_30, KEY)
    assert len(url) <= 106
    assert qr_version(url, qrcode.constants.ERROR_CORRECT_M) <= 6


def test_the_longest_ids_need_at_most_version_7() -> None:
    # property-management-office (26 characters) from the kiosk, step-free: 121 characters
    url = GuideLink("sunny-garden", "kiosk", "property-management-office", True).to_url(HOST_30, KEY)
    assert qr_version(url, qrcode.constants.ERROR_CORRECT_M) <= 7


# --- the key ring ---------------------------------------------------------------------------------------

LEGACY = QrKey("0", KEY)
K1 = QrKey("1", b"the-first-rotated-key-00000000000000000")
K2 = QrKey("2", b"the-second-rotated-key-0000000000000000")


def test_a_ring_signs_with_its_current_key_and_names_it() -> None:
    ring = KeyRing((LEGACY, K1, K2))
    url = GuideLink("sunny-garden", to="library").to_url(BASE, ring)
    assert url.split("?")[1].startswith("to=library&k=2&sig=")
    assert parse_guide_url(url, ring, "sunny-garden") == GuideLink("sunny-garden", to="library")
    # a ring whose current key is the legacy key writes the same links as before the ring
    assert GuideLink("sunny-garden", to="library").to_url(BASE, KeyRing((LEGACY,))) == \
        GuideLink("sunny-garden", to="library").to_url(BASE, KEY)


def test_an_old_key_verifies_until_it_is_retired() -> None:
    old_poster = GuideLink("sunny-garden", to="community-clinic").to_url(BASE, KEY)  # printed before the ring
    k1_poster = GuideLink("sunny-garden", at="post-lobby").to_url(BASE, KeyRing((LEGACY, K1)))
    rotated = KeyRing((LEGACY, K1, K2))
    assert parse_guide_url(old_poster, rotated, "sunny-garden").to == "community-clinic"
    assert parse_guide_url(k1_poster, rotated, "sunny-garden").at == "post-lobby"
    retired = KeyRing((K1, K2))  # retire-key 0
    error = refused(old_poster, "altered", retired)
    assert error.message == ALTERED  # the usual message: to a resident a retired code is just not ours
    assert parse_guide_url(k1_poster, retired, "sunny-garden").at == "post-lobby"
    refused(k1_poster, "altered", KeyRing((K2,)))  # retire-key 1


def test_a_forged_k_cannot_move_a_signature_to_another_key() -> None:
    ring = KeyRing((LEGACY, K1, K2))
    legacy_url = GuideLink("sunny-garden", to="library").to_url(BASE, KEY)
    k1_url = GuideLink("sunny-garden", to="library").to_url(BASE, KeyRing((K1,)))
    for forged in (legacy_url.replace("&sig=", "&k=1&sig="), legacy_url.replace("&sig=", "&k=2&sig="),
                   k1_url.replace("k=1", "k=2"), k1_url.replace("&k=1", ""), k1_url.replace("k=1", "k=0"),
                   k1_url.replace("k=1", "k=01"), k1_url.replace("k=1", "k="), k1_url.replace("k=1", "k=99")):
        refused(forged, "altered", ring)
    # even two ids holding the same secret (a copied file) do not vouch for each other: k is signed
    twins = KeyRing((QrKey("1", K1.secret), QrKey("2", K1.secret)))
    refused(k1_url.replace("k=1", "k=2"), "altered", twins)
    assert parse_guide_url(k1_url, twins, "sunny-garden").to == "library"


def test_the_two_message_forms_never_coincide() -> None:
    link = GuideLink("sunny-garden", at="kiosk", to="library", step_free=True)
    assert link.message() == "v1|sunny-garden|kiosk|library|1"
    assert link.message("2") == "v2|2|sunny-garden|kiosk|library|1"


@pytest.mark.parametrize("link", [
    GuideLink("sunny-garden", at="kiosk", to="community-clinic"),
    GuideLink("sunny-garden", at="post-lane-120"),
    GuideLink("sunny-garden", to="parcel-lockers-south"),
    GuideLink("sunny-garden", "kiosk", "property-management-office", True),
])
def test_keyed_urls_need_at_most_one_version_more(link: GuideLink) -> None:
    # k=<id> adds 4 characters (ids up to 9): the kiosk's link was exactly at version 6's limit (106 bytes), so
    # it needs version 7; the longest (property-management-office, step-free) goes from 7 to 8
    plain = link.to_url(HOST_30, KEY)
    keyed = link.to_url(HOST_30, KeyRing((LEGACY, QrKey("9", K1.secret))))
    assert len(keyed) == len(plain) + 4
    m = qrcode.constants.ERROR_CORRECT_M
    assert qr_version(keyed, m) <= qr_version(plain, m) + 1 and qr_version(keyed, m) <= 8
