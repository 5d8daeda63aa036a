"""A tour stop's phone page (a heritage walk): ``GET /guide/{community}/tour/{tour}/{n}`` and the stop's photo.

What a stop's QR poster opens (``linli qr``): "Stop n of N", the stop's story in large text with a button that
reads it aloud (the phone's own voice, ``static/guide/guide-read-aloud.js``; without one the button stays hidden),
the stop's photo if the map has one, then the way to the next stop exactly as the route page shows a way
(:func:`~community_services.api.guide.way_section`: camera view, steps, map) and a big "Next stop" link. The last
stop says the walk is done and leads back to the first. Signed like the route pages
(``wayfinding.guide_links.TourLink``); the words are ``tour:`` in ``content/guide/<lang>.yml``.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from wayfinding.community_map import Tour, find_photo, is_chinese, photo_dirs
from wayfinding.guide_links import GuideLink, GuideLinkError, TourLink, verify_tour_query
from wayfinding.routing import NoRoute, UnknownPlace

from .guide import (
    HEADERS,
    Guide,
    big_button,
    bilingual_in,
    checked_request,
    escape,
    language_switch,
    languages,
    page,
    page_words,
    refused,
    static_url,
    way_length,
    way_section,
)

router = APIRouter(include_in_schema=False)
UP = "../../../"
"""From ``/guide/<community>/tour/<tour>/<n>`` back to ``/guide/``: every link of the page stays relative."""
READ_ALOUD_SCRIPT = "guide-read-aloud.js"


def _checked(request: Request, community: str, tour_id: str, stop: str
             ) -> tuple[Guide, TourLink, Tour] | HTMLResponse:
    """The verified stop of a request and its tour, or the page that says why not (refused, or not found)."""
    checked = checked_request(request, community)
    if isinstance(checked, HTMLResponse):
        return checked
    guide, params = checked
    try:
        link = verify_tour_query(community, tour_id, stop, params, guide.key)
    except GuideLinkError as e:
        # a stop that is no number is as good as no stop; a bad signature is refused like any code
        return _unknown(guide, params.get("lang")) if e.reason == "not_guide" else refused(guide)
    tour = next((t for t in guide.map.tours if t.id == link.tour), None)
    if tour is None or link.stop > len(tour.stops):  # signed once, but the map has changed since
        return _unknown(guide, link.lang)
    return guide, link, tour


def _unknown(guide: Guide, lang: str | None) -> HTMLResponse:
    """404 in the page's language, the other languages below it (the code may not say which one the reader
    has), and the way to choose a place instead."""
    w = page_words(lang)["tour"]
    others = [page_words(code) for code in languages() if code != (lang or "en")]
    return page(w["unknown_title"], [
        f"<h1>{escape(w['unknown'])}</h1>",
        f"<p>{escape(w['unknown_help'])}</p>",
        *(f'<p lang="{escape(o["html_lang"])}">{escape(o["tour"]["unknown"])} {escape(o["tour"]["unknown_help"])}</p>'
          for o in others),
        big_button(UP + guide.map.community + guide.link(None, None, False, lang),
                   page_words(lang)["where_to"], None, "big back"),
    ], 404, guide.map, lang, UP)


def _stop_href(guide: Guide, link: TourLink, n: int, lang: str | None = None) -> str:
    """Stop ``n`` of the same tour, relative to this stop's page (a sibling: ``3?k=..&sig=..``)."""
    return f"{n}?{TourLink(link.community, link.tour, n, lang).query(guide.key)}"


def _next_part(guide: Guide, link: TourLink, tour: Tour, tour_name: str) -> list[str]:
    """The way to the next stop and the link to it; on the last stop, the end of the walk."""
    lang, n, w = link.lang, link.stop, page_words(link.lang)["tour"]
    if n == len(tour.stops):
        return [f'<p class="note story">{escape(w["done"].format(tour=tour_name))}</p>',
                big_button(_stop_href(guide, link, 1, lang), w["again"])]
    here, there = tour.stops[n - 1].at, tour.stops[n].at
    place, place_other = guide.names(there, lang)
    body = [f"<h2>{w['way_to_next'].format(n=n + 1, place=bilingual_in(place, place_other, lang))}</h2>"]
    way = GuideLink(guide.map.community, here, there, False, lang)
    try:
        route = guide.router.route(there, start=here, lang=lang)
    except (UnknownPlace, NoRoute):  # the map was checked at load; should it not route, the link still leads on
        route = None
    if route is not None:
        body += [f"<p>{way_length(route, lang)}</p>", *way_section(guide, way, route, up=UP)]
    body.append(big_button(_stop_href(guide, link, n + 1, lang), w["next"].format(place=place)))
    return body


def _stop_page(guide: Guide, link: TourLink, tour: Tour) -> HTMLResponse:
    lang, n = link.lang, link.stop
    w = page_words(lang)["tour"]
    stop = tour.stops[n - 1]
    tour_name = (tour.name_zh or tour.name) if is_chinese(lang) else tour.name
    name, name_other = guide.names(stop.at, lang)
    story_lang = page_words(lang)["html_lang"]
    body = [
        language_switch(lang, lambda code: _stop_href(guide, link, n, code)),
        f'<p class="stop-no">{escape(tour_name)} · {escape(w["stop_of"].format(n=n, count=len(tour.stops)))}</p>',
        f"<h1>{bilingual_in(name, name_other, lang)}</h1>",
    ]
    if stop.photo is not None:
        body.append(f'<img src="{escape(str(n))}/photo?{escape(link.query(guide.key))}" '
                    f'alt="{escape(w["photo_alt"].format(stop=name))}">')
    body += [
        f'<p id="story" class="story" lang="{escape(story_lang)}">{escape(stop.story_in(lang))}</p>',
        # hidden until the script finds the phone's voice: a page without one never shows a dead button
        f'<button type="button" id="read-aloud" class="big" hidden data-state="off" data-lang="{escape(lang or "en")}"'
        f' data-read="{escape(w["read_aloud"])}" data-stop="{escape(w["stop_reading"])}">'
        f'{escape(w["read_aloud"])}</button>',
        f'<p id="read-aloud-none" class="note" hidden role="status">{escape(w["no_voice"])}</p>',
        f'<script src="{escape(static_url(READ_ALOUD_SCRIPT, UP))}" defer></script>',
        *_next_part(guide, link, tour, tour_name),
    ]
    if n > 1:
        body.append(big_button(_stop_href(guide, link, n - 1, lang), w["previous"], None, "big back"))
    return page(f"{tour_name} · {name}", body, community=guide.map, lang=lang, up=UP)


@router.get("/guide/{community}/tour/{tour}/{stop}", response_class=HTMLResponse)
def tour_stop_page(request: Request, community: str, tour: str, stop: str) -> Response:
    checked = _checked(request, community, tour, stop)
    if isinstance(checked, Response):
        return checked
    return _stop_page(*checked)


@router.get("/guide/{community}/tour/{tour}/{stop}/photo")
def tour_stop_photo(request: Request, community: str, tour: str, stop: str) -> Response:
    """The stop's photo (signed like its page: a phone cannot fetch files of the map's folder by name)."""
    checked = _checked(request, community, tour, stop)
    if isinstance(checked, Response):
        return checked
    guide, link, found = checked
    photo = found.stops[link.stop - 1].photo
    path = find_photo(photo, photo_dirs(guide.map_path)) if photo else None
    if path is None:  # no photo, or removed since the map was loaded
        return Response("Not found", status_code=404, media_type="text/plain", headers=HEADERS)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=3600", **HEADERS})
