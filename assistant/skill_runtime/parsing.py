"""Understanding days, times, phone numbers and references the way residents say them.

Everything here returns ``None`` when nothing usable is found: "nothing matched" is a normal result and
the form asks again with an example. Spoken digits ("one three eight ...") are accepted because the
voice terminal passes recognised words, not digits.

Mandarin is read by :mod:`.parsing_zh`: when the words hold Chinese characters (numerals included) each
function here asks it first, and falls back to the English reading for what it did not find ("明天 9.30").
Full-width digits and letters (１３８, ＲＡ) are made plain (NFKC) in both languages, so callers never need
to know which language the resident spoke.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from . import parsing_zh

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES = {name[:3]: i for i, name in enumerate(WEEKDAYS)} | {
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "八": "8", "九": "9",
}
_MULTIPLIERS = {"double": 2, "triple": 3}
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty-five": 45, "fifty": 50,
}

_PAST_TO = {"half": 30, "quarter": 15, "five": 5, "ten": 10, "twenty": 20, "twenty-five": 25}


def _plain(text: object) -> str:
    """``text`` as a string with full-width forms made plain; Chinese numbers written in digits ("三百零五" →
    "305", "幺三八" → "138"), so the readers below count them the same as typed digits."""
    if text is None:
        return ""
    if parsing_zh.has_chinese(text):
        return parsing_zh.zh_arabic(str(text))
    return unicodedata.normalize("NFKC", str(text))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+|[\u4e00-\u9fff]", text.lower())


def spoken_digits(text: str) -> str:
    """All digits in ``text``, with spoken digit words turned into digits ("double three" → "33")."""
    out: list[str] = []
    repeat = 1
    for token in re.findall(r"[a-z]+|[0-9]|[\u4e00-\u9fff]", _plain(text).lower()):
        if token in _MULTIPLIERS:
            repeat = _MULTIPLIERS[token]
            continue
        digit = token if token.isdigit() else _DIGIT_WORDS.get(token)
        if digit is not None:
            out.append(digit * repeat)
        repeat = 1
    return "".join(out)


def parse_phone(text: str) -> str | None:
    """A Chinese mobile (11 digits starting with 1) or a 7–8 digit landline, else ``None``."""
    digits = spoken_digits(text)
    if len(digits) > 11 and digits.lstrip("0").startswith("1"):
        digits = digits.lstrip("0")  # "oh, my number is 138..." — the "oh" was not a digit
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if len(digits) in (7, 8) and not digits.startswith("0"):
        return digits
    return None


def mask_phone(phone: str) -> str:
    """Read back only the last four digits: the resident recognises them, a passer-by learns little."""
    return f"ending in {' '.join(phone[-4:])}" if len(phone) >= 4 else "on file"


REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""The characters of a random reference after its letter (the office's ``api/references.py``): no 0/O/1/I."""
REFERENCE_LENGTH = 8
_LETTER_NAMES = {
    "ay": "A", "bee": "B", "cee": "C", "see": "C", "sea": "C", "dee": "D", "ee": "E", "ef": "F", "eff": "F",
    "gee": "G", "aitch": "H", "haitch": "H", "jay": "J", "kay": "K", "el": "L", "ell": "L", "em": "M", "en": "N",
    "pee": "P", "cue": "Q", "queue": "Q", "ar": "R", "are": "R", "es": "S", "ess": "S", "tee": "T", "tea": "T",
    "you": "U", "vee": "V", "ex": "X", "why": "Y", "zed": "Z", "zee": "Z",
}
"""Letters as the voice terminal writes them when a resident spells a reference ("R seven kay three ...")."""
_CODE_RUN = re.compile(rf"[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}")


