"""Audio out: play a clip on the speaker, stoppable from another thread (barge-in).

``stop()`` stops the play that is running now: each ``play()`` starts with the stop flag cleared, so a
stop that arrives before a play has begun is not carried over to it. Plays on one speaker take turns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from assistant.shared.errors import AudioOutputError
from assistant.speech.audio_io import Device, audio_device, write_wav
from assistant.speech.clip import AudioClip

NO_SPEAKER = "No speaker was found."
NO_SPEAKER_HINT = "Connect a speaker; replies are still shown on the screen."


class Speaker(Protocol):
    def play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None = None) -> bool:
        """Block until the clip has played; False if ``stop()`` or ``close()`` cut it short."""
        ...

    def stop(self) -> None:
        """Thread-safe: a running ``play`` returns within about one block."""
        ...

    def close(self) -> None: ...


def speaker_available(device: Device = None) -> tuple[bool, str]:
    """Whether a speaker can be used, and a sentence for the screen saying which or why not."""
    sd, why = audio_device("output", device)
    return (True, f"Speaker: {why}.") if sd is not None else (False, f"{NO_SPEAKER[:-1]} ({why}).")


class _Stoppable:
    """What every speaker shares: one play at a time, ``stop()`` from any thread, closed means silent."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._turn = threading.Lock()
        self._closed = False

    def play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None = None) -> bool:
        with self._turn:
            if self._closed:
                return False
            self._stop.clear()
            if len(clip.samples) == 0:
                return True
            return self._play(clip, on_first_sample)

    def _play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._closed = True
        self._stop.set()


class SoundDeviceSpeaker(_Stoppable):
    """Writes the clip in blocks to a PortAudio output stream at the clip's own rate."""

    def __init__(self, block_seconds: float = 0.05, device: Device = None) -> None:
        if block_seconds <= 0:
            raise ValueError("block_seconds must be positive")
        sd, _ = audio_device("output", device)
        if sd is None:
            raise AudioOutputError(NO_SPEAKER, hint=NO_SPEAKER_HINT)
        super().__init__()
        self._sd = sd
        self.block_seconds = block_seconds
        self.device = device

    def _play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None) -> bool:
        n = max(1, round(self.block_seconds * clip.rate))
        try:
            stream = self._sd.RawOutputStream(samplerate=clip.rate, channels=1, dtype="int16", blocksize=n,
                                              device=self.device)
            stream.start()
        except (self._sd.PortAudioError, OSError, ValueError) as e:
            raise AudioOutputError("The speaker could not be started.", hint=NO_SPEAKER_HINT) from e
        try:
            return self._write_blocks(stream, clip, n, on_first_sample)
        except (self._sd.PortAudioError, OSError) as e:
            raise AudioOutputError("The speaker stopped working.", hint=NO_SPEAKER_HINT) from e
        finally:
            stream.close()

    def _write_blocks(self, stream: Any, clip: AudioClip, n: int,
                      on_first_sample: Callable[[], None] | None) -> bool:
        pcm = clip.samples.astype("<i2", copy=False)
        for offset in range(0, len(pcm), n):
            if self._stop.is_set():
                stream.abort()  # drop what is buffered: silence at once
                return False
            stream.write(pcm[offset : offset + n].tobytes())  # waits for room
            if offset == 0 and on_first_sample is not None:
                on_first_sample()  # the first block is queued: sound is starting
        stream.stop()  # returns once the buffered tail has played
        return True


class NullSpeaker(_Stoppable):
    """For a kiosk without a speaker: plays nothing but takes the clip's real time, and honours ``stop()``.

    Keeping the timing keeps the conversation flow (turn-taking, barge-in) the same as with a speaker.
    """

    def _play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None) -> bool:
        if on_first_sample is not None:
            on_first_sample()
        return not self._stop.wait(clip.duration)  # a sleep that stop() ends at once


class FileSpeaker(NullSpeaker):
    """The speaker as files (``LINLI_SPEECH_OUTPUT``, tests and demos): every clip that would be played is written
    to ``folder`` as ``0001.wav``, ``0002.wav``, ... before it "plays" in real time like ``NullSpeaker``.

    The mirror of ``LINLI_SPEECH_INPUT`` (a file as the microphone): what a resident would have heard, kept.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._count = 0

    def _play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None) -> bool:
        self._count += 1  # plays take turns (``_Stoppable.play`` holds the lock), so the numbers do not clash
        self.folder.mkdir(parents=True, exist_ok=True)
        write_wav(self.folder / f"{self._count:04d}.wav", clip)
        return super()._play(clip, on_first_sample)
