"""``linli privacy export|erase --phone N``: what the office and this kiosk hold about one phone number.

The office part (tickets, appointments, registrations, feedback, handoffs, alerts, audit entries) is read from the
services database (``LINLI_SERVICES_DB_URL``), the kiosk part (outbox items, conversations in Rasa's tracker
database that mention the number) from this kiosk's ``var/``. Both commands are audited in the office's audit log
as ``cli:<unix user>``, naming a fingerprint of the number, never the number (``community_services/privacy.py``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.shared.config import Settings, load_settings
from assistant.shared.errors import InputError
from assistant.skill_runtime import retention
from community_services import privacy
from community_services.db import Database
from foundation.redact import phone_digits


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (a container without one): still audited
        return "cli:unknown"


def _phone(raw: str) -> str:
    digits = phone_digits(raw)
    if not digits.isdigit() or not (len(digits) == 11 and digits.startswith("1") or 7 <= len(digits) <= 8):
        raise InputError("That is not a phone number: give an 11-digit mobile or a 7-8 digit landline.")
    return digits


def _office(settings: Settings) -> Database:
    database = Database(settings.services_db_url)
    database.create_schema()
    return database


def export(settings: Settings, phone: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything held about ``phone``: ``{"office": {...}, "kiosk": {...}}`` (the export is audited)."""
    database = _office(settings)
    try:
        with database.session() as session:
            office = privacy.export_phone(session, phone, _actor(), now or datetime.now())
    finally:
        database.dispose()
    with retention.local_outbox(settings.outbox_path, settings.services_url, settings.kiosk_token) as outbox:
        kiosk = retention.find_phone(settings.tracker_db_path, outbox, phone)
    return {"phone": phone, "office": office, "kiosk": asdict(kiosk)}


def erase(settings: Settings, phone: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Erase ``phone`` from the office (anonymised, audited) and from this kiosk; counts per kind."""
    database = _office(settings)
    try:
        with database.session() as session:
            office = privacy.erase_phone(session, phone, _actor(), now or datetime.now())
    finally:
        database.dispose()
    with retention.local_outbox(settings.outbox_path, settings.services_url, settings.kiosk_token) as outbox:
        kiosk = retention.erase_phone(settings.tracker_db_path, outbox, phone)
    return {"office": office, "kiosk": kiosk}


def summary(data: dict[str, Any]) -> str:
    office, kiosk = data["office"], data["kiosk"]
    parts = [f"{len(v)} {k.replace('_', ' ')}" for k, v in office.items() if v]
    parts += [f"{len(kiosk['conversations'])} kiosk conversations"] if kiosk["conversations"] else []
    parts += [f"{len(kiosk['outbox'])} outbox items"] if kiosk["outbox"] else []
    return "Found: " + (", ".join(parts) if parts else "nothing") + "."


def cmd_export(args: argparse.Namespace) -> int:
    settings = load_settings()
    data = export(settings, _phone(args.phone))
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if args.out:
        path = Path(args.out)
        from foundation.private_files import create_private

        create_private(path).write_text(text + "\n", encoding="utf-8")
        print(f"{summary(data)} Written to {path} (mode 600).", file=sys.stderr)
    else:
        print(text)
        print(summary(data), file=sys.stderr)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    settings = load_settings()
    phone = _phone(args.phone)
    if not args.yes:
        if not sys.stdin.isatty():
            print("linli privacy: erasing asks for confirmation; add --yes to run without a terminal.",
                  file=sys.stderr)
            return 2
        answer = input("Erase everything held about this phone number at the office and on this kiosk? "
                       "This cannot be undone. Type 'erase' to go on: ")
        if answer.strip().lower() != "erase":
            print("Nothing was erased.")
            return 1
    counts = erase(settings, phone)
    office = ", ".join(f"{k} {v}" for k, v in counts["office"].items() if v) or "nothing"
    kiosk = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts["kiosk"].items() if v) or "nothing"
    print(f"Erased at the office: {office}. On this kiosk: {kiosk}. Recorded in the audit log.")
    return 0


def add_privacy_parser(sub: Any) -> None:
    privacy_cmd = sub.add_parser("privacy", help="what the office and this kiosk hold about a phone number")
    commands = privacy_cmd.add_subparsers(dest="privacy_command", required=True)
    exp = commands.add_parser("export", help="everything held about a phone number, as JSON")
    exp.add_argument("--phone", required=True, help="the phone number (spaces, dashes, +86 allowed)")
    exp.add_argument("--out", help="write the JSON to this file (mode 600) instead of standard output")
    exp.set_defaults(func=cmd_export)
    era = commands.add_parser("erase", help="delete or anonymise everything held about a phone number")
    era.add_argument("--phone", required=True)
    era.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    era.set_defaults(func=cmd_erase)
