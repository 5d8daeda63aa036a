"""Network boundaries without starting anything (docs/security.md): who binds where, which process gets which
secret, that no secret is put on a command line, and that the reload secret is its own and compared in constant time.
The running stack is checked in ``tests/integration/test_deployment.py``."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from assistant import stack as stack_module
from assistant.dialogue import action_server_reload, engine
from assistant.shared.config import Settings, is_loopback
from assistant.stack import Stack, child_env
from rasa_runtime.linli_rasa import TOKEN_HANDOFF, take_token

SECRETS = {"kiosk_token": "kiosk-secret-0123456789", "staff_token": "staff-secret-0123456789",
           "rasa_token": "rasa-secret-01234567890", "reload_token": "reload-secret-012345678"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", host="0.0.0.0", guide_host="0.0.0.0", qr_key="q" * 32,
                    **SECRETS)  # type: ignore[arg-type]


@pytest.fixture
def fake_rasa(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "rasa_executable", lambda _s: Path("/venv-rasa/bin/rasa"))


def test_rasa_listens_on_loopback_without_cors_and_without_its_token_in_argv(settings: Settings,
                                                                               fake_rasa: None) -> None:
    command = engine.serve_command(settings, settings.var_dir / "models" / "m.tar.gz")
    argv = " ".join(command.argv)
    assert command.argv[command.argv.index("--interface") + 1] == "127.0.0.1"
    assert "--cors" not in command.argv and "--auth-token" not in command.argv
    assert not any(secret in argv for secret in SECRETS.values())
    assert command.env[TOKEN_HANDOFF] == settings.rasa_token


def test_the_launcher_gives_rasa_its_token_inside_the_process() -> None:
    environ = {TOKEN_HANDOFF: "rasa-secret", "HOME": "/h"}
    args = take_token(["run", "--model", "m.tar.gz"], environ)
    assert args == ["run", "--auth-token", "rasa-secret", "--model", "m.tar.gz"]
    assert TOKEN_HANDOFF not in environ  # nothing Rasa starts inherits it
    assert take_token(["train", "--force"], {TOKEN_HANDOFF: "x"}) == ["train", "--force"]
    assert take_token(["run"], {}) == ["run"]


def test_each_child_gets_only_its_own_secrets(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                              fake_rasa: None) -> None:
    # the parent holds every secret (as `linli run` does, from var/tokens.json or /etc/linli/linli.env)
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"LINLI_{name.upper()}", value)
    monkeypatch.setenv("LINLI_SMTP_PASSWORD", "smtp-password-0123")
    monkeypatch.setenv("LINLI_KIOSK_CONTROL_TOKEN", "control-token-0123")
    running = Stack(settings)
    services, actions = child_env(running.settings, "services"), child_env(running.settings, "actions")
    rasa = child_env(running.settings, "rasa") | engine.serve_command(running.settings, Path("m.tar.gz")).env

    def secrets_in(env: dict[str, str]) -> set[str]:
        values = {*SECRETS.values(), "smtp-password-0123", "control-token-0123", "q" * 32}
        return {v for v in env.values() if v in values}

    assert secrets_in(services) == {SECRETS["kiosk_token"], SECRETS["staff_token"], "smtp-password-0123", "q" * 32}
    assert secrets_in(actions) == {SECRETS["kiosk_token"], SECRETS["reload_token"], "q" * 32}
    assert secrets_in(rasa) == {SECRETS["rasa_token"]}
    assert rasa[TOKEN_HANDOFF] == SECRETS["rasa_token"] and "LINLI_RASA_TOKEN" not in rasa
    for env in (services, actions, rasa):
        assert env["LINLI_SECRETS_FROM_LAUNCHER"] == "1"  # and they do not read var/tokens.json instead


def test_the_children_bind_where_they_should(settings: Settings) -> None:
    running = Stack(settings)
    assert running.host_of("services") == "0.0.0.0"
    assert running.host_of("actions") == running.host_of("rasa") == "127.0.0.1"
    assert settings.actions_url.startswith("http://127.0.0.1:") and settings.rasa_url.startswith("http://127.0.0.1:")
    source = inspect.getsource(__import__("assistant.dialogue.action_server", fromlist=["main"]).main)
    assert "host=LOOPBACK" in source


def test_a_stack_made_without_a_reload_secret_gets_its_own(tmp_path: Path) -> None:
    made = Settings(var_dir=tmp_path, rasa_token="rasa-secret-01234567890")
    running = Stack(made)
    assert running.settings.reload_token and running.settings.reload_token != running.settings.rasa_token
    assert Stack(made).settings.reload_token != running.settings.reload_token


def test_the_reload_secret_is_compared_in_constant_time() -> None:
    tree = ast.parse(inspect.getsource(action_server_reload.add_reload_route))
    compares = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)
                and any(isinstance(op, ast.NotEq | ast.Eq) for op in n.ops)
                and "token" in ast.unparse(n)]
    assert not compares, [ast.unparse(n) for n in compares]
    assert "hmac.compare_digest" in inspect.getsource(action_server_reload.add_reload_route)


def test_the_reload_route_takes_only_the_reload_secret() -> None:
    import asyncio
    from types import SimpleNamespace

    class App:  # just enough of Sanic to catch the route's handler
        handler: Any = None

        def post(self, _route: str) -> Any:
            def keep(f: Any) -> Any:
                App.handler = f
                return f
            return keep

    class Reloader:
        def reload(self) -> dict[str, str]:
            return {"ok": "yes"}

    def status(secret: str, given: str, ip: str = "127.0.0.1") -> int:
        action_server_reload.add_reload_route(App(), Reloader(), secret)  # type: ignore[arg-type]
        request = SimpleNamespace(ip=ip, headers={"authorization": f"Bearer {given}"})
        return int(asyncio.run(App.handler(request)).status)

    assert status("reload-secret-012345678", "reload-secret-012345678") == 200
    for given in ("rasa-secret-01234567890", "", "reload-secret-01234567", "reload-secret-0123456789"):
        assert status("reload-secret-012345678", given) == 403, given
    assert status("reload-secret-012345678", "reload-secret-012345678", ip="192.0.2.7") == 403
    assert status("", "") == 403  # no secret: nobody


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("::", False),
                                                ("192.168.1.5", False), ("kiosk.local", False)])
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_no_secret_is_put_on_a_command_line_by_the_stack() -> None:
    source = inspect.getsource(stack_module)
    for name in ("kiosk_token", "staff_token", "rasa_token", "reload_token"):
        for line in source.splitlines():
            if "argv" in line and name in line:
                pytest.fail(f"{name} near a command line in assistant/stack.py: {line.strip()}")
