"""speaker: NullSpeaker keeps time and stops; SoundDeviceSpeaker refuses without a device, and its block loop
(checked with a fake stream) writes every sample, or stops within a block."""

from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.shared.errors import AudioOutputError
from assistant.speech.clip import AudioClip
from assistant.speech.speaker import NO_SPEAKER, NullSpeaker, SoundDeviceSpeaker, Speaker, speaker_available


def tone(seconds: float, rate: int = 22_050) -> AudioClip:
    t = np.arange(int(seconds * rate)) / rate
    return AudioClip(np.rint(np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16), rate)


def play_in_thread(speaker: Speaker, clip: AudioClip) -> tuple[threading.Thread, dict[str, Any], threading.Event]:
    """Start ``play`` on another thread; returns the thread, its result box and an event set on first sample."""
    result: dict[str, Any] = {}
    first = threading.Event()

    def run() -> None:
        result["returned"] = speaker.play(clip, on_first_sample=first.set)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result, first


# --- NullSpeaker ---------------------------------------------------------------------------------


def test_null_speaker_takes_the_clips_time() -> None:
    calls: list[float] = []
    start = time.monotonic()
    assert NullSpeaker().play(tone(0.3), on_first_sample=lambda: calls.append(time.monotonic())) is True
    assert time.monotonic() - start >= 0.25
    assert len(calls) == 1


def test_null_speaker_stops_from_another_thread() -> None:
    speaker = NullSpeaker()
    thread, result, first = play_in_thread(speaker, tone(30.0))
    assert first.wait(5)
    stopped_at = time.monotonic()
    speaker.stop()
    thread.join(5)
    assert not thread.is_alive() and result["returned"] is False
    assert time.monotonic() - stopped_at < 5  # generous: a 30 s clip that ignored stop() would still be playing


def test_null_speaker_plays_again_after_a_stop_and_not_after_close() -> None:
    speaker = NullSpeaker()
    speaker.stop()  # a stop before play is not carried over
    assert speaker.play(tone(0.05)) is True
    speaker.close()
    assert speaker.play(tone(0.05)) is False


def test_empty_clip_is_played_at_once() -> None:
    called: list[int] = []
    assert NullSpeaker().play(AudioClip(np.zeros(0, dtype=np.int16), 16_000), lambda: called.append(1)) is True
    assert called == []


# --- SoundDeviceSpeaker: the real device path ----------------------------------------------------


def test_no_speaker_on_this_machine() -> None:
    available, reason = speaker_available()
    if available:
        pytest.skip(f"this machine has a speaker ({reason})")
    assert reason.startswith("No speaker was found")
    with pytest.raises(AudioOutputError) as info:
        SoundDeviceSpeaker()
    assert info.value.message == NO_SPEAKER and info.value.hint


def test_no_portaudio_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes `import sounddevice` raise ImportError
    assert speaker_available()[0] is False
    with pytest.raises(AudioOutputError, match=NO_SPEAKER):
        SoundDeviceSpeaker()


# --- SoundDeviceSpeaker: the block loop, with a fake sounddevice ----------------------------------


class FakePortAudioError(Exception):
    pass


class FakeOutputStream:
    """fake: no audio hardware on CI. ``write`` takes real time, like a full PortAudio buffer does."""

    opened: list[FakeOutputStream] = []
    fail_to_open = False

    def __init__(self, **kwargs: Any) -> None:
        if FakeOutputStream.fail_to_open:
            raise FakePortAudioError("Invalid sample rate")
        self.kwargs = kwargs
        self.written: list[bytes] = []
        self.calls: list[str] = []
        FakeOutputStream.opened.append(self)

    def start(self) -> None:
        self.calls.append("start")

    def write(self, data: bytes) -> bool:
        time.sleep(len(data) / 2 / self.kwargs["samplerate"] / 10)  # 10x faster than real time
        self.written.append(data)
        return False

    def stop(self) -> None:
        self.calls.append("stop")

    def abort(self) -> None:
        self.calls.append("abort")

    def close(self) -> None:
        self.calls.append("close")


