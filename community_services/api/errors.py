"""HTTP errors: the ones routes raise, how the spec documents them, and the app's handlers for the rest."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import schemas
from ..desk_errors import DeskError, Unknown
from . import log

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorMessage, "description": "Missing or unknown token"},
}
STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    403: {"model": schemas.ErrorMessage, "description": "Staff token required"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": schemas.ErrorMessage, "description": "Not found"}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": schemas.ErrorMessage, "description": "Conflict"}}


def not_found(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=detail)


def conflict(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_409_CONFLICT, detail=detail)


def error_response(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"detail": detail})


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's 422 items without what the client sent: ``type``, ``loc`` and ``msg`` only.

    FastAPI's own handler echoes each wrong value as ``input`` (and pydantic adds ``url`` and ``ctx``); a wrong
    phone number or a resident's words would then travel back in the answer and into the kiosk's outbox and logs.
    """
    items = []
    for error in errors if isinstance(errors, list | tuple) else []:
        if isinstance(error, dict):
            items.append({"type": str(error.get("type", "")), "loc": [p if isinstance(p, int) else str(p)
                                                                       for p in error.get("loc", ())],
                          "msg": str(error.get("msg", ""))})
    return items


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                        content={"detail": validation_errors(exc.errors())})


async def _on_integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    return error_response(status.HTTP_409_CONFLICT, "This conflicts with something that already exists.")


async def _on_desk_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DeskError)
    code = status.HTTP_404_NOT_FOUND if isinstance(exc, Unknown) else status.HTTP_409_CONFLICT
    return error_response(code, exc.message)


async def _on_operational_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", type(exc).__name__)
    return error_response(status.HTTP_503_SERVICE_UNAVAILABLE, "The service is busy. Please try again in a moment.")


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side.")


def add_handlers(app: FastAPI) -> None:
    """A request that does not validate is 422 without its input echoed.
    Database conflicts are 409, an unreachable database 503, anything else 500 (logged, not shown).
    A desk's refusal: an unknown reference 404, a change that does not fit 409, with the desk's sentence."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(DeskError, _on_desk_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(OperationalError, _on_operational_error)
    app.add_exception_handler(Exception, _on_unexpected_error)
