"""Recognition with the real Korean Vosk model on espeak-ng speech."""

from __future__ import annotations

import resource
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.shared.errors import SpeechModelError
from assistant.speech.asr import GRAMMAR_CONFIDENCE, Recognizer, load_model
from assistant.speech.clip import ASR_RATE, AudioClip
from assistant.speech.settings import EndpointSettings

from .conftest import join, ko_model_dir, silence

LEAK = "수도관이 새고 있어요"
BOOK = "병원 예약을 하고 싶어요"
Speech = Callable[[str], AudioClip]


def stream(rec: Recognizer, clip: AudioClip, block: float = 0.05) -> list[tuple[float, str, bool]]:
    """(audio time at the end of the block, text, final) for every event, as a live stream would give them."""
    pcm, step, out = clip.pcm_bytes(), int(block * ASR_RATE) * 2, []
    for i in range(0, len(pcm), step):
        for e in rec.accept(pcm[i: i + step]):
            out.append(((i + step) / 2 / ASR_RATE, e.text, e.final))
    return out


def test_model_loads_once_per_folder(recognizer: Recognizer, tuned_dir: Path) -> None:
    again = Recognizer(ko_model_dir(), EndpointSettings(), tuned_dir)
    assert again._model is recognizer._model  # noqa: SLF001 - the 250 MB model is shared, not reloaded


def test_folder_that_is_not_a_model_gives_the_fixing_command(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "model.conf").write_text("--beam=10\n")
    with pytest.raises(SpeechModelError) as e:
        Recognizer(tmp_path, EndpointSettings(), tmp_path / "tuned")
    assert "linli models" in (e.value.hint or "")
    with pytest.raises(SpeechModelError):
        load_model(tmp_path / "nowhere")


def test_partials_while_speaking_then_one_final_at_the_endpoint(rec: Recognizer, korean: Speech) -> None:
    events = stream(rec, join(silence(0.3), korean(LEAK), silence(2.5)))
    partials = [e for e in events if not e[2]]
    finals = [e for e in events if e[2]]
    assert partials, "partial transcripts are shown while the resident speaks"
    assert len(finals) == 1 and finals[0][1]
    assert max(t for t, _, _ in partials) < finals[0][0]
    assert len({text for _, text, _ in partials}) == len(partials), "a partial is sent only when it changes"


def test_endpoint_waits_for_the_silence_and_no_longer(rec: Recognizer, korean: Speech) -> None:
    speech = korean(LEAK)
    end = 0.3 + speech.duration
    events = stream(rec, join(silence(0.3), speech, silence(4.0)))
    final_at = next(t for t, _, final in events if final)
    settings = EndpointSettings()
    # never before the shortest silence, never later than the longest (plus one block and frame rounding)
    assert settings.end_silence - 0.1 <= final_at - end <= settings.max_pause + 0.35


def test_shorter_endpoint_settings_end_sooner(korean: Speech, tmp_path: Path) -> None:
    clip = join(silence(0.3, noise=20), korean(BOOK), silence(4.0, noise=20))  # a quiet room, not zeros
    slow = Recognizer(ko_model_dir(), EndpointSettings(quiet_end=0, end_silence=1.0, pause_silence=1.5,
                                                       max_pause=2.5), tmp_path)
    fast = Recognizer(ko_model_dir(), EndpointSettings(quiet_end=0, end_silence=0.3, pause_silence=0.4,
                                                       max_pause=0.6), tmp_path)
    slow_at = next(t for t, _, f in stream(slow, clip) if f)
    fast_at = next(t for t, _, f in stream(fast, clip) if f)
    assert fast_at + 0.3 < slow_at
    # Kaldi counts silence on decoded frames, a little behind the audio (model context, silence phones)
    assert fast_at - (0.3 + korean(BOOK).duration) <= 0.6 + 0.5  # measured lag 0.2–0.4 s


def test_a_pause_inside_a_sentence_shorter_than_the_allowance_does_not_split_it(tmp_path: Path,
                                                                               korean: Speech) -> None:
    patient = Recognizer(ko_model_dir(), EndpointSettings(quiet_end=1.2, end_silence=1.2, pause_silence=1.5,
                                                          max_pause=2.0), tmp_path)
    events = stream(patient, join(korean("병원"), silence(0.8), korean(BOOK), silence(3.0)))
    assert len([e for e in events if e[2]]) == 1


def test_quiet_after_speech_ends_the_utterance_without_the_decoder_lag(tmp_path: Path, korean: Speech) -> None:
    clip = join(silence(0.3), korean(BOOK), silence(3.0))
    end = 0.3 + korean(BOOK).duration
    kaldi_only = Recognizer(ko_model_dir(), EndpointSettings(quiet_end=0), tmp_path)
    quiet = Recognizer(ko_model_dir(), EndpointSettings(quiet_end=0.6), tmp_path)
    # Kaldi dithers its features, so on digital silence its own endpoint comes 1.5 s to over 3 s after the
    # speech, run to run (measured; once it did not come at all and this test failed in CI): "never" is later
    kaldi_at = next((t for t, _, f in stream(kaldi_only, clip) if f), float("inf"))
    quiet_at = next(t for t, _, f in stream(quiet, clip) if f)
    assert 0.6 <= quiet_at - end <= 0.6 + 0.1  # within one block (plus espeak's fade) of the setting
    assert quiet_at < kaldi_at


