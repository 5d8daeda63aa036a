"""Keep phone numbers out of logs: a logging filter that masks anything shaped like one.

The service never logs request bodies, but uvicorn's access log prints paths and query strings and a
resident could type a phone number anywhere, so every handler of the server process gets this filter.
"""

from __future__ import annotations

import logging
import re

PHONE_LIKE = re.compile(
    r"(?<![\d:.-])"
    r"(?:\+?86[ -]?)?"
    r"(?:1\d{2}[ -]?\d{4}[ -]?\d{4}"  # mobile: 11 digits starting with 1, maybe grouped 3-4-4
    r"|0\d{2,3}[ -]?\d{7,8}"  # landline with area code
    r"|\d{3,4}[ -]?\d{4})"  # local landline: 7-8 digits, maybe grouped
    r"(?![\d:.-])"
)
MASK = "[phone]"


def redact(text: str) -> str:
    """``"call 138 0013 8000"`` -> ``"call [phone]"``; dates, times and addresses are left alone."""
    return PHONE_LIKE.sub(MASK, text)


def _redact_arg(value: object) -> object:
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)  # e.g. httpx.URL objects
    masked = redact(text)
    return masked if masked != text or isinstance(value, str) else value


class RedactPhoneNumbers(logging.Filter):
    """Masks phone-like numbers in a record's message and arguments (numbers are left as they are)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (default: the root logger)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactPhoneNumbers) for f in handler.filters):
            handler.addFilter(RedactPhoneNumbers())
