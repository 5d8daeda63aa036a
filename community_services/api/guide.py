"""The walking guide a phone opens from a QR code: ``GET /guide/{community}`` (HTML) and its map image.

No app, and no script needed: large text, high contrast, plain links. Where the phone has a camera and the page
came over HTTPS, a small script (``static/guide/``, served from ``/guide/_static/``) adds the camera view with the
kiosk's arrow (docs/ar.md "AR on the phone"); without it the page is the same. Chinese is drawn with the bundled
font (``@font-face`` from ``/guide/_static/``), never the phone's. Every query must carry our signature
(``wayfinding.guide_links``); the links the page makes are signed here. Not part of the JSON API (not
in ``openapi.json``). Links are relative, so the page works under any host or path prefix.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import math
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from wayfinding.community_map import CommunityMap, Junction, MarkerPost, Place, load_map
from wayfinding.guide_links import GuideLink, GuideLinkError, verify_query
from wayfinding.key_ring import KeyRing, RingCache, load_ring
from wayfinding.route import Route
from wayfinding.routing import NoRoute, Router, UnknownPlace
from wayfinding.words import DEFAULT as ENGLISH
from wayfinding.words import words_for

from ..rate_limit import TokenBuckets
from ..settings import OfficeSettings

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

MAP_SIZE = (720, 960)
"""Map image (w, h): portrait, for a phone."""
MAP_CACHE_SIZE = 512
"""Map images kept (about 40 KB each): every way a poster's page offers fits, so a script cycling through
them meets the cache, not the drawing."""
RENDER_SLOTS = 1
"""Map drawings at a time: one core for drawing, the other for everything else (kiosks, the console)."""
RENDER_WAIT_S = 10.0
"""How long a request waits for a drawing slot before it is told to try again (503)."""
PER_ADDRESS_RATE, PER_ADDRESS_BURST = 1.0, 30
"""Guide requests per phone (client address): a page and its map are two; 30 at once, then one a second."""
WALK_M_PER_MIN = 50
"""An unhurried pace (≈ 0.8 m/s) for "about N minutes"."""
HEADERS = {
    # scripts, fonts and images only from here (no inline script, no frames, nothing fetched); nothing about the
    # resident leaves with the Referer; the camera only for this page itself
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'self'; "
                               "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "guide"
FONT_PATH = Path(__file__).resolve().parents[2] / "assets" / "fonts" / "wqy-microhei.ttc"
"""The kiosk's font (Latin and Chinese), a TrueType collection. Chromium refuses a collection in ``@font-face``
(the face loads with status "error"), so the page gets the collection's first font as a plain TrueType file
(:func:`first_font`); fontTools (to cut it to the page's characters) is not a dependency, so it is the whole
face (about 5 MB, once: the phone keeps it a year, the URL changes with the file)."""
FONT_NAME = "wqy-microhei.ttf"
STATIC_FILES: dict[str, tuple[Path, str]] = {
    "guide-turns.js": (STATIC_DIR / "guide-turns.js", "text/javascript"),
    "guide-pose.js": (STATIC_DIR / "guide-pose.js", "text/javascript"),
    "guide-ar.js": (STATIC_DIR / "guide-ar.js", "text/javascript"),
    "guide-read-aloud.js": (STATIC_DIR / "guide-read-aloud.js", "text/javascript"),
    "vendor/js-aruco2/cv.js": (STATIC_DIR / "vendor" / "js-aruco2" / "cv.js", "text/javascript"),
    "vendor/js-aruco2/aruco.js": (STATIC_DIR / "vendor" / "js-aruco2" / "aruco.js", "text/javascript"),
    "vendor/js-aruco2/aruco_4x4_1000.js": (STATIC_DIR / "vendor" / "js-aruco2" / "aruco_4x4_1000.js",
                                           "text/javascript"),
}
"""Everything ``/guide/_static/`` serves (nothing else: no directory listing, no path from the request)."""
PAGE_SCRIPTS = ("vendor/js-aruco2/cv.js", "vendor/js-aruco2/aruco.js", "vendor/js-aruco2/aruco_4x4_1000.js",
                "guide-turns.js", "guide-pose.js", "guide-ar.js")
"""The page's scripts, in load order (the library, its dictionary, the kiosk's rule, the pose, the page)."""
PHONE_DICTIONARY = "DICT_4X4_50"
"""The marker dictionary the page's detector knows; a map with another one gets no camera button."""
STATIC_CACHE = "public, max-age=31536000, immutable"


