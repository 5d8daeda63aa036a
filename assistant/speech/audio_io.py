"""Audio in: sound files and the microphone, always delivered as 16 kHz mono int16 (what Vosk takes).

* ``read_audio`` reads any file libsndfile reads (WAV, FLAC, OGG, ... at any rate, channel count and
  sample format), downmixes, resamples and converts it. Every problem becomes an ``AudioInputError``
  whose message names the file.
* Truncated files: libsndfile itself shortens a WAV whose header claims more data than the file holds,
  so what is there is read. Formats that fail while decoding (a cut-off FLAC: "decoder lost sync") raise
  ``AudioInputError`` naming the file — a half-decoded file is not trusted to be the start of the speech.
* ``ClipSource`` and ``MicrophoneSource`` yield fixed-size blocks of PCM bytes, so the recogniser loop is
  the same for a test file and a live microphone.

``sounddevice`` is imported inside functions: it loads PortAudio, and a kiosk without it must still run
the text chat.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from math import gcd
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from assistant.shared.errors import AudioInputError, AudioOutputError
from assistant.speech.clip import ASR_RATE, AudioClip

DEFAULT_MAX_SECONDS = 15 * 60.0
"""Longer recordings are refused before their samples are read: nobody asks a kiosk a 15-minute question."""
_CHUNK_SAMPLES = 1 << 18
"""Samples read per chunk (all channels together); chunks are downmixed at once to keep memory small."""
_SF_ERR_UNRECOGNISED_FORMAT = 1  # libsndfile's SF_ERR_UNRECOGNISED_FORMAT

NO_MICROPHONE = "No microphone was found."
NO_MICROPHONE_HINT = "Connect a microphone, or type instead — the text chat still works (`linli chat`)."

Device = int | str | None
"""A PortAudio device index or name part; None is the system default."""


# --- files --------------------------------------------------------------------------------------


def read_audio(path: str | os.PathLike[str], *, max_seconds: float = DEFAULT_MAX_SECONDS) -> AudioClip:
    """Read a sound file as a 16 kHz mono clip; raises ``AudioInputError`` for anything unusable."""
    name = os.fspath(path)
    try:
        # Python opens the file so that missing / folder / permission problems are plain OSErrors.
        with open(name, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                raise AudioInputError(f"The audio file {name} is empty (0 bytes).",
                                      hint="Record or copy the file again.")
            try:
                sound = sf.SoundFile(fh)
            except (sf.LibsndfileError, RuntimeError) as e:
                raise _unreadable(name, e, opening=True) from e
            with sound:
                _check_length(name, sound.frames, sound.samplerate, max_seconds)
                try:
                    mono = _read_mono(sound)
                except (sf.LibsndfileError, RuntimeError) as e:
                    raise _unreadable(name, e, opening=False) from e
                rate = sound.samplerate
    except FileNotFoundError as e:
        raise AudioInputError(f"The audio file {name} does not exist.",
                              hint="Check the file name and folder.") from e
    except IsADirectoryError as e:
        raise AudioInputError(f"{name} is a folder, not an audio file.") from e
    except OSError as e:
        raise AudioInputError(f"The audio file {name} cannot be opened ({e.strerror or e}).") from e
    if len(mono) == 0:
        raise AudioInputError(f"The audio file {name} contains no audio.", hint="Record or copy the file again.")
    return AudioClip(_to_int16(_resample(mono, rate)), ASR_RATE)


def to_asr_clip(clip: AudioClip) -> AudioClip:
    """The same clip at 16 kHz (returned as is when it already is)."""
    if clip.rate == ASR_RATE:
        return clip
    return AudioClip(_to_int16(_resample(clip.samples.astype(np.float32) / 32768.0, clip.rate)), ASR_RATE)


def write_wav(path: str | os.PathLike[str], clip: AudioClip) -> None:
    """Write 16-bit PCM WAV atomically: a temp file in the same folder, then ``os.replace``.

    A crash or a full disk leaves the old file (or none), never a half-written one.
    Raises ``AudioOutputError`` when the file cannot be written.
    """
    target = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh, wave.open(fh, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(clip.rate)
            w.writeframes(clip.pcm_bytes())
        os.replace(tmp, target)
        tmp = None
    except OSError as e:
        raise AudioOutputError(f"Could not save audio to {target} ({e.strerror or e}).") from e
    finally:  # also on KeyboardInterrupt: no temp file is left behind
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _check_length(name: str, frames: int, rate: int, max_seconds: float) -> None:
    """Refuse absurd files from the header alone, before any sample is read."""
    if rate <= 0:
        raise AudioInputError(f"The audio file {name} is damaged (its sample rate is {rate}).")
    seconds = frames / rate
    if seconds > max_seconds:
        length = f"{seconds / 60:.0f} minutes" if seconds < 86_400 else "far too"
        raise AudioInputError(
            f"The audio file {name} is {length} long; recordings over {max_seconds / 60:g} minutes are refused.",
            hint="Use a shorter recording.",
        )


def _read_mono(sound: Any) -> np.ndarray:
    """Float32 mono samples (mean of the channels), read in chunks until the file really ends.

    Chunks are collected rather than preallocated from ``frames``: a lying header cannot make us
    reserve memory for audio that is not there.
    """
    per_chunk = max(1024, _CHUNK_SAMPLES // max(1, sound.channels))
    chunks = []
    while True:
        data = sound.read(per_chunk, dtype="float32", always_2d=True)
        if len(data) == 0:
            break
        chunks.append(data.mean(axis=1, dtype=np.float32))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def _unreadable(name: str, e: Exception, *, opening: bool) -> AudioInputError:
    detail = getattr(e, "error_string", "") or str(e)
    if opening and getattr(e, "code", None) == _SF_ERR_UNRECOGNISED_FORMAT:
        return AudioInputError(f"{name} is not an audio file we can read.",
                               hint="Use a WAV, FLAC or OGG recording.")
    if opening:
        return AudioInputError(f"The audio file {name} is damaged and cannot be read ({detail}).",
                               hint="Record or copy the file again.")
    return AudioInputError(f"The audio file {name} is damaged or cut off part-way ({detail}).",
                           hint="Record or copy the file again.")


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == ASR_RATE:
        return x
    g = gcd(ASR_RATE, rate)  # 44.1 kHz → up 160, down 441: small polyphase factors
    return np.asarray(resample_poly(x, ASR_RATE // g, rate // g))


def _to_int16(x: np.ndarray) -> np.ndarray:
    """Float (full scale ±1.0) to int16, clipping instead of wrapping; NaN becomes silence."""
    scaled = np.nan_to_num(x.astype(np.float64) * 32768.0, nan=0.0, posinf=32767.0, neginf=-32768.0)
    return np.clip(np.rint(scaled), -32768, 32767).astype(np.int16)


# --- devices ------------------------------------------------------------------------------------


def audio_device(kind: Literal["input", "output"], device: Device = None) -> tuple[Any, str]:
    """``(sounddevice module, device name)`` when a usable device exists, else ``(None, why not)``."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as e:  # OSError: the PortAudio library itself is missing
        return None, f"sound support (PortAudio) is not installed: {e}"
    try:
        info = sd.query_devices(device, kind=kind)
    except (sd.PortAudioError, ValueError, OSError):  # no default device / no such device / wrong kind
        which = "" if device is None else f" matching {device!r}"
        return None, f"the system reports no {kind} device{which}"
    return sd, str(info["name"])


