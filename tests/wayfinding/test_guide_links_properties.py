"""Properties of signed guide links (hypothesis): any node ids round-trip through sign and verify, with the
legacy key or any ring key; and any change to what the query means — a field changed, added or dropped, the
key id swapped, the signature touched — is refused."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from wayfinding.guide_links import GuideLink, GuideLinkError, parse_guide_url, verify_query
from wayfinding.key_ring import KeyRing, QrKey

BASE = "http://192.168.1.20:8700"
RING = KeyRing((
    QrKey("0", b"the-legacy-key-of-sunny-garden-000000000"),
    QrKey("1", b"the-first-rotated-key-00000000000000000"),
    QrKey("7", b"the-first-rotated-key-00000000000000000"),  # a copied secret: ids must still not mix
    QrKey("12", b"the-current-key-of-sunny-garden-0000000"),
))
SIGNED = ("at", "to", "sf", "k", "sig")

node_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,63}", fullmatch=True)
links = st.builds(GuideLink, community=node_ids, at=st.none() | node_ids, to=st.none() | node_ids,
                  step_free=st.booleans())
signers = st.sampled_from([RING.keys[: i + 1] for i in range(len(RING.keys))]).map(KeyRing)
values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30) | node_ids | \
    st.sampled_from(["", "0", "1", "7", "12", "01", "99"])


def meaning(params: dict[str, str]) -> tuple[object, ...]:
    """What a query stands for, as ``verify_query`` reads it (an empty field is the same as none)."""
    return tuple(params.get(name) or None for name in ("at", "to", "sf")) + (params.get("k"), params.get("sig"))


@settings(max_examples=300)
@given(link=links, signer=signers)
def test_sign_and_verify_round_trip(link: GuideLink, signer: KeyRing) -> None:
    url = link.to_url(BASE, signer)
    assert parse_guide_url(url, RING, link.community) == link
    assert parse_guide_url(url, RING) == link
    params = dict(parse_qsl(url.split("?", 1)[1], keep_blank_values=True))
    assert verify_query(link.community, params, RING) == link
    assert ("k" in params) == (not signer.current.legacy)


@settings(max_examples=500)
@given(link=links, signer=signers, data=st.data())
def test_any_tampering_is_refused(link: GuideLink, signer: KeyRing, data: st.DataObject) -> None:
    original = dict(parse_qsl(link.query(signer), keep_blank_values=True))
    tampered = dict(original)
    for name in data.draw(st.lists(st.sampled_from(SIGNED), min_size=1, max_size=3, unique=True), label="fields"):
        if name in tampered and data.draw(st.booleans(), label=f"drop {name}"):
            del tampered[name]
        else:
            tampered[name] = data.draw(values, label=name)
    if meaning(tampered) == meaning(original):
        return  # e.g. sf= added to a link without sf: the same link, nothing was changed
    try:
        verify_query(link.community, tampered, RING)
    except GuideLinkError:
        pass
    else:
        raise AssertionError(f"accepted a tampered query: {tampered} (signed: {original})")
    # the same through a scanned URL (the query encoded as a phone would send it)
    url = f"{BASE}/guide/{link.community}?{urlencode(tampered)}"
    try:
        parse_guide_url(url, RING, link.community)
    except GuideLinkError:
        return
    raise AssertionError(f"accepted a tampered URL: {url}")


@settings(max_examples=200)
@given(link=links, other=node_ids)
def test_a_link_never_verifies_for_another_community(link: GuideLink, other: str) -> None:
    if other == link.community:
        return
    params = dict(parse_qsl(link.query(RING), keep_blank_values=True))
    try:
        verify_query(other, params, RING)
    except GuideLinkError:
        return
    raise AssertionError("a link verified for another community")
