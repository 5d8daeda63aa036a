"""Printable QR posters (``linli qr``): one per place, marker post and tour stop, PNG + PDF at 300 dpi.

Place posters carry ``GuideLink(to=place)``; a tour stop's poster carries ``TourLink(tour, n)`` (the stop's
story and the way on); marker-post posters carry ``GuideLink(at=post)`` and the
ArUco marker printed at exactly its declared size (the AR pose depends on it), with a one-cell white
quiet zone. A marker too big for A4 with its quiet zone moves to A3 (then A2). PNGs are greyscale;
PDF pages are 1-bit (exact QR/marker edges, small files). Every file is written atomically.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import qrcode
import yaml
from PIL import Image, ImageDraw, ImageFont

from ar_overlays.detect import aruco_dictionary, marker_cells
from assistant.shared.errors import LinliError
from wayfinding.community_map import DEFAULT_MARKER_DICTIONARY, CommunityMap, MarkerPost, Place, Tour
from wayfinding.guide_links import GuideLink, TourLink
from wayfinding.key_ring import KeyRing

DPI = 300
MM = DPI / 25.4
"""Pixels per millimetre."""
PAPERS: tuple[tuple[str, tuple[int, int]], ...] = (
    ("A4", (2480, 3508)),
    ("A3", (3508, 4961)),
    ("A2", (4961, 7016)),
)
FONT_PATH = Path(__file__).resolve().parents[1] / "assets" / "fonts" / "wqy-microhei.ttc"
MARGIN = round(12 * MM)
PLACE_QR_MM = 140
"""Place posters: a 14 cm code (≥ 9 cm asked): readable from a couple of metres, and by the kiosk camera."""
MIN_QR_MM = 60
"""Marker posters: the code shares the page with the marker; 6 cm still reads from arm's length."""
QR_BORDER = 4
"""Quiet zone of the QR code, in modules (the standard's minimum)."""
ALL_PDF = "all-posters.pdf"
_CJK = r"\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_CLOSING = "，。、：；！？）」』》"
_TOKENS = re.compile(rf"[{_CJK}][{_CLOSING}]?|[^\s{_CJK}]+|\s+")
"""Line-breaking units: one Chinese character (with the punctuation that may not start a line), a Latin
word, or a run of spaces."""

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
"""The posters' words, one file per language (``en.yml``, ``zh-CN.yml``): every poster carries all of them."""


class PosterError(LinliError):
    code = "poster_error"


@dataclass(frozen=True)
class Poster:
    """One page: ``id`` names the files (``<id>.png``, ``<id>.pdf``)."""

    id: str
    image: Image.Image
    paper: str


# --- words ------------------------------------------------------------------------------------------


