"""Emergency alerts: a kiosk raises one, staff list and resolve them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import models, schemas
from . import log
from .deps import AnyRole, NowDep, SessionDep, StaffRole
from .errors import AUTH_ERRORS, NOT_FOUND, STAFF_ERRORS
from .idempotency import CreateOnce
from .references import add_numbered, find_by_reference

router = APIRouter(tags=["alerts"])


def _alert(row: models.Alert) -> schemas.Alert:
    return schemas.Alert.model_validate(row)


@router.post(
    "/alerts",
    response_model=schemas.Alert,
    status_code=status.HTTP_201_CREATED,
    responses=AUTH_ERRORS,
    summary="Raise an emergency alert",
)
def raise_alert(payload: schemas.AlertCreate, _: AnyRole, create: CreateOnce) -> JSONResponse:
    def build(session: Session, now: datetime) -> schemas.Alert:
        row = models.Alert(**payload.model_dump(), status="open", created_at=now, updated_at=now)
        add_numbered(session, row)
        log.warning("EMERGENCY alert %s (%s) from kiosk %s", row.reference, row.kind, row.kiosk_id)
        return _alert(row)

    return create(payload, build)


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
    row = find_by_reference(
        session, select(models.Alert), models.Alert.reference, reference, "There is no alert with that reference."
    )
    row.status = update_.status
    row.updated_at = now
    session.commit()
    log.info("alert %s is now %s", row.reference, row.status)
    return _alert(row)
