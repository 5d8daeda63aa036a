"""One vector per question; a resident's question is answered by the entry whose best question is nearest.

Vectors are cached on disk (``var/knowledge/``) keyed by sha256(model id + question), so rebuilding after an
admin's edit embeds only the new or changed questions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml

from .entries import KnowledgeEntry, KnowledgeError

log = logging.getLogger(__name__)

CACHE_VECTORS = "vectors.npz"
CACHE_MANIFEST = "manifest.json"
FAR_PAST, FAR_FUTURE = date.min.toordinal(), date.max.toordinal()
THRESHOLDS_FILE = Path(__file__).with_name("thresholds.yml")
"""Per language: when a question is answered, offered, or handed to a person, and why (measured)."""


@dataclass(frozen=True)
class KnowledgeSettings:
    """When a question counts as answered, for one language's index.

    The values in use are in ``thresholds.yml`` beside this file, one block per language with its reason,
    each chosen on that language's calibration set (``bench/data/kb_calibration*.yml``) by
    ``python -m bench.knowledge --lang <code>``. These defaults are the English ones (all-MiniLM-L6-v2,
    issue 6), for an index made without that file. A wrong answer misleads an older resident; "shall I ask
    a person?" does not, so thresholds err on the high side.
    """

    threshold: float = 0.68
    """Cosine similarity of the best question needed to answer straight away."""
    suggest: float = 0.55
    """Below ``threshold`` but at least this: "Did you mean …?" with the entry's question as a button."""
    margin: float = 0.06
    """The best entry must beat the next *different* entry by this much (two similar entries: ask a person)."""
    max_query_chars: int = 1000
    """A longer query is cut (the model reads its first few dozen words anyway)."""


@dataclass(frozen=True)
class LanguageSetup:
    """One language's index: which model, which questions it embeds, when it answers."""

    encoder: str
    """``minilm`` (English only) or ``use`` (multilingual): see ``encoder.encoder_named``."""
    questions: str | None
    """Embed the questions written in this language, or (``None``, "all" in the file) every language's."""
    settings: KnowledgeSettings


def language_setups(path: Path = THRESHOLDS_FILE) -> dict[str, LanguageSetup]:
    """``thresholds.yml`` by language (its ``reason`` is for people)."""
    names = {f.name for f in fields(KnowledgeSettings)}
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        return {str(lang): LanguageSetup(
                    encoder=str(block["encoder"]),
                    questions=None if block.get("questions", "all") == "all" else str(block["questions"]),
                    settings=KnowledgeSettings(**{k: type(getattr(KnowledgeSettings, k))(v)
                                                  for k, v in block.items() if k in names}))
                for lang, block in data.items()}
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError) as e:
        raise KnowledgeError(f"{path}: the knowledge thresholds cannot be read ({e}).") from e


def plain(text: str) -> str:
    """A question made even before it is embedded: full-width forms (？，３号楼) plain, runs of spaces one.

    Traditional characters stay: the multilingual model was trained on them too (zh-TW), measured in
    tests/knowledge/test_index_zh.py.
    """
    return " ".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Match:
    entry: KnowledgeEntry
    score: float
    """Cosine similarity of the query with ``question`` (−1 … 1)."""
    question: str
    """The entry's question nearest to the query."""


@dataclass(frozen=True)
class Verdict:
    """What to do with a question: answer it, or ask which of the ``suggestions`` was meant (or neither)."""

    answer: Match | None
    suggestions: tuple[Match, ...] = ()


class Encoder(Protocol):
    @property
    def model_id(self) -> str: ...

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def _key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\n{text}".encode()).hexdigest()


