"""``/health``: served at the root and under the API prefix, without a token."""

from __future__ import annotations

from fastapi import APIRouter

from .. import schemas

router = APIRouter(tags=["health"])


@router.get("/health", response_model=schemas.HealthStatus, summary="Health (no token needed)")
def health() -> schemas.HealthStatus:
    return schemas.HealthStatus()
