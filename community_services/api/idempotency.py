"""Create endpoints honour ``Idempotency-Key``: ``CreateOnce`` runs a creation at most once per key.

The response is stored in the same transaction as the created row, and a repeat with the same key
returns it (same status code and shape, header ``Idempotent-Replayed: true``) without creating
anything. The stored response has the resident's fields blanked (phone, name, words: a replay only has to give
the reference back) and the record expires after ``LINLI_IDEMPOTENCY_DAYS`` (``retention.py``).
Reusing a key for a different request is refused with 422.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import models, schemas
from ..auth import AnyRole, Role
from ..retention import private_response
from .deps import NowDep, SessionDep

log = logging.getLogger(__name__)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=schemas.MAX_KEY,
        description="Any unique string. A repeat with the same key returns the first result and creates nothing new.",
    ),
]

Build = Callable[[Session, datetime], BaseModel]
"""Adds the new rows (flushed, not committed) and returns the response model."""


def _digest(payload: BaseModel) -> str:
    # exclude_none: a field added later as optional (an alert's raised_at) leaves the digest of requests
    # without it as it was, so a key stored before the field existed still replays
    canonical = json.dumps(payload.model_dump(mode="json", exclude_none=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _replay(session: Session, scope: str, key: str, digest: str) -> JSONResponse | None:
    record = session.scalar(
        select(models.IdempotencyRecord).where(
            models.IdempotencyRecord.scope == scope, models.IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != digest:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="This Idempotency-Key was already used for a different request.",
        )
    return JSONResponse(
        status_code=record.status_code, content=record.response, headers={"Idempotent-Replayed": "true"}
    )


@dataclass(frozen=True)
class Creation:
    """One create request: its session, its time and its ``Idempotency-Key`` (if any)."""

    request: Request
    session: Session
    now: datetime
    key: str | None
    kiosk: bool = False
    """A kiosk asked: it gets the reference and the state back, never the resident's words, name or phone (it
    sent them itself; an answer replayed to another kiosk, or a kiosk's log, must not carry them)."""

    def __call__(self, payload: BaseModel, build: Build) -> JSONResponse:
        """Run ``build`` exactly once per key and commit; answer 201 with what it returned."""
        session, key, now = self.session, self.key, self.now
        scope = f"{self.request.method} {self.request.url.path}"
        digest = _digest(payload)
        if key is not None:
            replay = _replay(session, scope, key, digest)
            if replay is not None:
                return replay
        try:
            body = build(session, now).model_dump(mode="json")
            if key is not None:
                session.add(
                    models.IdempotencyRecord(
                        scope=scope, key=key, request_hash=digest, status_code=201,
                        response=private_response(body), created_at=now,
                    )
                )
            session.commit()
        except IntegrityError:
            session.rollback()
            # a concurrent request with the same key won the race: answer with its result
            if key is not None and (replay := _replay(session, scope, key, digest)) is not None:
                return replay
            raise
        _test_pause(self.request, body)
        return JSONResponse(status_code=status.HTTP_201_CREATED,
                            content=private_response(body) if self.kiosk else body)


def _test_pause(request: Request, body: dict[str, object]) -> None:
    """Test hook, off unless ``LINLI_TEST_PAUSE_AFTER_COMMIT`` names this path: sleep between the commit and the
    response, so a test can ``kill -9`` the server while the row exists and the client has no answer yet."""
    pause = getattr(request.app.state, "pause_after_commit", None)
    if pause is None or request.url.path != pause[0]:
        return
    log.warning("TEST HOOK: committed %s %s (reference %s); sleeping %g s before answering",
                request.method, request.url.path, body.get("reference") or body.get("number"), pause[1])
    for handler in logging.getLogger().handlers:
        handler.flush()
    time.sleep(pause[1])  # a sync endpoint: this holds one worker thread, as a slow disk would


def _creation(request: Request, session: SessionDep, now: NowDep, role: AnyRole,
              idempotency_key: IdempotencyKey = None) -> Creation:
    return Creation(request=request, session=session, now=now, key=idempotency_key, kiosk=role is Role.KIOSK)


CreateOnce = Annotated[Creation, Depends(_creation)]
"""The dependency of every create endpoint: ``return create(payload, build)``."""