def _spelled(text: str, prefix: str) -> list[str]:
    """``text`` as the characters a resident spelled: each is one character, ``" "`` separates runs.

    Digits and digit words ("double three"), single letters, letter names ("kay") and chunks mixing letters
    and digits ("7K3M") are characters; any other word ends a run.
    """
    out: list[str] = []
    repeat = 1
    for chunk in re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", text.lower()):
        if chunk in _MULTIPLIERS:
            repeat = _MULTIPLIERS[chunk]
            continue
        if repeat == 2 and chunk in ("you", "u"):  # "double you": W
            chars, repeat = ["W"], 1
        elif any(c.isdigit() for c in chunk) or (  # typed "RTDGVQWLL": about one code in ten has no digit
                len(chunk) == REFERENCE_LENGTH + 1 and chunk.upper().startswith(prefix)
                and all(c in REFERENCE_ALPHABET for c in chunk.upper())):
            chars = [c.upper() for c in chunk]
        elif chunk in _DIGIT_WORDS:
            chars = [_DIGIT_WORDS[chunk]]
        elif len(chunk) == 1 and chunk.isascii():
            chars = [chunk.upper()]
        elif chunk in _LETTER_NAMES:
            chars = [_LETTER_NAMES[chunk]]
        else:
            out.append(" ")
            repeat = 1
            continue
        out.extend(chars[:1] * repeat + chars[1:])
        repeat = 1
    return out


def parse_reference(text: str, prefix: str, *, explicit: bool = False) -> str | None:
    """A reference from the resident's words: a random one like ``R7K3M9P2X`` (said "R 7K3M 9P2X", "r seven kay
    three em nine pee two ex", or without the letter) or an older sequential one like ``R1001`` ("r 1001",
    "ticket one zero zero one", "number 1001"). ``explicit``: only a reference said with its letter (for the
    first sentence of a request, where other numbers may be a date or a time)."""
    prefix = prefix.upper()
    text = _plain(text)
    chars = _spelled(text, prefix)
    runs = "".join(chars).split(" ")
    for run in runs:
        at = run.find(prefix)
        while at != -1:
            after = run[at + 1:]
            code = after[:REFERENCE_LENGTH]
            if _CODE_RUN.fullmatch(code):
                return prefix + code
            old = re.match(r"\d{3,6}(?!\d)", after)
            if old:
                return prefix + old.group()
            at = run.find(prefix, at + 1)
    if explicit:
        return None
    for run in runs:  # the code said without its letter: letters and digits mixed, exactly 8 of them
        if _CODE_RUN.fullmatch(run) and _mixed(run):
            return prefix + run
    if any(_mixed(run.removeprefix(prefix)) for run in runs):
        return None  # a random reference misheard or cut short: not the digits in it
    digits = spoken_digits(text)
    if 3 <= len(digits) <= 6:
        return f"{prefix}{digits}"
    return None


def _mixed(run: str) -> bool:
    return any(c.isdigit() for c in run) and any(c.isalpha() for c in run)


def _next_weekday(today: date, weekday: int, *, allow_today: bool) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not allow_today:
        ahead = 7
    return today + timedelta(days=ahead)


def parse_day(text: str, today: date) -> date | None:
    """The day a resident means: today, tomorrow, a weekday, "the 25th", "25 November", 2026-11-25; in
    Mandarin 今天, 明天, 下礼拜三, 十二月五号, 5号 (:func:`.parsing_zh.zh_day`)."""
    if parsing_zh.has_chinese(text):
        said = parsing_zh.zh_day(text, today)
        if said is not None:
            return said
    low = unicodedata.normalize("NFKC", str(text or "")).lower().strip()
    if not low:
        return None
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", low)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    if "day after tomorrow" in low:
        return today + timedelta(days=2)
    if "tomorrow" in low:
        return today + timedelta(days=1)
    if re.search(r"\btoday\b|\bthis (morning|afternoon)\b", low):
        return today
    words = _words(low)
    for i, word in enumerate(words):
        weekday = WEEKDAYS.index(word) if word in WEEKDAYS else _WEEKDAY_ALIASES.get(word)
        if weekday is None:
            continue
        day = _next_weekday(today, weekday, allow_today=True)
        if i > 0 and words[i - 1] == "next" and day == today:
            day += timedelta(days=7)
        return day
    return _parse_day_of_month(low, today)


