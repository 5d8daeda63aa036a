"""Finding a Python 3.10 for Rasa: explicit choice first, and a message that says how to get one."""

from __future__ import annotations

import sys

import pytest

from assistant.dialogue import rasa_python


def test_a_wrong_explicit_choice_is_not_silently_replaced(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINLI_RASA_PYTHON", sys.executable)  # 3.11+, not 3.10
    assert rasa_python.find_rasa_python() is None
    assert rasa_python.main() == 1
    err = capsys.readouterr().err
    assert "LINLI_RASA_PYTHON" in err and "pyenv install 3.10" in err


def test_no_python_310_anywhere_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    monkeypatch.delenv("LINLI_RASA_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    assert rasa_python.candidates() == []
    assert rasa_python.main() == 1
    assert "needs Python 3.10" in capsys.readouterr().err


def test_order_is_env_then_path_then_pyenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3.10").write_text("#!/bin/sh\n")
    (fake / "python3.10").chmod(0o755)
    versions = tmp_path / "pyenv" / "versions" / "3.10.9" / "bin"
    versions.mkdir(parents=True)
    monkeypatch.setenv("LINLI_RASA_PYTHON", "/opt/custom/python3.10")
    monkeypatch.setenv("PATH", str(fake))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert rasa_python.candidates() == [
        "/opt/custom/python3.10", str(fake / "python3.10"), str(versions / "python3.10"),
    ]
