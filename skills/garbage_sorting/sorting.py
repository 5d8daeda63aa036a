"""Which bin? Look an item up in ``items.yml``; say clearly when the answer is only a near guess.

Pure functions over the data file, so they are tested without Rasa or the services.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ITEMS_FILE = Path(__file__).with_name("items.yml")
BINS = ("recyclable", "hazardous", "kitchen", "residual", "large")
CHECK_POSTER = "Please check the poster at the Garbage Station or ask the staff."
_STOPWORDS = frozenset({
    "a", "an", "the", "some", "my", "our", "his", "her", "their", "this", "that", "these", "those", "of",
    "and", "or", "to", "in", "on", "into", "for", "with", "about", "what", "which", "where", "how", "do",
    "does", "did", "i", "we", "you", "can", "could", "should", "would", "will", "may", "might", "is", "are",
    "it", "its", "they", "them", "put", "throw", "away", "get", "rid", "go", "goes", "bin", "bins",
    "please", "old", "used", "empty", "any", "kind", "sort", "type", "dear", "oh", "um", "er", "well",
    "hello", "excuse", "me", "like", "just", "thing", "things", "stuff"
})
_FUZZY_PHRASE = 0.78
_FUZZY_WORD = 0.8


@dataclass(frozen=True)
class Bin:
    key: str
    name: str
    colour: str
    spoken: str
    examples: str


@dataclass(frozen=True)
class Item:
    name: str
    bin: str
    names: tuple[str, ...] = ()
    note: str | None = None
    plural: bool | None = None

    @property
    def is_plural(self) -> bool:
        if self.plural is not None:
            return self.plural
        return self.name.endswith("s") and not self.name.endswith("ss")


@dataclass(frozen=True)
class Guide:
    bins: dict[str, Bin]
    items: tuple[Item, ...]
    station: dict[str, str]
    index: dict[tuple[str, ...], tuple[Item, str]] = field(default_factory=dict)
    """Normalised words of every name and synonym -> (item, that name as written); first one wins."""


@dataclass(frozen=True)
class Match:
    item: Item | None
    sure: bool
    """True for a known name or synonym in the resident's words; False for a near guess."""
    said: str
    """The resident's words for the item, tidied, for saying back."""
    name: str = ""
    """The item's name or the synonym that matched, as written in items.yml."""


def _words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text or "").casefold().replace("’", "'")
    return tuple(re.findall(r"[a-z0-9]+", text.replace("'", "")))


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("shes", "ches", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _stems(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_stem(w) for w in words)


def load_guide(path: Path = ITEMS_FILE) -> Guide:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    bins = {key: Bin(key=key, name=str(b["name"]), colour=str(b["colour"]), spoken=str(b["spoken"]),
                     examples=str(b["examples"])) for key, b in data["bins"].items()}
    items: list[Item] = []
    index: dict[tuple[str, ...], tuple[Item, str]] = {}
    for raw in data["items"]:
        if raw["bin"] not in bins:
            raise ValueError(f"{path}: item {raw['name']!r} names an unknown bin {raw['bin']!r}")
        item = Item(name=str(raw["name"]), bin=str(raw["bin"]),
                    names=tuple(str(n) for n in raw.get("names") or ()),
                    note=raw.get("note"), plural=raw.get("plural"))
        items.append(item)
        for name in (item.name, *item.names):
            key = _stems(_words(name))
            if len(key) == 1 and key[0] in _STOPWORDS:
                continue  # "can" (from "cans") must not match "can I throw this away"
            if key and key not in index:
                index[key] = (item, name)
    return Guide(bins=bins, items=tuple(items), station=dict(data["station"]), index=index)


@lru_cache(maxsize=1)
def guide() -> Guide:
    return load_guide()


def all_names(g: Guide | None = None) -> list[str]:
    """Every item name and synonym, for the NLU lookup table."""
    g = g or guide()
    seen: dict[str, None] = {}
    for item in g.items:
        for name in (item.name, *item.names):
            seen.setdefault(name.lower(), None)
    return list(seen)


def tidy_item(text: str) -> str:
    """The resident's words for an item, speakable: no symbols, no question words, short."""
    kept = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] not in ("S", "C") or ch == " ")
    kept = re.sub(r"[?!.;:]+", " ", kept)
    kept = " ".join(kept.split())[:80]
    return kept.strip(" ,")


