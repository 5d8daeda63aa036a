"""Our endpoint settings → Kaldi's endpoint rules, in a tuned overlay of a Vosk model folder.

Vosk reads its decoder and endpoint options only from ``conf/model.conf`` inside the model folder, and the
package's folder is not ours to edit. The overlay is a small folder of symlinks to the model's files with
our own ``model.conf``; it is keyed by the model path and the settings, built atomically, and reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from assistant.shared.errors import SpeechModelError

from .settings import EndpointSettings

_OURS = "--endpoint.rule"


def endpoint_rules(settings: EndpointSettings) -> list[str]:
    """Kaldi's five rules (OnlineEndpointConfig) with our meanings.

    rule1: only silence so far → start over; rule2: sentence sounds complete (the best path is near a final
    state of the language model); rule3: sounds unfinished but plausible; rule4: any sentence; rule5: too long.
    """
    s = settings
    return [
        f"--endpoint.rule1.min-trailing-silence={s.no_speech_timeout}",
        f"--endpoint.rule2.min-trailing-silence={s.end_silence}",
        "--endpoint.rule2.max-relative-cost=2.0",
        f"--endpoint.rule3.min-trailing-silence={s.pause_silence}",
        "--endpoint.rule3.max-relative-cost=8.0",
        f"--endpoint.rule4.min-trailing-silence={s.max_pause}",
        f"--endpoint.rule5.min-utterance-length={s.max_utterance}",
    ]


def tuned_model_conf(original: str, settings: EndpointSettings) -> str:
    kept = [line for line in original.splitlines() if line.strip() and not line.strip().startswith(_OURS)]
    return "\n".join(kept + endpoint_rules(settings)) + "\n"


def tuned_model_dir(model_dir: Path, settings: EndpointSettings, work_dir: Path) -> Path:
    """Folder that Vosk loads: ``model_dir``'s files, with our endpoint rules."""
    model_dir = model_dir.resolve()
    conf = model_dir / "conf" / "model.conf"
    try:
        original = conf.read_text("utf-8")
    except OSError as e:
        raise SpeechModelError(
            f"The speech model in {model_dir} has no readable conf/model.conf.",
            hint="Run `linli models verify` to see what is missing.",
        ) from e
    text = tuned_model_conf(original, settings)
    key = hashlib.sha256(f"{model_dir}\n{text}".encode()).hexdigest()[:16]
    target = work_dir / f"{model_dir.name}-{key}"
    if (target / "conf" / "model.conf").is_file():
        return target
    work_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tuning-", dir=work_dir))
    try:
        for entry in model_dir.iterdir():
            if entry.name != "conf":
                os.symlink(entry, staging / entry.name)
        (staging / "conf").mkdir()
        for entry in (model_dir / "conf").iterdir():
            if entry.name != "model.conf":
                os.symlink(entry, staging / "conf" / entry.name)
        (staging / "conf" / "model.conf").write_text(text, "utf-8")
        try:
            staging.rename(target)
        except OSError:
            if not (target / "conf" / "model.conf").is_file():  # not a concurrent twin: a real failure
                raise
    except OSError as e:
        raise SpeechModelError(
            f"Could not prepare the speech model in {work_dir}: {e.strerror or e}.",
            hint="Check that the var/ folder is writable.",
        ) from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class QuietEndpointer:
    """Ends an utterance after ``seconds`` of quiet that follow speech, judged by the sound level.

    Kaldi's rules count silence on decoded frames, which trail the audio by ~0.2–0.35 s (measured: a 0.6 s
    rule fired 0.81 s after the speech ended); the sound level knows at once. Quiet means 18 dB below the
    loudest block of this utterance, so in a noisy lobby (speech not clearly above the noise) this never
    fires and Kaldi's rules, which recognise silence phones, still end the utterance.
    """

    RELATIVE = 1 / 8
    """−18 dB: quiet relative to the utterance's loudest block."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.reset()

    def reset(self) -> None:
        self._loudest = 0.0
        self._quiet_for = 0.0

    def update(self, pcm: bytes, speech_heard: bool) -> bool:
        """Feed a block; True when the utterance is over."""
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
        if not len(samples):
            return False
        rms = float(np.sqrt(np.mean(samples * samples)))
        self._loudest = max(self._loudest, rms)
        if rms < self._loudest * self.RELATIVE:
            self._quiet_for += len(samples) / 16_000
        else:
            self._quiet_for = 0.0
        return self.seconds > 0 and speech_heard and self._quiet_for >= self.seconds
