"""Every skill's own `tests:` conversations, in every language (a locale file's tests send its language), run
over the real REST channel against the trained model,
with the services API really stopped for the `services_down` ones."""

from __future__ import annotations

import pytest

from assistant.dialogue.conversation_tests import all_tests, run_test
from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import PROJECT_ROOT
from assistant.skill_runtime.loader import load_skills
from assistant.skill_runtime.locales import load_core_locales
from assistant.skill_runtime.schema import SkillTest
from assistant.stack import Stack

CASES = [
    pytest.param(skill, test, language, id=f"{skill}: {f'[{language}] ' if language else ''}{test.name}")
    for skill, test, language in all_tests(
        load_skills(PROJECT_ROOT / "skills", PROJECT_ROOT / "nlu_data", import_actions=False),
        load_core_locales(PROJECT_ROOT / "nlu_data"))
]


@pytest.mark.parametrize(("skill", "test", "language"), CASES)
def test_skill_conversation(skill: str, test: SkillTest, language: str | None, live_stack: Stack,
                            chat: ConversationClient) -> None:
    if test.services_down:
        live_stack.stop("services")
    try:
        outcome = run_test(chat, skill, test, language)
    finally:
        if test.services_down:
            live_stack.start_services()
    assert outcome.passed, "\n".join(outcome.problems + ["transcript:"] + outcome.transcript)
