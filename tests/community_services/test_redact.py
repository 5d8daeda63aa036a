"""Phone numbers never reach the logs."""

from __future__ import annotations

import logging

import pytest

from community_services.redact import MASK, RedactPhoneNumbers, redact


@pytest.mark.parametrize(
    "text",
    ["call 13800138000", "138 0013 8000", "138-0013-8000", "+86 13800138000", "6543210", "6543-2100",
     "021-65432100", "phone=13800138000&x=1"],
)  # fmt: skip
def test_phone_numbers_are_masked(text: str) -> None:
    masked = redact(text)
    assert MASK in masked
    assert not any(run in masked for run in ("0013", "8000", "654321", "6543"))


@pytest.mark.parametrize(
    "text",
    ["2026-03-02 07:30:00.123456", "127.0.0.1:8700", "GET /api/v1/tickets/R1001", "slot 42", "Building 12",
     "status 201 in 0.0123456 s"],
)  # fmt: skip
def test_other_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


def test_filter_masks_message_and_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("community_services.test_redact")
    logger.addFilter(RedactPhoneNumbers())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("ticket for 13800138000 (%s, %d, %s)", "13911112222", 13800138000, {"x": 1})
    assert "13800138000 " not in caplog.text and "13911112222" not in caplog.text
    assert caplog.records[0].args == (MASK, 13800138000, {"x": 1})  # numbers and objects untouched
