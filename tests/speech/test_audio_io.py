"""audio_io: real files (numpy-made and sox-made) in, 16 kHz mono int16 out; bad files give AudioInputError."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import types
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from assistant.shared.errors import AudioInputError, AudioOutputError
from assistant.speech.audio_io import (
    NO_MICROPHONE,
    ClipSource,
    MicrophoneSource,
    microphone_available,
    read_audio,
    to_asr_clip,
    write_wav,
)
from assistant.speech.clip import ASR_RATE, AudioClip

BLOCK = 800  # frames in a 0.05 s block at 16 kHz

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


def wav_header(rate: int, channels: int, bits: int, data_bytes: int) -> bytes:
    """A canonical 44-byte PCM WAV header announcing ``data_bytes`` of samples."""
    align = channels * bits // 8
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * align, align, bits)
            + b"data" + struct.pack("<I", data_bytes))


def bad(path: Path, **kwargs: Any) -> AudioInputError:
    """read_audio must fail with AudioInputError (any other exception type fails the test) and a plain message."""
    with pytest.raises(AudioInputError) as info:
        read_audio(path, **kwargs)
    err = info.value
    assert err.message and "Traceback" not in err.message
    return err


# --- formats, rates, channels --------------------------------------------------------------------


def test_44k_stereo_becomes_16k_mono_with_same_duration_and_pitch(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    left = sine(440, 2.0, 44_100)
    sf.write(path, np.stack([left, left * 0.5], axis=1), 44_100, subtype="PCM_16")
    clip = read_audio(path)
    assert clip.rate == ASR_RATE and clip.samples.dtype == np.int16 and clip.samples.ndim == 1
    assert abs(len(clip.samples) - 2 * ASR_RATE) <= BLOCK
    assert peak_hz(clip.samples, ASR_RATE) == pytest.approx(440, abs=2)
    assert np.abs(clip.samples).max() == pytest.approx(0.375 * 32768, rel=0.03)  # mean of 0.5 and 0.25


def test_8k_is_upsampled(tmp_path: Path) -> None:
    path = tmp_path / "phone.wav"
    sf.write(path, sine(300, 1.0, 8_000), 8_000, subtype="PCM_16")
    clip = read_audio(path)
    assert abs(len(clip.samples) - ASR_RATE) <= BLOCK
    assert peak_hz(clip.samples, ASR_RATE) == pytest.approx(300, abs=2)
    assert np.abs(clip.samples[1000:-1000]).max() == pytest.approx(0.5 * 32768, rel=0.03)


def test_16k_mono_16bit_is_read_exactly(tmp_path: Path) -> None:
    samples = np.random.default_rng(1).integers(-32768, 32767, 4000, dtype=np.int16)
    path = tmp_path / "exact.wav"
    sf.write(path, samples, ASR_RATE, subtype="PCM_16")
    assert np.array_equal(read_audio(path).samples, samples)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_sample_formats(tmp_path: Path, subtype: str) -> None:
    x = sine(1000, 0.5, ASR_RATE, amplitude=0.6)
    path = tmp_path / f"{subtype}.wav"
    sf.write(path, x, ASR_RATE, subtype=subtype)
    clip = read_audio(path)
    tolerance = 300 if subtype == "PCM_U8" else 1  # 8-bit has 256 steps
    assert np.abs(clip.samples.astype(int) - np.rint(x * 32768)).max() <= tolerance


@pytest.mark.parametrize("fmt, subtype", [("FLAC", "PCM_16"), ("FLAC", "PCM_24"), ("OGG", "VORBIS")])
def test_compressed_files(tmp_path: Path, fmt: str, subtype: str) -> None:
    path = tmp_path / f"tone.{fmt.lower()}"
    sf.write(path, np.stack([sine(440, 1.0, 48_000)] * 2, axis=1), 48_000, format=fmt, subtype=subtype)
    clip = read_audio(path)
    assert abs(len(clip.samples) - ASR_RATE) <= BLOCK
    assert peak_hz(clip.samples, ASR_RATE) == pytest.approx(440, abs=2)


@needs_sox
@pytest.mark.parametrize("name, opts", [
    ("s16.wav", ["-r", "44100", "-c", "2", "-b", "16"]),
    ("s24.wav", ["-r", "48000", "-c", "1", "-b", "24"]),
    ("s32.wav", ["-r", "22050", "-c", "2", "-b", "32"]),
    ("f32.wav", ["-r", "11025", "-c", "1", "-e", "floating-point", "-b", "32"]),
    ("u8.wav", ["-r", "8000", "-c", "1", "-b", "8"]),
    ("six.flac", ["-r", "96000", "-c", "6", "-b", "24"]),
    ("tone.ogg", ["-r", "44100", "-c", "2"]),
])
def test_files_made_by_sox(tmp_path: Path, name: str, opts: list[str]) -> None:
    path = tmp_path / name
    sox("-n", *opts, str(path), "synth", "1.5", "sine", "440", "vol", "0.5")
    clip = read_audio(path)
    assert abs(len(clip.samples) - int(1.5 * ASR_RATE)) <= BLOCK
    assert peak_hz(clip.samples, ASR_RATE) == pytest.approx(440, abs=2)


def test_opposite_phase_channels_cancel(tmp_path: Path) -> None:
    left = np.rint(sine(440, 0.5, 22_050) * 20_000).astype(np.int16)
    path = tmp_path / "phase.wav"
    sf.write(path, np.stack([left, -left], axis=1), 22_050, subtype="PCM_16")
    assert not np.any(read_audio(path).samples)


def test_out_of_range_float_is_clipped_not_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "loud.wav"
    sf.write(path, np.array([2.0, -3.0, 0.5, np.nan, 1.0, -1.0]), ASR_RATE, subtype="FLOAT")
    assert read_audio(path).samples.tolist() == [32767, -32768, 16384, 0, 32767, -32768]


def test_resampling_overshoot_is_clipped_not_wrapped() -> None:
    # A full-scale 100 Hz square wave rings past full scale when resampled; wrapping would flip signs.
    square = np.where(np.arange(4000) % 80 < 40, 32767, -32768).astype(np.int16)
    out = to_asr_clip(AudioClip(square, 8_000)).samples
    assert out.max() == 32767 and out.min() == -32768
    sign_changes = np.count_nonzero(np.diff(np.signbit(out)))
    assert sign_changes <= 100  # 99 transitions in the square; ringing stays on its side of zero


def test_to_asr_clip() -> None:
    clip = AudioClip(np.rint(sine(440, 1.0, 48_000) * 10_000).astype(np.int16), 48_000)
    out = to_asr_clip(clip)
    assert out.rate == ASR_RATE and len(out.samples) == ASR_RATE
    assert peak_hz(out.samples, ASR_RATE) == pytest.approx(440, abs=2)
    same = AudioClip(np.zeros(10, dtype=np.int16), ASR_RATE)
    assert to_asr_clip(same) is same


# --- bad input -----------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    err = bad(tmp_path / "nope.wav")
    assert "does not exist" in err.message and "nope.wav" in err.message


def test_folder(tmp_path: Path) -> None:
    assert "folder" in bad(tmp_path).message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    assert "empty" in bad(path).message


def test_header_without_samples(tmp_path: Path) -> None:
    path = tmp_path / "header.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(ASR_RATE)
    assert path.stat().st_size == 44
    assert "contains no audio" in bad(path).message


def test_truncated_wav_reads_what_is_there(tmp_path: Path) -> None:
    # Decision: libsndfile clamps a WAV's data chunk to the file, so a cut-off WAV gives the part present.
    samples = np.rint(sine(440, 1.0, ASR_RATE) * 10_000).astype(np.int16)
    path = tmp_path / "cut.wav"
    path.write_bytes(wav_header(ASR_RATE, 1, 16, samples.nbytes) + samples[:1000].tobytes() + b"\x01")
    assert np.array_equal(read_audio(path).samples, samples[:1000])


def test_wav_cut_inside_its_header(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    path.write_bytes(wav_header(ASR_RATE, 1, 16, 32_000)[:30])
    err = bad(path)
    assert "cut.wav" in err.message and isinstance(err.__cause__, sf.LibsndfileError)


def test_truncated_flac_names_the_file(tmp_path: Path) -> None:
    # Decision: a FLAC cut off mid-stream makes libsndfile fail while decoding; that is an error, not a partial read.
    whole = tmp_path / "whole.flac"
    sf.write(whole, sine(440, 3.0, 44_100), 44_100, format="FLAC")
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    err = bad(cut)
    assert "cut.flac" in err.message and "damaged" in err.message
    assert isinstance(err.__cause__, sf.LibsndfileError)


@pytest.mark.parametrize("content", [b"hello, this is a text file\n" * 20, b"hi", bytes(range(256)) * 8])
def test_not_audio(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.wav"
    path.write_bytes(content)
    err = bad(path)
    assert err.message == f"{path} is not an audio file we can read."
    assert isinstance(err.__cause__, sf.LibsndfileError)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.wav"
    sf.write(path, sine(440, 0.1, ASR_RATE), ASR_RATE)
    path.chmod(0)
    assert "cannot be opened" in bad(path).message


def test_too_long_is_refused_from_the_header_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 20 minutes of 16 kHz 16-bit silence, as a sparse file: the header is real, the samples cost no disk.
    data_bytes = 20 * 60 * ASR_RATE * 2
    path = tmp_path / "long.wav"
    with path.open("wb") as fh:
        fh.write(wav_header(ASR_RATE, 1, 16, data_bytes))
        fh.truncate(44 + data_bytes)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("samples were read")

    monkeypatch.setattr(sf.SoundFile, "read", no_reading)
    err = bad(path)
    assert "20 minutes" in err.message and "15 minutes" in err.message


def test_max_seconds_parameter(tmp_path: Path) -> None:
    path = tmp_path / "two.wav"
    sf.write(path, sine(440, 2.0, ASR_RATE), ASR_RATE)
    assert "refused" in bad(path, max_seconds=1.0).message
    assert len(read_audio(path, max_seconds=3.0).samples) == 2 * ASR_RATE


# --- write_wav -----------------------------------------------------------------------------------


def test_write_wav_round_trip(tmp_path: Path) -> None:
    samples = np.random.default_rng(2).integers(-32768, 32767, 5000, dtype=np.int16)
    path = tmp_path / "out.wav"
    write_wav(path, AudioClip(samples, 22_050))
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22_050)
        assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), samples)
    write_wav(path, AudioClip(samples, ASR_RATE))  # overwrites
    assert np.array_equal(read_audio(path).samples, samples)
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_interrupted_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          failure: BaseException) -> None:
    clip = AudioClip(np.ones(16_000, dtype=np.int16), ASR_RATE)
    old = tmp_path / "old.wav"
    write_wav(old, AudioClip(np.zeros(100, dtype=np.int16), ASR_RATE))
    before = old.read_bytes()

    def fail(self: wave.Wave_write, data: bytes) -> None:
        self.writeframesraw(data[: len(data) // 2])  # half the samples reach the temp file
        raise failure

    monkeypatch.setattr(wave.Wave_write, "writeframes", fail)
    expected: type[BaseException] = AudioOutputError if isinstance(failure, OSError) else KeyboardInterrupt
    for target in (tmp_path / "new.wav", old):
        with pytest.raises(expected):
            write_wav(target, clip)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.wav"]  # no new file, no temp file
    assert old.read_bytes() == before  # the old file is untouched


def test_write_wav_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioOutputError, match="Could not save audio"):
        write_wav(tmp_path / "no" / "such" / "out.wav", AudioClip(np.zeros(10, dtype=np.int16), ASR_RATE))


# --- ClipSource ----------------------------------------------------------------------------------


def test_clip_source_blocks_and_padding() -> None:
    samples = np.arange(1, 2001, dtype=np.int16)  # 2.5 blocks
    blocks = list(ClipSource(AudioClip(samples, ASR_RATE)).blocks())
    assert [len(b) for b in blocks] == [BLOCK * 2] * 3
    joined = np.frombuffer(b"".join(blocks), dtype="<i2")
    assert np.array_equal(joined[:2000], samples) and not np.any(joined[2000:])


def test_clip_source_block_seconds_and_resampling() -> None:
    clip = AudioClip(np.zeros(48_000, dtype=np.int16), 48_000)  # 1 s at 48 kHz
    blocks = list(ClipSource(clip, block_seconds=0.02).blocks())
    assert len(blocks) == 50 and all(len(b) == 640 for b in blocks)


def test_clip_source_realtime_takes_real_time() -> None:
    source = ClipSource(AudioClip.silence(0.5), realtime=True)
    start = time.monotonic()
    assert len(list(source.blocks())) == 10
    assert time.monotonic() - start >= 0.4


def test_clip_source_close_ends_a_realtime_stream() -> None:
    source = ClipSource(AudioClip.silence(30.0), realtime=True)
    threading.Timer(0.2, source.close).start()
    assert len(list(source.blocks())) < 100  # 600 if close() were ignored


# --- MicrophoneSource: the real device path ------------------------------------------------------


def test_no_microphone_on_this_machine() -> None:
    available, reason = microphone_available()
    if available:
        pytest.skip(f"this machine has a microphone ({reason})")
    assert reason.startswith("No microphone was found")
    with pytest.raises(AudioInputError) as info:
        MicrophoneSource()
    assert info.value.message == NO_MICROPHONE
    assert "linli chat" in (info.value.hint or "")


def test_no_portaudio_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes `import sounddevice` raise ImportError
    available, reason = microphone_available()
    assert not available and "PortAudio" in reason
    with pytest.raises(AudioInputError, match=NO_MICROPHONE):
        MicrophoneSource()


# --- MicrophoneSource: queue logic, with a fake sounddevice ---------------------------------------


class FakePortAudioError(Exception):
    pass


class FakeInputStream:
    """fake: no audio hardware on CI. Records how it was opened; the test plays PortAudio's thread."""

    opened: list[FakeInputStream] = []
    fail_to_open = False

    def __init__(self, **kwargs: Any) -> None:
        if FakeInputStream.fail_to_open:
            raise FakePortAudioError("Invalid sample rate")
        self.kwargs = kwargs
        self.aborted = self.closed = False
        FakeInputStream.opened.append(self)

    def start(self) -> None:
        pass

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True

    def deliver(self, value: int) -> None:
        self.kwargs["callback"](np.full(BLOCK, value, dtype="<i2").tobytes(), BLOCK, None, None)


