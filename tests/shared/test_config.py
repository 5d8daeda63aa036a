"""config: settings from environment variables with defaults; developer tokens made once, private."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from assistant.shared import config
from assistant.shared.config import PROJECT_ROOT, Settings, load_settings
from assistant.shared.errors import ConfigError, LinliError

ENV_VARS = (
    "LINLI_VAR_DIR", "LINLI_ROOT", "LINLI_KIOSK_TOKEN", "LINLI_STAFF_TOKEN", "LINLI_RASA_TOKEN", "LINLI_HOST",
    "LINLI_SERVICES_PORT", "LINLI_ACTIONS_PORT", "LINLI_RASA_PORT", "LINLI_KIOSK_ID", "LINLI_KIOSK_LOCATION",
    "LINLI_SERVICES_URL", "LINLI_SERVICES_DB_URL",
)


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment whose var/ is a temporary folder (never the checkout's var/)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    var = tmp_path / "var"
    monkeypatch.setenv("LINLI_VAR_DIR", str(var))
    return var


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_defaults(var_dir: Path) -> None:
    settings = load_settings()
    assert settings.root == PROJECT_ROOT
    assert settings.var_dir == var_dir.resolve()
    assert (settings.host, settings.services_port, settings.actions_port, settings.rasa_port) == \
        ("127.0.0.1", 8700, 5055, 5005)
    assert settings.kiosk_id == Settings.kiosk_id
    assert settings.kiosk_location == Settings.kiosk_location
    assert settings.services_url == "http://127.0.0.1:8700"
    assert settings.actions_url == "http://127.0.0.1:5055/webhook"
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.outbox_path == var_dir.resolve() / "outbox.db"
    assert settings.tracker_db_path == var_dir.resolve() / "trackers.db"
    assert settings.models_dir == var_dir.resolve() / "models"
    assert settings.services_db_url == f"sqlite:///{var_dir.resolve() / 'services.db'}"
    assert settings.build_dir == PROJECT_ROOT / "build" / "rasa_project"
    assert settings.rasa_venv == PROJECT_ROOT / ".venv-rasa"


def test_environment_overrides(var_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "LINLI_ROOT": str(tmp_path / "checkout"), "LINLI_HOST": "0.0.0.0", "LINLI_SERVICES_PORT": "9100",
        "LINLI_ACTIONS_PORT": "9101", "LINLI_RASA_PORT": "9102", "LINLI_KIOSK_ID": "kiosk-east-gate",
        "LINLI_KIOSK_LOCATION": "East Gate guard house", "LINLI_KIOSK_TOKEN": "k", "LINLI_STAFF_TOKEN": "s",
        "LINLI_RASA_TOKEN": "r", "LINLI_RELOAD_TOKEN": "x", "LINLI_SERVICES_DB_URL": "sqlite:////data/services.db",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.root == (tmp_path / "checkout").resolve()
    assert settings.host == "0.0.0.0"
    assert (settings.services_port, settings.actions_port, settings.rasa_port) == (9100, 9101, 9102)
    assert settings.services_url == "http://127.0.0.1:9100"  # a wildcard bind is reached on loopback
    assert settings.rasa_url == "http://127.0.0.1:9102"  # Rasa listens on loopback whatever LINLI_HOST says
    assert settings.actions_url == "http://127.0.0.1:9101/webhook"
    assert (settings.kiosk_id, settings.kiosk_location) == ("kiosk-east-gate", "East Gate guard house")
    assert (settings.kiosk_token, settings.staff_token, settings.rasa_token) == ("k", "s", "r")
    assert settings.services_db_url == "sqlite:////data/services.db"
    assert settings.build_dir == (tmp_path / "checkout").resolve() / "build" / "rasa_project"
    assert not var_dir.exists()  # all tokens given: no developer token file is made


def test_services_url_override(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_SERVICES_URL", "http://office.local:8000")
    assert load_settings().services_url == "http://office.local:8000"
    monkeypatch.setenv("LINLI_SERVICES_URL", "")
    assert load_settings().services_url == "http://127.0.0.1:8700"


def test_empty_port_means_default(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_RASA_PORT", "")
    assert load_settings().rasa_port == 5005


@pytest.mark.parametrize("value", ["abc", "80.5", "5005x", "five"])
@pytest.mark.parametrize("name", ["LINLI_SERVICES_PORT", "LINLI_ACTIONS_PORT", "LINLI_RASA_PORT"])
def test_bad_int_is_a_config_error(var_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.message == f"{name} must be a whole number, not {value!r}."
    assert isinstance(err.value, LinliError)
    assert isinstance(err.value.__cause__, ValueError)


def test_dev_tokens_file_is_created_once_with_mode_600(var_dir: Path) -> None:
    old_umask = os.umask(0o022)  # a typical umask would make a plain file world-readable
    try:
        first = load_settings()
    finally:
        os.umask(old_umask)
    path = var_dir / "tokens.json"
    assert mode(path) == 0o600
    stored = json.loads(path.read_text("utf-8"))
    assert set(stored) == {"kiosk", "staff", "rasa", "reload"}  # one secret per purpose (docs/security.md)
    assert (first.kiosk_token, first.staff_token, first.rasa_token, first.reload_token) == \
        (stored["kiosk"], stored["staff"], stored["rasa"], stored["reload"])
    assert len({first.kiosk_token, first.staff_token, first.rasa_token, first.reload_token}) == 4
    assert all(len(t) >= 24 for t in stored.values())
    assert sorted(p.name for p in var_dir.iterdir()) == ["tokens.json"]  # no tmp file left

    before = path.stat()
    second = load_settings()
    assert (second.kiosk_token, second.staff_token, second.rasa_token) == \
        (first.kiosk_token, first.staff_token, first.rasa_token)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # reused, not rewritten


def test_env_tokens_win_over_the_file(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = load_settings()
    monkeypatch.setenv("LINLI_STAFF_TOKEN", "from-env")
    settings = load_settings()
    assert settings.staff_token == "from-env"
    assert (settings.kiosk_token, settings.rasa_token) == (dev.kiosk_token, dev.rasa_token)


def test_an_older_tokens_file_keeps_its_tokens_and_gets_the_missing_ones(var_dir: Path) -> None:
    var_dir.mkdir(parents=True)
    path = var_dir / "tokens.json"
    old = {"kiosk": "k" * 24, "staff": "s" * 24, "rasa": "r" * 24}  # before the reload secret existed
    path.write_text(json.dumps(old), encoding="utf-8")
    settings = load_settings()
    stored = json.loads(path.read_text("utf-8"))
    assert {k: stored[k] for k in old} == old  # deployed kiosks keep working
    assert settings.reload_token == stored["reload"] and stored["reload"] not in old.values()
    assert mode(path) == 0o600


def test_launched_children_do_not_read_the_tokens_file(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_SECRETS_FROM_LAUNCHER", "1")
    monkeypatch.setenv("LINLI_KIOSK_TOKEN", "kiosk-only")
    settings = load_settings()
    assert (settings.kiosk_token, settings.staff_token, settings.rasa_token, settings.reload_token) == \
        ("kiosk-only", "", "", "")
    assert not var_dir.exists()


@pytest.mark.parametrize("content", ["not json", "[]", '{"kiosk": 1, "staff": 2, "rasa": 3}'])
def test_broken_tokens_file_is_replaced(var_dir: Path, content: str) -> None:
    var_dir.mkdir(parents=True)
    path = var_dir / "tokens.json"
    path.write_text(content, encoding="utf-8")
    path.chmod(0o644)
    settings = load_settings()
    stored = json.loads(path.read_text("utf-8"))
    assert settings.kiosk_token == stored["kiosk"] and settings.kiosk_token not in ("k", 1)
    assert mode(path) == 0o600


def test_leftover_tmp_file_does_not_leak_its_mode(var_dir: Path) -> None:
    var_dir.mkdir(parents=True)
    leftover = var_dir / "tokens.tmp"
    leftover.write_text("half-written", encoding="utf-8")
    leftover.chmod(0o666)
    load_settings()
    assert mode(var_dir / "tokens.json") == 0o600
    assert not leftover.exists()


def test_with_ports_returns_a_changed_copy() -> None:
    base = Settings()
    moved = base.with_ports(1, 2, 3)
    assert (moved.services_port, moved.actions_port, moved.rasa_port) == (1, 2, 3)
    assert (base.services_port, base.actions_port, base.rasa_port) == (8700, 5055, 5005)
    assert moved.kiosk_id == base.kiosk_id


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().host = "x"  # type: ignore[misc]


def test_project_root_is_the_checkout() -> None:
    assert (config.PROJECT_ROOT / "assistant" / "shared" / "config.py").is_file()


# --- one place --------------------------------------------------------------------------------------

READERS = {
    "assistant/shared/config.py": "the kiosk side's settings",
    "assistant/speech/settings.py": "the speech component's own defaults, merged with the voice flags",
    "community_services/settings.py": "the office system's settings (it depends on nothing of the kiosk side)",
}
"""The only modules that may read a ``LINLI_*`` variable from the environment, and why."""


def _env_reads(path: Path) -> list[tuple[int, str]]:
    """``os.environ.get(X)``, ``os.environ[X]``, ``os.getenv(X)`` where X is a LINLI_* literal or a *_ENV name."""
    import ast

    def is_linli(node: ast.AST) -> bool:
        return (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("LINLI_")) \
            or (isinstance(node, ast.Name) and node.id.endswith("_ENV"))

    def is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
            (isinstance(node, ast.Name) and node.id == "environ")

    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and node.args and is_linli(node.args[0]) and isinstance(node.func, ast.Attribute):
            if (node.func.attr == "get" and is_environ(node.func.value)) or node.func.attr == "getenv":
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and is_environ(node.value) \
                and is_linli(node.slice):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_reads_are_found(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import os\nMAP_ENV = 'LINLI_MAP'\na = os.environ.get('LINLI_X', '1')\nb = os.getenv(MAP_ENV)\n"
                    "c = os.environ['LINLI_Y']\nos.environ['LINLI_Z'] = '1'\nd = os.environ.get('HOME')\n", "utf-8")
    assert [line for line, _ in _env_reads(path)] == [3, 4, 5]


def test_linli_variables_are_read_in_the_settings_modules_only() -> None:
    root = config.PROJECT_ROOT
    bad = [f"{path.relative_to(root)}:{line}: {code}"
           for folder in ("assistant", "community_services", "kiosk_app", "ar_overlays", "wayfinding", "skills",
                          "bench", "rasa_runtime")
           for path in sorted((root / folder).rglob("*.py"))
           if str(path.relative_to(root)) not in READERS
           for line, code in _env_reads(path)]
    assert not bad, ("Declare the setting in assistant/shared/config.py (setting(...)) and read it from Settings "
                     "or config.current():\n" + "\n".join(bad))