@cache
def poster_words() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(language, words) of every language in ``locale/``, English first (the map's ``name`` is English)."""
    found = []
    for path in sorted(LOCALE_DIR.glob("*.yml"), key=lambda p: (p.stem != "en", p.stem)):
        try:
            words = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise PosterError(f"Cannot read the poster words {path}: {e}") from e
        if not isinstance(words, dict):
            raise PosterError(f"{path}:1: the poster words must be a mapping (way_to, scan, here, ...).")
        found.append((path.stem, words))
    return tuple(found)


def _name_in(lang: str, name: str, name_zh: str | None) -> str | None:
    """A name in ``lang``: the map has English and Chinese names; ``None`` when the map has none in it."""
    if lang == "en":
        return name
    return name_zh if lang.startswith("zh") else None


# --- text -------------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(FONT_PATH), size)
    except OSError as e:
        raise PosterError(f"Cannot open the poster font {FONT_PATH}: {e}") from e


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy line breaking: between Latin words, or between any two Chinese characters."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            line += " " if line else ""
            continue
        while font.getlength(line + token) > width and not line.strip() and len(token) > 1:
            # one word wider than the line (a URL): cut it where it fills the line
            cut = max(1, next(i for i in range(len(token), 0, -1) if font.getlength(token[:i]) <= width))
            lines.append(token[:cut])
            token = token[cut:]
        if line.strip() and font.getlength(line + token) > width:
            lines.append(line.rstrip())
            line = ""
        line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _fit(text: str, width: int, size: int, max_lines: int, min_size: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (from ``size`` down) that sets ``text`` in at most ``max_lines`` lines."""
    while True:
        font = _font(size)
        lines = _wrap(text, font, width)
        if len(lines) <= max_lines or size <= min_size:
            return font, lines
        size = max(min_size, int(size * 0.9))


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    return round(font.size * 1.25)


def _text_block(draw: ImageDraw.ImageDraw, lines: Sequence[str], font: ImageFont.FreeTypeFont, x: int, y: int,
                width: int, *, centre: bool = True) -> int:
    """Draws ``lines`` from ``y``; returns the y below them."""
    for line in lines:
        dx = (width - font.getlength(line)) / 2 if centre else 0
        draw.text((x + dx, y), line, font=font, fill=0)
        y += _line_height(font)
    return y


def _block_height(lines: Sequence[str], font: ImageFont.FreeTypeFont) -> int:
    return len(lines) * _line_height(font)


# --- codes ------------------------------------------------------------------------------------------


def qr_modules(text: str, ecc: int) -> np.ndarray:
    """The code's modules (True = dark) including the quiet zone."""
    qr = qrcode.QRCode(error_correction=ecc, box_size=1, border=QR_BORDER)
    qr.add_data(text)
    qr.make(fit=True)
    return np.array(qr.get_matrix(), dtype=bool)


def qr_image(text: str, side_px: int, ecc: int) -> Image.Image:
    """A square code of at most ``side_px`` (whole pixels per module, so every module has the same size)."""
    modules = qr_modules(text, ecc)
    box = side_px // len(modules)
    if box < 1:
        raise PosterError("The guide address is too long for a QR code of this size.")
    grey = np.where(modules, 0, 255).astype(np.uint8)
    return Image.fromarray(grey).resize((len(modules) * box,) * 2, Image.Resampling.NEAREST)


def marker_side_px(size_m: float) -> int:
    """The black square's side at 300 dpi (within half a pixel = 0.04 mm of ``size_m``)."""
    return round(size_m * 1000 * MM)


def marker_image(aruco: int, side_px: int, dictionary: str = DEFAULT_MARKER_DICTIONARY) -> Image.Image:
    """The marker's black square (its bits + a one-cell border: 6 cells for 4×4, 7 for 5×5) of the map's
    dictionary, exactly ``side_px`` wide; no quiet zone."""
    n = marker_cells(dictionary)
    cells = cv2.aruco.generateImageMarker(aruco_dictionary(dictionary), aruco, n, borderBits=1)
    return Image.fromarray(cells).resize((side_px, side_px), Image.Resampling.NEAREST)


# --- pages ------------------------------------------------------------------------------------------


def _with_article(name: str) -> str:
    # "the Community Clinic", but "Building 3" and "The Bakery" stay as they are
    return name if name.lower().startswith("the ") or re.search(r"\d$", name) else f"the {name}"


def _header(draw: ImageDraw.ImageDraw, community: CommunityMap, width: int) -> int:
    text = community.name + (f"  {community.name_zh}" if community.name_zh else "")
    font = _font(70)
    y = _text_block(draw, [text], font, MARGIN, MARGIN, width - 2 * MARGIN)
    draw.line((MARGIN, y + 10, width - MARGIN, y + 10), fill=0, width=6)
    return y + 60


def _footer(draw: ImageDraw.ImageDraw, lines: Sequence[str], width: int, height: int) -> None:
    font = _font(42)
    wrapped = [w for line in lines for w in _wrap(line, font, width - 2 * MARGIN)]
    _text_block(draw, wrapped, font, MARGIN, height - MARGIN - _block_height(wrapped, font), width - 2 * MARGIN)


def _address_lines(url: str) -> list[str]:
    page, _, query = url.partition("?")  # two lines, broken where a reader expects it
    return [*(words["address"] for _, words in poster_words()), page, f"?{query}" if query else ""]


def place_poster(community: CommunityMap, place: Place, url: str) -> Poster:
    width, height = PAPERS[0][1]
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    inner = width - 2 * MARGIN
    y = _header(draw, community, width)
    languages = poster_words()
    for index, (lang, words) in enumerate(languages):
        name = _name_in(lang, place.name, place.name_zh)
        if name is None:
            continue
        name = _with_article(name) if lang == "en" else name
        font, lines = _fit(words["way_to"].format(name=name), inner, 170 if index == 0 else 150, 2, 80)
        y = _text_block(draw, lines, font, MARGIN, y, inner)
    code = qr_image(url, round(PLACE_QR_MM * MM), qrcode.constants.ERROR_CORRECT_Q)
    page.paste(code, ((width - code.width) // 2, y + 40))
    y += 40 + code.height + 40
    font = _font(88)
    for _, words in languages:
        y = _text_block(draw, [w for line in words["scan"] for w in _wrap(line, font, inner)], font, MARGIN, y,
                        inner) + 20
    _footer(draw, _address_lines(url), width, height)
    return Poster(place.id, page, "A4")


def tour_poster_id(tour: Tour, n: int) -> str:
    """``heritage-walk-stop-2``: the files of stop ``n`` (1 for the first) of ``tour``."""
    return f"{tour.id}-stop-{n}"


def _stop_name(community: CommunityMap, node_id: str, lang: str, words: dict[str, Any]) -> str | None:
    """A stop's name in ``lang``: the place's or post's own, else "near <the nearest place>"."""
    node = community.node(node_id)
    if isinstance(node, Place) or (isinstance(node, MarkerPost) and node.name):
        return _name_in(lang, node.name or "", node.name_zh)
    near = _nearest_place(community, node) if isinstance(node, MarkerPost) else None
    name = _name_in(lang, near.name, near.name_zh) if near else None
    return words["near"].format(name=_with_article(name) if lang == "en" else name) if name else None


def tour_stop_poster(community: CommunityMap, tour: Tour, n: int, url: str) -> Poster:
    """Stop ``n`` of ``tour``: in every language the walk's name and "stop n of N" over the stop's name, then a
    big code (as on a place poster: read from a couple of metres) and what scanning it brings."""
    width, height = PAPERS[0][1]
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    inner = width - 2 * MARGIN
    y = _header(draw, community, width)
    languages = poster_words()
    stop = tour.stops[n - 1]
    for index, (lang, words) in enumerate(languages):
        tour_name = _name_in(lang, tour.name, tour.name_zh)
        stop_name = _stop_name(community, stop.at, lang, words)
        if tour_name is None or stop_name is None:
            continue
        font, lines = _fit(words["tour_stop"].format(tour=tour_name, n=n, count=len(tour.stops)), inner, 90, 1, 60)
        y = _text_block(draw, lines, font, MARGIN, y, inner)
        size = 150 if index == 0 else 130
        font, lines = _fit(stop_name, inner, size, 1, 100)  # one line if it stays large, else two
        if len(lines) > 1:
            font, lines = _fit(stop_name, inner, size, 2, 80)
        y = _text_block(draw, lines, font, MARGIN, y, inner) + 10
    font = _font(68)
    scan = [[w for line in words["tour_scan"] for w in _wrap(line, font, inner)] for _, words in languages]
    scan_h = sum(_block_height(lines, font) + 16 for lines in scan)
    footer = _address_lines(url)
    footer_h = sum(_block_height(_wrap(line, _font(42), inner), _font(42)) for line in footer)
    room = height - MARGIN - footer_h - 40 - scan_h - 60 - y  # the code takes what the words leave
    code = qr_image(url, min(round(PLACE_QR_MM * MM), room), qrcode.constants.ERROR_CORRECT_Q)
    page.paste(code, ((width - code.width) // 2, y + 30))
    y += 30 + code.height + 30
    for lines in scan:
        y = _text_block(draw, lines, font, MARGIN, y, inner) + 16
    _footer(draw, footer, width, height)
    return Poster(tour_poster_id(tour, n), page, "A4")


def _nearest_place(community: CommunityMap, post: MarkerPost) -> Place:
    def distance(place: Place) -> tuple[bool, float]:
        return place.level != post.level, math.dist(place.at, post.at)

    return min(community.places, key=distance)


def marker_poster(community: CommunityMap, post: MarkerPost, url: str) -> Poster:
    nearest = _nearest_place(community, post)
    heres = []
    for lang, words in poster_words():
        own = _name_in(lang, post.name, post.name_zh) if post.name else None
        near = _name_in(lang, nearest.name, nearest.name_zh)
        if own:
            heres.append(words["here"].format(name=own))
        elif near:
            heres.append(words["here_near"].format(name=_with_article(near) if lang == "en" else near))
    side = marker_side_px(post.size)
    quiet = math.ceil(side / marker_cells(community.marker_dictionary))  # one marker cell of white paper around
    note = (f"Marker {post.id} · ArUco {post.aruco} ({community.marker_dictionary}) · {post.size * 100:g} cm square. "
            "Print at 100 % (actual size, not 'fit to page').")
    for paper, (width, height) in PAPERS:
        inner = width - 2 * MARGIN
        if side + 2 * quiet > inner:
            continue
        page = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(page)
        y = _header(draw, community, width)
        for index, here in enumerate(heres):
            font, lines = _fit(here, inner, 130 if index == 0 else 120, 2 if index == 0 else 1, 70)
            y = _text_block(draw, lines, font, MARGIN, y, inner)
        marker_top = y + quiet
        y = marker_top + side + quiet
        footer = _address_lines(url) + [note]
        footer_h = sum(_block_height(_wrap(line, _font(42), inner), _font(42)) for line in footer)
        room = height - MARGIN - footer_h - 40 - y
        if room < MIN_QR_MM * MM:
            continue
        page.paste(marker_image(post.aruco, side, community.marker_dictionary), ((width - side) // 2, marker_top))
        code = qr_image(url, min(room, round(90 * MM), inner // 2), qrcode.constants.ERROR_CORRECT_Q)
        page.paste(code, (MARGIN, y))
        text_x = MARGIN + code.width + 40
        text_w = width - MARGIN - text_x
        ty = y
        for index, (_, words) in enumerate(poster_words()):
            most = max(1, code.height // 2 // _line_height(_font(80))) if index == 0 else 3
            font, lines = _fit(words["here_scan"], text_w, 80, most, 50)
            ty = _text_block(draw, lines, font, text_x, ty + 20, text_w, centre=False)
        _footer(draw, footer, width, height)
        return Poster(post.id, page, paper)
    raise PosterError(f"The marker of {post.id} ({post.size:g} m) is too big for an A2 poster.")


# --- files ------------------------------------------------------------------------------------------


def _pdf_page(image: Image.Image) -> Image.Image:
    # thresholded, not dithered: the QR code and the marker stay exact; text edges are fine at 300 dpi
    return image.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def _save_atomic(path: Path, image: Image.Image, fmt: str, **params: object) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        image.save(tmp, format=fmt, **params)
        os.replace(tmp, path)
    except OSError as e:
        raise PosterError(f"Cannot write {path}: {e}") from e
    finally:
        tmp.unlink(missing_ok=True)


def _prepare_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError as e:
        raise PosterError(f"Cannot write posters to {out_dir}: it is a file, not a folder.") from e
    except OSError as e:
        raise PosterError(f"Cannot write posters to {out_dir}: {e.strerror or e}.") from e
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise PosterError(f"Cannot write posters to {out_dir}: permission denied.")


def poster_ids(community: CommunityMap) -> list[str]:
    """Every poster this map makes: its places (parts included), its marker posts, then each tour's stops.
    Raises ``PosterError`` if a tour stop's poster would have a place's or post's file name."""
    ids = [p.id for p in community.places] + [m.id for m in community.markers]
    stops = [tour_poster_id(t, n) for t in community.tours for n in range(1, len(t.stops) + 1)]
    clash = sorted(set(ids) & set(stops))
    if clash:
        raise PosterError(f"The poster of a tour stop and a place or marker post would both be {clash[0]}.png: "
                          "rename the tour or the place in the map.")
    return ids + stops


def make_posters(community: CommunityMap, key: bytes | KeyRing, public_url: str, out_dir: Path,
                 only: Sequence[str] | None = None, lang: str | None = None) -> list[Path]:
    """Writes ``<id>.png`` and ``<id>.pdf`` per poster, and ``all-posters.pdf`` when making all of them.

    ``lang``: the language the phone page opens in (``zh-CN``; English without); the poster is bilingual anyway.

    ``only``: poster ids to (re)make; then ``all-posters.pdf`` is left alone (it would not be "all").
    Returns the files written. Raises ``PosterError`` for an unknown id or an unwritable ``out_dir``.
    """
    known = poster_ids(community)
    if only:
        unknown = [i for i in only if i not in known]
        if unknown:
            place = community.place(unknown[0])  # a name or alias: "clinic"
            close = [place.id] if place else difflib.get_close_matches(unknown[0], known, n=3, cutoff=0.5)
            raise PosterError(f"There is no place, marker post or tour stop {unknown[0]!r} in the map."
                              + (f" Did you mean {', '.join(close)}?" if close else ""))
    wanted = set(only) if only else set(known)
    _prepare_out_dir(out_dir)
    written: list[Path] = []
    pages: list[Image.Image] = []

    def emit(poster: Poster) -> None:
        png, pdf = out_dir / f"{poster.id}.png", out_dir / f"{poster.id}.pdf"
        _save_atomic(png, poster.image, "PNG", dpi=(DPI, DPI))
        page = _pdf_page(poster.image)
        _save_atomic(pdf, page, "PDF", resolution=float(DPI), title=poster.id)
        written.extend((png, pdf))
        pages.append(page)

    def url(to: str | None = None, at: str | None = None) -> str:
        return GuideLink(community.community, at=at, to=to, lang=lang).to_url(public_url, key)

    for place in community.places:
        if place.id in wanted:
            emit(place_poster(community, place, url(to=place.id)))
    for post in community.markers:
        if post.id in wanted:
            emit(marker_poster(community, post, url(at=post.id)))
    for tour in community.tours:
        for n in range(1, len(tour.stops) + 1):
            if tour_poster_id(tour, n) in wanted:
                link = TourLink(community.community, tour.id, n, lang=lang)
                emit(tour_stop_poster(community, tour, n, link.to_url(public_url, key)))
    if not only and pages:
        path = out_dir / ALL_PDF
        _save_atomic(path, pages[0], "PDF", resolution=float(DPI), save_all=True, append_images=pages[1:],
                     title=f"{community.name} guide posters")
        written.append(path)
    return written
