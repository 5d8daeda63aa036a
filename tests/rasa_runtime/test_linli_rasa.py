"""rasa_runtime/linli_rasa.py's guard on ``PUT /model`` (the launcher runs in the Rasa venv; this pure part is
loaded from its file here; the guard on the live server is in tests/integration/test_core_dialogue.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from assistant.shared.config import PROJECT_ROOT


def launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("linli_rasa", PROJECT_ROOT / "rasa_runtime" / "linli_rasa.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "linli-abc.tar.gz").write_bytes(b"model")
    (tmp_path / "elsewhere.tar.gz").write_bytes(b"model")
    (folder / "link.tar.gz").symlink_to(tmp_path / "elsewhere.tar.gz")
    return folder


def test_a_model_from_the_models_folder_is_loaded(models: Path) -> None:
    assert launcher().refuse_model(str(models / "linli-abc.tar.gz"), None, None, str(models)) is None


@pytest.mark.parametrize(("path", "server", "storage"), [
    ("{tmp}/elsewhere.tar.gz", None, None),
    ("{models}/../elsewhere.tar.gz", None, None),
    ("{models}/link.tar.gz", None, None),  # a link out of the folder
    ("{models}/missing.tar.gz", None, None),
    ("/etc/passwd", None, None),
    (None, {"url": "http://evil.example/model.tar.gz"}, None),
    (None, None, "aws"),
    (7, None, None),
])
def test_anything_else_is_refused(models: Path, path: object, server: object, storage: object) -> None:
    if isinstance(path, str):
        path = path.format(tmp=models.parent, models=models)
    assert launcher().refuse_model(path, server, storage, str(models))


def test_without_the_setting_rasa_decides(models: Path) -> None:
    assert launcher().refuse_model("/anywhere/model.tar.gz", None, None, None) is None


@pytest.mark.parametrize(("argv", "expected"), [
    (["--linli-models-dir", "/m", "run", "--port", "5005"], ("/m", ["run", "--port", "5005"])),
    (["run", "--port", "5005"], (None, ["run", "--port", "5005"])),
    (["run", "--linli-models-dir"], (None, ["run", "--linli-models-dir"])),
])
def test_our_own_flag_is_taken_out_before_rasa_reads_the_arguments(argv: list[str],
                                                                  expected: tuple[object, list[str]]) -> None:
    assert launcher().take_models_dir(argv) == expected
