"""Send something a resident must not lose through the outbox, and tell them where it stands.

Three outcomes, each with its own response: delivered now, saved and queued (the office system is
down: the resident still gets a reference), or refused / not stored (the resident is sent to a desk).
The skill names its responses (YAML, per language); the order of the replies is the same for every skill.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rasa_sdk.executor import CollectingDispatcher

from community_services.client import ServicesRejected

from .context import outbox

if TYPE_CHECKING:
    from assistant.skill_runtime.outbox import Kind, Submission

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitReplies:
    """What the resident hears about one kind of submission: four response names, each filled with
    ``reference=`` (empty when there is none)."""

    refused: str
    """The office system refused it (and where to ask instead)."""
    unsaved: str
    """It could not be stored (and where to ask instead)."""
    queued: str
    """It is saved and will be sent when the office system is back; ``{reference}``."""
    delivered: tuple[str, ...]
    """Said in order when it was delivered at once; ``{reference}``."""


def submit_and_tell(dispatcher: CollectingDispatcher, kind: Kind, payload: dict[str, Any],
                    replies: SubmitReplies) -> Submission | None:
    """Submit ``payload`` through the outbox and tell the resident the outcome.

    Returns the submission (delivered or queued), or ``None`` when it was refused or could not be stored.
    """
    try:
        submission = outbox().submit(kind, payload)
    except ServicesRejected:
        dispatcher.utter_message(response=replies.refused, reference="")
        return None
    except Exception:
        log.exception("%s could not be stored in the outbox", kind)
        dispatcher.utter_message(response=replies.unsaved, reference="")
        return None
    if submission.queued:
        dispatcher.utter_message(response=replies.queued, reference=submission.reference)
    else:
        for response in replies.delivered:
            dispatcher.utter_message(response=response, reference=submission.reference)
    return submission
