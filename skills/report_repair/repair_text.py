"""Understanding a repair report as residents say it: what is broken, where, and the description.

Pure functions (no services, no Rasa), so they can be tested directly. "Nothing usable" is ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.skill_runtime.parsing import spoken_digits
from assistant.skill_runtime.resident_text import tidy

PROBLEM_TYPES = ("plumbing", "electrical", "lift", "door_or_lock", "heating", "gas", "window", "other")
SPOKEN_PROBLEM = {
    "plumbing": "plumbing", "electrical": "electrical", "lift": "the lift", "door_or_lock": "a door or lock",
    "heating": "heating", "gas": "gas", "window": "a window", "other": "a repair",
}
BUILDINGS = range(1, 13)
FLOORS = range(1, 7)
MIN_DESCRIPTION = 3
MAX_DESCRIPTION = 1000
MAX_PLACE = 200

# Checked in this order; phrases before single words so "water heater" is plumbing, not heating.
_PROBLEM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gas", ("gas", "smell of gas", "gas smell", "gas stove", "gas cooker", "gas meter", "gas pipe",
             "煤气", "燃气")),
    ("lift", ("lift", "lifts", "elevator", "elevators", "电梯")),
    ("plumbing", ("plumbing", "plumber", "water heater", "hot water", "leak", "leaks", "leaking", "leaky",
                  "tap", "taps", "faucet", "pipe", "pipes", "water", "toilet", "toilets", "drain", "drains",
                  "blocked", "clogged", "sink", "basin", "shower", "bath", "bathtub", "flush", "sewage",
                  "dripping", "drips", "drip", "flood", "flooded", "overflowing", "burst", "漏水", "水管")),
    ("electrical", ("electrical", "electric", "electricity", "electrician", "power", "light", "lights",
                    "lamp", "lamps", "bulb", "bulbs", "socket", "sockets", "plug", "switch", "switches",
                    "fuse", "fuses", "wire", "wires", "wiring", "flicker", "flickers", "flickering",
                    "sparks", "outage", "doorbell", "intercom", "air conditioner", "aircon", "电")),
    ("heating", ("heating", "heater", "heaters", "radiator", "radiators", "floor heating", "too cold",
                 "no heat", "暖气")),
    ("window", ("window", "windows", "windowpane", "glass", "pane", "窗")),
    ("door_or_lock", ("door or lock", "door", "doors", "lock", "locks", "locked", "key", "keys", "handle",
                      "hinge", "gate", "门", "锁")),
)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower().replace("’", "'").replace("_", " ")


def _has(text: str, phrase: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", phrase):
        return phrase in text
    return re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text) is not None


def problem_type_in(text: str) -> str | None:
    """The problem type a sentence names, or ``None`` if no repair word is in it."""
    low = _norm(text)
    for value in PROBLEM_TYPES:
        if low.strip() == value.replace("_", " "):
            return value
    for value, words in _PROBLEM_WORDS:
        if any(_has(low, w) for w in words):
            return value
    return None


def normalise_problem_type(text: str) -> str | None:
    """One of :data:`PROBLEM_TYPES`; any other real answer is ``other``. ``None`` for no answer at all."""
    found = problem_type_in(text)
    if found:
        return found
    cleaned = tidy(text)
    # at least one letter: "the thing in the corridor" is a real (other) answer, "?!" is not
    return "other" if re.search(r"[^\W\d_]", cleaned) else None


# --- places -------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
    "十一": 11, "十二": 12,
}
_NUM = r"(\d{1,3}|" + "|".join(sorted((k for k in _NUMBER_WORDS if k.isascii()), key=len, reverse=True)) + r")"
_BUILDING = re.compile(rf"\b(?:building|bldg|block|blk|tower)\s*(?:no\.?|number|#)?\s*{_NUM}\b", re.I)
_BUILDING_ZH = re.compile(r"(\d{1,2}|十[一二]?|[一二两三四五六七八九])\s*(?:号楼|栋|幢)")
_FLAT = re.compile(r"\b(?:flat|room|apartment|apt|unit)\s*(?:no\.?|number|#)?\s*"
                   r"((?:\d|zero|oh|o|one|two|three|four|five|six|seven|eight|nine|double|triple|\s|-)+)", re.I)
_FLAT_ZH = re.compile(r"(\d{3,4})\s*(?:室|号)?")
_SHORT = re.compile(r"^\s*(\d{1,2})\s*[-/–—.]\s*(\d{3,4})\s*$")
_SHORT_IN_TEXT = re.compile(r"(?<!\d)(\d{1,2})\s*[-/–—]\s*(\d{3,4})(?!\d)")

PUBLIC_AREAS: dict[str, str] = {
    # spoken/typed form -> how it is written on the ticket
    "central garden": "the Central Garden", "garden": "the Central Garden", "square": "the Central Garden square",
    "pavilion": "the pavilion in the Central Garden", "fitness corner": "the Fitness Corner",
    "north gate": "the North Gate", "south gate": "the South Gate", "main gate": "the North Gate",
    "garden lane": "Garden Lane", "service centre": "the Community Service Centre",
    "service center": "the Community Service Centre", "library": "the Library", "reading room": "the Library",
    "clinic": "the Community Clinic", "garbage station": "the Garbage Station",
    "rubbish station": "the Garbage Station", "parcel lockers": "the Parcel Lockers",
    "lockers": "the Parcel Lockers", "canteen": "the Community Canteen for Seniors",
    "police office": "the Community Police Office", "activity room": "the Elderly Activity Room",
    "property office": "the Property Management Office", "car park": "the car park", "parking": "the car park",
    "bicycle shed": "the bicycle shed", "bike shed": "the bicycle shed", "charging shed": "the charging shed",
    "playground": "the playground", "path": "a path", "road": "the road", "street lamp": "a street lamp",
    "lawn": "the lawn", "benches": "the benches", "bench": "a bench",
}
_AREA_IN_BUILDING = ("lift", "elevator", "stairs", "stairwell", "staircase", "corridor", "hallway", "hall",
                     "entrance", "lobby", "roof", "basement", "landing", "intercom", "front door", "doorway",
                     "mailboxes", "letterboxes", "outside", "in front of", "behind", "next to", "near")
_AREA_NOUNS = ("lift", "elevator", "stairwell", "staircase", "stairs", "stair", "corridor", "hallway", "entrance",
               "lobby", "roof", "basement", "front door", "intercom", "mailboxes", "letterboxes")


@dataclass(frozen=True)
class PlaceResult:
    place: str | None
    """What goes on the ticket, or ``None`` if the answer cannot be used."""
    problem: str | None = None
    """Why it cannot be used, as a sentence for the resident (with an example)."""


def _number(token: str) -> int | None:
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token)


def _flat_number(fragment: str) -> str | None:
    digits = spoken_digits(fragment)
    return digits if 3 <= len(digits) <= 4 else None


def _check_flat(building: int, flat: str) -> PlaceResult:
    if building not in BUILDINGS:
        return PlaceResult(None, f"There are only Buildings 1 to 12 here, so I could not use Building {building}. "
                                 "Please say it again, for example Building 5, flat 302.")
    floor = int(flat[:-2]) if len(flat) >= 3 else 0
    if floor not in FLOORS:
        return PlaceResult(None, f"Flat {flat} does not sound right: the buildings have six floors. "
                                 "Please say it again, for example Building 5, flat 302.")
    return PlaceResult(f"Building {building}, flat {flat}")


def _building_and_flat(low: str) -> tuple[int | None, str | None]:
    short = _SHORT.match(low) or _SHORT_IN_TEXT.search(low)
    if short:
        return int(short.group(1)), short.group(2)
    building: int | None = None
    rest = low
    match = _BUILDING.search(low) or _BUILDING_ZH.search(low)
    if match:
        building = _number(match.group(1))
        rest = low[match.end():]
    for flat_match in _FLAT.finditer(low):
        flat = _flat_number(flat_match.group(1))
        if flat:
            return building, flat
    if building is not None:
        zh_flat = _FLAT_ZH.search(rest)
        if zh_flat and re.search(r"[\u4e00-\u9fff]", low):
            return building, zh_flat.group(1)
        # "Building five, three oh two": a bare number right after the building
        if len(re.findall(r"\w+", rest)) <= 6:
            flat = _flat_number(rest)
            if flat:
                return building, flat
    return building, None


def parse_place(text: str | None) -> PlaceResult:
    """A flat ("Building 5, flat 302", "5-302") or a public area ("the lift in Building 3")."""
    raw = tidy(text)[:MAX_PLACE]
    ask = ("Please tell me the building and flat, for example Building 5, flat 302, "
           "or a place like the Central Garden.")
    if not raw:
        return PlaceResult(None, ask)
    low = _norm(raw)

    building, flat = _building_and_flat(low)
    if building is not None and flat is not None:
        return _check_flat(building, flat)
    if flat is not None and building is None:
        return PlaceResult(None, f"Which building is flat {flat} in? Please say, for example, "
                                 f"Building 5, flat {flat}.")
    if building is not None:
        if building not in BUILDINGS:
            return PlaceResult(None, f"There are only Buildings 1 to 12 here, so I could not use Building "
                                     f"{building}. Please say it again, for example the lift in Building 3.")
        # A public part of a building ("the lift in Building 3") or just the building.
        if any(_has(low, w) for w in _AREA_IN_BUILDING):
            return PlaceResult(_capitalise_buildings(raw))
        return PlaceResult(f"Building {building}")
    for spoken, written in sorted(PUBLIC_AREAS.items(), key=lambda kv: -len(kv[0])):
        if _has(low, spoken):
            words = re.findall(r"\w+", low)
            area_words = len(spoken.split())
            # "the Central Garden" -> the canonical name; "the bench near the pavilion" -> their words
            if len(words) <= area_words + 2:
                return PlaceResult(written)
            return PlaceResult(_capitalise_buildings(raw))
    return PlaceResult(None, ask)


def _capitalise_buildings(text: str) -> str:
    return re.sub(r"\bbuilding\b", "Building", text, flags=re.I)


# --- the first sentence of a report ------------------------------------------------------------

_LEAD_INS = re.compile(
    r"^(?:(?:hello|hi|excuse me|sorry|um+|uh+|er+|erm|well|so|oh|please|yes|dear)\b[\s,.!]*)+", re.I)
_GENERIC = re.compile(
    r"^(?:i\s+(?:would\s+like|want|need|have)\s+to\s+)?(?:report|make|ask\s+for|request|book|get)?\s*"
    r"(?:a|an|some)?\s*(?:repair|repairs|problem|fault|repairman|repair\s+man|worker)s?\b", re.I)


def description_from_first_sentence(text: str | None) -> str | None:
    """Use the sentence that started the report as its description when it says what is wrong.

    "my kitchen tap is leaking" is a description; "I need to report a repair" is not.
    """
    raw = tidy(text)
    if not raw or raw.startswith("/"):
        return None
    body = _LEAD_INS.sub("", raw).strip()
    if _GENERIC.match(body) and problem_type_in(_GENERIC.sub("", body)) is None:
        return None
    if problem_type_in(body) is None:
        return None
    if len(re.findall(r"[^\W_]+", body)) < 3:
        return None
    return body[:MAX_DESCRIPTION]


def place_from_first_sentence(text: str | None) -> str | None:
    """A place named clearly in the first sentence ("the lift in Building 3 is broken"), else ``None``."""
    raw = tidy(text)
    if not raw or raw.startswith("/"):
        return None
    result = parse_place(raw)
    if result.place is None:
        return None
    low = _norm(raw)
    building, flat = _building_and_flat(low)
    if building is None:
        return None  # "garden" in "my garden hose" is not a place; only buildings and flats are clear
    if flat is not None:
        return result.place
    area = next((w for w in _AREA_NOUNS if _has(low, w)), None)
    return f"the {area} in Building {building}" if area else f"Building {building}"