@cache
def static_version(name: str) -> str:
    """A short hash of a static file, put in its URL so a phone's year-long cache never keeps an old copy."""
    data = font_file() if name == FONT_NAME else STATIC_FILES[name][0].read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def first_font(collection: bytes) -> bytes:
    """The first font of a TrueType collection (``ttcf``) as a file of its own: its table directory with the
    offsets moved, then its tables, each 4-byte aligned (the tables' checksums do not depend on where they are).
    A plain font file is returned as it is."""
    if collection[:4] != b"ttcf":
        return collection
    start = struct.unpack_from(">I", collection, 12)[0]  # offset of font 0's table directory
    version, count = struct.unpack_from(">IH", collection, start)
    header = collection[start:start + 12]
    records = [struct.unpack_from(">4sIII", collection, start + 12 + 16 * i) for i in range(count)]
    offset = 12 + 16 * count
    directory, tables = [header], []
    for tag, checksum, at, length in records:
        directory.append(struct.pack(">4sIII", tag, checksum, offset, length))
        table = collection[at:at + length]
        table += b"\0" * (-len(table) % 4)
        tables.append(table)
        offset += len(table)
    del version
    return b"".join(directory + tables)


@cache
def font_file() -> bytes:
    """The page's font, made once from the bundled collection (kept in memory: one file, about 5 MB)."""
    return first_font(FONT_PATH.read_bytes())


def static_url(name: str, up: str = "") -> str:
    """Relative to the page (``/guide/<community>``), like every link of the guide; ``up`` leads from a deeper
    page back to ``/guide/`` (``"../../../"`` from a tour stop's ``/guide/<community>/tour/<tour>/<n>``)."""
    return f"{up}_static/{name}?v={static_version(name)}"


def _css(up: str = "") -> str:
    # unicode-range: the bundled face is used (and fetched) for Chinese characters only, Latin stays the phone's;
    # block: a Chinese line waits for the face (up to 3 s) rather than flashing empty boxes
    return ('@font-face{font-family:"Linli";src:url("' + static_url(FONT_NAME, up) + '") format("truetype");'
            "font-display:block;unicode-range:U+2E80-2FFF,U+3000-303F,U+3100-31FF,U+3400-4DBF,U+4E00-9FFF,"
            "U+F900-FAFF,U+FE30-FE4F,U+FF00-FFEF}" + _CSS)


_CSS = """
body{font:24px/1.5 "Linli",system-ui,sans-serif;margin:0 auto;padding:16px;
max-width:760px;color:#000;background:#fff}
h1{font-size:34px;line-height:1.25;margin:8px 0}h2{font-size:28px;margin:24px 0 8px}
.zh{display:block;font-size:28px}.muted{color:#333}
ol{padding-left:1.4em}li{margin:0 0 12px}
a.big{display:flex;align-items:center;min-height:60px;padding:8px 16px;margin:10px 0;border:3px solid #000;
border-radius:10px;color:#000;background:#ffd700;text-decoration:none;font-weight:bold}
a.big .zh{display:inline;margin-left:12px;font-weight:normal}
a.back{background:#fff}
img{width:100%;height:auto;border:2px solid #000}
.note{border-left:8px solid #000;padding:4px 12px;background:#f2f2f2}
button.big{width:100%;min-height:72px;padding:8px 16px;margin:10px 0;border:3px solid #000;border-radius:10px;
color:#000;background:#ffd700;font:inherit;font-weight:bold;text-align:left}
button.back{background:#fff}
.ar-view{position:relative;margin:8px -16px}
.ar-view video,.ar-view canvas{display:block;width:100%;height:auto}
.ar-view canvas{position:absolute;left:0;top:0;height:100%}
.ar-words{font-size:34px;font-weight:bold;text-align:center;margin:8px 0}.ar-words:empty{display:none}
[hidden]{display:none!important}
.stop-no{font-size:28px;font-weight:bold;margin:4px 0}
.story{font-size:30px;line-height:1.6;margin:12px 0}
"""


