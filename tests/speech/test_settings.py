from __future__ import annotations

import pytest

from assistant.shared.errors import ConfigError
from assistant.speech.settings import DEFAULT_RATE_WPM, SpeechSettings, load_speech_settings


def test_defaults_are_for_older_listeners() -> None:
    s = load_speech_settings({})
    assert 150 <= s.rate_wpm == DEFAULT_RATE_WPM <= 165
    assert s.mode == "push_to_talk" and s.barge_in
    assert s.voice_name == "ko" and SpeechSettings(locale="en").voice_name == "gmw/en"


def test_environment_then_flags_override() -> None:
    env = {"LINLI_TTS_RATE": "140", "LINLI_SPEECH_QUIET_END": "0.9", "LINLI_SPEECH_MODE": "always",
           "LINLI_SPEECH_BARGE_IN": "0", "LINLI_SPEECH_LOCALE": "en"}
    s = load_speech_settings(env)
    assert (s.rate_wpm, s.endpoint.quiet_end, s.mode, s.barge_in, s.locale) == (140, 0.9, "always", False, "en")
    s = load_speech_settings(env, rate_wpm=160, quiet_end=1.2, mode=None)
    assert (s.rate_wpm, s.endpoint.quiet_end, s.mode) == (160, 1.2, "always")


@pytest.mark.parametrize("env", [
    {"LINLI_TTS_RATE": "fast"}, {"LINLI_TTS_RATE": "20"}, {"LINLI_TTS_VOLUME": "3"},
    {"LINLI_SPEECH_MODE": "sometimes"}, {"LINLI_SPEECH_END_SILENCE": "-2"},
])
def test_bad_values_say_which_setting(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_speech_settings(env)
