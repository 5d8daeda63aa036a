from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.shared.errors import ConfigError, SpeechModelError
from assistant.speech.clip import AudioClip
from assistant.speech.endpoint import QuietEndpointer, endpoint_rules, tuned_model_conf, tuned_model_dir
from assistant.speech.settings import EndpointSettings

from .conftest import ko_model_dir


def test_rules_carry_the_settings() -> None:
    rules = endpoint_rules(EndpointSettings(end_silence=0.4, pause_silence=0.9, max_pause=1.8, max_utterance=12))
    assert "--endpoint.rule2.min-trailing-silence=0.4" in rules
    assert "--endpoint.rule3.min-trailing-silence=0.9" in rules
    assert "--endpoint.rule4.min-trailing-silence=1.8" in rules
    assert "--endpoint.rule5.min-utterance-length=12" in rules


def test_model_conf_keeps_decoder_options_and_replaces_endpoint_rules() -> None:
    original = "--beam=10.0\n--endpoint.rule2.min-trailing-silence=0.5\n--endpoint.silence-phones=1:2\n"
    conf = tuned_model_conf(original, EndpointSettings(end_silence=0.3, pause_silence=0.6, max_pause=1.0))
    assert "--beam=10.0" in conf and "--endpoint.silence-phones=1:2" in conf
    assert conf.count("rule2.min-trailing-silence") == 1 and "rule2.min-trailing-silence=0.3" in conf


def test_overlay_links_the_model_and_is_reused(tmp_path: Path) -> None:
    a = tuned_model_dir(ko_model_dir(), EndpointSettings(), tmp_path)
    assert (a / "am" / "final.mdl").exists() and (a / "am").is_symlink()
    assert "rule3.min-trailing-silence=1.0" in (a / "conf" / "model.conf").read_text()
    assert (a / "conf" / "mfcc.conf").is_symlink()
    assert tuned_model_dir(ko_model_dir(), EndpointSettings(), tmp_path) == a
    b = tuned_model_dir(ko_model_dir(), EndpointSettings(max_utterance=10), tmp_path)
    assert b != a and not list(tmp_path.glob(".tuning-*")), "no half-built overlay is left behind"


def test_overlay_of_a_folder_without_conf_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(SpeechModelError) as e:
        tuned_model_dir(tmp_path / "empty", EndpointSettings(), tmp_path / "work")
    assert "linli models verify" in (e.value.hint or "")


def _tone(seconds: float, amplitude: float) -> bytes:
    t = np.arange(int(seconds * 16000)) / 16000
    return AudioClip((amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16), 16000).pcm_bytes()


def test_quiet_endpointer_fires_after_the_quiet_following_speech() -> None:
    q = QuietEndpointer(0.6)
    assert not q.update(_tone(1.0, 8000), speech_heard=True)
    fired_after = None
    for n in range(1, 21):
        if q.update(_tone(0.05, 50), speech_heard=True):
            fired_after = n * 0.05
            break
    assert fired_after is not None and abs(fired_after - 0.6) < 0.051


def test_quiet_endpointer_needs_speech_and_a_real_drop() -> None:
    q = QuietEndpointer(0.3)
    assert not any(q.update(_tone(0.05, 50), speech_heard=False) for _ in range(20)), "nothing was said yet"
    q.reset()
    q.update(_tone(0.5, 3000), speech_heard=True)
    # noise at half the speech level is not quiet: the recogniser's own rules decide in a noisy lobby
    assert not any(q.update(_tone(0.05, 1500), speech_heard=True) for _ in range(40))
    assert not QuietEndpointer(0).update(_tone(0.05, 0), speech_heard=True), "0 turns it off"


@pytest.mark.parametrize("kwargs", [
    {"end_silence": -1}, {"end_silence": 0}, {"quiet_end": -0.1},
    {"end_silence": 2.0, "pause_silence": 1.0}, {"max_utterance": 1.0},
])
def test_endpoint_settings_refuse_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        EndpointSettings(**kwargs)