@dataclass(frozen=True)
class GuideSettings:
    """What the guide pages need: the community map file and the community's QR keys."""

    map_path: Path
    key: bytes | KeyRing | RingCache
    """The keys: a ring re-read now and then (from the settings), a fixed ring, or one legacy key (tests)."""

    @classmethod
    def from_settings(cls, settings: OfficeSettings) -> GuideSettings:
        """``LINLI_MAP`` (or the demo map) and the key ring: the legacy key from ``LINLI_QR_KEY`` /
        ``<LINLI_VAR_DIR>/qr-key`` and the ring keys in ``<LINLI_VAR_DIR>/qr-keys`` (read again every 30 s, so a
        rotation or a retirement counts without a restart). Raises ``KeyConfigError`` for a broken key."""
        var_dir, configured = settings.var_dir, settings.qr_key
        return cls(map_path=settings.map_path,
                   key=RingCache(lambda: load_ring(var_dir, configured, source="LINLI_QR_KEY")))


class Busy(Exception):
    """Every drawing slot stayed taken for ``RENDER_WAIT_S``."""


class Guide:
    """The loaded map, its router, a cache of map images (one per route) and the limits that keep a phone
    script from keeping both cores busy."""

    def __init__(self, settings: GuideSettings) -> None:
        self.map: CommunityMap = load_map(settings.map_path)
        self.map_path = settings.map_path
        """The map file: a tour stop's photo is looked for beside it (then in ``assets/``)."""
        self._keys = settings.key
        self.router = Router(self.map)
        self.per_address = TokenBuckets(PER_ADDRESS_RATE, PER_ADDRESS_BURST)
        self._pngs: OrderedDict[tuple[str | None, str | None, bool], bytes] = OrderedDict()
        self._pngs_lock = threading.Lock()
        self._render_slots = threading.BoundedSemaphore(RENDER_SLOTS)

    def map_png(self, at: str | None, to: str | None, step_free: bool) -> bytes:
        """The map image of one way, from the cache or drawn (raises ``Busy`` when no slot frees in time)."""
        key = (at, to, step_free)
        with self._pngs_lock:
            if key in self._pngs:
                self._pngs.move_to_end(key)
                return self._pngs[key]
        if not self._render_slots.acquire(timeout=RENDER_WAIT_S):
            raise Busy
        try:
            with self._pngs_lock:  # drawn by another request while this one waited
                if key in self._pngs:
                    return self._pngs[key]
            png = self._map_png(at, to, step_free)
        finally:
            self._render_slots.release()
        with self._pngs_lock:
            self._pngs[key] = png
            while len(self._pngs) > MAP_CACHE_SIZE:
                self._pngs.popitem(last=False)
        return png

    @property
    def key(self) -> bytes | KeyRing:
        """The keys now: the current one signs the page's links, any accepted one verifies a request."""
        return self._keys.get() if isinstance(self._keys, RingCache) else self._keys

    def _map_png(self, at: str | None, to: str | None, step_free: bool) -> bytes:
        import cv2  # OpenCV only when a map is drawn: the API starts without it

        from wayfinding.map_picture import draw_map

        route = self.router.route(to, start=at, step_free=step_free) if to else None
        here = at or self.map.start
        node = self.map.node(here)
        heading = (node.facing + 180) % 360 if isinstance(node, MarkerPost) else None  # a reader faces the post
        image = draw_map(self.map, route, size=MAP_SIZE, you_are_here=node.at, heading=heading)
        ok, png = cv2.imencode(".png", image)
        if not ok:
            raise RuntimeError("PNG encoding failed")
        return png.tobytes()

    # --- words ----------------------------------------------------------------------------------

    def _nearest_place(self, x: float, y: float) -> Place:
        return min(self.map.places, key=lambda p: math.dist(p.at, (x, y)))

    def names(self, node_id: str, lang: str | None = None) -> tuple[str, str | None]:
        """The name of any node in the page's language, and in the other one ("the kiosk", "卫生服务站附近")."""
        english, chinese = self._names(node_id)
        return (chinese or english, english) if lang and lang != ENGLISH else (english, chinese)

    def _names(self, node_id: str) -> tuple[str, str | None]:
        node = self.map.node(node_id)
        if isinstance(node, Place):
            return node.name, node.name_zh
        en, zh = page_words(ENGLISH), page_words("zh-CN")
        near = self._nearest_place(*node.at)
        near_zh = zh["near"].format(place=near.name_zh) if near.name_zh else None
        if isinstance(node, Junction) and node.id == self.map.start:
            return en["kiosk"], zh["kiosk"]
        if isinstance(node, MarkerPost) and node.name:
            return node.name, node.name_zh or near_zh
        return en["near"].format(place=near.name), near_zh

    def link(self, at: str | None, to: str | None, step_free: bool, lang: str | None = None) -> str:
        return "?" + GuideLink(self.map.community, at, to, step_free, lang).query(self.key)


