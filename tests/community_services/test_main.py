"""``python -m community_services``: refuses to start without tokens, serves with them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.stack import free_ports
from community_services.__main__ import main

ROOT = Path(__file__).resolve().parents[2]

def test_refuses_to_start_without_tokens(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("LINLI_KIOSK_TOKEN", raising=False)
    monkeypatch.delenv("LINLI_STAFF_TOKEN", raising=False)
    assert main(["--database-url", "sqlite://"]) == 2
    err = capsys.readouterr().err
    assert "LINLI_KIOSK_TOKEN and LINLI_STAFF_TOKEN" in err and "export" in err

    monkeypatch.setenv("LINLI_KIOSK_TOKEN", "k")
    assert main(["--database-url", "sqlite://"]) == 2
    assert "LINLI_STAFF_TOKEN" in capsys.readouterr().err
    assert main(["--database-url", "sqlite://", "--staff-token", "k"]) == 2
    assert "must be different" in capsys.readouterr().err

def test_serves_seeds_and_redacts_logs(tmp_path: Path) -> None:
    # the guide listener gets a free port of its own: the default (--port + 1) may be taken by another test
    port, guide_port = free_ports(2)
    env = {**os.environ, "LINLI_KIOSK_TOKEN": "env-kiosk", "LINLI_STAFF_TOKEN": "env-staff"}
    db = tmp_path / "var" / "services.db"
    command = [sys.executable, "-m", "community_services", "--port", str(port), "--guide-port", str(guide_port),
               "--database-url", f"sqlite:///{db}", "--kiosk-token", "flag-kiosk"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        api = f"{url}/api/v1"
        assert httpx.get(f"{api}/facilities", headers={"Authorization": "Bearer env-kiosk"}).status_code == 401
        kiosk = {"Authorization": "Bearer flag-kiosk"}
        assert len(httpx.get(f"{api}/facilities", headers=kiosk).json()) >= 20
        ticket = {"problem_type": "plumbing", "place": "Building 1", "description": "Leak", "phone": "13812345678"}
        assert httpx.post(f"{api}/tickets", json=ticket, headers=kiosk).status_code == 201
        httpx.get(f"{api}/facilities/search", params={"q": "13812345678"}, headers=kiosk)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert db.exists()
    assert "seeded" in err and re.search(r"repair ticket R[2-9A-HJ-NP-Z]{8} created", err)
    assert "/api/v1/facilities/search" in err  # uvicorn's access log goes through the redacting handler
    assert "13812345678" not in err


def test_the_pause_after_commit_test_hook_is_off_unless_set() -> None:
    from community_services.settings import OfficeSettings

    assert OfficeSettings.from_env({}).pause_after_commit is None
    assert OfficeSettings.from_env({"LINLI_TEST_PAUSE_AFTER_COMMIT": "/api/v1/feedback=2.5"}).pause_after_commit == (
        "/api/v1/feedback", 2.5)
    assert OfficeSettings.from_env({"LINLI_TEST_PAUSE_AFTER_COMMIT": "/api/v1/tickets"}).pause_after_commit == (
        "/api/v1/tickets", 30.0)
