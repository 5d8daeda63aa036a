"""outbox_submit: what the resident hears when something is delivered, queued, refused or not stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from assistant.shared.config import Settings
from assistant.skill_runtime import context
from assistant.skill_runtime.outbox import Submission
from assistant.skill_runtime.outbox_submit import SubmitReplies, submit_and_tell
from community_services.client import ServicesRejected

REPLIES = SubmitReplies(
    refused="utter_note_refused",
    unsaved="utter_note_unsaved",
    queued="utter_note_queued",
    delivered=("utter_note_thanks", "utter_note_call_back"),
)


@dataclass
class FakeOutbox:
    """Answers ``submit`` with a fixed submission, or raises."""

    answer: Submission | Exception
    submitted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def submit(self, kind: str, payload: dict[str, Any]) -> Submission:
        self.submitted.append((kind, payload))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def use_outbox() -> Iterator[Any]:
    def configure(answer: Submission | Exception) -> FakeOutbox:
        fake = FakeOutbox(answer)
        context.configure(context.SkillContext(settings=Settings(), services=None, outbox=fake))  # type: ignore[arg-type]
        return fake

    yield configure
    context.configure(None)


def submit(payload: dict[str, Any] | None = None) -> tuple[Submission | None, list[tuple[str, str]]]:
    """The submission and what was said: (response name, the reference it was filled with)."""
    dispatcher = CollectingDispatcher()
    result = submit_and_tell(dispatcher, "feedback", payload or {"text": "hello"}, REPLIES)
    assert all(not m.get("text") for m in dispatcher.messages)  # no sentence from Python
    return result, [(m["response"], m["reference"]) for m in dispatcher.messages]


def test_delivered(use_outbox: Any) -> None:
    fake = use_outbox(Submission(reference="F1001", queued=False))
    result, said = submit({"text": "the lift is lovely"})
    assert result == Submission(reference="F1001", queued=False)
    assert said == [("utter_note_thanks", "F1001"), ("utter_note_call_back", "F1001")]
    assert fake.submitted == [("feedback", {"text": "the lift is lovely"})]


def test_queued(use_outbox: Any) -> None:
    use_outbox(Submission(reference="Q00042", queued=True))
    result, said = submit()
    assert result is not None and result.queued
    assert said == [("utter_note_queued", "Q00042")]


def test_refused(use_outbox: Any) -> None:
    use_outbox(ServicesRejected("bad words", status=422))
    assert submit() == (None, [("utter_note_refused", "")])


def test_not_stored(use_outbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    use_outbox(OSError("disk full"))
    assert submit() == (None, [("utter_note_unsaved", "")])
    assert "could not be stored" in caplog.text


def test_no_context_at_all_is_not_stored() -> None:
    context.configure(None)
    assert submit() == (None, [("utter_note_unsaved", "")])


def test_a_reference_with_braces_is_passed_as_it_is(use_outbox: Any) -> None:
    use_outbox(Submission(reference="{x}", queued=False))
    assert submit()[1][0] == ("utter_note_thanks", "{x}")