# --- HTML ---------------------------------------------------------------------------------------


GUIDE_WORDS = Path(__file__).resolve().parents[1] / "content" / "guide"


@cache
def page_words(lang: str | None) -> dict[str, Any]:
    """The page's words in ``lang`` (``content/guide/<code>.yml``), English for a language without them."""
    path = GUIDE_WORDS / f"{lang}.yml"
    if not path.is_file():
        path = GUIDE_WORDS / f"{ENGLISH}.yml"
    words: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return words


def languages() -> list[str]:
    return sorted((p.stem for p in GUIDE_WORDS.glob("*.yml")), key=lambda code: code != ENGLISH)


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _bi(en: str, zh: str | None) -> str:
    """English with the Chinese beside it."""
    return escape(en) + (f' <span class="zh" lang="zh-Hans">{escape(zh)}</span>' if zh else "")


def big_button(href: str, en: str, zh: str | None = None, cls: str = "big") -> str:
    return f'<a class="{cls}" href="{escape(href)}">{_bi(en, zh)}</a>'


def page(title: str, body: Iterable[str], status: int = 200, community: CommunityMap | None = None,
          lang: str | None = None, up: str = "") -> HTMLResponse:
    head = f"{community.name} {community.name_zh or ''} · ".strip() if community else ""
    text = (
        f'<!doctype html>\n<html lang="{escape(page_words(lang)["html_lang"])}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_css(up)}</style></head><body>"
        + (f'<p class="muted">{escape(head.rstrip(" ·"))}</p>' if head else "")
        + "".join(body)
        + "</body></html>\n"
    )
    return HTMLResponse(text, status_code=status, headers=HEADERS)


def refused(guide: Guide) -> HTMLResponse:
    m = guide.map
    return page("Not our guide code", [
        "<h1>This code is not one of " + escape(m.name) + "’s guide codes.</h1>",
        "<p>Please tell the Property Management Office.</p>",
        f'<p lang="zh-Hans">这不是{escape(m.name_zh or m.name)}的导航二维码。请告知物业办公室。</p>',
    ], 403, m)


def _not_found(guide: Guide, what: str) -> HTMLResponse:
    return page("Place not found", [
        f"<h1>We do not know this place: {escape(what)}</h1>",
        "<p>Please ask at the Property Management Office.</p>",
        '<p lang="zh-Hans">找不到这个地点，请到物业办公室询问。</p>',
        big_button(guide.link(None, None, False), "Choose a place", "选择地点", "big back"),
    ], 404, guide.map)


