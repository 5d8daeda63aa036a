"""``linli staff add | list | disable | reset-password``: staff console accounts, on the office database.

The database is ``LINLI_SERVICES_DB_URL`` or ``<var>/services.db`` (``OfficeSettings.database_url``); its
console tables are created if missing (other tables are left as they are). A password is never an argument:
it is asked twice with ``getpass`` on a terminal, or read as one line from standard input otherwise
(``printf '%s\\n' "$PW" | linli staff add ...``). Every change is audited as ``cli:<unix user>``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .cli_support import read_secret, with_database
from .console import accounts, audit
from .console.accounts import StaffError
from .console.auth import StaffMember
from .db import Database


def _actor() -> StaffMember:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (a container without one): still audited
        user = "unknown"
    return StaffMember(0, f"cli:{user}", "admin")


def _read_password(prompt: str) -> str:
    return read_secret(prompt, noun="password", error=StaffError)


def _with_database(work: Callable[[Database], int]) -> int:
    return with_database("linli staff", work, error=StaffError)


def cmd_staff_add(args: argparse.Namespace) -> int:
    name = accounts.clean_name(args.name)  # a bad name or role fails before the password is asked
    accounts.check_role(args.role)

    def work(database: Database) -> int:
        password = _read_password(f"Password for {name} (at least {accounts.MIN_PASSWORD} characters)")
        now = datetime.now()
        with database.session() as session:
            added = accounts.add_staff(session, name, args.role, password, now)
            audit.record(session, _actor(), "staff.add", f"staff:{added.name}",
                         after={"name": added.name, "role": added.role}, at=now)
            session.commit()
        print(f"Added {added.name} ({added.role}). They log in at /console/login.")
        return 0

    return _with_database(work)


def cmd_staff_list(_args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            listed = accounts.list_staff(session)
        if not listed:
            print("No staff accounts yet. Add one: linli staff add NAME --role admin")
            return 0
        now = datetime.now()
        width = max(len(s.name) for s in listed)
        for s in listed:
            print(f"{s.name:<{width}}  {s.role:<5}  {s.status(now):<20}  added {s.created_at:%Y-%m-%d}")
        return 0

    return _with_database(work)


def cmd_staff_disable(args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            changed = accounts.disable_staff(session, args.name)
            audit.record(session, _actor(), "staff.disable", f"staff:{changed.name}", before={"disabled": False},
                         after={"disabled": True})
            session.commit()
        print(f"Switched off {changed.name}; their console logins have ended.")
        return 0

    return _with_database(work)


def cmd_staff_reset_password(args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            accounts.find_staff(session, args.name)  # an unknown name fails before the password is asked
        password = _read_password(f"New password for {args.name.strip()}")
        with database.session() as session:
            changed = accounts.reset_password(session, args.name, password)
            audit.record(session, _actor(), "staff.reset_password", f"staff:{changed.name}",
                         after={"password": "changed", "unlocked": True})
            session.commit()
        print(f"Set a new password for {changed.name}; the account is unlocked and logged out everywhere.")
        return 0

    return _with_database(work)


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except StaffError as e:
            print(f"linli staff: {e.message}", file=sys.stderr)
            return 1
        except ValueError as e:  # a bad LINLI_CONSOLE_IDLE_MINUTES, say
            print(f"linli staff: {e}", file=sys.stderr)
            return 2
        except (KeyboardInterrupt, EOFError):
            print("\nlinli staff: stopped; nothing was changed.", file=sys.stderr)
            return 130

    return run


def add_staff_commands(sub: Any) -> None:
    """Register ``linli staff ...`` on the ``linli`` command's subparsers."""
    staff = sub.add_parser("staff", help="staff console accounts: add, list, disable, reset-password")
    commands = staff.add_subparsers(dest="staff_command", required=True)
    add = commands.add_parser("add", help="add a console account (the password is asked, twice)")
    add.add_argument("name", help="the name they log in with, e.g. 'Li Wei'")
    add.add_argument("--role", required=True, choices=accounts.ROLES,
                     help="duty: alerts, requests, tickets, feedback, notices; admin: also staff and audit log")
    add.set_defaults(func=_guarded(cmd_staff_add))
    commands.add_parser("list", help="every account, its role and status").set_defaults(func=_guarded(cmd_staff_list))
    disable = commands.add_parser("disable", help="switch an account off and end its logins")
    disable.add_argument("name")
    disable.set_defaults(func=_guarded(cmd_staff_disable))
    reset = commands.add_parser("reset-password", help="set a new password (asked); also unlocks the account")
    reset.add_argument("name")
    reset.set_defaults(func=_guarded(cmd_staff_reset_password))
