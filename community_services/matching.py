"""Find the thing a resident means from a short spoken or typed phrase.

Used for facilities, clinic departments and events. Each candidate has *terms* (its name, Chinese
name and aliases). Two passes:

1. **Phrase match.** A term whose words appear together in the query ("the clinic please" contains
   "clinic"); Chinese terms match as substrings ("图书室在哪里" contains "图书室"). The match that
   starts earliest wins (the thing asked about usually comes first: "the lockers by the south gate"),
   then the longest.
2. **Word overlap.** Otherwise the candidate sharing the rarest words with the query wins; words may
   be slightly misspelt ("libary"), Chinese text is compared by pairs of characters.

Numbers may be spoken as words ("building three"). Nothing matched is a normal result (``None``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import TypeVar

T = TypeVar("T")

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}  # fmt: skip
_NUMBER_FILLERS = {"no", "number", "num", "nr"}
_STOPWORD_TEXT = """a an the to of and or in on at by for from with is are was be it its this that these those there
    where which what when how who i im me my we our you your can could would will please tell show find
    get go going take want need like looking look way near next nearest some any about do does did
    open opening hours hour time today tomorrow now here thank thanks hello hi ok okay sorry"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DIGIT_LIKE = frozenset("0123456789零〇一二两三四五六七八九十百")
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}  # fmt: skip
_ZH_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
_FUZZY_CUTOFF = 0.8


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch if ch.isalnum() else " " for ch in text)


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Normalised words of ``text``: lower case, no punctuation, numbers as digits, no plural -s."""
    raw = [_NUMBER_WORDS.get(w, w) for w in _normalize(text).split()]
    out: list[str] = []
    for i, word in enumerate(raw):
        if word in _NUMBER_FILLERS and i + 1 < len(raw) and raw[i + 1].isdigit():
            continue  # "building no. 3" -> "building 3"
        out.append(_stem(word))
    return out


def _has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _compact(text: str) -> str:
    return "".join(_normalize(text).split())


def _find_cjk(haystack: str, needle: str) -> int:
    """Index of ``needle`` in ``haystack`` not glued to other digits ("3号楼" is not in "13号楼")."""
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        before_ok = start == 0 or not (needle[0] in _DIGIT_LIKE and haystack[start - 1] in _DIGIT_LIKE)
        after_ok = end == len(haystack) or not (needle[-1] in _DIGIT_LIKE and haystack[end] in _DIGIT_LIKE)
        if before_ok and after_ok:
            return start
        start = haystack.find(needle, start + 1)
    return -1


def _find_words(haystack: list[str], needle: list[str]) -> int:
    n = len(needle)
    for i in range(len(haystack) - n + 1):
        if haystack[i : i + n] == needle:
            return i
    return -1


def _zh_number(text: str) -> int | None:
    """``"三"`` -> 3, ``"十二"`` -> 12, ``"二十一"`` -> 21; ``None`` for anything longer."""
    if "十" not in text:
        return _ZH_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)


def numbers(text: str) -> set[int]:
    """Numbers mentioned in ``text``, in digits, English words or Chinese numerals."""
    found = {int(w) for w in words(text) if w.isdigit()}
    for run in _ZH_NUMBER.findall(unicodedata.normalize("NFKC", text)):
        value = _zh_number(run)
        if value is not None:
            found.add(value)
    return found


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text if _CJK.match(ch)]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def _vocabulary(terms: Sequence[str]) -> set[str]:
    vocab: set[str] = set()
    for term in terms:
        vocab.update(w for w in words(term) if w not in _STOPWORDS)
        vocab.update(_bigrams(_compact(term)))
    return vocab


def _phrase_score(query: str, terms: Sequence[str]) -> tuple[float, float] | None:
    """(earliness, length) of the best phrase match, bigger is better; ``None`` if no term matches."""
    query_words = words(query)
    query_compact = _compact(query)
    best: tuple[float, float] | None = None
    for term in terms:
        if _has_cjk(term):
            needle = _compact(term)
            pos = _find_cjk(query_compact, needle) if needle else -1
            # position in characters; scale so a Chinese match competes fairly with word positions
            score = (-pos / 2.0, 2.0 * len(needle)) if pos >= 0 else None
        else:
            needle_words = words(term)
            pos = _find_words(query_words, needle_words) if needle_words else -1
            score = (-float(pos), float(len(" ".join(needle_words)))) if pos >= 0 else None
        if score is not None and (best is None or score > best):
            best = score
    return best


def _similar(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) < 4 or len(b) < 4 or a.isdigit() or b.isdigit():
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= _FUZZY_CUTOFF else 0.0


def best_match(query: str, candidates: Sequence[tuple[T, Sequence[str]]]) -> T | None:
    """The candidate whose terms best match ``query``; ties go to the earlier candidate."""
    if not _normalize(query).strip():
        return None

    best_item: T | None = None
    best_phrase: tuple[float, float] | None = None
    for item, terms in candidates:
        phrase = _phrase_score(query, terms)
        if phrase is not None and (best_phrase is None or phrase > best_phrase):
            best_item, best_phrase = item, phrase
    if best_item is not None:
        return best_item

    # Word overlap. A candidate named with numbers ("Building 3") is out if the query names others.
    asked_numbers = numbers(query)
    vocabularies: list[set[str]] = []
    for _, terms in candidates:
        own_numbers = set().union(*(numbers(term) for term in terms)) if terms else set()
        excluded = bool(asked_numbers and own_numbers and not asked_numbers & own_numbers)
        vocabularies.append(set() if excluded else _vocabulary(terms))
    frequency: dict[str, int] = {}
    for vocab in vocabularies:
        for word in vocab:
            frequency[word] = frequency.get(word, 0) + 1
    total = len(candidates)
    query_tokens = {w for w in words(query) if w not in _STOPWORDS} | _bigrams(_compact(query))

    # at least one distinctive word must match: "building" alone names none of twelve buildings
    distinctive = max(1.0, total / 4)
    best_score = 0.0
    for (item, _), vocab in zip(candidates, vocabularies, strict=True):
        score = 0.0
        specific = False
        for token in query_tokens:
            matches = [(_similar(token, word), word) for word in vocab]
            similarity, word = max(matches, default=(0.0, ""))
            if similarity > 0:
                score += similarity * math.log(1.0 + total / frequency[word])
                specific = specific or frequency[word] <= distinctive
        if specific and score > best_score + 1e-9:  # strictly better: ties keep the earlier candidate
            best_item, best_score = item, score
    return best_item
