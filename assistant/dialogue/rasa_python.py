"""Find a Python 3.10 for Rasa 3.6.21 (which supports Python 3.8–3.10 only).

Order: ``$LINLI_RASA_PYTHON``, ``python3.10`` on PATH, pyenv's ``~/.pyenv/versions/3.10.*``.
Run as a script it prints the path, or explains how to get one and exits 1 (the Makefile uses it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from assistant.shared.config import current

HOW_TO_GET_ONE = (
    "Rasa 3.6 needs Python 3.10, and none was found. Install one (e.g. `pyenv install 3.10` or "
    "`apt-get install python3.10 python3.10-venv`), or set LINLI_RASA_PYTHON=/path/to/python3.10."
)


def _is_310(python: str) -> bool:
    try:
        out = subprocess.run([python, "-c", "import sys, venv; print(sys.version_info[:2] == (3, 10))"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.stdout.strip() == "True"


def candidates() -> list[str]:
    found: list[str] = []
    env = current("rasa_python")
    if env:
        found.append(env)
    on_path = shutil.which("python3.10")
    if on_path:
        found.append(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found.extend(str(p / "bin" / "python3.10") for p in sorted((pyenv_root / "versions").glob("3.10.*"), reverse=True))
    return found


def find_rasa_python() -> str | None:
    env = current("rasa_python")
    for python in candidates():
        if _is_310(python):
            return python
        if python == env:
            return None  # an explicit choice that is wrong must not be silently replaced
    return None


def main() -> int:
    python = find_rasa_python()
    if python is None:
        env = current("rasa_python")
        if env:
            print(f"LINLI_RASA_PYTHON={env} is not a working Python 3.10. {HOW_TO_GET_ONE}", file=sys.stderr)
        else:
            print(HOW_TO_GET_ONE, file=sys.stderr)
        return 1
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