def find_item(text: str, g: Guide | None = None) -> Match:
    """The item a resident means. Known names inside the words win (the longest); else a near guess."""
    g = g or guide()
    words = _stems(_words(text))
    said = tidy_item(text)
    best: tuple[int, int, Item, str] | None = None
    for key, (item, name) in g.index.items():
        n = len(key)
        for i in range(len(words) - n + 1):
            if words[i:i + n] == key:
                score = (n, len(" ".join(key)))
                if best is None or score > best[:2]:
                    best = (*score, item, name)
                break
    if best is not None:
        return Match(item=best[2], sure=True, said=said, name=best[3])

    content = tuple(w for w in words if w not in _STOPWORDS)
    if not content:
        return Match(item=None, sure=False, said=said)
    names = {" ".join(key): item for key, (item, _) in g.index.items()}
    phrase = " ".join(content)
    close = difflib.get_close_matches(phrase, list(names), n=1, cutoff=_FUZZY_PHRASE)
    if close:
        return Match(item=names[close[0]], sure=False, said=said)
    single = [name for name in names if " " not in name]
    for word in content:
        if len(word) < 4:
            continue
        close = difflib.get_close_matches(word, single, n=1, cutoff=_FUZZY_WORD)
        if close:
            return Match(item=names[close[0]], sure=False, said=said)
    return Match(item=None, sure=False, said=said)


def has_content(text: str) -> bool:
    """Does the phrase name anything ("old" alone does not)?"""
    return any(w not in _STOPWORDS for w in _words(text))


def split_items(text: str) -> list[str]:
    """"batteries and a banana peel, and old newspapers" -> three items (at most three)."""
    parts = re.split(r",|;|\band\b|\bplus\b|&|\balso\b", text or "", flags=re.I)
    return [p.strip() for p in parts if p.strip()][:3]


def _looks_plural(name: str) -> bool:
    last = name.split()[-1] if name.split() else ""
    return len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us"))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def answer_for(match: Match, g: Guide | None = None) -> list[str]:
    """What to say about one item: the bin, a note; for a guess, the guess marked as one."""
    g = g or guide()
    item = match.item
    if item is None:
        subject = f"I am not sure about {match.said}." if match.said else "I am not sure about that item."
        return [subject, four_bins(g), CHECK_POSTER]
    bin_ = g.bins[item.bin]
    if not match.sure:
        return [f"I am not sure about {match.said or 'that'}. If it is like {item.name}, "
                f"{'it needs' if item.bin == 'large' else 'it goes in'} {bin_.spoken}.", CHECK_POSTER]
    subject, plural = item.name, item.is_plural
    if match.name and match.name.lower() != item.name.lower() and item.bin != "large":
        subject, plural = match.name, _looks_plural(match.name)  # "fish bones" rather than "small bones"
    if item.bin == "large":
        lines = [f"{_capital(subject)} {'do' if plural else 'does'} not go in the bins. "
                 "Please book a free pick-up at the Property Management Office."]
    else:
        lines = [f"{_capital(subject)} {'go' if plural else 'goes'} in {bin_.spoken}."]
    if item.note:
        lines.append(item.note)
    return lines


def four_bins(g: Guide | None = None) -> str:
    g = g or guide()
    b = g.bins
    return (f"There are four bins. Blue for recyclables, like {b['recyclable'].examples}. "
            f"Red for hazardous waste, like {b['hazardous'].examples}. "
            f"Brown for kitchen waste, like {b['kitchen'].examples}. "
            f"Grey for everything else that is dry, like {b['residual'].examples}. "
            "For furniture and old appliances, book a free pick-up at the Property Management Office.")


def describe_bin(key: str, g: Guide | None = None) -> str:
    g = g or guide()
    b = g.bins[key]
    if key == "large":
        return ("Large items, like furniture and old appliances, do not go in the bins. "
                "Please book a free pick-up at the Property Management Office.")
    return f"The {b.colour} bin is for {b.name}, like {b.examples}."


_BIN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recyclable", ("blue", "recyclable", "recyclables", "recycling", "recycle")),
    ("hazardous", ("red", "hazardous", "dangerous", "harmful", "toxic")),
    ("kitchen", ("brown", "kitchen waste", "wet waste", "wet rubbish", "wet garbage", "food waste")),
    ("residual", ("grey", "gray", "residual", "dry waste", "dry rubbish", "dry garbage", "other waste")),
    ("large", ("large items", "big items", "bulky")),
)
_WHEN = re.compile(r"\b(when|what time|which time|times|collect|collected|collection|pick up time|"
                   r"take (?:the )?(?:rubbish|garbage|trash|bins?) out|open|hours)\b", re.I)


def bin_asked_about(text: str) -> str | None:
    low = " ".join(_words(text))
    for key, words in _BIN_WORDS:
        if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words):
            return key
    return None


def asks_when(text: str) -> bool:
    return bool(_WHEN.search(text or ""))


def collection_times(g: Guide | None = None) -> list[str]:
    g = g or guide()
    return [g.station["place"], g.station["collection"], g.station["hazardous"]]
