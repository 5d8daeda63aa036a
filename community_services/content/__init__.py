"""Sunny Garden in the residents' languages: ``<code>.yml`` beside this file, keyed by the English seed's slugs.

English lives in the database (the seed and what staff write); every other language is data here and is laid
over the English answer when a reader asks for it (``?lang=zh-CN``). A missing entry or field stays English,
so a half-translated community still answers, and an unknown language is English rather than an error.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from foundation.language import normalise

HERE = Path(__file__).parent
DEFAULT = "en"

_ZH_DIGITS = "零一二三四五六七八九"


def available() -> tuple[str, ...]:
    """English and every language with a content file."""
    return (DEFAULT, *sorted(path.stem for path in HERE.glob("*.yml")))


def normalize(lang: str | None) -> str:
    """A supported code for what a client sent: ``zh``, ``zh_cn``, ``ZH-cn`` -> ``zh-CN``; unknown -> English.

    Lenient on purpose: a kiosk or a phone link with an odd code should still get an answer, in English."""
    if not lang:
        return DEFAULT
    codes = available()
    known = normalise(lang)  # the one place that knows "zh", "zh-Hans", "中文" (foundation/language.py)
    if known in codes:
        return known
    wanted = lang.strip().replace("_", "-").casefold()
    for code in codes:
        if wanted == code.casefold():
            return code
    primary = wanted.split("-")[0]
    for code in codes:
        if code.split("-")[0].casefold() == primary:
            return code
    return DEFAULT


@cache
def content(lang: str) -> dict[str, Any]:
    """The content file of ``lang`` (empty for English or a language without one)."""
    path = HERE / f"{lang}.yml"
    if lang == DEFAULT or not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top")
    return data


def zh_number(number: int) -> str:
    """``26`` -> ``二十六``, ``10`` -> ``十``, ``3`` -> ``三`` (0-99: days, months, buildings)."""
    if not 0 <= number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    if tens == 0:
        return _ZH_DIGITS[ones]
    head = "" if tens == 1 else _ZH_DIGITS[tens]
    return head + "十" + (_ZH_DIGITS[ones] if ones else "")


def spoken_date(day: date, lang: str) -> str | None:
    """The day as ``lang`` says it (``十一月二十六号，礼拜四``); ``None`` without a date format."""
    dates = content(lang).get("dates") or {}
    if "day" not in dates:
        return None
    return str(dates["day"]).format(
        month=zh_number(day.month), day=zh_number(day.day), weekday=dates["weekdays"][day.weekday()]
    )


def _section(lang: str, *keys: str) -> dict[str, Any]:
    node: Any = content(lang)
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def facility(slug: str, lang: str) -> dict[str, Any]:
    """The translated fields of a place (``name``, ``aliases``, ``location``, ``directions``, ...), or ``{}``."""
    found = _section(lang, "facilities", slug)
    if found or not slug.startswith("building-"):
        return found
    return _building(slug, lang)


def _building(slug: str, lang: str) -> dict[str, Any]:
    """A residential building from the one ``building`` template (twelve of them are the same sentence)."""
    template = _section(lang, "building")
    number_text = slug.removeprefix("building-")
    if not template or not number_text.isdigit():
        return {}
    number = int(number_text)
    side = "west" if number <= 6 else "east"  # as seed_data._building: 1-6 west, 7-12 east
    words = {"number": number, "spoken": zh_number(number)}
    notes = [template["lift"] if number <= 8 else template["no_lift"]]
    extra = (template.get("notes") or {}).get(number)
    if extra:
        notes.append(extra)
    return {
        "name": template["name"].format(**words),
        "aliases": [alias.format(**words) for alias in template.get("aliases", [])],
        "location": template[f"location_{side}"],
        "directions": template[f"directions_{side}"].format(**words),
        "hours_text": template["hours_text"],
        "notes": "".join(notes),
    }


def department(slug: str, lang: str) -> dict[str, Any]:
    return _section(lang, "clinic", "departments", slug)


def doctor(name: str, lang: str) -> str:
    return str(_section(lang, "clinic", "doctors").get(name, name))


def event(series: str, lang: str) -> dict[str, Any]:
    return _section(lang, "events", series)


def notice(key: str, lang: str) -> dict[str, Any]:
    return _section(lang, "notices", key)


def garbage(lang: str) -> dict[str, Any]:
    return _section(lang, "garbage")


def aliases(slug: str) -> list[str]:
    """Every language's names of a place or department, so a resident can ask in any of them."""
    found: list[str] = []
    for lang in available()[1:]:
        for entry in (facility(slug, lang), department(slug, lang)):
            found += [entry["name"], *entry.get("aliases", [])] if entry.get("name") else []
    return found
