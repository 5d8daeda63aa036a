"""Urgent notices for the kiosks (``docs/notices.md``): each kiosk polls the ones in force for its buildings and
confirms each one its screen has shown; the console shows which kiosks have."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from .. import notice_desk, schemas
from ..auth import KioskRole
from .deps import AnyRole, BrokerDep, LangDep, NowDep, SessionDep
from .errors import AUTH_ERRORS, NOT_FOUND

router = APIRouter(tags=["broadcasts"])

Buildings = Annotated[list[schemas.Building] | None, Query(
    alias="building", max_length=12,
    description="The buildings this kiosk serves (1-12), repeated; none: the whole community (every notice).")]
KioskQuery = Annotated[str | None, Query(min_length=1, max_length=schemas.MAX_KIOSK_ID,
                                         description="The asking kiosk (LINLI_KIOSK_ID); remembered with its "
                                         "buildings so the console can tell which notices are for it.")]
NoticeId = Annotated[int, Path(ge=1, le=schemas.MAX_ID)]


@router.get("/broadcasts", response_model=list[schemas.Broadcast], responses=AUTH_ERRORS,
            summary="Urgent notices in force for a kiosk's buildings (and for every building)")
def list_broadcasts(request: Request, _: AnyRole, session: SessionDep, now: NowDep, lang: LangDep,
                    kiosk_id: KioskQuery = None, building: Buildings = None) -> list[schemas.Broadcast]:
    buildings = notice_desk.sort_buildings(building or ())
    if kiosk_id:
        served: dict[str, tuple[str, ...]] = request.app.state.kiosk_buildings
        if len(served) < 10_000 or kiosk_id in served:  # a bound: names are the kiosks' own, but still
            served[kiosk_id] = buildings
    return notice_desk.active_broadcasts(session, now, buildings, lang)


@router.post(
    "/broadcasts/{notice_id}/receipts",
    response_model=schemas.Receipt,
    status_code=status.HTTP_201_CREATED,
    responses={**AUTH_ERRORS, **NOT_FOUND, 200: {"model": schemas.Receipt, "description": "Already confirmed"},
               403: {"model": schemas.ErrorMessage, "description": "Kiosk token required"}},
    summary="A kiosk's screen showed an urgent notice (idempotent: a repeat returns the first receipt, 200)",
)
def post_receipt(notice_id: NoticeId, payload: schemas.ReceiptIn, _: KioskRole, session: SessionDep, now: NowDep,
                 broker: BrokerDep, response: Response) -> schemas.Receipt:
    receipt, new = notice_desk.record_receipt(session, notice_id, payload, now)
    if new:
        broker.publish("notice.receipt", receipt.model_dump(mode="json"))
    else:
        response.status_code = status.HTTP_200_OK
    return receipt
