"""Escalation: an emergency alert nobody acknowledged in time turns red on every console and goes out by
e-mail, webhook, or any other ``Notifier``.

``Escalator.run`` is a background task of the app's lifespan (``create_app(escalation=...)``; ``python -m
community_services`` turns it on unless ``LINLI_ESCALATE_AFTER_SECONDS=0``). Every ``interval`` seconds it asks
``alert_desk.due_for_escalation``, marks each alert escalated (once: a conditional update, so two services on
one database cannot both send it), publishes ``alert.escalated`` on the live stream and then hands the alert to
every notifier. A notifier that fails is logged and the others still run; the loop survives anything.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

import anyio
import httpx

from . import alert_desk
from .alert_desk import OpenRequest
from .db import Database
from .live import LiveBroker
from .settings import OfficeSettings

log = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 5.0


class Notifier(Protocol):
    """An escalation channel. ``notify`` may block (it runs in a worker thread) and may raise."""

    name: str

    def notify(self, alert: OpenRequest) -> None: ...


def waited_words(seconds: int) -> str:
    minutes, secs = divmod(max(0, seconds), 60)
    if minutes == 0:
        return f"{secs} seconds"
    return f"{minutes} minute{'s' if minutes != 1 else ''}" + (f" {secs} seconds" if secs else "")


def subject(alert: OpenRequest) -> str:
    return f"URGENT: nobody has taken emergency alert {alert.reference} ({alert.location})"


def message(alert: OpenRequest) -> str:
    """The escalation text: where, what the resident said, how long they have waited, the reference."""
    return (
        f"Emergency alert {alert.reference} has not been acknowledged.\n"
        f"Kiosk: {alert.kiosk_id}\n"
        f"Location: {alert.location}\n"
        f"What the resident said: {alert.details}\n"
        f"Waiting for: {waited_words(alert.waited_seconds)} (since {alert.created_at:%H:%M:%S} on "
        f"{alert.created_at:%Y-%m-%d})\n"
        f"Reference: {alert.reference}\n\n"
        "Please go to the resident now, or acknowledge the alert on the duty board."
    )


@dataclass
class EmailNotifier:
    """Plain-text e-mail over SMTP (``smtplib``), STARTTLS and login optional."""

    host: str
    port: int
    sender: str
    recipients: Sequence[str]
    starttls: bool = False
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 10.0
    name: str = "e-mail"

    def notify(self, alert: OpenRequest) -> None:
        mail = EmailMessage()
        mail["Subject"] = subject(alert)
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail.set_content(message(alert))
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(mail)


@dataclass
class WebhookNotifier:
    """A JSON POST: ``{"type": "alert.escalated", "text": ..., "alert": {...}}``; a non-2xx answer is a failure."""

    url: str = field(repr=False)
    timeout: float = 5.0
    name: str = "webhook"

    def notify(self, alert: OpenRequest) -> None:
        body = {"type": "alert.escalated", "text": message(alert), "alert": alert.to_dict()}
        response = httpx.post(self.url, json=body, timeout=self.timeout)
        response.raise_for_status()


def notifiers_from_settings(office: OfficeSettings) -> list[Notifier]:
    """E-mail when ``LINLI_SMTP_HOST`` and ``LINLI_SMTP_TO`` are set, the webhook when its URL is."""
    notifiers: list[Notifier] = []
    if office.smtp_host and office.smtp_to:
        notifiers.append(EmailNotifier(office.smtp_host, office.smtp_port, office.smtp_from, office.smtp_to,
                                       starttls=office.smtp_starttls, user=office.smtp_user,
                                       password=office.smtp_password))
    elif office.smtp_host:
        log.warning("LINLI_SMTP_HOST is set but LINLI_SMTP_TO is empty: no escalation e-mails")
    if office.escalation_webhook:
        notifiers.append(WebhookNotifier(office.escalation_webhook))
    return notifiers


@dataclass(frozen=True)
class EscalationSettings:
    after_seconds: float = 120.0
    notifiers: Sequence[Notifier] = ()
    interval: float = CHECK_INTERVAL_SECONDS

    @classmethod
    def from_office(cls, office: OfficeSettings) -> EscalationSettings | None:
        """``None`` when escalation is off (``LINLI_ESCALATE_AFTER_SECONDS=0``)."""
        if office.escalate_after_seconds <= 0:
            return None
        return cls(office.escalate_after_seconds, notifiers_from_settings(office))


class Escalator:
    def __init__(self, database: Database, clock: Callable[[], datetime], broker: LiveBroker,
                 settings: EscalationSettings) -> None:
        self.database = database
        self.clock = clock
        self.broker = broker
        self.settings = settings

    def run_once(self) -> list[OpenRequest]:
        """Escalate what is due now; returns the alerts escalated by this call (blocking: run it in a thread)."""
        now = self.clock()
        escalated: list[OpenRequest] = []
        with self.database.session() as session:
            for alert in alert_desk.due_for_escalation(session, now, self.settings.after_seconds):
                if alert_desk.mark_escalated(session, alert.reference, now):
                    escalated.append(alert)
        for alert in escalated:
            log.warning("alert %s escalated: not acknowledged after %s s", alert.reference, alert.waited_seconds)
            self.broker.publish("alert.escalated", {**alert.to_dict(), "escalated_at": now.isoformat()})
            self.notify(alert)
        return escalated

    def notify(self, alert: OpenRequest) -> None:
        for notifier in self.settings.notifiers:
            try:
                notifier.notify(alert)
            except Exception:  # one broken channel must not silence the others
                log.exception("escalation of alert %s through %s failed", alert.reference,
                              getattr(notifier, "name", type(notifier).__name__))

    async def run(self) -> None:
        """Forever (until cancelled): check, then wait ``interval`` seconds."""
        while True:
            try:
                await anyio.to_thread.run_sync(self.run_once)
            except asyncio.CancelledError:
                raise
            except Exception:  # a locked or unreachable database: try again next time
                log.exception("escalation check failed")
            await asyncio.sleep(self.settings.interval)
