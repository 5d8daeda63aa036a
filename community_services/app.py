"""The community services HTTP API (FastAPI). ``create_app()`` builds a ready-to-serve app.

The routes live in ``api/``, one router per resource; this module wires them together with the
database, the tokens, the clock, the error handlers and the body size limit. Every write is one
transaction; create endpoints honour ``Idempotency-Key`` (see ``api/idempotency.py``).

Nothing here logs request bodies, phone numbers or names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.engine import make_url

from . import API_PREFIX
from . import retention as retention_sweep
from .api import (
    alerts,
    announcements,
    broadcasts,
    clinic,
    errors,
    events,
    facilities,
    feedback,
    guide_tour,
    handoffs,
    health,
    kiosks,
    live_events,
    residents,
    tickets,
)
from .api import guide as guide_pages
from .api.limits import MAX_BODY_BYTES, BodySizeLimit
from .api.rate_limits import RateLimit, RateLimits
from .auth import Tokens
from .console import router as console
from .db import Database
from .escalation import EscalationSettings, Escalator
from .households import VerifyLimits
from .live import HEARTBEAT_SECONDS, LiveBroker
from .retention import Retention
from .seed import seed_or_top_up
from .settings import DEFAULT_CONSOLE_IDLE_MINUTES
from .ticket_desk import default_overdue_rules

__all__ = ["MAX_BODY_BYTES", "BodySizeLimit", "RateLimits", "VerifyLimits", "create_app"]

log = logging.getLogger(__name__)

_RESOURCES = (health, facilities, tickets, clinic, live_events, events, announcements, alerts, feedback, handoffs,
              kiosks, broadcasts, residents)
"""Routers served under ``API_PREFIX``, in the order of the spec (``openapi.json``). ``live_events`` comes before
``events``: its ``/events/stream`` must match before ``/events/{event_id}``."""


def _shifted_clock(shift: timedelta) -> Callable[[], datetime]:
    def clock() -> datetime:
        return datetime.now() + shift

    return clock


def create_app(
    database_url: str,
    kiosk_token: str,
    staff_token: str,
    seed: bool = True,
    today: date | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    guide: guide_pages.GuideSettings | None = None,
    console_idle_minutes: int = DEFAULT_CONSOLE_IDLE_MINUTES,
    escalation: EscalationSettings | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    pause_after_commit: tuple[str, float] | None = None,
    retention: Retention | None = None,
    rate_limits: RateLimits | None = None,
    verify_limits: VerifyLimits | None = None,
) -> FastAPI:
    """Build the API on ``database_url`` (tables are created; seeded with Sunny Garden if empty).

    ``today`` moves the seed data *and* the service's clock to that date (the time of day stays
    real); ``clock`` replaces the clock entirely (tests). ``guide``: serve the phones' walking
    guide at ``/guide/...`` (without it those pages answer 503). ``console_idle_minutes``: a staff console
    login expires after that long without a request (``/console``, see ``console/``). ``escalation``: run the
    escalation loop (``escalation.py``) while the app is served; ``heartbeat_seconds``: the live stream's
    keep-alive. ``retention``: sweep old resident data at start and every hour (``retention.py``).
    ``pause_after_commit``: a test hook (``OfficeSettings.pause_after_commit``), off by default.
    keep-alive. ``rate_limits``: the token buckets of every ``/api/v1`` endpoint (``api/rate_limits.py``);
    ``verify_limits``: wrong PINs before a lockout and the verification token's life (``households.py``).
    Raises ``ValueError`` for missing or equal tokens, a ``WayfindingError`` for a broken map file.
    """
    tokens = Tokens(kiosk=kiosk_token, staff=staff_token)
    walking_guide = guide_pages.Guide(guide) if guide else None
    if clock is None:
        clock = datetime.now if today is None else _shifted_clock(today - date.today())

    default_overdue_rules()  # a mistake in config/overdue.yml stops the start, with file:line
    database = Database(database_url)
    database.create_schema()
    shown_url = make_url(database_url).render_as_string(hide_password=True)
    if seed:
        with database.session() as session:
            outcome = seed_or_top_up(session, today or clock().date())
        log.info("database %s: %s", shown_url, outcome)
    else:
        log.info("database %s: not seeded", shown_url)

    broker = LiveBroker()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task: asyncio.Task[None] | None = None
        if escalation is not None:
            task = asyncio.create_task(Escalator(database, clock, broker, escalation).run(), name="escalation")
            log.info("escalation: alerts not acknowledged within %g s escalate (%d notifier(s))",
                     escalation.after_seconds, len(escalation.notifiers))
        sweeper = None
        if retention is not None:
            sweeper = asyncio.create_task(retention_sweep.run(database, clock, retention), name="retention")
        try:
            yield
        finally:
            for running in (task, sweeper):
                if running is not None:
                    running.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await running
            broker.close()
            database.dispose()

    app = FastAPI(
        title="Linli community services",
        version="1.0.0",
        description="Facilities, repairs, clinic, events, announcements, emergency alerts and feedback "
        "for the residential community. Every endpoint except /health needs a bearer token: the kiosk "
        "token or the staff token. Create endpoints honour Idempotency-Key. Personal requests from a kiosk need "
        "X-Resident-Token (POST /residents/verify). Every endpoint but /health and /alerts is rate limited (429).",
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.tokens = tokens
    app.state.clock = clock
    app.state.guide = walking_guide
    app.state.console_idle = timedelta(minutes=console_idle_minutes)
    app.state.live = broker
    app.state.heartbeat_seconds = heartbeat_seconds
    app.state.pause_after_commit = pause_after_commit
    if pause_after_commit is not None:
        log.warning("TEST HOOK on: a create on %s sleeps %g s after its commit", *pause_after_commit)
    app.state.kiosk_buildings = {}  # kiosk id -> the buildings it named when it last asked for broadcasts
    app.state.verify_limits = verify_limits or VerifyLimits()
    app.include_router(health.router)
    app.include_router(guide_pages.router)  # HTML for phones: no API prefix, no token, not in the spec
    app.include_router(guide_tour.router)  # a tour stop's page (heritage walks), the same way
    for resource in _RESOURCES:
        app.include_router(resource.router, prefix=API_PREFIX)
    console.install(app)  # staff console pages (HTML, session cookie; not in the spec) and /console/static
    errors.add_handlers(app)
    residents.add_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(RateLimit, tokens=tokens, limits=rate_limits)  # outermost: refused before anything runs
    return app
