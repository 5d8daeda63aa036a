"""Signed guide links: ``{public_url}/guide/{community}?at=<node>&to=<place>&sf=1&k=<id>&sig=<s>`` (``docs/ar.md``).

The signature covers ``"v2|k|community|at|to|sf"`` with the key ``k`` of the community's key ring
(``key_ring.py``); a link without ``k`` is signed with the legacy key over ``"v1|community|at|to|sf"`` (every
poster printed before the ring). ``k`` is signed too, and the two message forms never coincide, so changing,
adding or removing ``k`` cannot make a signature verify under another key. The host is not signed (the page
may move). Node ids are restricted to ``[a-z0-9-]`` so the canonical message cannot be forged by smuggling
``|`` into an id.

A tour stop's page (a heritage walk's poster) is ``{public_url}/guide/{community}/tour/{tour}/{n}?k=<id>&sig=<s>``
(:class:`TourLink`), signed the same way over ``"t2|k|community|tour|n"`` (``"t1|community|tour|n"`` with the
legacy key): its own prefix, so a tour's signature never verifies a route and the other way round.

``key`` parameters take a :class:`~wayfinding.key_ring.KeyRing` (sign with its current key, verify with any
accepted one), a :class:`~wayfinding.key_ring.RingCache` (the same, re-read now and then) or plain ``bytes``
(the legacy key alone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from .errors import WayfindingError
from .key_ring import KEY_ID, LEGACY_ID, KeyRing, RingCache
from .signing import sign, verify
from .words import DEFAULT as DEFAULT_LANG
from .words import normalize as normalize_lang

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_GUIDE_PATH = re.compile(r"/guide/([^/]+)/?$")
_TOUR_PATH = re.compile(r"/guide/([^/]+)/tour/([^/]+)/([^/]+)/?$")
_STOP = re.compile(r"^[1-9][0-9]{0,2}$")
"""A stop number as a link writes it: 1 to 999, no sign, no leading zero (so one stop has one signed text)."""
VERSION = "v1"
"""The legacy message (no ``k``)."""
KEYED_VERSION = "v2"
"""The message of a link that names its key."""
TOUR_VERSION, KEYED_TOUR_VERSION = "t1", "t2"
"""A tour stop's messages (legacy key, ring key): never equal to a route's."""
Keys = bytes | KeyRing | RingCache
"""What signs and verifies: the legacy key alone (``bytes``), a ring, or a ring re-read now and then."""
Reason = Literal["not_guide", "unsigned", "altered", "other_community"]

NOT_GUIDE = "This is not a Linli guide code."
UNSIGNED = "This guide code has no signature, so it cannot be trusted."
ALTERED = "This guide code has been changed or was not made by this community, so it cannot be trusted."


class GuideLinkError(WayfindingError):
    """A scanned text or a page address is not a genuine guide link of this community."""

    code = "guide_link_error"

    def __init__(self, message: str, *, reason: Reason, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason: Reason = reason


@dataclass(frozen=True)
class GuideLink:
    community: str
    at: str | None = None
    """Where the phone is (a marker post, the kiosk); ``None``: the map's start."""
    to: str | None = None
    """Place id to guide to; ``None``: let the resident choose."""
    step_free: bool = False
    lang: str | None = None
    """The reader's language (``zh-CN``: the kiosk's language when the code was shown); ``None``: English.
    Not signed: it changes only the words on the page, never where the page leads."""

    def __post_init__(self) -> None:
        for name in ("community", "at", "to"):
            value = getattr(self, name)
            if value is None and name != "community":
                continue
            if not isinstance(value, str) or not _ID.match(value):
                raise GuideLinkError(NOT_GUIDE, reason="not_guide", hint=f"bad {name}: {value!r}")

    def message(self, key_id: str = LEGACY_ID) -> str:
        """The canonical signed text for the key ``key_id`` (``0``, the legacy key: the form without ``k``)."""
        fields = (self.community, self.at or "", self.to or "", "1" if self.step_free else "")
        if key_id == LEGACY_ID:
            return "|".join((VERSION, *fields))
        return "|".join((KEYED_VERSION, key_id, *fields))

    def query(self, key: Keys) -> str:
        """``at=..&to=..&sf=1&k=..&sig=..`` signed with the ring's current key (empty fields left out; ``k``
        only for a ring key; ids need no escaping)."""
        parts = [f"at={self.at}"] if self.at else []
        if self.to:
            parts.append(f"to={self.to}")
        if self.step_free:
            parts.append("sf=1")
        return _signed_query(parts, self.message, key, self.lang)

    def to_url(self, public_url: str, key: Keys) -> str:
        return f"{public_url.rstrip('/')}/guide/{self.community}?{self.query(key)}"


