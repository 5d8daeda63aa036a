"""Which bin? Look an item up in ``items.yml``; say clearly when the answer is only a near guess.

Pure functions over the data file, so they are tested without Rasa or the services. Answers are responses
(skill.yml, locale/zh-CN.yml) with their values: item and bin names come from ``items.yml`` in the
conversation's language; no sentence is written here.
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
CHECK_POSTER = "utter_garbage_check_poster"
Said = tuple[str, dict[str, Any]]
"""A response name and the values that fill it."""
FOUR_BINS: tuple[Said, ...] = (("utter_garbage_four_bins", {}), ("utter_garbage_four_bins_more", {}))
"""The four bins with examples: two responses, so each stays short enough to say in one go."""
COLLECTION_TIMES = ("utter_garbage_station_place", "utter_garbage_collection", "utter_garbage_hazardous_open")
SOURCE_LANGUAGE = "en"
_HAN = re.compile(r"[\u4e00-\u9fff]")
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
    """How the answer names it: "the blue bin for recyclables"."""
    languages: dict[str, dict[str, str]] = field(default_factory=dict)
    """The same in other languages: ``{"zh-CN": {"name": ..., "colour": ..., "spoken": ...}}``."""

    def spoken_in(self, language: str) -> str:
        return self.languages.get(language, {}).get("spoken") or self.spoken


@dataclass(frozen=True)
class Words:
    """An item in another language: how it is said back, the other words residents use, its note."""

    name: str
    names: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Item:
    name: str
    bin: str
    names: tuple[str, ...] = ()
    note: str | None = None
    plural: bool | None = None
    languages: dict[str, Words] = field(default_factory=dict)
    """The item in other languages (``zh-CN``)."""

    def note_in(self, language: str) -> str | None:
        words = self.languages.get(language)
        return words.note if words and words.note else self.note

    @property
    def is_plural(self) -> bool:
        if self.plural is not None:
            return self.plural
        return self.name.endswith("s") and not self.name.endswith("ss")


@dataclass(frozen=True)
class Guide:
    bins: dict[str, Bin]
    items: tuple[Item, ...]
    index: dict[tuple[str, ...], tuple[Item, str]] = field(default_factory=dict)
    """Normalised words of every name and synonym -> (item, that name as written); first one wins."""
    han_index: dict[str, Item] = field(default_factory=dict)
    """Every Chinese name and synonym -> its item, found inside the resident's words; first one wins."""


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
                     languages={lang: {k: str(v) for k, v in words.items()} for lang, words in b.items()
                                if isinstance(words, dict)})
            for key, b in data["bins"].items()}
    items: list[Item] = []
    index: dict[tuple[str, ...], tuple[Item, str]] = {}
    han_index: dict[str, Item] = {}
    for raw in data["items"]:
        if raw["bin"] not in bins:
            raise ValueError(f"{path}: item {raw['name']!r} names an unknown bin {raw['bin']!r}")
        languages = {lang: Words(name=str(w["name"]), names=tuple(str(n) for n in w.get("names") or ()),
                                 note=w.get("note"))
                     for lang, w in raw.items() if isinstance(w, dict)}
        item = Item(name=str(raw["name"]), bin=str(raw["bin"]),
                    names=tuple(str(n) for n in raw.get("names") or ()),
                    note=raw.get("note"), plural=raw.get("plural"), languages=languages)
        items.append(item)
        for words in languages.values():
            for name in (words.name, *words.names):
                if _HAN.search(name):
                    han_index.setdefault(_plain(name), item)
        for name in (item.name, *item.names):
            key = _stems(_words(name))
            if len(key) == 1 and key[0] in _STOPWORDS:
                continue  # "can" (from "cans") must not match "can I throw this away"
            if key and key not in index:
                index[key] = (item, name)
    return Guide(bins=bins, items=tuple(items), index=index, han_index=han_index)


def _plain(text: str) -> str:
    """NFKC (full-width letters and digits) and lower case, for finding Chinese names in words."""
    return unicodedata.normalize("NFKC", text or "").casefold()


@lru_cache(maxsize=1)
def guide() -> Guide:
    return load_guide()


def all_names(g: Guide | None = None, language: str = SOURCE_LANGUAGE) -> list[str]:
    """Every item name and synonym in ``language``, for the NLU lookup table."""
    g = g or guide()
    seen: dict[str, None] = {}
    for item in g.items:
        if language == SOURCE_LANGUAGE:
            names: tuple[str, ...] = (item.name, *item.names)
        else:
            words = item.languages.get(language)
            names = (words.name, *words.names) if words else ()
        for name in names:
            seen.setdefault(name.lower(), None)
    return list(seen)


def tidy_item(text: str) -> str:
    """The resident's words for an item, speakable: no symbols, no question words, short."""
    kept = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] not in ("S", "C") or ch == " ")
    kept = re.sub(r"[?!.;:？！。；：]+", " ", kept)
    kept = " ".join(kept.split())[:80]
    return kept.strip(" ,")


def find_item(text: str, g: Guide | None = None) -> Match:
    """The item a resident means. Known names inside the words win (the longest); else a near guess."""
    g = g or guide()
    said = tidy_item(text)
    if _HAN.search(text or ""):
        plain = _plain(text)
        found = [name for name in g.han_index if name in plain]
        if found:
            name = max(found, key=len)  # "鱼骨头" rather than "鱼"
            return Match(item=g.han_index[name], sure=True, said=said, name=name)
    words = _stems(_words(text))
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


