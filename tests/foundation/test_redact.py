"""The one redaction (foundation/redact.py): properties over generated phone numbers and text, formatted records
and tracebacks, and phone normalisation."""

from __future__ import annotations

import io
import logging
import string
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundation.redact import (
    MASK,
    RedactingFormatter,
    RedactPhoneNumbers,
    install,
    mentions_phone,
    phone_digits,
    redact,
    redact_record,
)

mobiles = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"),
                    st.text("0123456789", min_size=9, max_size=9))
landlines = st.builds(lambda area, rest: f"0{area}{rest}", st.text("0123456789", min_size=2, max_size=3),
                      st.text("0123456789", min_size=7, max_size=8))
separators = st.sampled_from(["", " ", "-"])


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, the way a resident might write them: grouped 3-4-4 with spaces or dashes, maybe +86)."""
    digits = draw(mobiles)
    sep = draw(separators)
    text = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    if draw(st.booleans()):
        text = "+86" + draw(separators) + text
    return digits, text


words = st.text(string.ascii_letters + " ,.!?我叫的是", max_size=30)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=200)
@given(st.one_of(spelled(), landlines.map(lambda d: (d, d))))
def test_normalisation_is_idempotent_and_matches(number: tuple[str, str]) -> None:
    digits, text = number
    assert phone_digits(text) == digits
    assert phone_digits(phone_digits(text)) == phone_digits(text)
    assert mentions_phone(f"please call {text} today", digits)


@settings(max_examples=150)
@given(spelled(), words, words)
def test_a_phone_in_a_formatted_record_is_masked(number: tuple[str, str], before: str, after: str) -> None:
    digits, text = number
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "resident said %s; kept %d", (f"{before} {text} {after}",
                                                                                       7), None)
    out = RedactingFormatter("%(message)s").format(record)
    assert digits not in phone_digits(out) or digits not in out
    assert text.strip() not in out and MASK in out and "kept 7" in out


@settings(max_examples=100)
@given(spelled())
def test_a_phone_in_a_traceback_is_masked(number: tuple[str, str]) -> None:
    digits, text = number
    try:
        raise ValueError(f"bad input {text} for the ticket")
    except ValueError as e:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, (type(e), e, e.__traceback__))
    redact_record(record)
    formatted = logging.Formatter("%(message)s").format(record)
    assert "ValueError" in formatted and text not in formatted and MASK in formatted


def test_names_flats_and_pins() -> None:
    assert redact("my name is Li Wei and I live in Building 3, flat 201") == \
        "my name is [name] and I live in Building 3, flat [flat]"
    assert redact("我叫王小明，住3号楼201室，密码是4821") == "我叫[name]，住[flat]，密码[pin]"
    assert redact("My PIN is 482113") == "My PIN [pin]"
    for kept in ("Building 12", "2026-03-02 07:30:00.123456", "127.0.0.1:8700", "R1001", "status code 201"):
        assert redact(kept) == kept


def test_install_covers_every_logger_and_uncaught_thread_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    hooks = sys.excepthook, threading.excepthook
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("linli.test.redact.install")
    logger.addHandler(handler)
    logger.propagate = False
    previous = logging.getLogRecordFactory()
    try:
        install(logger)
        assert any(isinstance(f, RedactPhoneNumbers) for f in handler.filters)
        logger.warning("call %s", "138 0013 8000")
        try:
            raise RuntimeError("phone 13800138000")
        except RuntimeError:
            logger.exception("boom")
        thread = threading.Thread(target=lambda: int("my phone is 13912345678"), name="t-redact")
        thread.start()
        thread.join()
    finally:
        sys.excepthook, threading.excepthook = hooks
        logging.setLogRecordFactory(previous)
        logger.removeHandler(handler)
    assert "13800138000" not in stream.getvalue() and "138 0013 8000" not in stream.getvalue()
    assert stream.getvalue().count(MASK) == 3  # the message, the traceback's source line and its exception text
    err = capsys.readouterr().err
    assert "t-redact" in err and "13912345678" not in err and MASK in err
