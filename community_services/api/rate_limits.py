"""Token-bucket rate limits on every ``/api/v1`` endpoint (ASGI middleware), per bearer token + client address.

Generous for kiosks (a kiosk makes a few calls per turn, and several kiosks may share one address), tight for a
caller without a valid token. Reference lookups that find nothing spend a second, slow bucket, so references
cannot be guessed by trying. Emergency alerts and the health check are never limited. A refusal is 429 with
``Retry-After`` and a sentence (``{"detail": ..., "code": "rate_limited"}``). Numbers:
``docs/resident-verification.md``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import API_PREFIX
from ..auth import Tokens
from ..rate_limit import TokenBuckets


@dataclass(frozen=True)
class Bucket:
    rate: float
    """Requests per second, once the burst is spent."""
    burst: float


@dataclass(frozen=True)
class RateLimits:
    kiosk: Bucket = Bucket(20.0, 200)
    staff: Bucket = Bucket(50.0, 500)
    anonymous: Bucket = Bucket(2.0, 60)
    """No token, or a wrong one."""
    misses: Bucket = Bucket(0.1, 20)
    """Reference lookups that found nothing (404), per kiosk token + address: 20, then one per 10 s."""
    exempt: tuple[str, ...] = field(default=(f"{API_PREFIX}/alerts", f"{API_PREFIX}/health"))
    """Path prefixes never limited: an emergency must always get through."""


_REFERENCE_LOOKUP = re.compile(
    rf"^{re.escape(API_PREFIX)}/(?:tickets|feedback|handoffs)/[^/]+$"
    rf"|^{re.escape(API_PREFIX)}/clinic/appointments/[^/]+/cancel$"
)

TOO_MANY = "Many requests came from here in a short time. Please wait {wait} and try again."
TOO_MANY_GUESSES = ("Several references that do not exist were tried from here. Please wait {wait}, "
                    "or ask at the office.")


class RateLimit:
    def __init__(self, app: ASGIApp, tokens: Tokens, limits: RateLimits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.tokens = tokens
        self.limits = limits = limits or RateLimits()
        self._clock = clock
        self._buckets = {
            role: TokenBuckets(b.rate, b.burst, clock=clock)
            for role, b in (("kiosk", limits.kiosk), ("staff", limits.staff), ("anonymous", limits.anonymous))
        }
        self._misses = TokenBuckets(limits.misses.rate, limits.misses.burst, clock=clock)
        self._guessing_until: dict[str, float] = {}

    def _role(self, scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                text = value.decode("latin-1")
                if text[:7].lower() == "bearer ":
                    role = self.tokens.role_of(text[7:].strip())
                    return role.value if role is not None else "anonymous"
        return "anonymous"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX) or path.startswith(self.limits.exempt):
            await self.app(scope, receive, send)
            return
        role = self._role(scope)
        client = scope.get("client")
        key = f"{role}|{client[0] if client else '-'}"
        wait = self._buckets[role].take(key)
        if wait is not None:
            await self._refuse(scope, receive, send, wait, TOO_MANY)
            return
        lookup = role != "staff" and bool(_REFERENCE_LOOKUP.match(path))
        if lookup:
            until = self._guessing_until.get(key, 0.0)
            now = self._clock()
            if until > now:
                await self._refuse(scope, receive, send, until - now, TOO_MANY_GUESSES)
                return
            self._guessing_until.pop(key, None)

        async def watching_send(message: Message) -> None:
            if lookup and message["type"] == "http.response.start" and message["status"] == 404:
                wait = self._misses.take(key)
                if wait is not None:
                    self._guessing_until[key] = self._clock() + wait
                    if len(self._guessing_until) > 10_000:
                        self._guessing_until.clear()
            await send(message)

        await self.app(scope, receive, watching_send if lookup else send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, wait: float, sentence: str) -> None:
        seconds = max(1, math.ceil(wait))
        response = JSONResponse(status_code=429, content={"detail": sentence.format(wait=_spoken_wait(seconds)),
                                                          "code": "rate_limited"},
                                headers={"Retry-After": str(seconds)})
        await response(scope, receive, send)


def _spoken_wait(seconds: int) -> str:
    if seconds < 90:
        return "a second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