def microphone_available(device: Device = None) -> tuple[bool, str]:
    """Whether a microphone can be used, and a sentence for the screen saying which or why not."""
    sd, why = audio_device("input", device)
    return (True, f"Microphone: {why}.") if sd is not None else (False, f"{NO_MICROPHONE[:-1]} ({why}).")


# --- sources ------------------------------------------------------------------------------------


class AudioSource(Protocol):
    """Fixed-size blocks of 16 kHz mono little-endian int16 PCM."""

    def blocks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


def block_frames(block_seconds: float) -> int:
    if block_seconds <= 0:
        raise ValueError("block_seconds must be positive")
    return max(1, round(block_seconds * ASR_RATE))


class ClipSource:
    """A clip served in blocks; with ``realtime=True`` it is paced like a live microphone."""

    def __init__(self, clip: AudioClip, block_seconds: float = 0.05, realtime: bool = False) -> None:
        self.block_frames = block_frames(block_seconds)
        self.realtime = realtime
        self._samples = to_asr_clip(clip).samples
        self._closed = threading.Event()

    def blocks(self) -> Iterator[bytes]:
        n = self.block_frames
        start = time.monotonic()
        for i, offset in enumerate(range(0, len(self._samples), n)):
            if self.realtime:
                # A microphone hands block i over once it has been recorded, i.e. (i + 1) blocks after start.
                delay = start + (i + 1) * n / ASR_RATE - time.monotonic()
                if delay > 0:
                    self._closed.wait(delay)  # a sleep that close() can cut short
            if self._closed.is_set():
                return
            block = self._samples[offset : offset + n]
            if len(block) < n:  # consumers count on equal blocks: pad the last with silence
                block = np.concatenate([block, np.zeros(n - len(block), dtype=np.int16)])
            yield block.astype("<i2", copy=False).tobytes()

    def close(self) -> None:
        self._closed.set()


