"""The words routes are said in, one file per language (``wayfinding/locale/<code>.yml``).

The sentences are templates; the code only chooses which one and fills it, so a wording (or a third
language) is a data change. Distances are rounded once (:func:`rounded_distance`) and only the way the number
is written differs: "about 150 metres" and "大约一百五十米" are the same 150.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from foundation.language import normalise
from foundation.yaml_lines import LinedYaml, read_yaml

from .errors import WayfindingError

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
FEW_STEPS_M = 15.0
"""Below this a distance is "a few steps"."""

_ZH_DIGITS = "零一二三四五六七八九"


class WordsError(WayfindingError):
    """A route words file is wrong; the message names the file and line."""

    code = "route_words_error"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Distance(_Strict):
    few_steps: str
    metres: str
    kilometres: str


class _Sides(_Strict):
    left: str
    right: str


class _Say(_Strict):
    walk_few: str
    walk: str
    where_unknown: str
    along: str
    straight_named: str
    straight: str
    straight_few: str
    around: str
    turn_onto: str
    turn: str
    turn_then: str
    climb: str
    take_steps: str
    take: str
    here_now: str
    ahead_side: str
    on_side: str
    few_ahead: str
    arrived: str
    ahead: str


class RouteWords(_Strict):
    """One language's route words (see ``locale/en.yml`` for what each one is)."""

    numbers: Literal["digits", "zh-words"] = "digits"
    articles: bool = False
    distance: _Distance
    compass: tuple[str, str, str, str, str, str, str, str]
    floors: tuple[str, ...] = Field(min_length=1)
    floor_n: str
    basement: str
    turn: _Sides
    side: _Sides
    up: str
    down: str
    is_: str = Field(alias="is")
    are: str
    the_stairs: str
    the_lift: str
    the_ramp: str
    the_path: str
    marker_post: str
    you_are_here: str
    """The guide map's label at the start of the way (where the kiosk stands)."""
    say: _Say

    def number(self, value: float) -> str:
        if self.numbers == "zh-words":
            return zh_number(value)
        return f"{value:g}"

    def distance_text(self, metres: float) -> str:
        rounded = rounded_distance(metres)
        if rounded is None:
            return self.distance.few_steps
        if rounded < 1000:
            return self.distance.metres.format(n=self.number(rounded))
        return self.distance.kilometres.format(km=self.number(rounded / 1000))

    def floor(self, level: int) -> str:
        if level < 0:
            return self.basement
        return self.floors[level] if level < len(self.floors) else self.floor_n.format(n=self.number(level))


def rounded_distance(metres: float) -> int | None:
    """The one rounding every language says: ``None`` for a few steps, else 10 m, 50 m or 100 m steps."""
    if metres < FEW_STEPS_M:
        return None
    step = 10 if metres < 300 else 50 if metres < 1000 else 100
    return int(math.floor(metres / step + 0.5)) * step  # half up: round() would say 40 for 45 m


def distance_label(metres: float) -> str:
    """The same rounded figure as the sentences, short for a picture label: "150 m", "1.2 km", and "< 15 m" for
    "a few steps". The map under the phone page's "about 150 metres" must say 150 too, never 145 or 146."""
    rounded = rounded_distance(metres)
    if rounded is None:
        return f"< {FEW_STEPS_M:g} m"
    return f"{rounded} m" if rounded < 1000 else f"{rounded / 1000:g} km"


def zh_number(value: float) -> str:
    """A number as Mandarin speakers say it: 150 一百五十, 200 两百, 1.2 一点二, 12 十二, 1000 一千."""
    if value != int(value):
        whole, _, decimals = f"{value:g}".partition(".")
        return zh_number(int(whole)) + "点" + "".join(_ZH_DIGITS[int(d)] for d in decimals)
    number = int(value)
    if number < 10:
        return _ZH_DIGITS[number]
    if number < 20:
        return "十" + (_ZH_DIGITS[number % 10] if number % 10 else "")
    if number >= 10000:
        return str(number)
    parts: list[str] = []
    zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit_value % 10
        if digit == 0:
            zero = bool(parts)
            continue
        if zero and parts:
            parts.append("零")
        zero = False
        word = "两" if digit == 2 and unit in ("千", "百") else _ZH_DIGITS[digit]
        parts.append(word + unit)
    return "".join(parts)


def normalize(lang: str | None) -> str:
    """A language with a words file for what a caller sent (``zh``, ``zh_CN`` -> ``zh-CN``); English otherwise."""
    codes = sorted(path.stem for path in LOCALE_DIR.glob("*.yml"))
    known = normalise(lang)  # the one place that knows "zh", "zh-Hans", "中文" (foundation/language.py)
    if known in codes:
        return known
    wanted = (lang or "").strip().replace("_", "-").casefold()
    for code in codes:
        if code.casefold() == wanted:
            return code
    for code in codes:
        if wanted and code.split("-")[0].casefold() == wanted.split("-")[0]:
            return code
    return DEFAULT


def load_words(path: Path) -> RouteWords:
    """Read and check a route words file; every problem is a :class:`WordsError` starting ``file:line:``."""
    doc: LinedYaml = read_yaml(path, WordsError)
    if not isinstance(doc.data, dict):
        raise WordsError(f"{doc.where(())}: the route words must be a mapping (distance, compass, say, ...).")
    return doc.validate(RouteWords, WordsError)


@cache
def words_for(lang: str | None = None) -> RouteWords:
    """The route words of ``lang`` (English for a language without a file)."""
    return load_words(LOCALE_DIR / f"{normalize(lang)}.yml")
