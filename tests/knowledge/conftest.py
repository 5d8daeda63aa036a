"""The real sentence model, loaded once for the whole test session (about 2 s)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.knowledge.encoder import SentenceEncoder

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "knowledge" / "office-faq.yml"
FIXTURES = ROOT / "tests" / "fixtures" / "knowledge"
HOLDOUT = ROOT / "tests" / "data" / "kb_holdout.yml"


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


@pytest.fixture
def seed_folder(tmp_path: Path) -> Path:
    """A knowledge folder holding a copy of the office's FAQ entries."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder
