"""One exception root for Linli.

Every error carries a ``message`` a resident or admin can read; the traceback goes to the log only.
Third-party errors are wrapped with the component name (``raise SkillLoadError(...) from e``).
"""

from __future__ import annotations

from foundation.errors import ReadableError


class LinliError(ReadableError):
    """Root of all Linli errors on the kiosk side. ``message`` is safe to show to a person."""

    code = "linli_error"


class ConfigError(LinliError):
    code = "config_error"


class SkillError(LinliError):
    """A skill file or skill action is wrong. The message names the file and line."""

    code = "skill_error"


class BuildError(LinliError):
    code = "build_error"


class EngineError(LinliError):
    """The dialogue engine (Rasa) could not be trained, started or reached."""

    code = "engine_error"


class DialogueUnavailable(EngineError):
    code = "dialogue_unavailable"


class InputError(LinliError):
    """A resident's input cannot be used as it is (empty, too long, wrong type)."""

    code = "input_error"


class SpeechError(LinliError):
    """Speech in or out cannot work as asked (no microphone, bad audio, missing model)."""

    code = "speech_error"


class AudioInputError(SpeechError):
    """An audio file or device cannot be read (empty, truncated, not audio, no microphone)."""

    code = "audio_input_error"


class AudioOutputError(SpeechError):
    """No speaker, or speech could not be synthesised."""

    code = "audio_output_error"


class SpeechModelError(SpeechError):
    """A speech model is missing, incomplete or corrupt. The hint names the command that fixes it."""

    code = "speech_model_error"
