"""``requirements/system-packages.sh``: the one list of Debian packages, checked before any venv is built.

The script runs for real on copies of the repository's files with a list that names a package no machine
has; a non-root user is made with ``setpriv`` when the tests run as root (as in CI). Installing with
apt-get as root is not exercised here (it would change the machine); a fresh clone's ``make test`` does it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "requirements" / "system-packages.sh"
NOT_A_PACKAGE = "linli-test-no-such-package"

pytestmark = pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs a Debian-like system")


def _as_non_root() -> list[str]:
    """A prefix that runs a command as an unprivileged user (the script must not try apt-get then)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot act as an ordinary user")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture()
def copy() -> Iterator[Path]:
    """The Makefile and requirements/ copied into a world-readable folder, with a list that lacks a package.

    Not pytest's tmp_path: its parents are private to root, and the script runs as an ordinary user.
    """
    tmp_path = Path(tempfile.mkdtemp(prefix="linli-system-packages-"))
    try:
        yield _fill(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _fill(tmp_path: Path) -> Path:
    (tmp_path / "requirements").mkdir()
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(SCRIPT, tmp_path / "requirements" / SCRIPT.name)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    listing = (ROOT / "requirements" / "debian-packages.txt").read_text("utf-8")
    (tmp_path / "requirements" / "debian-packages.txt").write_text(
        listing + f"test: {NOT_A_PACKAGE}   # a package no machine has\n", "utf-8")
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o777 if path.is_dir() or path.suffix == ".sh" else 0o666)
    return tmp_path


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_list_names_the_groups_make_uses() -> None:
    for group in ("run", "display", "test"):
        out = _run([str(SCRIPT), "--list", group], ROOT)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split(), group
    assert "espeak-ng" in _run([str(SCRIPT), "--list", "run"], ROOT).stdout.split()
    assert "xvfb" in _run([str(SCRIPT), "--list", "test"], ROOT).stdout.split()


def test_an_unknown_group_is_refused() -> None:
    out = _run([str(SCRIPT), "runn"], ROOT)
    assert out.returncode == 2
    assert "no group 'runn'" in out.stderr


def test_a_missing_package_stops_an_ordinary_user_with_the_one_command(copy: Path) -> None:
    out = _run([*_as_non_root(), str(copy / "requirements" / SCRIPT.name), "test"], copy)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "sudo apt-get install -y --no-install-recommends" in out.stdout
    assert NOT_A_PACKAGE in out.stdout
    assert "Installing" not in out.stdout  # not root: apt-get is never tried


def test_make_test_stops_before_building_a_venv(copy: Path) -> None:
    """A new user's `make test` without the system packages ends at once, not 14 minutes later."""
    out = _run([*_as_non_root(), "make", "-C", str(copy), "test"], copy)
    assert out.returncode != 0
    assert NOT_A_PACKAGE in out.stdout
    assert not (copy / ".venv").exists()


def test_nothing_to_do_when_everything_is_installed() -> None:
    """On this machine the run group is installed (the suite needs it): the check is silent and passes."""
    out = _run([*_as_non_root(), str(SCRIPT), "run"], ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == ""
