"""Send something a resident must not lose through the outbox, and tell them where it stands.

Three outcomes, each with its own sentence: delivered now, saved and queued (the office system is
down: the resident still gets a reference), or refused / not stored (the resident is sent to a desk).
The skill supplies the words; the order and the shape of the replies are the same for every skill.
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
    """What the resident hears about one kind of submission."""

    what: str
    """How the thing is called when it failed: "feedback", "report"."""
    saved: str
    """How it is called when it is queued: "feedback", "repair request"."""
    ask_instead: str
    """Where to go when it cannot be sent: "Please ask at the Property Management Office ..."."""
    delivered: tuple[str, ...]
    """The sentences said when it was delivered at once; ``{reference}`` is filled in."""


def submit_and_tell(dispatcher: CollectingDispatcher, kind: Kind, payload: dict[str, Any],
                    replies: SubmitReplies) -> Submission | None:
    """Submit ``payload`` through the outbox and tell the resident the outcome.

    Returns the submission (delivered or queued), or ``None`` when it was refused or could not be stored.
    """
    try:
        submission = outbox().submit(kind, payload)
    except ServicesRejected:
        dispatcher.utter_message(text=f"Sorry, the office system did not accept this {replies.what}. "
                                      f"{replies.ask_instead}")
        return None
    except Exception:
        log.exception("%s could not be stored in the outbox", kind)
        dispatcher.utter_message(text=f"Sorry, I could not save your {replies.what}. {replies.ask_instead}")
        return None
    if submission.queued:
        dispatcher.utter_message(
            text=f"The office system is not answering right now. Your {replies.saved} is saved "
                 f"and will be sent when the system is back. Your reference is {submission.reference}.")
    else:
        for sentence in replies.delivered:
            dispatcher.utter_message(text=sentence.format(reference=submission.reference))
    return submission
