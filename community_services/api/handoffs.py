"""A person talks through the kiosk (``docs/handoff.md``): the kiosk opens a handoff, polls it for staff words,
sends the resident's words and ends it. Kiosk token only (the staff token names no person and is no resident;
staff talk through the console).

The work is done by ``handoff_desk``; each change is published on the live stream after its commit
(``handoff.raised``, ``handoff.message``, ``handoff.ended``) for the duty board and the handoff page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from .. import handoff_desk, schemas
from ..auth import KioskRole
from ..console.board import publish_handoff_ended, publish_handoff_message, publish_handoff_raised
from . import log
from .deps import BrokerDep, NowDep, SessionDep
from .errors import AUTH_ERRORS, NOT_FOUND
from .idempotency import CreateOnce

router = APIRouter(tags=["handoffs"])

KIOSK_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    403: {"model": schemas.ErrorMessage, "description": "Kiosk token required"},
}
ENDED: dict[int | str, dict[str, Any]] = {
    409: {"model": schemas.ErrorMessage, "description": "The conversation has ended"},
}
Reference = Annotated[str, Path(min_length=1, max_length=20, description="The handoff's reference, e.g. F1003.")]


@router.post(
    "/handoffs",
    response_model=schemas.HandoffView,
    status_code=status.HTTP_201_CREATED,
    responses=KIOSK_ERRORS,
    summary="Open a handoff: the resident wants to talk to a person (it is also feedback of category handoff)",
)
def open_handoff(
    payload: schemas.HandoffCreate, _: KioskRole, create: CreateOnce, session: SessionDep, now: NowDep,
    live: BrokerDep,
) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.HandoffView:
        view = handoff_desk.open_handoff(session, payload, now)
        log.info("handoff %s opened at kiosk %s", view.reference, view.kiosk_id)
        return view

    response = create(payload, build)
    if response.status_code == status.HTTP_201_CREATED and "Idempotent-Replayed" not in response.headers:
        reference = schemas.HandoffView.model_validate_json(bytes(response.body)).reference
        publish_handoff_raised(live, session, reference, now)
    return response


@router.get(
    "/handoffs/{reference}",
    response_model=schemas.HandoffView,
    responses={**KIOSK_ERRORS, **NOT_FOUND},
    summary="A handoff: its status, who joined, and its messages after ?after=N (all without)",
)
def get_handoff(
    reference: Reference, _: KioskRole, session: SessionDep,
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="Only messages with a larger id.")] = None,
) -> schemas.HandoffView:
    return handoff_desk.view(session, reference, after)


@router.post(
    "/handoffs/{reference}/messages",
    response_model=schemas.HandoffMessage,
    status_code=status.HTTP_201_CREATED,
    responses={**KIOSK_ERRORS, **NOT_FOUND, **ENDED},
    summary="The resident's words (typed or spoken) for the member of staff; 409 once the handoff has ended",
)
def add_message(
    reference: Reference, body: schemas.HandoffMessageCreate, _: KioskRole, session: SessionDep, now: NowDep,
    live: BrokerDep,
) -> schemas.HandoffMessage:
    message = handoff_desk.add_resident_message(session, reference, body.text, body.via, now)
    session.commit()
    publish_handoff_message(live, handoff_desk.normalize_reference(reference), message)
    return message


@router.post(
    "/handoffs/{reference}/end",
    response_model=schemas.HandoffView,
    responses={**KIOSK_ERRORS, **NOT_FOUND},
    summary="End a handoff: back to the assistant (resident) or the resident walked away (resident_left)",
)
def end_handoff(
    reference: Reference, body: schemas.HandoffEnd, _: KioskRole, session: SessionDep, now: NowDep,
    live: BrokerDep,
) -> schemas.HandoffView:
    outcome = handoff_desk.end(session, reference, body.reason, now)
    session.commit()
    if outcome.ended_now:
        log.info("handoff %s ended (%s)", outcome.handoff.reference, body.reason)
        publish_handoff_ended(live, session, outcome, now)
    return outcome.handoff