def _unavailable() -> HTMLResponse:
    return page("Guide not available", [
        "<h1>The walking guide is not available right now.</h1>",
        "<p>Please ask at the Property Management Office.</p>",
        '<p lang="zh-Hans">步行导航暂时不可用，请到物业办公室询问。</p>',
    ], 503)


def _minutes(metres: float, lang: str | None = None) -> str:
    n = max(1, round(metres / WALK_M_PER_MIN))
    minutes = page_words(lang)["minutes"]
    return str(minutes["one"] if n == 1 else minutes["two"] if n == 2
               else minutes["many"].format(n=words_for(lang).number(n)))


def bilingual_in(primary: str, secondary: str | None, lang: str | None) -> str:
    """The name in the page's language, the other language's name beside it (marked for screen readers)."""
    other = "en" if lang and lang != ENGLISH else "zh-Hans"
    tail = f' <span class="zh" lang="{other}">{escape(secondary)}</span>' if secondary and secondary != primary else ""
    return escape(primary) + tail


def language_switch(current: str | None, href: Callable[[str | None], str]) -> str:
    """Links to the same page in the other languages ("English" on the Chinese page, "中文" on the English);
    ``href(lang)`` is the page's own link in ``lang`` (``None``: English)."""
    return "".join(
        f'<p><a class="switch" lang="{escape(page_words(code)["html_lang"])}" '
        f'href="{escape(href(None if code == ENGLISH else code))}">{escape(page_words(code)["switch_label"])}</a></p>'
        for code in languages() if code != (current or ENGLISH))


def _switch(guide: Guide, link: GuideLink) -> str:
    return language_switch(link.lang, lambda lang: guide.link(link.at, link.to, link.step_free, lang))


def camera_data(guide: Guide, route: Route, lang: str | None) -> dict[str, Any]:
    """What the page's camera view needs, as data (the kiosk's geometry, not a copy of its code): the route's
    points (metres, x east, y north), per leg whether it changes floor and whether by lift, every marker post's
    place, facing, height and printed size by ArUco id, and the words in the page's language."""
    m = guide.map
    levels = [getattr(m.node(n), "level", 0) for n in route.nodes]
    lifts = {frozenset(p.between) for p in m.paths if p.access == "lift"}
    change = [0] + [(b > a) - (b < a) for a, b in zip(levels, levels[1:], strict=False)]
    lift = [False] + [frozenset(pair) in lifts for pair in zip(route.nodes, route.nodes[1:], strict=False)]
    return {
        "dictionary": PHONE_DICTIONARY,
        "route": {"points": [list(p) for p in route.points], "floors": {"change": change, "lift": lift}},
        "posts": {str(post.aruco): {"id": post.id, "at": list(post.at), "facing": post.facing,
                                    "height": post.height, "size": post.size} for post in m.markers},
        "words": page_words(lang)["camera"],
    }