class MicrophoneSource:
    """Live 16 kHz mono capture; blocks wait in a bounded queue until ``blocks()`` takes them.

    When the consumer falls behind by more than ``max_queued_seconds`` the oldest blocks are dropped
    (counted in ``dropped``): late audio is useless to a live conversation, and memory stays bounded.
    """

    def __init__(self, block_seconds: float = 0.05, device: Device = None, max_queued_seconds: float = 2.0) -> None:
        self.block_frames = block_frames(block_seconds)
        self.dropped = 0
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=max(2, round(max_queued_seconds / block_seconds)))
        self._closed = threading.Event()
        self._finished = threading.Event()  # PortAudio ended the stream (device unplugged, error)
        sd, _ = audio_device("input", device)
        if sd is None:
            raise AudioInputError(NO_MICROPHONE, hint=NO_MICROPHONE_HINT)
        self._portaudio_error: type[Exception] = sd.PortAudioError
        try:
            self._stream = sd.RawInputStream(
                samplerate=ASR_RATE, channels=1, dtype="int16", blocksize=self.block_frames, device=device,
                callback=self._on_audio, finished_callback=self._finished.set,
            )
            self._stream.start()
        except (sd.PortAudioError, OSError, ValueError) as e:  # busy device, 16 kHz not supported, ...
            raise AudioInputError(NO_MICROPHONE, hint=NO_MICROPHONE_HINT) from e

    def _on_audio(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        # Runs on PortAudio's thread: must never block. With a fixed blocksize PortAudio delivers exactly it.
        block = bytes(indata)
        while True:
            try:
                self._queue.put_nowait(block)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def blocks(self) -> Iterator[bytes]:
        while not self._closed.is_set():
            try:
                block = self._queue.get(timeout=0.1)  # wake up now and then to notice close()
            except queue.Empty:
                if self._finished.is_set() and not self._closed.is_set():
                    raise AudioInputError("The microphone stopped sending sound.",
                                          hint="Check that the microphone is still connected.") from None
                continue
            yield block

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        # An unplugged device may fail to close; there is nothing left to release then.
        with contextlib.suppress(self._portaudio_error, OSError):
            self._stream.abort()  # abort, not stop: nobody wants the audio still buffered
        with contextlib.suppress(self._portaudio_error, OSError):
            self._stream.close()
