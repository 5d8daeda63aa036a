"""Understanding a repair report as residents say it: what is broken, where, and the description.

Pure functions (no services, no Rasa), so they can be tested directly. "Nothing usable" is ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.skill_runtime import parsing_zh
from assistant.skill_runtime.parsing import spoken_digits
from assistant.skill_runtime.resident_text import tidy

PROBLEM_TYPES = ("plumbing", "electrical", "lift", "door_or_lock", "heating", "gas", "window", "other")
WORDS_FILE = Path(__file__).with_name("repair_words.yml")
"""How problem types and places are said in each language when the report is read back (data)."""
BUILDINGS = range(1, 13)
FLOORS = range(1, 7)
MIN_DESCRIPTION = 3
MAX_DESCRIPTION = 1000
MAX_PLACE = 200

# Checked in this order; phrases before single words so "water heater" is plumbing, not heating.
_PROBLEM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gas", ("gas", "smell of gas", "gas smell", "gas stove", "gas cooker", "gas meter", "gas pipe",
             "煤气", "燃气", "天然气", "液化气")),
    ("lift", ("lift", "lifts", "elevator", "elevators", "电梯")),
    ("plumbing", ("plumbing", "plumber", "water heater", "hot water", "leak", "leaks", "leaking", "leaky",
                  "tap", "taps", "faucet", "pipe", "pipes", "water", "toilet", "toilets", "drain", "drains",
                  "blocked", "clogged", "sink", "basin", "shower", "bath", "bathtub", "flush", "sewage",
                  "dripping", "drips", "drip", "flood", "flooded", "overflowing", "burst", "漏水", "水管",
                  "水龙头", "龙头", "马桶", "下水", "堵", "渗水", "滴水", "热水器", "没水", "水池", "淋浴",
                  "花洒", "地漏", "冒水")),
    ("electrical", ("electrical", "electric", "electricity", "electrician", "power", "light", "lights",
                    "lamp", "lamps", "bulb", "bulbs", "socket", "sockets", "plug", "switch", "switches",
                    "fuse", "fuses", "wire", "wires", "wiring", "flicker", "flickers", "flickering",
                    "sparks", "outage", "doorbell", "intercom", "air conditioner", "aircon", "电", "灯", "插座",
                    "开关", "跳闸", "保险丝", "空调", "门铃", "对讲")),
    ("heating", ("heating", "heater", "heaters", "radiator", "radiators", "floor heating", "too cold",
                 "no heat", "暖气", "地暖", "不热")),
    ("window", ("window", "windows", "windowpane", "glass", "pane", "窗", "玻璃")),
    ("door_or_lock", ("door or lock", "door", "doors", "lock", "locks", "locked", "key", "keys", "handle",
                      "hinge", "gate", "门", "锁", "钥匙", "把手")),
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
_BUILDING_ZH = re.compile(r"(\d{1,2}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九])"
                          r"\s*(?:号楼|栋|幢)")
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
    # the community's own Chinese names (community_services/content/zh-CN.yml) -> the same ticket text
    "中心花园": "the Central Garden", "花园": "the Central Garden", "广场": "the Central Garden square",
    "亭子": "the pavilion in the Central Garden", "健身角": "the Fitness Corner", "北门": "the North Gate",
    "南门": "the South Gate", "大门": "the North Gate", "花园路": "Garden Lane",
    "社区服务中心": "the Community Service Centre", "服务中心": "the Community Service Centre",
    "图书室": "the Library", "阅览室": "the Library", "卫生服务站": "the Community Clinic",
    "卫生站": "the Community Clinic", "垃圾分类站": "the Garbage Station", "垃圾站": "the Garbage Station",
    "快递柜": "the Parcel Lockers", "长者食堂": "the Community Canteen for Seniors", "食堂": "the Community "
    "Canteen for Seniors", "警务室": "the Community Police Office", "老年活动室": "the Elderly Activity Room",
    "活动室": "the Elderly Activity Room", "物业办公室": "the Property Management Office",
    "物业": "the Property Management Office", "停车场": "the car park", "自行车棚": "the bicycle shed",
    "车棚": "the bicycle shed", "充电棚": "the charging shed", "儿童乐园": "the playground", "路灯": "a street lamp",
    "草坪": "the lawn", "长椅": "a bench",
}
_AREA_IN_BUILDING = ("lift", "elevator", "stairs", "stairwell", "staircase", "corridor", "hallway", "hall",
                     "entrance", "lobby", "roof", "basement", "landing", "intercom", "front door", "doorway",
                     "mailboxes", "letterboxes", "outside", "in front of", "behind", "next to", "near",
                     "电梯", "楼道", "楼梯", "走廊", "门口", "单元门", "大厅", "楼顶", "天台", "地下室", "对讲",
                     "信箱", "前面", "后面", "旁边", "边上")
_AREA_NOUNS = ("lift", "elevator", "stairwell", "staircase", "stairs", "stair", "corridor", "hallway", "entrance",
               "lobby", "roof", "basement", "front door", "intercom", "mailboxes", "letterboxes",
               "电梯", "楼道", "楼梯", "走廊", "单元门", "大厅", "楼顶", "天台", "地下室", "对讲", "信箱")
_ZH_AREAS = {"电梯": "lift", "楼道": "stairwell", "楼梯": "stairs", "走廊": "corridor", "单元门": "front door",
             "大厅": "lobby", "楼顶": "roof", "天台": "roof", "地下室": "basement", "对讲": "intercom",
             "信箱": "mailboxes"}
"""A part of a building said in Chinese -> the same ticket text as in English ("the lift in Building 3")."""


@dataclass(frozen=True)
class PlaceResult:
    place: str | None
    """What goes on the ticket, or ``None`` if the answer cannot be used."""
    problem: str | None = None
    """Why it cannot be used: the name of a response (skill.yml) that says so, with an example."""
    values: dict[str, Any] = field(default_factory=dict)
    """What fills the response's placeholders (``building``, ``flat``)."""


