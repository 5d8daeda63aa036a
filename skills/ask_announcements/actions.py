"""Read the current notices briefly: at most four, newest first, the ones about the question first.

Only the notices for this kiosk's buildings (``LINLI_KIOSK_BUILDINGS``) and for the buildings the resident names
("is there a notice for Building 3"), besides those for every building; a kiosk serving the whole community with
no building named hears them all. Urgent ones say so.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant.skill_runtime.context import services, settings
from community_services.client import ServicesError
from community_services.schemas import Announcement, clean_text

MAX_NOTICES = 4
MAX_CHARS = 300
SERVICES_DOWN = ("The office system is not answering right now, so I cannot read the notices. "
                 "Please look at the notice board in the Service Centre lobby, or try again later.")
_STOPWORDS = frozenset({
    "a", "an", "the", "is", "are", "was", "be", "to", "of", "in", "on", "at", "for", "and", "or", "any",
    "there", "what", "which", "when", "will", "it", "its", "this", "that", "these", "those", "about",
    "anything", "new", "news", "notice", "notices", "announcement", "announcements", "please", "tell", "me",
    "read", "you", "i", "my", "we", "do", "does", "going", "go", "off", "soon", "week", "today", "tomorrow",
    "know", "should", "happening", "happen", "community", "office", "hello", "hi", "can", "could", "would",
    "there's", "whats", "what's", "some"
})
NUMBERS = ("First", "Second", "Third", "Fourth")
_BUILDINGS = re.compile(r"\b(?:buildings?|blocks?|bldgs?)\s+((?:\d{1,2}(?:\s*(?:,|and|&|or|to)\s*)?)+)"
                        r"|(\d{1,2})\s*(?:号楼|栋)", re.I)


def buildings_named(text: str) -> tuple[str, ...]:
    """Building numbers (1-12) the resident named: "Building 3", "buildings 7, 8 and 9", "3号楼"."""
    found: list[str] = []
    for listed, chinese in _BUILDINGS.findall(text or ""):
        found += re.findall(r"\d{1,2}", listed) if listed else [chinese]
    return tuple(dict.fromkeys(str(int(n)) for n in found if 1 <= int(n) <= 12))


def buildings_for(question: str) -> tuple[str, ...]:
    """The buildings to read notices for: this kiosk's and the ones asked about; none means all."""
    try:
        kiosk = settings().kiosk_building_list
    except Exception:  # no configured context (a bare action server in a test): the whole community
        kiosk = ()
    return tuple(dict.fromkeys((*kiosk, *buildings_named(question))))


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _keywords(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", (text or "").lower()) if w not in _STOPWORDS}


def order_notices(notices: list[Announcement], question: str) -> tuple[list[Announcement], int]:
    """Newest first, but notices sharing words with the question ("is the water going off") lead.

    Returns the order and how many notices match the question best.
    """
    newest = sorted(notices, key=lambda n: (n.valid_from, n.id), reverse=True)
    asked = _keywords(question)
    scores = {n.id: len(asked & _keywords(f"{n.title} {n.body}")) for n in newest}
    best = max(scores.values(), default=0)
    if best == 0:
        return newest, 0
    ordered = sorted(newest, key=lambda n: -scores[n.id])  # stable: newest first among equals
    return ordered, sum(1 for score in scores.values() if score == best)


def notice_text(notice: Announcement) -> str:
    text = clean_text(notice.body or notice.title)
    text = text if isinstance(text, str) and text else str(notice.title)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return text


class ActionReadAnnouncements(Action):
    def name(self) -> str:
        return "action_read_announcements"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question: Any = (tracker.latest_message or {}).get("text") or ""
        question = "" if str(question).startswith("/") else str(question)[:500]
        try:
            notices = services().list_announcements(buildings_for(question))
        except ServicesError:
            dispatcher.utter_message(text=SERVICES_DOWN)
            return []
        if not notices:
            dispatcher.utter_message(text="There are no notices at the moment.")
            return []
        ordered, about = order_notices(notices, question)
        chosen = ordered[:MAX_NOTICES]
        count = len(notices)
        if count == 1:
            intro = "There is one notice."
        else:
            intro = f"There are {count} notices."
            if about and about < count:
                intro += " The one about that comes first." if about == 1 else " The ones about that come first."
            else:
                intro += " Here they are, newest first."
            if count > MAX_NOTICES:
                intro += f" I will read {MAX_NOTICES} of them."
        dispatcher.utter_message(text=intro)
        for position, notice in enumerate(chosen):
            prefix = f"{NUMBERS[position]}: " if len(chosen) > 1 else ""
            prefix += "Urgent. " if notice.urgent else ""
            dispatcher.utter_message(text=f"{prefix}{notice_text(notice)}")
        dispatcher.utter_message(text="Say repeat to hear them again.")
        return []
