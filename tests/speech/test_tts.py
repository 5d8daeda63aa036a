"""Synthesizer on REAL espeak-ng through pyttsx3 (no fakes); the whole file runs in about a second."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.shared.errors import AudioOutputError, ConfigError
from assistant.speech.clip import AudioClip
from assistant.speech.settings import MIN_RATE_WPM, SpeechSettings
from assistant.speech.tts import DRIVER_RATE, MAX_CHARS, Synthesizer, clean_text, split_sentences

SENTENCE = "The community clinic opens at nine in the morning, and a nurse can check your blood pressure today."


def rms(clip: AudioClip) -> float:
    return float(np.sqrt(np.mean(clip.samples.astype(np.float64) ** 2))) if len(clip.samples) else 0.0


@pytest.fixture(scope="module")
def tts() -> Iterator[Synthesizer]:
    with Synthesizer(SpeechSettings(locale="en")) as synth:
        yield synth


# -- audio ------------------------------------------------------------------------------------------------


def test_sentence_at_155_wpm_is_plausible_speech(tts: Synthesizer, tmp_path: Path) -> None:
    assert tts.rate == 155 and tts.voice == "gmw/en"
    target = tts.synthesize_to_file(SENTENCE, tmp_path / "reply.wav")
    with wave.open(str(target)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (22_050, 1, 2)
        seconds = w.getnframes() / w.getframerate()
    expected = len(SENTENCE.split()) / 155 * 60
    assert 0.5 * expected < seconds < 2 * expected
    clip = tts.synthesize(SENTENCE)
    assert clip.rate == DRIVER_RATE and clip.samples.dtype == np.int16
    assert rms(clip) > 500
    assert [p.name for p in tmp_path.iterdir()] == ["reply.wav"]  # no temp file left beside it


def test_slower_rate_gives_longer_audio(tts: Synthesizer) -> None:
    normal = tts.synthesize(SENTENCE)
    slow = tts.synthesize(SENTENCE, rate=MIN_RATE_WPM)
    assert slow.duration / normal.duration > 1.1
    assert tts.rate == 155  # a per-call rate does not stick


def test_slower_and_reset(tts: Synthesizer) -> None:
    try:
        assert tts.slower() == 124  # 155 × 0.8
        assert tts.slower() == MIN_RATE_WPM  # 99 is below the floor
        assert tts.slower() == MIN_RATE_WPM
        assert tts.reset_rate() == 155
        with pytest.raises(ConfigError):
            tts.set_rate(50)
    finally:
        tts.reset_rate()


def test_half_volume_is_quieter() -> None:
    with Synthesizer(voice="gmw/en", volume=1.0) as loud, Synthesizer(voice="gmw/en", volume=0.5) as soft:
        assert rms(soft.synthesize(SENTENCE)) < 0.75 * rms(loud.synthesize(SENTENCE))


@pytest.mark.parametrize(
    ("voice", "text"),
    [("ko", "안녕하세요. 내일 오전 아홉 시에 보건소가 문을 엽니다."), ("sit/cmn", "您好，社区诊所明天早上九点开门。")],
)
def test_korean_and_chinese(voice: str, text: str) -> None:
    with Synthesizer(voice=voice) as synth:
        clip = synth.synthesize(text)
    assert clip.duration > 1.0 and rms(clip) > 500


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x07\x1b\x7f\u200b\ufeff", "... --- !!!", "<b></b>"])
def test_nothing_to_say_gives_empty_clip(tts: Synthesizer, text: str) -> None:
    clip = tts.synthesize(text)
    assert len(clip.samples) == 0 and clip.rate == DRIVER_RATE


def test_long_text_is_capped(tts: Synthesizer, caplog: pytest.LogCaptureFixture) -> None:
    text = "The hall is open every day from nine until five. " * 1_000  # 50,000 characters
    with caplog.at_level(logging.WARNING):
        clip = tts.synthesize(text)
    assert "cut to" in caplog.text
    spoken = clean_text(text)
    assert len(spoken) <= MAX_CHARS and spoken.endswith("five.")
    assert 30 < clip.duration < 300


def test_emoji_and_odd_characters_do_not_crash(tts: Synthesizer) -> None:
    assert tts.synthesize("Thank you 😀👍🏽 see you tomorrow ❤️").duration > 0.5
    assert tts.synthesize("lone surrogate \ud800 and private \ue000 use").duration > 0.5
    with pytest.raises(TypeError):
        tts.synthesize(b"bytes")  # type: ignore[arg-type]


def test_text_hygiene() -> None:
    assert clean_text("**Opening** <b>hours</b>: see [the map](http://x.y/z) &amp; `room 2`") == (
        "Opening hours : see the map & room 2"
    )
    assert clean_text("# Hours\n- Monday 9-5\n- Tuesday 9-5") == "Hours. Monday 9-5. Tuesday 9-5"
    assert clean_text("tab\there\x00 and\r\nthere.") == "tab here and. there."


# -- errors and lifecycle ---------------------------------------------------------------------------------


def test_unknown_voice() -> None:
    with pytest.raises(AudioOutputError) as e:
        Synthesizer(voice="no-such-voice")
    assert "no-such-voice" in e.value.message and "espeak-ng --voices" in (e.value.hint or "")


def test_setting_an_unknown_voice_keeps_the_old_one(tts: Synthesizer) -> None:
    with pytest.raises(AudioOutputError):
        tts.voice = "no-such-voice"
    assert tts.voice == "gmw/en"


def test_synthesize_to_file_is_atomic(tts: Synthesizer, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "reply.wav"
    with pytest.raises(AudioOutputError, match="does not exist"):
        tts.synthesize_to_file(SENTENCE, missing)
    assert not (tmp_path / "no").exists()

    # os.replace onto a folder fails after the audio was written: the temp file must not be left behind.
    target = tmp_path / "reply.wav"
    target.mkdir()
    with pytest.raises(AudioOutputError, match="Cannot save speech"):
        tts.synthesize_to_file(SENTENCE, target)
    assert [p.name for p in tmp_path.iterdir()] == ["reply.wav"] and not any(target.iterdir())


def test_empty_text_to_file_is_a_valid_empty_wav(tts: Synthesizer, tmp_path: Path) -> None:
    with wave.open(str(tts.synthesize_to_file("  ", tmp_path / "empty.wav"))) as w:
        assert w.getnframes() == 0 and w.getframerate() == DRIVER_RATE


def test_calls_from_many_threads_are_serialised(tts: Synthesizer) -> None:
    results: dict[int, float] = {}
    errors: list[BaseException] = []

    def speak(i: int) -> None:
        try:
            # Alternate rates: each job must get its own rate even when jobs queue up behind each other.
            results[i] = tts.synthesize(f"Message number {i} for the residents.", rate=100 if i % 2 else 300).duration
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=speak, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and len(results) == 8
    assert min(results[i] for i in (1, 3, 5, 7)) > 1.5 * max(results[i] for i in (0, 2, 4, 6))


def test_failure_inside_a_job_is_raised_here_and_the_worker_survives(tts: Synthesizer) -> None:
    def bad_job(engine: object) -> None:
        raise RuntimeError("boom")

    with pytest.raises(AudioOutputError, match="could not be synthesised"):
        tts._worker.call(bad_job)
    assert tts.synthesize("Still here.").duration > 0.3


def test_close_twice_and_use_after_close() -> None:
    synth = Synthesizer(voice="gmw/en")
    synth.close()
    synth.close()
    with pytest.raises(AudioOutputError, match="closed"):
        synth.synthesize("Hello.")
    with Synthesizer(voice="ko") as again:  # a new Synthesizer works after the others closed
        assert again.synthesize("안녕하세요").duration > 0.3


def test_espeak_missing_is_a_plain_error() -> None:
    # A fresh interpreter where the driver's library cannot load, as on a machine without libespeak-ng.
    code = (
        "import sys; sys.modules['pyttsx3.drivers._espeak'] = None\n"
        "from assistant.speech.tts import Synthesizer\n"
        "from assistant.shared.errors import AudioOutputError\n"
        "try:\n    Synthesizer()\nexcept AudioOutputError as e:\n    print(e.message, '|', e.hint)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == ("Speech output is not available. | Install espeak-ng (`apt-get install espeak-ng`).")


def test_driver_does_not_print(tts: Synthesizer, capsys: pytest.CaptureFixture[str]) -> None:
    tts.synthesize("Hello there.")
    print("the terminal UI still prints")
    out = capsys.readouterr().out
    assert "Audio saved to" not in out and "the terminal UI still prints" in out


# -- sentences --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  \n\n ", []),
        ("The clinic opens at nine. Bring your card!", ["The clinic opens at nine.", "Bring your card!"]),
        ("Yes. The clinic opens at 9.30 today.", ["Yes. The clinic opens at 9.30 today."]),
        ("Is the clinic open? Yes, until 5 p.m. on Friday.", ["Is the clinic open?", "Yes, until 5 p.m. on Friday."]),
        ("Opening hours\nMonday to Friday\n\n9 to 5", ["Opening hours", "Monday to Friday 9 to 5"]),
        ("诊所明天早上九点开门。请带上您的医保卡！", ["诊所明天早上九点开门。", "请带上您的医保卡！"]),
        ("好的。诊所明天九点开门。", ["好的。 诊所明天九点开门。"]),
        (
            "보건소는 내일 아홉 시에 엽니다. 신분증을 가져오세요.",
            ["보건소는 내일 아홉 시에 엽니다.", "신분증을 가져오세요."],
        ),
        ("Call 555-0100 now... Or tomorrow. OK.", ["Call 555-0100 now...", "Or tomorrow. OK."]),
        ("No end mark", ["No end mark"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected
