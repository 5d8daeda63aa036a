"""Building blocks of the skill tests: a skill's domain, trackers as a form sends them, running a form's
validation, and a skill context whose services cannot be reached (the ``services_down`` fixture)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.shared.config import Settings
from assistant.skill_runtime import context
from assistant.skill_runtime.outbox import Outbox
from assistant.stack import free_ports
from community_services import households
from community_services.client import ServicesClient
from community_services.db import Database

SKILLS = Path(__file__).resolve().parents[2] / "skills"
BAD_INPUTS = ["", "   ", "x" * 20_000, "😀🙏🎉", "\x00\x07\x1b[2J", "\u202e\u2066"]
"""What a kiosk may receive instead of an answer: nothing, a flood, emoji only, control characters."""
USER_TIMESTAMP = 1700000000.0


def skill_spec(name: str) -> dict[str, Any]:
    """``skills/<name>/skill.yml`` as plain data."""
    return dict(yaml.safe_load((SKILLS / name / "skill.yml").read_text("utf-8")))


def skill_domain(name: str) -> dict[str, Any]:
    """The part of the domain a skill's form validation reads: its forms, slots and responses."""
    spec = skill_spec(name)
    return {"forms": spec["forms"], "slots": spec["slots"], "responses": spec["responses"]}


def form_tracker(form: str, slot_names: Iterable[str], slots: dict[str, Any] | None = None, *, text: str = "",
                 intent: str | None = None, requested_slot: str | None = None,
                 candidates: dict[str, Any] | None = None, entities: list[dict[str, Any]] | None = None,
                 active: bool = True, timestamp: float = USER_TIMESTAMP) -> Tracker:
    """A tracker as ``form`` sends it: every slot in ``slot_names`` (``None`` unless in ``slots``), the
    resident's message, and ``candidates`` as the slot events the form just extracted."""
    all_slots: dict[str, Any] = {**dict.fromkeys(slot_names), **(slots or {}), "requested_slot": requested_slot}
    events: list[dict[str, Any]] = [{"event": "user", "timestamp": timestamp, "text": text}]
    if candidates:
        events.append({"event": "action", "name": form})
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        all_slots.update(candidates)
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {},
               "entities": entities or []}
    return Tracker("tester", all_slots, message, events, False, None, {"name": form} if active else {},
                   "action_listen")


def message_tracker(text: str, intent: str, slots: dict[str, Any] | None = None) -> Tracker:
    """A tracker holding only the resident's message, for actions that are not part of a form."""
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    events = [{"event": "user", "timestamp": USER_TIMESTAMP, "text": text}]
    return Tracker("tester", slots or {}, message, events, False, None, {}, "action_listen")


def run_validation(action: FormValidationAction, tracker: Tracker, domain: dict[str, Any]
                   ) -> tuple[dict[str, Any], list[str]]:
    """The slots a form validation sets, and what it said."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, messages(dispatcher)


def perform(action: Any, tracker: Tracker, domain: dict[str, Any]) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    """Run a (non-form) action: the events it returns and the dispatcher holding what it said."""
    dispatcher = CollectingDispatcher()
    return action.run(dispatcher, tracker, domain), dispatcher


def messages(dispatcher: CollectingDispatcher) -> list[str]:
    """Each message's text, or the name of the response it used."""
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


def said(dispatcher: CollectingDispatcher) -> str:
    """Everything said, as one string."""
    return " ".join(messages(dispatcher))


def free_port() -> int:
    return free_ports(1)[0]


@contextmanager
def unreachable_services(outbox_dir: Path, settings: Settings | None = None) -> Iterator[context.SkillContext]:
    """Skills' context with the services on a closed port (as when the office system is down) and a real outbox."""
    client = ServicesClient(f"http://127.0.0.1:{free_port()}", "test-kiosk-token", timeout=1.0)
    ctx = context.SkillContext(settings=settings or Settings(), services=client,
                               outbox=Outbox(outbox_dir / "outbox.db", client))
    context.configure(ctx)
    try:
        yield ctx
    finally:
        context.configure(None)
        client.close()



def household(db_path: Path, phone: str | None = None, pin: str = "2468") -> tuple[str, str]:
    """A new household in the running services' database (as ``linli cards`` makes one): its phone (a fresh
    one unless given) and its card's QR text. PIN 2468."""
    phone = phone or "136" + str(uuid.uuid4().int % 10**8).zfill(8)
    database = Database(f"sqlite:///{db_path}")
    try:
        with database.session() as session:
            row = households.add_household(session, f"T-{phone[-8:]}", [phone], datetime.now())
            households.set_pin(session, row, pin, datetime.now())
            code = households.card_code(row)
            session.commit()
        return phone, code
    finally:
        database.dispose()
