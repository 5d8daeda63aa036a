"""Clock times, days and short lists in the words of a language, from ``when_words.yml`` beside this file.

Values for a response's placeholders ("5:30 pm" / "下午5点半", "tomorrow, Tuesday 24 November" / "明天，十一月24号，
礼拜二"), never whole sentences. The same module is in ask_events, book_appointment and facility_hours (a skill
imports only its own files); it belongs in assistant/skill_runtime once the shared words helper has it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

WORDS_FILE = Path(__file__).with_name("when_words.yml")
SOURCE = "en"


@cache
def _words() -> dict[str, Any]:
    return dict(yaml.safe_load(WORDS_FILE.read_text("utf-8")))


def _in(key: str, language: str) -> Any:
    table = _words()[key]
    return table.get(language) or table[SOURCE]


def clock(value: time | datetime | str, language: str) -> str:
    """``value`` ("17:30", a time) as said in ``language``: "5:30 pm", "下午5点半"; "midnight" for 24:00."""
    if isinstance(value, str):
        hour, minute = (int(p) for p in value.split(":")[:2])
    else:
        hour, minute = value.hour, value.minute
    words = _in("time", language)
    if hour in (0, 24) and minute == 0:
        return str(words["midnight"])
    if hour == 12 and minute == 0:
        return str(words["noon"])
    period = ""
    for start, name in words["periods"]:
        if hour % 24 >= int(start):
            period = str(name)
    pattern = words["on_the_hour"] if minute == 0 else words["half_past"] if minute == 30 else words["with_minutes"]
    return str(pattern).format(hour=hour % 12 or 12, minute=f"{minute:02d}", period=period)


def weekday(index: int, language: str) -> str:
    return str(_in("weekdays", language)[index])


def day(value: date, today: date, language: str) -> str:
    """"today, Tuesday 24 November", "明天，十一月25号，礼拜三", or just the date further ahead."""
    label = str(_in("date", language)).format(weekday=weekday(value.weekday(), language), day=value.day,
                                              month=_in("months", language)[value.month - 1])
    if value == today:
        return str(_in("today", language)).format(date=label)
    if value == today + timedelta(days=1):
        return str(_in("tomorrow", language)).format(date=label)
    return label


def listed(items: list[str], language: str, *, last: str = "last") -> str:
    """"A, B and C" / "A、B和C" (``last="or"``: "A, B or C" / "A、B或者C")."""
    words = _in("list", language)
    if len(items) <= 1:
        return "".join(items)
    return str(words["between"]).join(items[:-1]) + str(words[last]) + items[-1]


def every(weekdays: list[int], language: str) -> str:
    """"every day", "every Wednesday and Friday" / "每天", "每个礼拜三和礼拜五"."""
    if len(set(weekdays)) == 7:
        return str(_in("every_day", language))
    return str(_in("every", language)).format(days=listed([weekday(d, language) for d in sorted(set(weekdays))],
                                                           language))