@pytest.fixture
def fake_sounddevice(monkeypatch: pytest.MonkeyPatch) -> type[FakeOutputStream]:
    """fake: no audio hardware on CI — a stand-in for the sounddevice module at the hardware edge."""
    module = types.ModuleType("sounddevice")
    module.PortAudioError = FakePortAudioError  # type: ignore[attr-defined]
    module.query_devices = lambda device=None, kind=None: {"name": "Fake speaker"}  # type: ignore[attr-defined]
    module.RawOutputStream = FakeOutputStream  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    monkeypatch.setattr(FakeOutputStream, "opened", [])
    monkeypatch.setattr(FakeOutputStream, "fail_to_open", False)
    return FakeOutputStream


def test_plays_every_sample_in_blocks_at_the_clips_rate(fake_sounddevice: type[FakeOutputStream]) -> None:
    assert speaker_available() == (True, "Speaker: Fake speaker.")
    clip = tone(0.5, rate=22_050)
    first: list[int] = []

    def stream() -> FakeOutputStream:
        return fake_sounddevice.opened[0]

    speaker = SoundDeviceSpeaker(block_seconds=0.05)
    assert speaker.play(clip, on_first_sample=lambda: first.append(len(stream().written))) is True
    kwargs = stream().kwargs
    opened = (kwargs["samplerate"], kwargs["channels"], kwargs["dtype"], kwargs["blocksize"])
    assert opened == (22_050, 1, "int16", 1102)  # the clip's own rate; 0.05 s blocks
    assert b"".join(stream().written) == clip.pcm_bytes()
    assert all(len(b) == 1102 * 2 for b in stream().written[:-1])
    assert first == [1]  # called once, right after the first block was handed over
    assert stream().calls == ["start", "stop", "close"]  # stop(): the buffered tail is played out


def test_stop_from_another_thread_ends_play_within_a_block(fake_sounddevice: type[FakeOutputStream]) -> None:
    speaker = SoundDeviceSpeaker()
    thread, result, first = play_in_thread(speaker, tone(60.0))  # 6 s with the 10x fake
    assert first.wait(5)
    speaker.stop()
    thread.join(5)
    assert not thread.is_alive() and result["returned"] is False
    stream = fake_sounddevice.opened[0]
    assert len(stream.written) < 1200  # far from all 60 s of blocks
    assert stream.calls == ["start", "abort", "close"]  # abort(): buffered audio is dropped


def test_close_stops_a_running_play(fake_sounddevice: type[FakeOutputStream]) -> None:
    speaker = SoundDeviceSpeaker()
    thread, result, first = play_in_thread(speaker, tone(60.0))
    assert first.wait(5)
    speaker.close()
    thread.join(5)
    assert result["returned"] is False
    assert speaker.play(tone(0.1)) is False


def test_a_stream_that_cannot_open(fake_sounddevice: type[FakeOutputStream]) -> None:
    fake_sounddevice.fail_to_open = True
    with pytest.raises(AudioOutputError, match="could not be started") as info:
        SoundDeviceSpeaker().play(tone(0.1))
    assert isinstance(info.value.__cause__, FakePortAudioError)


def test_file_speaker_writes_each_clip_it_plays_and_keeps_time(tmp_path: Path) -> None:
    import soundfile as sf

    from assistant.speech.speaker import FileSpeaker

    speaker = FileSpeaker(tmp_path / "out")
    clip = tone(0.2)
    start = time.monotonic()
    assert speaker.play(clip) is True and speaker.play(clip) is True
    assert time.monotonic() - start >= 0.35
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["0001.wav", "0002.wav"]
    samples, rate = sf.read(tmp_path / "out" / "0001.wav", dtype="int16")
    assert rate == clip.rate and np.array_equal(samples, clip.samples)