@pytest.fixture
def fake_sounddevice(monkeypatch: pytest.MonkeyPatch) -> type[FakeInputStream]:
    """fake: no audio hardware on CI — a stand-in for the sounddevice module at the hardware edge."""
    module = types.ModuleType("sounddevice")
    module.PortAudioError = FakePortAudioError  # type: ignore[attr-defined]
    module.query_devices = lambda device=None, kind=None: {"name": "Fake USB mic"}  # type: ignore[attr-defined]
    module.RawInputStream = FakeInputStream  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    monkeypatch.setattr(FakeInputStream, "opened", [])
    monkeypatch.setattr(FakeInputStream, "fail_to_open", False)
    return FakeInputStream


def test_microphone_opens_16k_mono_int16(fake_sounddevice: type[FakeInputStream]) -> None:
    assert microphone_available() == (True, "Microphone: Fake USB mic.")
    mic = MicrophoneSource(block_seconds=0.05)
    kwargs = fake_sounddevice.opened[0].kwargs
    opened = (kwargs["samplerate"], kwargs["channels"], kwargs["dtype"], kwargs["blocksize"])
    assert opened == (16_000, 1, "int16", BLOCK)
    mic.close()
    assert fake_sounddevice.opened[0].aborted and fake_sounddevice.opened[0].closed
    mic.close()  # twice is fine