PLACE_ASK = "utter_repair_place_ask"
NO_SUCH_BUILDING = "utter_repair_no_such_building"
NO_SUCH_FLOOR = "utter_repair_no_such_floor"
WHICH_BUILDING = "utter_repair_which_building"


def _number(token: str) -> int | None:
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    if "十" in token:  # 十五 -> 15, 二十 -> 20 (a number said as a word, 三号楼 -> Building 3)
        tens, _, ones = token.partition("十")
        return _NUMBER_WORDS.get(tens, 1) * 10 + _NUMBER_WORDS.get(ones, 0)
    return _NUMBER_WORDS.get(token)


def _flat_number(fragment: str) -> str | None:
    digits = spoken_digits(fragment)
    return digits if 3 <= len(digits) <= 4 else None


def _check_flat(building: int, flat: str) -> PlaceResult:
    if building not in BUILDINGS:
        return PlaceResult(None, NO_SUCH_BUILDING, {"building": building})
    floor = int(flat[:-2]) if len(flat) >= 3 else 0
    if floor not in FLOORS:
        return PlaceResult(None, NO_SUCH_FLOOR, {"flat": flat})
    return PlaceResult(f"Building {building}, flat {flat}")


def _building_and_flat(low: str) -> tuple[int | None, str | None]:
    if parsing_zh.has_chinese(low):
        said_building, said_flat = parsing_zh.zh_building_and_flat(low)  # 三号楼三单元五零二, 五楼二号
        if said_building is not None or said_flat is not None:
            return said_building, said_flat
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
    if not raw:
        return PlaceResult(None, PLACE_ASK)
    low = _norm(raw)

    building, flat = _building_and_flat(low)
    if building is not None and flat is not None:
        return _check_flat(building, flat)
    if flat is not None and building is None:
        return PlaceResult(None, WHICH_BUILDING, {"flat": flat})
    if building is not None:
        if building not in BUILDINGS:
            return PlaceResult(None, NO_SUCH_BUILDING, {"building": building})
        # A public part of a building ("the lift in Building 3") or just the building.
        if any(_has(low, w) for w in _AREA_IN_BUILDING):
            return PlaceResult(_capitalise_buildings(raw))
        return PlaceResult(f"Building {building}")
    for spoken, written in sorted(PUBLIC_AREAS.items(), key=lambda kv: -len(kv[0])):
        if _has(low, spoken):
            if _HAN.search(spoken):
                # "中心花园" / "在中心花园那儿" -> the canonical name; "花园里靠亭子那张椅子" -> their words
                rest = re.sub(r"[在的那儿这边里呢啊呀吧，。,.!！?？\s]", "", low.replace(spoken, "", 1))
                return PlaceResult(written if len(rest) <= 2 else raw)
            words = re.findall(r"\w+", low)
            area_words = len(spoken.split())
            # "the Central Garden" -> the canonical name; "the bench near the pavilion" -> their words
            if len(words) <= area_words + 2:
                return PlaceResult(written)
            return PlaceResult(_capitalise_buildings(raw))
    return PlaceResult(None, PLACE_ASK)


