"""The one in-memory audio type passed between the speech modules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ASR_RATE = 16_000
"""Vosk models are trained on 16 kHz mono; every input is brought to this."""


@dataclass(frozen=True, eq=False)
class AudioClip:
    """Mono 16-bit PCM audio."""

    samples: np.ndarray
    """int16, one dimension (mono)."""
    rate: int
    """Samples per second."""

    def __post_init__(self) -> None:
        if self.samples.dtype != np.int16 or self.samples.ndim != 1:
            raise ValueError("AudioClip needs mono int16 samples")
        if self.rate <= 0:
            raise ValueError("AudioClip needs a positive sample rate")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate

    def pcm_bytes(self) -> bytes:
        """Little-endian 16-bit PCM, what Vosk and WAV files take."""
        return self.samples.astype("<i2", copy=False).tobytes()

    @classmethod
    def silence(cls, seconds: float, rate: int = ASR_RATE) -> AudioClip:
        return cls(np.zeros(int(round(seconds * rate)), dtype=np.int16), rate)