def test_microphone_drops_oldest_blocks_when_the_consumer_is_behind(fake_sounddevice: type[FakeInputStream]) -> None:
    mic = MicrophoneSource(block_seconds=0.05, max_queued_seconds=0.25)  # room for 5 blocks
    stream = fake_sounddevice.opened[0]
    for value in range(8):
        stream.deliver(value)
    assert mic.dropped == 3
    got = []
    for block in mic.blocks():
        got.append(np.frombuffer(block, dtype="<i2")[0])
        if len(got) == 5:
            mic.close()
    assert got == [3, 4, 5, 6, 7]  # the newest audio, in order


def test_microphone_blocks_end_on_close_from_another_thread(fake_sounddevice: type[FakeInputStream]) -> None:
    mic = MicrophoneSource()
    threading.Timer(0.2, mic.close).start()
    assert list(mic.blocks()) == []  # returns (does not hang) once closed


def test_microphone_that_dies_is_reported(fake_sounddevice: type[FakeInputStream]) -> None:
    mic = MicrophoneSource()
    fake_sounddevice.opened[0].kwargs["finished_callback"]()  # PortAudio ended the stream (unplugged)
    with pytest.raises(AudioInputError, match="stopped sending sound"):
        list(mic.blocks())


def test_microphone_that_fails_to_open(fake_sounddevice: type[FakeInputStream]) -> None:
    fake_sounddevice.fail_to_open = True
    with pytest.raises(AudioInputError, match=NO_MICROPHONE) as info:
        MicrophoneSource()
    assert isinstance(info.value.__cause__, FakePortAudioError)
