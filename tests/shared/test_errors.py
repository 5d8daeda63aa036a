"""errors: one root (LinliError) whose message is safe to show; subclasses carry a stable code."""

from __future__ import annotations

import pytest

from assistant.shared import errors
from assistant.shared.errors import (
    AudioInputError,
    AudioOutputError,
    BuildError,
    ConfigError,
    DialogueUnavailable,
    EngineError,
    InputError,
    LinliError,
    SkillError,
    SpeechError,
    SpeechModelError,
)

ALL = [LinliError, ConfigError, SkillError, BuildError, EngineError, DialogueUnavailable, InputError,
       SpeechError, AudioInputError, AudioOutputError, SpeechModelError]


@pytest.mark.parametrize("cls", ALL)
def test_every_error_is_a_linli_error_with_a_message(cls: type[LinliError]) -> None:
    err = cls("Please try again.")
    assert isinstance(err, LinliError) and isinstance(err, Exception)
    assert err.message == "Please try again."
    assert err.hint is None
    assert str(err) == "Please try again."


def test_codes_are_distinct_and_stable() -> None:
    codes = {cls: cls.code for cls in ALL}
    assert codes == {
        LinliError: "linli_error", ConfigError: "config_error", SkillError: "skill_error",
        BuildError: "build_error", EngineError: "engine_error", DialogueUnavailable: "dialogue_unavailable",
        InputError: "input_error", SpeechError: "speech_error", AudioInputError: "audio_input_error",
        AudioOutputError: "audio_output_error", SpeechModelError: "speech_model_error",
    }


def test_hint_is_shown_after_the_message() -> None:
    err = SkillError("skills/x/skill.yml:3: bad.", hint="Fix it like this.")
    assert err.hint == "Fix it like this."
    assert str(err) == "skills/x/skill.yml:3: bad.\n  → Fix it like this."
    assert err.message == "skills/x/skill.yml:3: bad."  # the message alone stays clean for residents


def test_hint_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        LinliError("message", "hint")  # type: ignore[call-arg]


def test_dialogue_unavailable_is_an_engine_error() -> None:
    assert issubclass(DialogueUnavailable, EngineError)
    with pytest.raises(EngineError):
        raise DialogueUnavailable("down")


def test_wrapping_keeps_the_cause() -> None:
    with pytest.raises(ConfigError) as err:
        try:
            int("x")
        except ValueError as e:
            raise ConfigError("LINLI_RASA_PORT must be a whole number.") from e
    assert isinstance(err.value.__cause__, ValueError)


def test_module_defines_only_linli_errors() -> None:
    classes = [v for v in vars(errors).values() if isinstance(v, type) and v.__module__ == errors.__name__]
    assert set(classes) == set(ALL)
