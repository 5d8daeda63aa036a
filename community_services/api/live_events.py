"""The live event stream (Server-Sent Events) for staff: alerts raised, taken, resolved, escalated, ...

``GET /api/v1/events/stream`` with the staff token; ``Last-Event-ID`` (header, or ``?last_event_id=`` for
clients that cannot set headers) replays what was missed. The body is ``live.event_stream``; the console serves
the same generator behind its own sign-in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from ..live import event_stream, parse_last_event_id
from .deps import BrokerDep, StaffRole
from .errors import STAFF_ERRORS

router = APIRouter(tags=["live"])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={**STAFF_ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "An SSE stream"}},
    summary="Live events for the duty board (Server-Sent Events)",
)
def live_stream(
    request: Request,
    _: StaffRole,
    live: BrokerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    since: Annotated[str | None, Query(alias="last_event_id", max_length=30)] = None,
) -> StreamingResponse:
    heartbeat: float = request.app.state.heartbeat_seconds
    stream = event_stream(live, parse_last_event_id(last_event_id or since), heartbeat=heartbeat,
                          is_disconnected=request.is_disconnected)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