def _parse_day_of_month(low: str, today: date) -> date | None:
    month: int | None = None
    for i, name in enumerate(MONTHS):
        short = "sept|sep" if name == "september" else name[:3]
        not_verb = r"(?!\s+(?:i|we|you|my|me)\b)" if name == "may" else ""  # "may I book..." is not May
        if re.search(rf"\b(?:{name}|{short})\b{not_verb}", low):
            month = i + 1
            break
    # "the 25th" beats the other numbers of "room 3 at 9:30 on the 25th"; a bare number only with a month
    match = (re.search(r"\b(\d{1,2})(?:st|nd|rd|th)\b", low) or re.search(r"\bthe (\d{1,2})\b(?![:.]\d)", low)
             or (re.search(r"(?<![:.])\b(\d{1,2})\b(?![:.]\d)", low) if month is not None else None))
    if not match:
        return None
    day_num = int(match.group(1))
    candidates: list[date] = []
    for offset in range(0, 13):
        year = today.year + (today.month - 1 + offset) // 12
        m = (today.month - 1 + offset) % 12 + 1
        if month is not None and m != month:
            continue
        try:
            candidate = date(year, m, day_num)
        except ValueError:
            continue
        if candidate >= today:
            candidates.append(candidate)
    return candidates[0] if candidates else None


def parse_clock_time(text: str) -> time | None:
    """A time of day: "9:20", "9.20", "2 pm", "half past nine", "ten to three", "nine twenty", "14:00"; in
    Mandarin 下午两点半, 早上九点一刻, 两点四十五 (:func:`.parsing_zh.zh_clock_time`)."""
    if parsing_zh.has_chinese(text):
        said = parsing_zh.zh_clock_time(text)
        if said is not None:
            return said
    low = unicodedata.normalize("NFKC", str(text or "")).lower()
    pm = bool(re.search(r"(?<![a-z])(?:pm|p\.m\.)(?![a-z])|\b(?:afternoon|evening)\b", low))
    am = bool(re.search(r"(?<![a-z])(?<!\bi )(?:am|a\.m\.)(?![a-z])|\bmorning\b", low))
    match = re.search(r"\b(\d{1,2})[:.](\d{2})\b", low)
    hour: int | None = None
    minute = 0
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
    else:
        rel = re.search(r"\b(half|quarter|five|ten|twenty|twenty-five)\s+(?:minutes\s+)?(past|to)\s+(\w+)\b", low)
        plain = re.search(r"\b(\d{1,2})\s*(?:o'?clock|am|pm|a\.m\.|p\.m\.)", low)
        words = re.search(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
                          r"(?:\s+(fifteen|twenty|thirty|forty-five|forty|fifty|o'?clock))?\b", low)
        if rel:
            mins, base = _PAST_TO[rel.group(1)], _word_number(rel.group(3))
            if base is not None:
                hour, minute = (base, mins) if rel.group(2) == "past" else ((base - 2) % 12 + 1, 60 - mins)
        elif plain:
            hour = int(plain.group(1))
        elif words:
            hour = _NUMBER_WORDS[words.group(1)]
            tail = words.group(2)
            minute = _NUMBER_WORDS.get(tail, 0) if tail else 0
    if hour is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    elif not am and not pm and 1 <= hour <= 6:
        hour += 12  # "at three" at a clinic or event means the afternoon
    return time(hour, minute)


def _word_number(word: str) -> int | None:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word)


def spoken_time(value: time | datetime) -> str:
    """``9:20 am``: short and unambiguous when spoken."""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}:{value.minute:02d} {suffix}" if value.minute else f"{hour} {suffix}"


def spoken_day(value: date, today: date) -> str:
    """"today", "tomorrow, Tuesday 24 November" or "Thursday 26 November"."""
    label = f"{value.strftime('%A')} {value.day} {value.strftime('%B')}"
    if value == today:
        return f"today, {label}"
    if value == today + timedelta(days=1):
        return f"tomorrow, {label}"
    return label


_ZH_LAST = {"and": "和", "or": "或者"}
"""The word before a Chinese list's last item: the list's grammar, as the commas are."""


def spoken_list(items: list[str], last: str = "and") -> str:
    """"A, B and C" (or "A, B or C"): how a list is said aloud; Chinese items as "甲、乙和丙" ("甲、乙或者丙")."""
    if len(items) <= 1:
        return "".join(items)
    if any(parsing_zh.has_chinese(item) for item in items):
        return "、".join(items[:-1]) + _ZH_LAST.get(last, last) + items[-1]
    return ", ".join(items[:-1]) + f" {last} " + items[-1]
