"""Emergency alerts: a kiosk raises one, staff take it ("I'm going") and resolve it, the kiosk learns who comes.

The work is done by ``alert_desk`` (shared with the escalation loop and the console); each change is published
on the live stream after its commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import alert_desk, models, schemas
from . import log
from .deps import AnyRole, BrokerDep, NowDep, SessionDep, StaffRole
from .errors import AUTH_ERRORS, NOT_FOUND, STAFF_ERRORS, not_found
from .idempotency import CreateOnce
from .references import add_numbered, find_by_reference

router = APIRouter(tags=["alerts"])

ALERT_CONFLICT: dict[int | str, dict[str, object]] = {
    409: {"model": schemas.AlertConflict, "description": "Someone else has it, or it is resolved already"},
}
MISSING = "There is no alert with that reference."


def _alert(row: models.Alert) -> schemas.Alert:
    return schemas.Alert.model_validate(row)


@router.post(
    "/alerts",
    response_model=schemas.Alert,
    status_code=status.HTTP_201_CREATED,
    responses=AUTH_ERRORS,
    summary="Raise an emergency alert",
)
def raise_alert(
    payload: schemas.AlertCreate, _: AnyRole, create: CreateOnce, session: SessionDep, now: NowDep, live: BrokerDep
) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.Alert:
        created = alert_desk.created_time(payload.raised_at, now)
        row = models.Alert(**payload.model_dump(exclude={"raised_at"}), status="open", created_at=created,
                           updated_at=now)
        add_numbered(session, row)
        log.warning("EMERGENCY alert %s (%s) from kiosk %s", row.reference, row.kind, row.kiosk_id)
        return _alert(row)

    response = create(payload, build)
    if response.status_code == status.HTTP_201_CREATED and "Idempotent-Replayed" not in response.headers:
        reference = schemas.Alert.model_validate_json(bytes(response.body)).reference
        live.publish("alert.raised", alert_desk.open_request(session, reference, now).to_dict())
    return response


@router.get("/alerts", response_model=list[schemas.Alert], responses=STAFF_ERRORS)
def list_alerts(
    _: StaffRole,
    session: SessionDep,
    status_: Annotated[schemas.AlertStatus | None, Query(alias="status")] = None,
) -> list[schemas.Alert]:
    query = select(models.Alert).order_by(models.Alert.id.desc())
    if status_ is not None:
        query = query.where(models.Alert.status == status_)
    return [_alert(row) for row in session.scalars(query)]


@router.patch("/alerts/{reference}", response_model=schemas.Alert, responses={**STAFF_ERRORS, **NOT_FOUND})
def update_alert(
    reference: str, update_: Annotated[schemas.AlertUpdate, Body()], _: StaffRole, session: SessionDep, now: NowDep
) -> schemas.Alert:
    row = find_by_reference(session, select(models.Alert), models.Alert.reference, reference, MISSING)
    row.status = update_.status
    row.updated_at = now
    session.commit()
    log.info("alert %s is now %s", row.reference, row.status)
    return _alert(row)


def _conflict(detail: str, state: alert_desk.HandlingState) -> JSONResponse:
    body = schemas.AlertConflict(detail=detail, status=state.status,  # type: ignore[arg-type]
                                 acknowledged_by=state.acknowledged_by, acknowledged_at=state.acknowledged_at)
    return JSONResponse(status_code=status.HTTP_409_CONFLICT, content=body.model_dump(mode="json"))


@router.post(
    "/alerts/{reference}/acknowledge",
    response_model=schemas.AlertHandlingState,
    responses={**STAFF_ERRORS, **NOT_FOUND, **ALERT_CONFLICT},
    summary="Take an alert (\"I'm going\"): one of two staff pressing at once wins",
)
def acknowledge_alert(
    reference: str, body: schemas.AcknowledgeRequest, _: StaffRole, session: SessionDep, now: NowDep,
    live: BrokerDep,
) -> schemas.AlertHandlingState | JSONResponse:
    try:
        outcome = alert_desk.acknowledge(session, reference, body.staff_name, now, publish=live.publish)
    except alert_desk.AlertNotFound:
        raise not_found(MISSING) from None
    state = outcome.state
    if not outcome.won:
        if outcome.reason == "resolved":
            return _conflict(f"This alert was already resolved by {state.resolved_by or 'someone'}.", state)
        return _conflict(f"{state.acknowledged_by} is already going.", state)
    log.info("alert %s acknowledged", state.reference)
    return schemas.AlertHandlingState.model_validate(state)


@router.post(
    "/alerts/{reference}/resolve",
    response_model=schemas.AlertHandlingState,
    responses={**STAFF_ERRORS, **NOT_FOUND, **ALERT_CONFLICT},
    summary="Close an alert with a note",
)
def resolve_alert(
    reference: str, body: schemas.ResolveRequest, _: StaffRole, session: SessionDep, now: NowDep, live: BrokerDep
) -> schemas.AlertHandlingState | JSONResponse:
    try:
        outcome = alert_desk.resolve(session, reference, body.staff_name, body.note, now, publish=live.publish)
    except alert_desk.AlertNotFound:
        raise not_found(MISSING) from None
    if not outcome.resolved:
        return _conflict(f"This alert was already resolved by {outcome.state.resolved_by or 'someone'}.",
                         outcome.state)
    log.info("alert %s resolved", outcome.state.reference)
    return schemas.AlertHandlingState.model_validate(outcome.state)


@router.get(
    "/alerts/{reference}/status",
    response_model=schemas.AlertStatusView,
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="Whether someone is coming, and who (for the kiosk that raised it)",
)
def alert_status(reference: str, _: AnyRole, session: SessionDep) -> schemas.AlertStatusView:
    try:
        state = alert_desk.status(session, reference)
    except alert_desk.AlertNotFound:
        raise not_found(MISSING) from None
    return schemas.AlertStatusView.model_validate(state)