def _camera_section(guide: Guide, route: Route, lang: str | None, up: str = "") -> list[str]:
    """The camera view: hidden until the script finds a camera in a secure context, so a phone without either
    (or without scripts) sees exactly the page it saw before. One big button; the arrow and the words above the
    steps. ``data-direction`` holds the current decision (tests, and the one place to read it)."""
    if getattr(guide.map, "marker_dictionary", PHONE_DICTIONARY) != PHONE_DICTIONARY:
        return []  # markers the page's detector cannot read: better no button than a camera that finds nothing
    w = page_words(lang)["camera"]
    payload = json.dumps(camera_data(guide, route, lang), ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c")  # a name with "</script>" cannot end the data block
    return [
        '<section id="ar" hidden data-state="off" data-direction="">',
        f'<button type="button" id="ar-start" class="big">{escape(w["start"])}</button>',
        '<div id="ar-view" class="ar-view" hidden>',
        '<video id="ar-video" playsinline muted autoplay></video><canvas id="ar-canvas"></canvas></div>',
        '<p id="ar-words" class="ar-words" aria-live="polite"></p>',
        '<p id="ar-message" class="note" hidden role="status"></p>',
        f'<button type="button" id="ar-stop" class="big back" hidden>{escape(w["stop"])}</button>',
        "</section>",
        f'<script type="application/json" id="guide-ar-data">{payload}</script>',
        *(f'<script src="{escape(static_url(name, up))}" defer></script>' for name in PAGE_SCRIPTS),
    ]


def way_length(route: Route, lang: str | None) -> str:
    """"About 200 metres in all, about 4 minutes on foot · with steps" (escaped)."""
    w = page_words(lang)
    distance = words_for(lang).distance_text(route.length_m)
    return (escape(w["length"].format(distance=distance, minutes=_minutes(route.length_m, lang)))
            + escape(w["no_steps"] if not route.uses_stairs else w["with_steps"]))


def way_section(guide: Guide, link: GuideLink, route: Route, *, up: str = "") -> list[str]:
    """The way itself, as the route page shows it and a tour stop's page shows the way to the next stop: the
    camera view, the steps, the offer of the way without steps (or the note that this is one), the map.
    ``up`` leads from the page to ``/guide/`` (empty on the route page itself)."""
    lang = link.lang
    w = page_words(lang)
    goal, _ = guide.names(route.goal, lang)
    start, _ = guide.names(route.start, lang)
    route_page = f"{up}{guide.map.community}" if up else ""  # the route page, from a deeper page
    body = [
        *_camera_section(guide, route, lang, up),
        "<ol>" + "".join(f"<li>{escape(step.text)}</li>" for step in route.steps) + "</ol>",
    ]
    if route.uses_stairs and not link.step_free:
        body.append(big_button(route_page + guide.link(link.at, link.to, True, lang), w["step_free_button"]))
    elif link.step_free:
        body.append(f'<p class="note">{escape(w["step_free_note"])}</p>')
    alt = w["map_alt"].format(start=start, goal=goal)
    body.append(f'<img src="{escape(up + guide.map.community)}/map.png?{escape(link.query(guide.key))}" '
                f'width="{MAP_SIZE[0]}" height="{MAP_SIZE[1]}" alt="{escape(alt)}">')
    return body


def _route_page(guide: Guide, link: GuideLink, route: Route) -> HTMLResponse:
    m = guide.map
    lang = link.lang
    w = page_words(lang)
    goal, goal_other = guide.names(route.goal, lang)
    start, start_other = guide.names(route.start, lang)
    body = [
        _switch(guide, link),
        f"<h1>{w['way_to'].format(goal=bilingual_in(goal, goal_other, lang))}</h1>",
        f"<p>{w['from'].format(start=bilingual_in(start, start_other, lang))}<br>" + way_length(route, lang) + "</p>",
        *way_section(guide, link, route),
    ]
    body.append(big_button(guide.link(link.at, None, link.step_free, lang), w["back"], None, "big back"))
    if link.at is None:
        body.append(f"<h2>{escape(w['start_elsewhere'])}</h2>")
        starts = [*(p.id for p in m.places), *(post.id for post in m.markers)]
        body.extend(big_button(guide.link(s, link.to, link.step_free, lang), *guide.names(s, lang), "big back")
                    for s in starts if s not in (link.to, route.goal))
    return page(w["way_to"].format(goal=goal), body, community=m, lang=lang)


def _choose_page(guide: Guide, link: GuideLink) -> HTMLResponse:
    m = guide.map
    lang = link.lang
    w = page_words(lang)
    body = [_switch(guide, link)]
    if link.at:
        here, here_other = guide.names(link.at, lang)
        body += [f"<h1>{w['you_are_at'].format(place=bilingual_in(here, here_other, lang))}</h1>",
                 f"<p>{escape(w['where_to'])}</p>",
                 f'<img src="{escape(m.community)}/map.png?{escape(link.query(guide.key))}" '
                 f'width="{MAP_SIZE[0]}" height="{MAP_SIZE[1]}" alt="{escape(w["map_here_alt"])}">']
    else:
        body.append(f"<h1>{escape(w['where_to'])}</h1>")
    body.extend(big_button(guide.link(link.at, p.id, link.step_free, lang), *guide.names(p.id, lang))
                for p in m.places if p.id != link.at)
    return page(w["where_to"], body, community=m, lang=lang)


# --- routes -------------------------------------------------------------------------------------


def _slow_down(wait: float, guide: Guide) -> HTMLResponse:
    response = page("Please wait a moment", [
        "<h1>Please wait a moment, then try again.<span class='zh'>请稍等片刻再试。</span></h1>",
    ], status=429, community=guide.map)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def checked_request(request: Request, community: str) -> tuple[Guide, dict[str, str]] | HTMLResponse:
    """The guide and a request's query, if the guide is up, the phone not too fast, the community ours and no
    field given twice; else the page that says why. The signature is the caller's to check (a route's or a tour
    stop's)."""
    guide: Guide | None = request.app.state.guide
    if guide is None:
        return _unavailable()
    wait = guide.per_address.take(request.client.host if request.client else "unknown")
    if wait is not None:
        return _slow_down(wait, guide)
    if community != guide.map.community:
        return refused(guide)
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:  # a second value for a signed field: which would count? refuse
            return refused(guide)
        params[name] = value
    return guide, params


def _check(request: Request, community: str) -> tuple[Guide, GuideLink] | HTMLResponse:
    """The verified link of a request (with any key of the ring that is not retired), or the refusal page."""
    checked = checked_request(request, community)
    if isinstance(checked, HTMLResponse):
        return checked
    guide, params = checked
    try:
        link = verify_query(community, params, guide.key)
    except GuideLinkError:
        return refused(guide)
    for node in (link.at, link.to):
        if node is not None and node not in guide.map.nodes:
            return _not_found(guide, node)
    return guide, link


@router.get("/guide/_static/{name:path}")
def guide_static(request: Request, name: str) -> Response:
    """The page's scripts and font, by name from :data:`STATIC_FILES` only (a community id never starts with
    ``_``, so no community's page is shadowed). Cached for a year: the page's URLs carry the file's hash."""
    if name == FONT_NAME and FONT_PATH.is_file():
        tag = f'"{static_version(FONT_NAME)}"'
        headers = {"Cache-Control": STATIC_CACHE, "ETag": tag, **HEADERS}
        if tag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(font_file(), media_type="font/ttf", headers=headers)
    found = STATIC_FILES.get(name)
    if found is None or not found[0].is_file():
        return Response("Not found", status_code=404, media_type="text/plain", headers=HEADERS)
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": STATIC_CACHE, **HEADERS})


@router.get("/guide/{community}", response_class=HTMLResponse)
def guide_page(request: Request, community: str) -> Response:
    checked = _check(request, community)
    if isinstance(checked, Response):
        return checked
    guide, link = checked
    if link.to is None:
        return _choose_page(guide, link)
    try:
        route = guide.router.route(link.to, start=link.at, step_free=link.step_free, lang=link.lang)
    except UnknownPlace:
        return _not_found(guide, link.to)
    except NoRoute:
        en, zh = guide.names(link.to)
        return page("No way without steps", [
            f"<h1>There is no way without steps to {_bi(en, zh)}.</h1>",
            "<p>Please ask at the Property Management Office for help.</p>",
            big_button(guide.link(link.at, link.to, False), "Show the usual way", "显示普通路线"),
        ], community=guide.map)
    return _route_page(guide, link, route)


@router.get("/guide/{community}/map.png")
def guide_map(request: Request, community: str) -> Response:
    checked = _check(request, community)
    if isinstance(checked, Response):
        return checked
    guide, link = checked
    try:
        png = guide.map_png(link.at, link.to, link.step_free)
    except (UnknownPlace, NoRoute):
        return _not_found(guide, link.to or "")
    except Busy:
        busy = _unavailable()
        busy.headers["Retry-After"] = "5"
        return busy
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600", **HEADERS})
