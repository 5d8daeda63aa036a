"""The knowledge base the action server asks: entries + index, re-read when an admin changes a file."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from .encoder import encoder_named
from .entries import KnowledgeEntry, KnowledgeError, is_valid_on, knowledge_files, load_knowledge
from .index import Encoder, KnowledgeIndex, KnowledgeSettings, LanguageSetup, Match, Verdict, language_setups

log = logging.getLogger(__name__)

Stamp = tuple[tuple[str, int, int, int], ...]


def folder_stamp(folder: Path) -> Stamp:
    """(name, mtime, size, inode) of every knowledge file: a few ``stat`` calls, cheap enough for every query."""
    stamp = []
    for path in knowledge_files(folder):
        try:
            st = path.stat()
        except OSError:
            continue  # removed between listing and stat: the next refresh sees it gone
        stamp.append((path.name, st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(stamp)


class KnowledgeBase:
    """Thread-safe. ``answer`` refreshes first, so a saved entry is answerable on the next question.

    One index per language (``thresholds.yml``: its model, its questions, its thresholds): English is built
    at once, another language on its first question (the action server warms each up at start).
    ``encoder``/``settings`` replace the English ones, ``encoders`` another language's model (tests, bench).
    """

    def __init__(self, folder: Path, var_dir: Path, *, clock: Callable[[], date] = date.today,
                 map_places: set[str] | None = None, encoder: Encoder | None = None,
                 settings: KnowledgeSettings | None = None, encoders: Mapping[str, Encoder] | None = None) -> None:
        self.folder = folder
        self.var_dir = var_dir
        self.clock = clock
        self.map_places = map_places
        self.problem: str | None = None
        """Why the files on disk are not in use (the last good entries still are); ``None`` when all is well."""
        self._lock = threading.RLock()
        self._setups = language_setups()
        english = self._setups.get("en") or LanguageSetup("minilm", "en", KnowledgeSettings())
        self._encoders: dict[str, Encoder] = dict(encoders or {})
        self._index = KnowledgeIndex(encoder or self._encoders.get("en") or encoder_named(english.encoder),
                                     var_dir / "knowledge", settings or english.settings,
                                     questions_in=english.questions)
        self._indexes: dict[str, KnowledgeIndex] = {"en": self._index}
        self._entries: tuple[KnowledgeEntry, ...] = ()
        self._stamp: Stamp | None = None
        self.refresh()

    @property
    def entries(self) -> tuple[KnowledgeEntry, ...]:
        return self._entries

    @property
    def index(self) -> KnowledgeIndex:
        """The English index."""
        return self._index

    def index_for(self, language: str) -> KnowledgeIndex:
        """The index a conversation in ``language`` asks (English for a language with no setup)."""
        with self._lock:
            found = self._indexes.get(language)
            if found is not None:
                return found
            setup = self._setups.get(language)
            if setup is None:
                return self._index
            encoder = self._encoders.get(language) or encoder_named(setup.encoder)
            index = KnowledgeIndex(encoder, self.var_dir / f"knowledge-{language}", setup.settings,
                                   questions_in=setup.questions)
            index.build(self._entries)
            self._indexes[language] = index
            return index

    def refresh(self) -> bool:
        """Reload and re-index if a file changed; returns whether the entries were replaced.

        A broken file keeps the last good entries and sets :attr:`problem`; a file that changes while it is
        read (an editor still saving) is not used, and read again on the next refresh.
        """
        with self._lock:
            stamp = folder_stamp(self.folder)
            if stamp == self._stamp:
                return False
            try:
                entries = load_knowledge(self.folder, map_places=self.map_places)
            except KnowledgeError as e:
                if stamp == folder_stamp(self.folder):
                    self._stamp = stamp  # broken until the admin saves again: do not re-read on every query
                if e.message != self.problem:
                    log.error("knowledge files not used, the last good entries stay: %s", e)
                self.problem = e.message
                return False
            if stamp != folder_stamp(self.folder):
                return False  # half-written: try again on the next question
            for index in self._indexes.values():
                index.build(entries)
            self._entries = tuple(entries)
            self._stamp = stamp
            self.problem = None
            log.info("knowledge base: %d entries (%s questions embedded)", len(entries),
                     ", ".join(f"{lang} {index.last_embedded}" for lang, index in self._indexes.items()))
            return True

    def search(self, text: str, *, top_k: int = 3, language: str = "en") -> list[Match]:
        with self._lock:
            self.refresh()
            return self.index_for(language).search(text, self.clock(), top_k=top_k)

    def answer(self, text: str, language: str = "en") -> Match | None:
        """The confident, valid-today entry for a resident's question, or ``None``."""
        with self._lock:
            self.refresh()
            return self.index_for(language).answer(text, self.clock())

    def consult(self, text: str, language: str = "en") -> Verdict:
        """:meth:`answer`, and when there is none, the valid-today entries that may be meant.

        ``language`` is the conversation's: it picks the index (model and thresholds); the question is
        searched as asked.
        """
        with self._lock:
            self.refresh()
            return self.index_for(language).consult(text, self.clock())

    def valid_entry(self, entry_id: str) -> KnowledgeEntry | None:
        """The entry with this id if it may be answered today (a "did you mean" button pressed later)."""
        with self._lock:
            self.refresh()
            day = self.clock()
            for entry in self._entries:
                if entry.id == entry_id:
                    return entry if is_valid_on(entry, day) else None
            return None
