"""Run the ``tests:`` conversations of skill files over the real REST channel."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.errors import LinliError
from assistant.skill_runtime.loader import LoadedSkill
from assistant.skill_runtime.locales import LoadedLocale
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


def run_test(client: ConversationClient, skill: str, test: SkillTest, language: str | None = None) -> TestOutcome:
    """One conversation; a test from a locale file sends its language as a front end does (docs/languages.md)."""
    sender = f"test-{skill}-{uuid.uuid4().hex[:8]}"
    name = f"[{language}] {test.name}" if language else test.name
    outcome = TestOutcome(skill=skill, test=name, passed=True)
    metadata = {"locale": language} if language else None
    for n, turn in enumerate(test.turns, start=1):
        try:
            replies = client.send(sender, turn.user, metadata=metadata)
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


def all_tests(skills: Iterable[LoadedSkill],
              core_locales: Mapping[str, LoadedLocale] | None = None) -> list[tuple[str, SkillTest, str | None]]:
    """``(skill, test, language)`` for every conversation: the skills' own (English) and their locale files',
    then the core's locale files' (skill name ``core``)."""
    found: list[tuple[str, SkillTest, str | None]] = []
    for skill in skills:
        found += [(skill.name, test, None) for test in skill.spec.tests]
        for code, locale in sorted(skill.locales.items()):
            found += [(skill.name, test, code) for test in locale.spec.tests]
    for code, locale in sorted((core_locales or {}).items()):
        found += [("core", test, code) for test in locale.spec.tests]
    return found


def run_skill_tests(client: ConversationClient, skills: list[LoadedSkill],
                    services: ServicesSwitch | None = None,
                    core_locales: Mapping[str, LoadedLocale] | None = None) -> list[TestOutcome]:
    results: list[TestOutcome] = []
    for skill, test, language in all_tests(skills, core_locales):
        if test.services_down:
            if services is None:
                continue
            services.stop()
            try:
                results.append(run_test(client, skill, test, language))
            finally:
                services.start()
        else:
            results.append(run_test(client, skill, test, language))
    return results
