"""The direct alert path: raise the alert through the services API, else leave it in the durable outbox.

Used by the kiosk's emergency button and by both front ends when the dialogue cannot raise an alert
(Rasa or the action server down, or an unanswered confirm question; docs/emergency-triage.md).

The direct call comes first (with a short timeout) because it is the quickest way to reach the staff and
it works when Rasa or the action server is down. If the API is down or refuses, the alert is stored in the
same outbox file the action server uses (``settings.outbox_path``); its sender thread delivers it when the
API answers again, with the *same* idempotency key, so an attempt that timed out after the server stored it
is replayed, not raised twice.

This never raises. If even the outbox cannot be written, it logs at CRITICAL and returns
``Alert(reference="", queued=True)``: the empty reference tells the screen that the alert is NOT safe, and
it then asks the resident to call 120 and press the red wall alarm (or ask anyone nearby).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import ValidationError

from assistant.shared.config import Settings
from assistant.shared.events import Alert
from assistant.skill_runtime.outbox import Outbox, raised_now
from community_services.client import ServicesClient, ServicesError, ServicesRejected
from community_services.schemas import AlertCreate, clean_text

log = logging.getLogger(__name__)

DIRECT_TIMEOUT = 2.0
"""Seconds to wait for the services API before falling back to the outbox: the resident is waiting."""
KIND = "help"
"""A button press says nothing about what happened; staff see the resident's words in ``details``."""
MAX_DETAILS = 500
# The same fallbacks and sentences as skills/emergency_help/actions.py, so staff see one kind of alert.
FALLBACK_LOCATION = "Community Service Centre lobby, just inside the North Gate"
FALLBACK_KIOSK_ID = "kiosk"
BUTTON_DETAILS = "The emergency button was pressed at the kiosk."
PLAIN_DETAILS = "Emergency help requested at the kiosk."


def alert_payload(settings: Settings, details: str = "", kind: str = KIND) -> dict[str, Any]:
    """The alert as the outbox stores it; the resident's words are dropped if the API would refuse them."""
    words = clean_text(details or "")
    payload: dict[str, Any] = {
        "kind": kind or KIND,
        "location": settings.kiosk_location or FALLBACK_LOCATION,
        "kiosk_id": settings.kiosk_id or FALLBACK_KIOSK_ID,
        "details": (words[:MAX_DETAILS] if isinstance(words, str) and words else BUTTON_DETAILS),
        "raised_at": raised_now(),  # the press: kept when the alert waits in the outbox
    }
    try:
        AlertCreate.model_validate(payload)
    except ValidationError:  # odd words must never stop the alert
        payload["details"] = PLAIN_DETAILS
    return payload


def raise_emergency(settings: Settings, details: str = "", kind: str = KIND) -> Alert:
    """Raise one alert (one press, one idempotency key). Never raises; see the module docstring.

    ``kind``: ``help`` for the button; what the local detector read (``fall``, ``fire``, ``medical``...)."""
    key = str(uuid.uuid4())
    try:
        payload = alert_payload(settings, details, kind)
    except Exception:  # belt and braces: the alert matters more than the resident's words
        log.exception("emergency: could not build the alert from the details; sending a plain one")
        payload = {"kind": KIND, "location": settings.kiosk_location or FALLBACK_LOCATION,
                   "kiosk_id": settings.kiosk_id or FALLBACK_KIOSK_ID, "details": PLAIN_DETAILS,
                   "raised_at": raised_now()}
    client: ServicesClient | None = None
    try:
        client = ServicesClient(settings.services_url, settings.kiosk_token, timeout=DIRECT_TIMEOUT)
        created = client.raise_alert(AlertCreate.model_validate(payload), idempotency_key=key)
        log.warning("emergency: alert %s raised from kiosk %s", created.reference, payload["kiosk_id"])
        return Alert(reference=created.reference, queued=False, kind=_said(payload))
    except ServicesRejected as e:
        # Queued anyway: the action server may hold a valid token when this kiosk's is wrong.
        log.error("emergency: the services API refused the alert (%s %s); queueing it", e.status, e.detail)
        if e.status == 422:  # the content: the same key with other content would be refused, so a new one
            payload, key = {**payload, "details": PLAIN_DETAILS}, str(uuid.uuid4())
    except ServicesError as e:
        log.error("emergency: the services API cannot be reached (%s); queueing the alert", e.message)
    except Exception:
        log.exception("emergency: the direct alert failed unexpectedly; queueing it")
    finally:
        if client is not None:
            client.close()
    return _queue(settings, payload, key)


def _said(payload: dict[str, Any]) -> str:
    """The event's kind: what the resident's words said happened; ``""`` for the button (``help``)."""
    kind = payload.get("kind")
    return kind if isinstance(kind, str) and kind != KIND else ""


def _queue(settings: Settings, payload: dict[str, Any], key: str) -> Alert:
    try:
        # The client is never used here (nothing is sent); the action server's sender delivers the item.
        with ServicesClient(settings.services_url, settings.kiosk_token, timeout=DIRECT_TIMEOUT) as unused:
            local_ref = Outbox(settings.outbox_path, unused).enqueue("alert", payload, key)
    except Exception:  # a full disk, a locked or corrupt file, a read-only var/ ...
        log.critical("EMERGENCY ALERT LOST: kiosk %s at %s could neither reach the services API nor write the "
                     "outbox %s; the screen tells the resident to call 120 and press the wall alarm",
                     payload.get("kiosk_id"), payload.get("location"), settings.outbox_path, exc_info=True)
        return Alert(reference="", queued=True, kind=_said(payload))
    log.warning("emergency: alert queued as %s in %s", local_ref, settings.outbox_path)
    return Alert(reference=local_ref, queued=True, kind=_said(payload))
