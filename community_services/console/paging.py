"""Small helpers the desk pages share: the page number from the URL, the URL of a filtered page, timing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi.responses import Response

PAGE_SIZE = 50


def page_number(value: str) -> int:
    """``"3"`` → 3; anything else (empty, ``"-1"``, ``"x"``, absurdly large) → 1."""
    return int(value) if value.isdigit() and 0 < len(value) <= 6 and int(value) > 0 else 1


def filtered_url(path: str, filters: Mapping[str, str], page: int = 1) -> str:
    """``path`` with the filters that are set (and the page when it is not the first): a bookmarkable URL."""
    query = {key: value for key, value in filters.items() if value}
    if page > 1:
        query["page"] = str(page)
    return f"{path}?{urlencode(query)}" if query else path


def with_server_timing(response: Response, name: str, started: float) -> Response:
    """Add ``Server-Timing: <name>;dur=<ms since started>`` (``started``: ``time.perf_counter()``)."""
    response.headers["Server-Timing"] = f"{name};dur={(time.perf_counter() - started) * 1000:.1f}"
    return response
