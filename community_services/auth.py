"""Bearer-token roles: ``kiosk`` (creates things, reads public data) and ``staff`` (everything).

An unknown or missing token is 401; the kiosk token on a staff endpoint is 403.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


class Role(StrEnum):
    KIOSK = "kiosk"
    STAFF = "staff"


@dataclass(frozen=True)
class Tokens:
    kiosk: str
    staff: str

    def __post_init__(self) -> None:
        if not self.kiosk or not self.staff:
            raise ValueError("both a kiosk token and a staff token are required")
        if self.kiosk == self.staff:
            raise ValueError("the kiosk token and the staff token must be different")

    def role_of(self, token: str) -> Role | None:
        given = token.encode("utf-8")
        # compare against both, always, so timing does not tell which one is close
        is_staff = secrets.compare_digest(given, self.staff.encode("utf-8"))
        is_kiosk = secrets.compare_digest(given, self.kiosk.encode("utf-8"))
        if is_staff:
            return Role.STAFF
        if is_kiosk:
            return Role.KIOSK
        return None


_bearer = HTTPBearer(auto_error=False, description="The kiosk token or the staff token.")


def current_role(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Role:
    tokens: Tokens = request.app.state.tokens
    role = tokens.role_of(credentials.credentials) if credentials else None
    if role is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="A valid bearer token is required." if credentials else "A bearer token is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return role


def staff_only(role: Annotated[Role, Depends(current_role)]) -> Role:
    if role is not Role.STAFF:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Only staff may do this.")
    return role


def kiosk_only(role: Annotated[Role, Depends(current_role)]) -> Role:
    if role is not Role.KIOSK:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Only a kiosk may do this.")
    return role


AnyRole = Annotated[Role, Depends(current_role)]
KioskRole = Annotated[Role, Depends(kiosk_only)]
StaffRole = Annotated[Role, Depends(staff_only)]