@dataclass(frozen=True)
class TourLink:
    """Stop ``stop`` (1 for the first) of the tour ``tour``: what a tour stop's poster opens on a phone."""

    community: str
    tour: str
    stop: int
    lang: str | None = None
    """The reader's language, as in :class:`GuideLink` (not signed: only the words change)."""

    def __post_init__(self) -> None:
        for name in ("community", "tour"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _ID.match(value):
                raise GuideLinkError(NOT_GUIDE, reason="not_guide", hint=f"bad {name}: {value!r}")
        if not isinstance(self.stop, int) or isinstance(self.stop, bool) or not _STOP.match(str(self.stop)):
            raise GuideLinkError(NOT_GUIDE, reason="not_guide", hint=f"bad stop: {self.stop!r}")

    def message(self, key_id: str = LEGACY_ID) -> str:
        fields = (self.community, self.tour, str(self.stop))
        if key_id == LEGACY_ID:
            return "|".join((TOUR_VERSION, *fields))
        return "|".join((KEYED_TOUR_VERSION, key_id, *fields))

    @property
    def path(self) -> str:
        return f"/guide/{self.community}/tour/{self.tour}/{self.stop}"

    def query(self, key: Keys) -> str:
        """``k=..&sig=..`` (and ``lang=``): the tour and the stop are in the path, signed all the same."""
        return _signed_query([], self.message, key, self.lang)

    def to_url(self, public_url: str, key: Keys) -> str:
        return f"{public_url.rstrip('/')}{self.path}?{self.query(key)}"


def _signed_query(parts: list[str], message: Callable[[str], str], key: Keys, lang: str | None) -> str:
    """``parts`` then ``k`` (a ring key only), the signature of ``message(key id)`` with the ring's current key,
    and ``lang`` last (unsigned)."""
    current = _ring(key).current
    parts = list(parts)
    if not current.legacy:
        parts.append(f"k={current.id}")
    parts.append(f"sig={sign(current.secret, message(current.id))}")
    if lang and lang != DEFAULT_LANG:
        parts.append(f"lang={lang}")
    return "&".join(parts)


def _check_signature(params: Mapping[str, str], message: Callable[[str], str], key: Keys) -> None:
    """Raises ``GuideLinkError`` unless ``sig`` is ``message(k)`` signed with the accepted key ``k`` names."""
    key_id = signed_key_id(params)
    if "k" in params and not KEY_ID.match(key_id):  # "k=0", "k=", "k=02": never written by us
        raise GuideLinkError(ALTERED, reason="altered", hint=f"k={key_id[:20]!r}")
    sig = params.get("sig") or ""
    if not sig:
        raise GuideLinkError(UNSIGNED, reason="unsigned")
    accepted = _ring(key).get(key_id)
    if accepted is None:  # retired, or never ours
        raise GuideLinkError(ALTERED, reason="altered", hint=f"key {key_id} is not accepted")
    if not verify(accepted.secret, message(key_id), sig):
        raise GuideLinkError(ALTERED, reason="altered")


def _ring(key: Keys) -> KeyRing:
    if isinstance(key, RingCache):
        return key.get()
    return key if isinstance(key, KeyRing) else KeyRing.single(key)


def signed_key_id(params: Mapping[str, str]) -> str:
    """The id of the key a query says it was signed with (``0``: no ``k``, the legacy key); not verified."""
    k = params.get("k")
    return LEGACY_ID if k is None else k


def verify_query(community: str, params: Mapping[str, str], key: Keys) -> GuideLink:
    """The link a page request stands for, if ``sig`` verifies with the accepted key ``k`` names (none: the
    legacy key); else ``GuideLinkError``. A retired or unknown ``k`` is refused like an altered code.

    ``params`` are the decoded query parameters (unknown ones are ignored: they change nothing).
    """
    sf = params.get("sf") or ""
    if sf not in ("", "1"):
        raise GuideLinkError(ALTERED, reason="altered", hint=f"sf={sf!r}")
    link = GuideLink(community, params.get("at") or None, params.get("to") or None, sf == "1", _lang(params))
    _check_signature(params, link.message, key)
    return link


def verify_tour_query(community: str, tour: str, stop: str, params: Mapping[str, str], key: Keys) -> TourLink:
    """The tour stop a page request stands for (``stop`` as the path gives it), if ``sig`` verifies as for
    :func:`verify_query`; else ``GuideLinkError`` (a stop that is no number is ``not_guide``)."""
    if not _STOP.match(stop):
        raise GuideLinkError(NOT_GUIDE, reason="not_guide", hint=f"stop {stop[:20]!r}")
    link = TourLink(community, tour, int(stop), _lang(params))
    _check_signature(params, link.message, key)
    return link


def _lang(params: Mapping[str, str]) -> str | None:
    lang = normalize_lang(params.get("lang"))
    return None if lang == DEFAULT_LANG else lang


def parse_guide_url(text: str, key: Keys, community: str | None = None) -> GuideLink:
    """The guide link in a scanned text, verified with our ``key`` (a ring: any key it accepts).

    ``community``: our community id; a code of another community is refused with its own message.
    Raises ``GuideLinkError`` (``reason``: not_guide, other_community, unsigned, altered).
    """
    found, params = _split_url(text, _GUIDE_PATH, community)
    return verify_query(found.group(1), params, key)


def parse_tour_url(text: str, key: Keys, community: str | None = None) -> TourLink:
    """The tour stop link in a scanned text (a tour stop's poster), verified like :func:`parse_guide_url`."""
    found, params = _split_url(text, _TOUR_PATH, community)
    return verify_tour_query(found.group(1), found.group(2), found.group(3), params, key)


def is_tour_url(text: str) -> bool:
    """Does the address look like a tour stop's page (not verified: :func:`parse_tour_url` does that)?"""
    try:
        return isinstance(text, str) and _TOUR_PATH.search(urlsplit(text.strip()).path) is not None
    except ValueError:
        return False


def _split_url(text: str, pattern: re.Pattern[str], community: str | None) -> tuple[re.Match[str], dict[str, str]]:
    """The path's match and the query's parameters of a guide address of ``community`` (any, if ``None``)."""
    if not isinstance(text, str) or len(text) > 2000:
        raise GuideLinkError(NOT_GUIDE, reason="not_guide")
    try:
        parts = urlsplit(text.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError("not a web address")
        found = pattern.search(parts.path)
        if found is None:
            raise ValueError("not a guide page")
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False)
    except ValueError as e:
        raise GuideLinkError(NOT_GUIDE, reason="not_guide", hint=str(e)) from e
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:  # two values: which one would the page use? Refuse instead of guessing.
            raise GuideLinkError(ALTERED, reason="altered", hint=f"{name} given twice")
        params[name] = value
    owner = found.group(1)
    if not _ID.match(owner):
        raise GuideLinkError(NOT_GUIDE, reason="not_guide")
    if community is not None and owner != community:
        raise GuideLinkError(
            f"This is a guide code of another community ({owner}), not ours.", reason="other_community"
        )
    return found, params
