"""Resident verification: a kiosk trades phone (or card) + PIN for a short-lived token; personal endpoints ask for
the token (``X-Resident-Token``) and check that the row belongs to the token's household.

The work is in ``households.py``; design: ``docs/resident-verification.md``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request, status
from fastapi.responses import JSONResponse

from .. import households, schemas
from ..auth import KioskRole, Role
from . import log
from .deps import NowDep, SessionDep
from .errors import AUTH_ERRORS

router = APIRouter(tags=["residents"])

TOKEN_HEADER = "X-Resident-Token"
VERIFY_FIRST = ("Please show your household card or give your phone number and PIN first, so I know the "
                "appointment or repair is yours.")
NOT_YOURS = ("That belongs to another household, so I cannot do this for you here. "
             "Staff at the office can help you.")

RESIDENT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": schemas.CodedError, "description": "No verification, or another household's (`code`)"},
}
VERIFY_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    403: {"model": schemas.CodedError, "description": "Phone/card and PIN do not match (one message for all)"},
    423: {"model": schemas.CodedError, "description": "Too many wrong PINs: locked (see Retry-After)"},
}


class ResidentRefusal(Exception):
    """A refusal with a ``code`` the kiosk acts on and a sentence it may say (``CodedError``)."""

    def __init__(self, status_code: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status_code, self.code, self.detail, self.headers = status_code, code, detail, headers or {}


async def _on_refusal(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ResidentRefusal)
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail, "code": exc.code},
                        headers=exc.headers)


def add_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ResidentRefusal, _on_refusal)


def _household(
    request: Request,
    session: SessionDep,
    now: NowDep,
    token: Annotated[str | None, Header(alias=TOKEN_HEADER, max_length=200,
                                        description="From POST /residents/verify (kiosks)")] = None,
) -> households.VerifiedHousehold | None:
    return households.household_of_token(session, token, now)


ResidentDep = Annotated[households.VerifiedHousehold | None, Depends(_household)]
"""The household the request's ``X-Resident-Token`` verified, or ``None``."""


def require_owner(role: Role, household: households.VerifiedHousehold | None, phone: str) -> None:
    """Staff may; a kiosk needs a token of the household whose phone ``phone`` is."""
    if role is Role.STAFF:
        return
    if household is None:
        raise ResidentRefusal(status.HTTP_403_FORBIDDEN, "verification_required", VERIFY_FIRST)
    if phone not in household.phones:
        raise ResidentRefusal(status.HTTP_403_FORBIDDEN, "not_your_household", NOT_YOURS)


def owns(household: households.VerifiedHousehold | None, phone: str) -> bool:
    return household is not None and phone in household.phones


@router.post(
    "/residents/verify",
    response_model=schemas.ResidentVerification,
    responses=VERIFY_ERRORS,
    summary="Phone + PIN or household card + PIN → a 10-minute token for personal requests (kiosk token)",
)
def verify(payload: schemas.VerifyRequest, request: Request, _: KioskRole, session: SessionDep,
           now: NowDep) -> schemas.ResidentVerification:
    limits: households.VerifyLimits = request.app.state.verify_limits
    address = request.client.host if request.client else "unknown"
    try:
        verified = households.verify_resident(session, pin=payload.pin, phone=payload.phone, card=payload.card,
                                              kiosk_id=payload.kiosk_id, address=address, now=now, limits=limits)
    except households.VerificationRefused as e:
        if e.locked_until is not None:
            log.warning("resident verification locked at kiosk %s", payload.kiosk_id)
            raise _locked(e.message, e.locked_until, now) from None
        raise ResidentRefusal(status.HTTP_403_FORBIDDEN, "no_match", e.message) from None
    log.info("household verified at kiosk %s", payload.kiosk_id)
    return schemas.ResidentVerification(token=verified.token, flat=verified.flat, expires_at=verified.expires_at)


def _locked(message: str, until: datetime, now: datetime) -> ResidentRefusal:
    seconds = min(max(1, math.ceil((until - now).total_seconds())), 24 * 3600)
    return ResidentRefusal(status.HTTP_423_LOCKED, "locked", message, {"Retry-After": str(seconds)})
