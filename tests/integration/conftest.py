"""Integration fixtures: the real trained model (trained once, cached by data fingerprint) and the real
servers — services API, action server, Rasa — on free loopback ports with a fresh var/ folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.dialogue import engine
from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import PROJECT_ROOT, Settings, current
from assistant.skill_runtime.build import BuildResult, build_project
from assistant.stack import Stack, free_ports
from community_services.client import ServicesClient

KIOSK_TOKEN = "it-kiosk-token"
STAFF_TOKEN = "it-staff-token"
RASA_TOKEN = "it-rasa-token"
MODEL_CACHE = current("model_cache_override") or PROJECT_ROOT / "var" / "models"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build_project(PROJECT_ROOT, tmp_path_factory.mktemp("build") / "rasa_project")


@pytest.fixture(scope="session")
def trained_model(built_project: BuildResult) -> Path:
    """Train once per data fingerprint; later runs (and later tests) reuse the cached model."""
    cache_settings = Settings(var_dir=MODEL_CACHE.parent)
    model, _ = engine.train(cache_settings, built_project.project, built_project.fingerprint, progress=print)
    return model


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    services, actions, rasa = free_ports(3)
    knowledge = tmp_path_factory.mktemp("knowledge")  # a copy: tests add entries to the running stack
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge, dirs_exist_ok=True)
    return Settings(
        knowledge_dir_override=knowledge,
        var_dir=tmp_path_factory.mktemp("var"), services_port=services, actions_port=actions, rasa_port=rasa,
        kiosk_token=KIOSK_TOKEN, staff_token=STAFF_TOKEN, rasa_token=RASA_TOKEN,
        kiosk_id="kiosk-test", kiosk_location="Community Service Centre lobby",
    )


@pytest.fixture(scope="session")
def stack(stack_settings: Settings, trained_model: Path) -> Iterator[Stack]:
    running = Stack(stack_settings, progress=print)
    running.start_all(trained_model)
    yield running
    running.stop_all()


@pytest.fixture
def live_stack(stack: Stack, trained_model: Path) -> Stack:
    """The session stack, with any process a previous test stopped started again."""
    if "services" not in stack.children:
        stack.start_services()
    if "actions" not in stack.children:
        stack.start_actions()
    if "rasa" not in stack.children:
        stack.start_rasa(trained_model)
    return stack


@pytest.fixture
def chat(live_stack: Stack) -> Iterator[ConversationClient]:
    s = live_stack.settings
    with ConversationClient(s.rasa_url, s.rasa_token) as client:
        yield client


@pytest.fixture
def staff(live_stack: Stack) -> Iterator[ServicesClient]:
    with ServicesClient(live_stack.settings.services_url, STAFF_TOKEN) as client:
        yield client


@pytest.fixture
def stack_settings_knowledge(stack_settings: Settings) -> Iterator[Path]:
    """The running stack's knowledge folder; files a test adds are removed after it."""
    folder = stack_settings.knowledge_dir
    before = set(folder.iterdir())
    yield folder
    for path in set(folder.iterdir()) - before:
        path.unlink()
