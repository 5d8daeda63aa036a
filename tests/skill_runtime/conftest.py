"""Fixtures of the skill runtime tests: unique skills folders, inline skills, a project root; for the outbox a
services client on a closed port and a services API started later on a chosen port."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from community_services.app import create_app
from community_services.client import ServicesClient
from community_services.testing import serve_in_thread, stop_server
from tests.dialogue.helpers import closed_port

from .helpers import EXAMPLES, LATER_KIOSK, LATER_STAFF, NLU_DATA, MakeSkill, StartLater, skill_yaml


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


@pytest.fixture
def down_client() -> Iterator[ServicesClient]:
    """A services client pointing at a closed port: every call is ServicesUnavailable."""
    with ServicesClient(f"http://127.0.0.1:{closed_port()}", "any-token", timeout=2) as client:
        yield client


@pytest.fixture
def start_services_later(tmp_path: Path) -> Iterator[StartLater]:
    """``start(port) -> url``: the real services API on ``port`` (tokens LATER_KIOSK / LATER_STAFF)."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(port: int) -> str:
        app = create_app(f"sqlite:///{tmp_path / 'later-services.db'}", kiosk_token=LATER_KIOSK,
                         staff_token=LATER_STAFF)
        server, thread, url = serve_in_thread(app, port)
        running.append((server, thread))
        return url

    yield start
    for server, thread in running:
        stop_server(server, thread)
