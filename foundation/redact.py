"""Keep residents' phone numbers, names, flats and PINs out of logs, in every process.

One module, standard library only, valid Python 3.10: the office, the kiosk side and Rasa's launcher (which
loads this file by path, since it imports nothing of the project) all use it.

* :func:`redact` masks text: ``"call 138 0013 8000, my name is Li Wei"`` -> ``"call [phone], my name is [name]"``.
  It is idempotent (``redact(redact(t)) == redact(t)``): masks contain no digits and are never masked again.
* :func:`install` puts it everywhere a log line can come from: a log record factory (message, arguments,
  exception text and stack, whatever logger or handler is used later), a filter on the root logger's handlers,
  and ``sys.excepthook`` / ``threading.excepthook`` for tracebacks that bypass logging.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
import unicodedata
from typing import Any

PHONE_LIKE = re.compile(
    r"(?<![\d:.-])"
    r"(?:\+?86[ -]?)?"
    r"(?:1\d{2}[ -]?\d{4}[ -]?\d{4}"  # mobile: 11 digits starting with 1, maybe grouped 3-4-4
    r"|0\d{2,3}[ -]?\d{7,8}"  # landline with area code
    r"|\d{3,4}[ -]?\d{4})"  # local landline: 7-8 digits, maybe grouped
    r"(?![\d:.-])"
)
MASK = "[phone]"
NAME_MASK = "[name]"
FLAT_MASK = "[flat]"
PIN_MASK = "[pin]"

_WORD = r"(?!\[)[^\s,.;:!?，。；：！？()\[\]]+"
_NAME = re.compile(
    r"(?i:\b(my name is|my name's|i am called|i'm called|call me|name:)\s+)"
    rf"({_WORD}(?:\s+(?-i:[A-Z])[^\s,.;:!?，。；：！？()\[\]]*)?)"
)
_NAME_ZH = re.compile(r"(我叫|我的名字是|我的名字叫|我姓|本人)\s*((?!\[)[\u4e00-\u9fff·]{1,4})")
_FLAT = re.compile(r"(?i:\b(flat|room|apartment|apt|unit|rm)\.?\s*(?:no\.?|number|#)?\s*)\d{1,5}[a-z]?\b")
_FLAT_ZH = re.compile(r"\d{1,3}\s*(?:号楼|栋|幢|座)\s*(?:\d{1,2}\s*单元\s*)?\d{1,5}\s*(?:室|号|房)?"
                      r"|\d{1,5}\s*(?:室|房间)")
_PIN = re.compile(r"(?i:\b(pin code|pin|passcode|password)\s*(?:is|was|=|:)?\s*)\d{3,8}\b"
                  r"|(密码|验证码|口令)\s*(?:是|为|[:：])?\s*\d{3,8}")


def _labelled(mask: str, *, space: bool = True) -> Any:
    """Keep the words that announce a value ("my name is", "flat", "密码") and mask the value."""
    def sub(m: re.Match[str]) -> str:
        label = next((g for g in m.groups() if g), None)
        if label is None:
            return mask
        return f"{label} {mask}" if space and label.isascii() else f"{label}{mask}"
    return sub


def redact(text: str) -> str:
    """``"call 138 0013 8000"`` -> ``"call [phone]"``; dates, times, addresses and buildings are left alone."""
    text = _PIN.sub(_labelled(PIN_MASK), text)
    # phones before flats: "room 130-0000-0000" must not become "room [flat]-0000-0000" (hypothesis found it)
    text = PHONE_LIKE.sub(MASK, text)
    text = _FLAT.sub(_labelled(FLAT_MASK), text)
    text = _FLAT_ZH.sub(FLAT_MASK, text)
    text = _NAME.sub(lambda m: f"{m.group(1)} {NAME_MASK}", text)
    return _NAME_ZH.sub(lambda m: f"{m.group(1)}{NAME_MASK}", text)


_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212()（）]+")


def phone_digits(value: str) -> str:
    """A phone number as the office stores it: digits only, without ``+86`` (``"+86 138-0013-8000"`` ->
    ``"13800138000"``). Anything else is returned with only its separators removed; idempotent."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    return digits


def mentions_phone(text: str | None, phone: str) -> bool:
    """Whether ``text`` contains ``phone`` in any spelling (``138 0013 8000``, ``+86-138...``)."""
    if not text:
        return False
    wanted = phone_digits(phone)
    return any(phone_digits(m.group(0)) == wanted for m in PHONE_LIKE.finditer(text))


def _redact_arg(value: object) -> object:
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)  # e.g. httpx.URL objects
    masked = redact(text)
    return masked if masked != text or isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record's message, arguments, exception text and stack in place (numbers are left as they are)."""
    if getattr(record, "_linli_redacted", False):
        return record
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    elif record.msg is not None and not isinstance(record.msg, (int, float)):
        record.msg = redact(str(record.msg))
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redact_arg(v) for k, v in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._linli_redacted = True
    return record


class RedactPhoneNumbers(logging.Filter):
    """Masks phone numbers, names, flats and PINs in a record's message, arguments and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


RedactPersonalData = RedactPhoneNumbers


class RedactingFormatter(logging.Formatter):
    """A formatter whose output is masked as a whole (for handlers that format before any filter runs)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(redact_record(record)))


def _factory_of(previous: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))
    make._linli_redacting = True  # type: ignore[attr-defined]
    return make


def _excepthook(previous: Any) -> Any:
    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))
    hook._linli_redacting = True  # type: ignore[attr-defined]
    return hook


def _thread_hook(args: Any) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(redact(f"Exception in thread {name}:\n{text}"))


_thread_hook._linli_redacting = True  # type: ignore[attr-defined]


def install(logger: logging.Logger | None = None) -> None:
    """Redact everything this process logs: the record factory, the handlers of ``logger`` (default: the root
    logger) and the hooks that print uncaught tracebacks. Safe to call more than once."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "_linli_redacting", False):
        logging.setLogRecordFactory(_factory_of(factory))
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactPhoneNumbers) for f in handler.filters):
            handler.addFilter(RedactPhoneNumbers())
    if not getattr(sys.excepthook, "_linli_redacting", False):
        sys.excepthook = _excepthook(sys.excepthook)
    if not getattr(threading.excepthook, "_linli_redacting", False):
        threading.excepthook = _thread_hook
