"""The kiosk's control channel refuses what is not the test's own: no secret, a wrong Host, a screenshot path
out of its folder (the commands themselves are driven through it in tests/integration/test_kiosk_app.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.stack import free_ports
from kiosk_app.control import shot_path, start_control

TOKEN = "control-secret"


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    (port,) = free_ports(1)
    server = start_control(None, port, TOKEN, tmp_path / "shots")
    yield f"http://127.0.0.1:{port}", tmp_path / "shots"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Bearer {TOKEN}x"}])
def test_no_secret_no_control(channel: tuple[str, Path], headers: dict[str, str]) -> None:
    url, _ = channel
    assert httpx.get(f"{url}/state", headers=headers).status_code == 401
    r = httpx.post(f"{url}/call", headers=headers, json={"name": "emergency", "args": []})
    assert r.status_code == 401 and not r.json()["ok"]


def test_a_page_under_another_host_name_is_refused(channel: tuple[str, Path]) -> None:
    """DNS rebinding: a web page whose name now points at 127.0.0.1 still sends its own Host."""
    url, _ = channel
    r = httpx.get(f"{url}/state", headers={"Authorization": f"Bearer {TOKEN}", "Host": "evil.example:80"})
    assert r.status_code == 403


@pytest.mark.parametrize("name", ["../../etc/cron.d/x", "/tmp/x", "", ".hidden", "a" * 81, "a b", None, 7])
def test_screenshots_stay_in_their_folder(channel: tuple[str, Path], name: object) -> None:
    url, shots = channel
    r = httpx.post(f"{url}/screenshot", headers={"Authorization": f"Bearer {TOKEN}"}, json={"name": name})
    assert r.status_code == 400 and "screenshot name" in r.json()["error"]
    with pytest.raises(ValueError):
        shot_path(shots, name)


def test_a_plain_name_is_a_png_in_the_folder(tmp_path: Path) -> None:
    assert shot_path(tmp_path / "s", "home-large_2") == tmp_path / "s" / "home-large_2.png"


def test_no_secret_no_channel(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        start_control(None, free_ports(1)[0], "", tmp_path)
