"""Server-rendered console pages: one Jinja2 environment (autoescape on for every template) and ``render``.

Templates live in ``templates/`` and extend ``base.html`` (blocks ``title`` and ``content``). Every page gets
``staff`` (or ``None``), ``csrf_token`` (the session's, for forms) and ``static_url("console.css")``.

Responses carry a strict Content-Security-Policy: scripts and styles only from ``/console/static/`` (no
inline ``<script>``, no ``style=""``), so text a resident or a staff member typed can never run as code even
if a template forgot to escape it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .auth import StaffMember

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PREFIX = "/console/static/"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,  # a misspelt variable is an error in tests, not an empty space on the page
    trim_blocks=True,
    lstrip_blocks=True,
)


def static_url(path: str) -> str:
    """The URL of a vendored file in ``static/``."""
    return STATIC_PREFIX + path.lstrip("/")


def render(request: Request, template_name: str, staff: StaffMember | None, *, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render ``templates/<template_name>`` with ``staff``, ``csrf_token``, ``static_url`` and ``context``."""
    html = environment.get_template(template_name).render(
        request=request,
        staff=staff,
        csrf_token=getattr(request.state, "console_csrf", "") if staff else "",
        static_url=static_url,
        current_path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