_ZH_FILLERS = re.compile(r"那个|这个|请问|麻烦你|我想问|一下|怎么扔|扔哪|哪个桶|什么垃圾|是什么|旧的|"
                         r"[的了呢啊吧呀嗯吗]")


def has_content(text: str) -> bool:
    """Does the phrase name anything ("old" alone does not)?"""
    if _HAN.search(text or ""):
        return bool(_HAN.search(_ZH_FILLERS.sub("", text)))
    return any(w not in _STOPWORDS for w in _words(text))


def split_items(text: str) -> list[str]:
    """"batteries and a banana peel, and old newspapers" (or "电池、香蕉皮还有旧报纸") -> three items (at most)."""
    parts = re.split(r",|;|\band\b|\bplus\b|&|\balso\b|，|、|；|还有|和|跟", text or "", flags=re.I)
    return [p.strip() for p in parts if p.strip()][:3]


def _looks_plural(name: str) -> bool:
    last = name.split()[-1] if name.split() else ""
    return len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us"))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def answer_for(match: Match, g: Guide | None = None, language: str = SOURCE_LANGUAGE) -> list[Said]:
    """What to say about one item: the bin, a note; for a guess, the guess marked as one."""
    g = g or guide()
    item = match.item
    if item is None:
        first: Said = ("utter_garbage_not_sure", {"item": match.said}) if match.said else (
            "utter_garbage_not_sure_that", {})
        return [first, *FOUR_BINS, (CHECK_POSTER, {})]
    bin_ = g.bins[item.bin]
    words = item.languages.get(language)
    like = words.name if words else item.name
    if not match.sure:
        said = match.said or like
        if item.bin == "large":
            return [("utter_garbage_guess_large", {"item": said, "like": like}), (CHECK_POSTER, {})]
        return [("utter_garbage_guess", {"item": said, "like": like, "bin": bin_.spoken_in(language)}),
                (CHECK_POSTER, {})]
    subject, plural = item.name, item.is_plural
    if _HAN.search(match.name or ""):
        subject, plural = match.name, False  # the resident's own Chinese word ("鱼骨头")
    elif match.name and match.name.lower() != item.name.lower() and item.bin != "large":
        subject, plural = match.name, _looks_plural(match.name)  # "fish bones" rather than "small bones"
    # English needs "go"/"goes": the plural is a response of its own (the same words in Chinese)
    if item.bin == "large":
        lines: list[Said] = [("utter_garbage_large_plural" if plural else "utter_garbage_large",
                              {"item": _capital(subject)})]
    else:
        lines = [("utter_garbage_go_in" if plural else "utter_garbage_goes_in",
                  {"item": _capital(subject), "bin": bin_.spoken_in(language)})]
    note = item.note_in(language)
    if note:
        lines.append(("utter_garbage_note", {"note": note}))
    return lines


def describe_bin(key: str) -> Said:
    """A response about one bin: what goes in it, with examples."""
    return (f"utter_garbage_bin_{key}", {})


_BIN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recyclable", ("blue", "recyclable", "recyclables", "recycling", "recycle")),
    ("hazardous", ("red", "hazardous", "dangerous", "harmful", "toxic")),
    ("kitchen", ("brown", "kitchen waste", "wet waste", "wet rubbish", "wet garbage", "food waste")),
    ("residual", ("grey", "gray", "residual", "dry waste", "dry rubbish", "dry garbage", "other waste")),
    ("large", ("large items", "big items", "bulky")),
)
# the community's own names (可回收物、有害垃圾、湿垃圾/厨余垃圾、干垃圾/其他垃圾) and the bins' colours
_ZH_BIN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recyclable", ("蓝桶", "蓝色", "可回收")),
    ("hazardous", ("红桶", "红色", "有害", "有毒")),
    ("kitchen", ("棕桶", "棕色", "湿垃圾", "厨余", "厨房垃圾")),
    ("residual", ("灰桶", "灰色", "干垃圾", "其他垃圾", "其它垃圾")),
    ("large", ("大件",)),
)
_ZH_WHEN = re.compile(r"几点|什么时候|啥时候|哪个时间|时间|几时|开门|收垃圾|倒垃圾")
_WHEN = re.compile(r"\b(when|what time|which time|times|collect|collected|collection|pick up time|"
                   r"take (?:the )?(?:rubbish|garbage|trash|bins?) out|open|hours)\b", re.I)


def bin_asked_about(text: str) -> str | None:
    if _HAN.search(text or ""):
        plain = _plain(text)
        return next((key for key, words in _ZH_BIN_WORDS if any(w in plain for w in words)), None)
    low = " ".join(_words(text))
    for key, words in _BIN_WORDS:
        if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words):
            return key
    return None


def asks_when(text: str) -> bool:
    return bool(_WHEN.search(text or "") or _ZH_WHEN.search(text or ""))


def collection_times() -> list[Said]:
    """Where the station is, when rubbish is collected, and that the hazardous bin is always open."""
    return [(name, {}) for name in COLLECTION_TIMES]