_HAN = re.compile(r"[\u4e00-\u9fff]")
_FLAT_PLACE = re.compile(r"^Building (\d{1,2}), flat (\d{3,4})$")
_BUILDING_PLACE = re.compile(r"^Building (\d{1,2})$")
_AREA_PLACE = re.compile(r"^the ([a-z ]+) in Building (\d{1,2})$")


@cache
def _words() -> dict[str, Any]:
    return dict(yaml.safe_load(WORDS_FILE.read_text("utf-8")))


def _in_language(entry: Any, language: str) -> str | None:
    if not isinstance(entry, dict):
        return None
    return entry.get(language) or entry.get("en")


def spoken_problem(problem: str, language: str) -> str:
    """A problem type as it is read back in ``language`` ("plumbing" -> "水管、水龙头")."""
    problems = _words()["problems"]
    return _in_language(problems.get(problem) or problems["other"], language) or problem


def spoken_place(place: str, language: str) -> str:
    """The ticket's place as it is read back in ``language``: "Building 5, flat 302" -> "5号楼302";
    the resident's own words are read back as they were said."""
    words = _words()
    flat = _FLAT_PLACE.match(place)
    if flat:
        template = _in_language(words["places"]["flat"], language) or place
        return template.format(building=flat.group(1), flat=flat.group(2))
    building = _BUILDING_PLACE.match(place)
    if building:
        template = _in_language(words["places"]["building"], language) or place
        return template.format(building=building.group(1))
    part = _AREA_PLACE.match(place)
    if part and part.group(1) in words["building_parts"]:
        template = _in_language(words["places"]["building_part"], language) or place
        name = _in_language(words["building_parts"][part.group(1)], language) or part.group(1)
        return template.format(building=part.group(2), part=name)
    area = words["public_areas"].get(place)
    return (_in_language(area, language) if area else None) or place


def _capitalise_buildings(text: str) -> str:
    return re.sub(r"\bbuilding\b", "Building", text, flags=re.I)


# --- the first sentence of a report ------------------------------------------------------------

_LEAD_INS = re.compile(
    r"^(?:(?:hello|hi|excuse me|sorry|um+|uh+|er+|erm|well|so|oh|please|yes|dear)\b[\s,.!]*)+", re.I)
_GENERIC = re.compile(
    r"^(?:i\s+(?:would\s+like|want|need|have)\s+to\s+)?(?:report|make|ask\s+for|request|book|get)?\s*"
    r"(?:a|an|some)?\s*(?:repair|repairs|problem|fault|repairman|repair\s+man|worker)s?\b", re.I)


# "你好，那个，我想报修，" — greetings, fillers and "I want to report a repair" before the problem itself
_ZH_LEAD_INS = re.compile(
    r"^(?:(?:喂|你好|您好|请问|那个|这个|嗯+|啊|哎|唉|我跟你说|麻烦你|麻烦您|小助手|师傅)[\s,，。!！、]*|"
    r"(?:我)?(?:想|要|得|来)?(?:报修|報修|报个修|报一下修|修个东西|找人修)(?:一下)?[\s,，。:：!！、]*)+")
ZH_MIN_DESCRIPTION = 4
"""Chinese characters a first sentence needs after its lead-in to be the description ("水龙头漏水")."""


def description_from_first_sentence(text: str | None) -> str | None:
    """Use the sentence that started the report as its description when it says what is wrong.

    "my kitchen tap is leaking" is a description; "I need to report a repair" is not.
    """
    raw = tidy(text)
    if not raw or raw.startswith("/"):
        return None
    if _HAN.search(raw):
        rest = _ZH_LEAD_INS.sub("", raw).strip(" ,.!?，。！？")
        if problem_type_in(rest) is None or len(_HAN.findall(rest)) < ZH_MIN_DESCRIPTION:
            return None
        return rest[:MAX_DESCRIPTION]
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
    area = _ZH_AREAS.get(area, area) if area else None
    return f"the {area} in Building {building}" if area else f"Building {building}"