class VectorCache:
    """``vectors.npz`` + ``manifest.json`` (keys in row order, and the npz's hash so a torn pair is noticed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self) -> dict[str, np.ndarray]:
        """Cached vectors by key; an unreadable or inconsistent cache is empty (rebuilt), never an error."""
        try:
            manifest = json.loads((self.folder / CACHE_MANIFEST).read_text("utf-8"))
            raw = (self.folder / CACHE_VECTORS).read_bytes()
            if manifest.get("sha256") != hashlib.sha256(raw).hexdigest():
                raise ValueError("the vectors do not belong to the manifest")
            keys = manifest["keys"]
            with np.load(self.folder / CACHE_VECTORS) as data:
                vectors = np.asarray(data["vectors"], dtype=np.float32)
            if vectors.ndim != 2 or len(vectors) != len(keys) or not all(isinstance(k, str) for k in keys):
                raise ValueError("the shapes do not match")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as e:
            log.warning("the knowledge vector cache in %s is unusable (%s); it is rebuilt", self.folder, e)
            return {}
        return dict(zip(keys, vectors, strict=True))

    def save(self, vectors: dict[str, np.ndarray], dimensions: int) -> None:
        """Atomically (tmp + replace); a failure to write only costs time on the next start."""
        keys = list(vectors)
        matrix = np.stack([vectors[k] for k in keys]) if keys else np.zeros((0, dimensions), np.float32)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{CACHE_VECTORS}.{os.getpid()}.tmp"
            with tmp.open("wb") as f:
                np.savez(f, vectors=matrix.astype(np.float32))
            digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
            os.replace(tmp, self.folder / CACHE_VECTORS)
            tmp_manifest = self.folder / f".{CACHE_MANIFEST}.{os.getpid()}.tmp"
            tmp_manifest.write_text(json.dumps({"sha256": digest, "keys": keys}), "utf-8")
            os.replace(tmp_manifest, self.folder / CACHE_MANIFEST)
        except OSError as e:
            log.warning("cannot write the knowledge vector cache in %s: %s", self.folder, e)


class KnowledgeIndex:
    """Not thread-safe on its own: :class:`~assistant.knowledge.base.KnowledgeBase` holds the lock."""

    def __init__(self, encoder: Encoder, cache_dir: Path, settings: KnowledgeSettings | None = None, *,
                 questions_in: str | None = "en") -> None:
        self.encoder = encoder
        self.cache = VectorCache(cache_dir)
        self.settings = settings or KnowledgeSettings()
        self.questions_in = questions_in
        """Embed only the questions written in this language (an English-only model), or every language's."""
        self.entries: tuple[KnowledgeEntry, ...] = ()
        self.last_embedded = 0
        """How many questions the last :meth:`build` had to embed (the rest came from the cache)."""
        self._vectors: np.ndarray = np.zeros((0, 0), np.float32)
        self._owner: np.ndarray = np.zeros(0, np.int64)
        """Row → index of its entry."""
        self._questions: list[str] = []
        self._from: np.ndarray = np.zeros(0, np.int64)
        """Per entry: first and last valid day as ordinals (open ends far away), for a vectorised filter."""
        self._until: np.ndarray = np.zeros(0, np.int64)

    def build(self, entries: Sequence[KnowledgeEntry]) -> int:
        """Index ``entries``; returns how many questions were embedded (not found in the cache)."""
        model_id = self.encoder.model_id
        questions = [(i, q) for i, entry in enumerate(entries) for q in entry.questions_in(self.questions_in)]
        keys = [_key(model_id, q) for _, q in questions]
        cached = self.cache.load()
        missing = sorted({k: q for k, (_, q) in zip(keys, questions, strict=True) if k not in cached}.items())
        if missing:
            fresh = self.encoder.encode([q for _, q in missing])
            cached.update(zip([k for k, _ in missing], fresh, strict=True))
        dims = next(iter(cached.values())).shape[0] if cached else 384
        if missing or set(cached) != set(keys):  # new vectors, or vectors of deleted questions to drop
            self.cache.save({k: cached[k] for k in dict.fromkeys(keys)}, dims)
        self.entries = tuple(entries)
        self._vectors = np.stack([cached[k] for k in keys]) if keys else np.zeros((0, dims), np.float32)
        self._owner = np.array([i for i, _ in questions], dtype=np.int64)
        self._questions = [q for _, q in questions]
        self._from = np.array([e.valid_from.toordinal() if e.valid_from else FAR_PAST for e in entries], np.int64)
        self._until = np.array([e.valid_until.toordinal() if e.valid_until else FAR_FUTURE for e in entries],
                               np.int64)
        self.last_embedded = len(missing)
        return len(missing)

    def _query(self, text: str) -> str:
        return plain(text[: self.settings.max_query_chars])

    def search(self, text: str, today: date, *, top_k: int = 3, valid_only: bool = True) -> list[Match]:
        """The ``top_k`` best entries, each scored by its nearest question, best first.

        Entries not valid ``today`` are left out before ranking (unless ``valid_only`` is false: ``kb search
        --all``), so an expired entry can never be answered.
        """
        query = self._query(text)
        if not query or not len(self._questions) or top_k < 1:
            return []
        scores = self._vectors @ self.encoder.encode([query])[0]
        day = today.toordinal()
        valid = (self._from <= day) & (day <= self._until) if valid_only else np.ones(len(self.entries), bool)
        matches: list[Match] = []
        seen: set[int] = set()
        for row in np.argsort(-scores, kind="stable"):
            owner = int(self._owner[row])
            if owner in seen or not valid[owner]:
                continue
            seen.add(owner)
            matches.append(Match(self.entries[owner], float(scores[row]), self._questions[row]))
            if len(matches) == top_k:
                break
        return matches

    def decide(self, matches: Sequence[Match]) -> Match | None:
        """The first match if it is confident: above the threshold and clear of the next entry."""
        s = self.settings
        if not matches or matches[0].score < s.threshold:
            return None
        if len(matches) > 1 and matches[0].score - matches[1].score < s.margin:
            return None
        return matches[0]

    def suggestions(self, matches: Sequence[Match]) -> list[Match]:
        """When nothing is confident: the entries worth asking "did you mean …?" about (best first)."""
        if self.decide(matches) is not None:
            return []
        return [m for m in matches if m.score >= self.settings.suggest]

    def answer(self, text: str, today: date) -> Match | None:
        """The entry to answer with, or ``None`` when no valid entry is clearly meant."""
        return self.decide(self.search(text, today, top_k=2))

    def consult(self, text: str, today: date) -> Verdict:
        matches = self.search(text, today, top_k=2)
        return Verdict(self.decide(matches), tuple(self.suggestions(matches)))
