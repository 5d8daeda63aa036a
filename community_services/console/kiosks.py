"""Kiosk health in the console (issue 14, point 7): every kiosk that sent a heartbeat, flagged when silent for
over two minutes, when its outbox holds requests the office refused, or when requests are stuck on an error someone
must fix, with the kiosk's latest reason (``kiosk_health.kiosk_list``). Any staff."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import kiosk_health
from .auth import ConsoleStaff, now_of
from .pages import render

router = APIRouter()


def ago(seconds: float) -> str:
    """``"just now"``, ``"2 min ago"``, ``"3 h ago"``, ``"2 days ago"``."""
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


@router.get("/kiosks")
def kiosks(request: Request, staff: ConsoleStaff) -> Response:
    now = now_of(request)
    with request.app.state.db.session() as session:
        rows = kiosk_health.kiosk_list(session, now)
    return render(request, "kiosks.html", staff, kiosks=rows, ago=ago, now=now,
                  silent_minutes=int(kiosk_health.SILENT_AFTER.total_seconds() // 60))
