"""Kiosk heartbeats: each kiosk reports itself every half minute (``kiosk_health``); staff see them in the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from .. import kiosk_health, schemas
from ..auth import KioskRole
from .deps import NowDep, SessionDep
from .errors import AUTH_ERRORS

router = APIRouter(tags=["kiosks"])

KioskId = Annotated[str, Path(min_length=1, max_length=schemas.MAX_KIOSK_ID,
                              description="The kiosk's name (LINLI_KIOSK_ID), e.g. kiosk-service-centre.")]


@router.put(
    "/kiosks/{kiosk_id}/heartbeat",
    response_model=schemas.KioskHeartbeat,
    responses={**AUTH_ERRORS, 403: {"model": schemas.ErrorMessage, "description": "Kiosk token required"}},
    summary="A kiosk's heartbeat: where it is, its model, its outbox; the office's time is its last seen",
)
def put_heartbeat(kiosk_id: KioskId, payload: schemas.KioskHeartbeatIn, _: KioskRole, session: SessionDep,
                  now: NowDep) -> schemas.KioskHeartbeat:
    if schemas.clean_text(kiosk_id, multiline=False) != kiosk_id:
        raise HTTPException(status_code=422,  # Unprocessable Content
                            detail="A kiosk name is one line of printable text without leading or trailing spaces.")
    row = kiosk_health.record_heartbeat(session, kiosk_id, payload, now)
    return schemas.KioskHeartbeat.model_validate(row)
