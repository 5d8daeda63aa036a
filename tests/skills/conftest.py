"""Fixtures of the skill tests (``skill_context`` and ``services_server`` come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import unreachable_services

from assistant.skill_runtime import context


@pytest.fixture
def services_down(tmp_path: Path) -> Iterator[context.SkillContext]:
    """Skills' context while the office system cannot be reached; the outbox still works."""
    with unreachable_services(tmp_path) as ctx:
        yield ctx