def test_in_steady_noise_the_recogniser_still_ends_the_utterance(tmp_path: Path, korean: Speech) -> None:
    """Noise as loud as the speech: the sound level cannot tell quiet, Kaldi's silence phones still can."""
    rng = np.random.default_rng(3)
    speech = join(silence(0.3), korean(BOOK), silence(4.0))
    rms = float(np.sqrt(np.mean(korean(BOOK).samples.astype(np.float64) ** 2)))
    noise = rng.normal(0, rms / 6, len(speech.samples))
    noisy = AudioClip((speech.samples + noise).clip(-32768, 32767).astype(np.int16), ASR_RATE)
    events = stream(Recognizer(ko_model_dir(), EndpointSettings(), tmp_path), noisy)
    assert [f for _, _, f in events if f], "an utterance in noise still gets a final transcript"


def test_max_utterance_cuts_a_monologue(tmp_path: Path, korean: Speech) -> None:
    talker = Recognizer(ko_model_dir(), EndpointSettings(max_utterance=3.0), tmp_path)
    monologue = join(*[korean(t) for t in (LEAK, BOOK, LEAK, BOOK, LEAK)], silence(2.5))
    finals = [t for t, _, f in stream(talker, monologue) if f]
    assert len(finals) >= 2
    assert finals[0] <= 3.0 + 0.6  # measured in decoded frames, checked once per block


def test_finish_ends_the_utterance_at_once(rec: Recognizer, korean: Speech) -> None:
    for _ in stream(rec, korean(LEAK)):
        pass
    finals = rec.finish()
    assert len(finals) == 1 and finals[0].final and finals[0].text
    assert rec.finish() == [], "nothing more was said"


def test_ten_minutes_of_silence_gives_nothing_and_costs_nothing(rec: Recognizer) -> None:
    import time

    t0 = time.process_time()
    assert stream(rec, silence(600.0), block=0.5) == []
    assert rec.finish() == []
    assert time.process_time() - t0 < 5  # digital silence is not decoded (a generous bound, not a benchmark)


def test_pure_noise_does_not_crash(rec: Recognizer) -> None:
    rng = np.random.default_rng(7)
    noise = AudioClip(rng.normal(0, 4000, 5 * ASR_RATE).clip(-32768, 32767).astype(np.int16), ASR_RATE)
    events = stream(rec, join(noise, silence(2.5)))
    assert all(isinstance(text, str) for _, text, _ in events)
    rec.finish()


def test_long_audio_keeps_memory_bounded(rec: Recognizer, korean: Speech) -> None:
    """Two minutes of talk with pauses: memory after the first 30 s and at the end stay close."""
    talk = join(korean(LEAK), silence(1.5), korean(BOOK), silence(2.5))
    rounds = int(120 / talk.duration) + 1
    rss_after_warmup = 0
    for n in range(rounds):
        stream(rec, talk, block=0.2)
        if n == int(30 / talk.duration):
            rss_after_warmup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_after_warmup) / 1024
    assert growth_mb < 40, f"memory grew {growth_mb:.0f} MB while listening"


def test_grammar_switching(rec: Recognizer, korean: Speech) -> None:
    clip = join(korean("안녕하세요"), silence(2.5))
    assert rec.set_grammar(["안녕하세요", "감사합니다", "no such wordz"]) == 2
    finals = [text for _, text, f in stream(rec, clip) if f]
    assert finals == ["안녕하세요"]
    assert rec.last_recognition is not None and rec.last_recognition.source == "grammar"
    assert rec.last_recognition.confidence >= GRAMMAR_CONFIDENCE

    rec.set_grammar(None)  # back to the open vocabulary
    stream(rec, join(korean(LEAK), silence(2.5)))
    assert rec.last_recognition is not None and rec.last_recognition.source == "open"


@pytest.mark.parametrize("other", [BOOK, LEAK])
def test_grammar_does_not_force_other_speech_onto_its_phrases(rec: Recognizer, korean: Speech, other: str) -> None:
    rec.set_grammar(["감사합니다", "안녕하세요"])
    stream(rec, join(korean(other), silence(2.5)))
    assert rec.last_recognition is not None
    assert rec.last_recognition.source == "open", "speech that is not one of the phrases is not forced onto them"


def test_grammar_with_no_known_words_falls_back_to_open(rec: Recognizer) -> None:
    usable, dropped = rec.usable_phrases(["the clinic", "garbage station", "안녕하세요", ""])
    assert usable == ["안녕하세요"] and dropped == ["the clinic", "garbage station"]
    assert rec.set_grammar(["the clinic"]) == 0
    assert rec.grammar is None


def test_resampled_stereo_recognises_like_the_original(rec: Recognizer, korean: Speech, tmp_path: Path) -> None:
    import soundfile

    from assistant.speech.audio_io import read_audio

    mono16 = korean("안녕하세요")
    # 44.1 kHz stereo with the speech in both channels, as a phone or PC would record it
    up = np.interp(np.arange(0, len(mono16.samples), 16000 / 44100), np.arange(len(mono16.samples)),
                   mono16.samples.astype(np.float64)).astype(np.int16)
    stereo = np.stack([up, up], axis=1)
    soundfile.write(tmp_path / "stereo.wav", stereo, 44100, subtype="PCM_16")
    clip = read_audio(tmp_path / "stereo.wav")
    assert clip.rate == ASR_RATE and abs(clip.duration - mono16.duration) < 0.05
    # open recognition of espeak's Korean varies from run to run; the grammar decode is a stable check
    # that the resampled, downmixed audio still carries the same words
    rec.set_grammar(["안녕하세요", "감사합니다"])
    finals = [text for _, text, f in stream(rec, join(clip, silence(2.5))) if f]
    assert finals == ["안녕하세요"]
