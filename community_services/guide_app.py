"""The phones' listener: the walking guide (``/guide/...`` and its map pictures) and nothing else.

Residents' phones on the community Wi-Fi must reach the guide page that a QR poster opens; they must not reach
the office API, the staff console or the API's documentation. So the guide is served by a second, small app on
its own address (``LINLI_GUIDE_HOST``/``LINLI_GUIDE_PORT``), beside the office API in the same process
(``python -m community_services``); the office API keeps its own address (``LINLI_HOST``, loopback by default).
See docs/security.md, "Network boundaries".
"""

from __future__ import annotations

from fastapi import FastAPI

from .api import guide as guide_pages
from .api import guide_tour
from .api.limits import MAX_BODY_BYTES, BodySizeLimit


def create_guide_app(guide: guide_pages.GuideSettings | None, *, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """Only the guide's routes; no ``/docs``, ``/openapi.json``, ``/health``, API or console (all 404).
    Without ``guide`` (a broken map or key) its pages answer 503, as on the office app."""
    app = FastAPI(title="Linli walking guide", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.guide = guide_pages.Guide(guide) if guide else None
    app.include_router(guide_pages.router)
    app.include_router(guide_tour.router)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    return app
