"""What the office's admin commands (``linli staff``, ``linli cards``) share: asking for a secret twice, and
running one piece of work on the office database with plain one-line errors instead of tracebacks."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from foundation.errors import ReadableError

from .db import Database
from .settings import OfficeSettings


def read_secret(prompt: str, *, noun: str, error: type[ReadableError], strip: bool = False) -> str:
    """At a terminal: asked twice without echo (a typo in a PIN or password is otherwise only found at the
    first failed sign-in). Piped (scripts, tests): one line from standard input. ``noun`` names the secret in
    the messages ("PIN", "password"); ``error`` is the command's own error class."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        second = getpass.getpass(f"The same {noun} again: ")
        if first != second:
            raise error(f"The two {noun}s are not the same; nothing was changed.")
        return first.strip() if strip else first
    line = sys.stdin.readline()
    if not line:
        raise error(f"No {noun} was given on standard input; nothing was changed.")
    return line.strip() if strip else line.rstrip("\r\n")


def with_database(command: str, work: Callable[[Database], int], *, error: type[ReadableError]) -> int:
    """Run ``work`` on the office database (schema created if new) and return its exit code; the command's
    own errors and a database that cannot be used are one line on stderr and exit code 1 (the password in
    the database URL is never printed)."""
    office = OfficeSettings.from_env()
    shown = make_url(office.database_url).render_as_string(hide_password=True)
    try:
        database = Database(office.database_url)
        try:
            database.create_schema()
            return work(database)
        finally:
            database.dispose()
    except error as e:
        print(f"{command}: {e.message}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as e:
        print(f"{command}: cannot use the database {shown}: {type(e).__name__}: {e}".splitlines()[0],
              file=sys.stderr)
        return 1
