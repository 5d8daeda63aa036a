"""Fixtures of the skill runtime tests: unique skills folders, inline skills, a project root."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from .helpers import EXAMPLES, NLU_DATA, MakeSkill, skill_yaml


@pytest.fixture
def skills_dir(tmp_path: Path) -> Path:
    """An empty skills folder. Its name is unique because actions import as ``<name>.<skill>.actions``."""
    folder = tmp_path / f"skills_{uuid.uuid4().hex[:12]}"
    folder.mkdir()
    (folder / "__init__.py").write_text("", encoding="utf-8")
    return folder


@pytest.fixture
def make_skill(skills_dir: Path) -> MakeSkill:
    """``make_skill(name, extra_yaml, actions=None, intent=None)`` writes ``<skills_dir>/<name>/``."""

    def make(name: str, extra: str = "", *, actions: str | None = None, intent: str | None = None,
             examples: tuple[str, ...] = EXAMPLES) -> Path:
        folder = skills_dir / name
        folder.mkdir()
        (folder / "__init__.py").write_text("", encoding="utf-8")
        (folder / "skill.yml").write_text(skill_yaml(name, intent or f"ask_{name}", extra, examples),
                                          encoding="utf-8")
        if actions is not None:
            (folder / "actions.py").write_text(actions, encoding="utf-8")
        return folder

    return make


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    """A project root holding a copy of the real ``nlu_data/`` (build_project reads it from there)."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(NLU_DATA, root / "nlu_data")
    return root
