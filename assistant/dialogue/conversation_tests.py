"""Run the ``tests:`` conversations of skill files over the real REST channel."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.errors import LinliError
from assistant.skill_runtime.loader import LoadedSkill
from assistant.skill_runtime.schema import SkillTest


@dataclass
class TestOutcome:
    skill: str
    test: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)


@dataclass
class ServicesSwitch:
    """Lets a runner stop and restart the services API for ``services_down`` conversations."""

    stop: Callable[[], None]
    start: Callable[[], None]


def run_test(client: ConversationClient, skill: str, test: SkillTest) -> TestOutcome:
    sender = f"test-{skill}-{uuid.uuid4().hex[:8]}"
    outcome = TestOutcome(skill=skill, test=test.name, passed=True)
    for n, turn in enumerate(test.turns, start=1):
        try:
            replies = client.send(sender, turn.user)
        except LinliError as e:
            outcome.passed = False
            outcome.problems.append(f"turn {n}: {e.message}")
            break
        texts = [r.text for r in replies if r.text] + [b.title for r in replies for b in r.buttons]
        outcome.transcript.append(f"> {turn.user}")
        outcome.transcript.extend(f"< {t}" for t in texts)
        for pattern in turn.expect:
            if not any(re.search(pattern, t, re.IGNORECASE) for t in texts):
                outcome.passed = False
                outcome.problems.append(f"turn {n} ({turn.user!r}): no reply matched {pattern!r}")
        for pattern in turn.expect_not:
            if any(re.search(pattern, t, re.IGNORECASE) for t in texts):
                outcome.passed = False
                outcome.problems.append(f"turn {n} ({turn.user!r}): a reply matched {pattern!r}")
    return outcome


def run_skill_tests(client: ConversationClient, skills: list[LoadedSkill],
                    services: ServicesSwitch | None = None) -> list[TestOutcome]:
    results: list[TestOutcome] = []
    for skill in skills:
        for test in skill.spec.tests:
            if test.services_down:
                if services is None:
                    continue
                services.stop()
                try:
                    results.append(run_test(client, skill.name, test))
                finally:
                    services.start()
            else:
                results.append(run_test(client, skill.name, test))
    return results
