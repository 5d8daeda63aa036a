"""Understanding Mandarin the way older residents say it: numbers, flats, days, times, yes/no and names.

Residents say numbers as words, and say them two ways: digit by digit for phones, flats and references
(幺三八幺二三四五六七八, 五零二, with 幺 for 1 and 两 for 2) and with units for amounts and dates (十二月五号,
两点四十五, 三百零五). A recogniser or a keyboard may also give full-width digits (３号楼５０２) or
traditional characters (三號樓); both are made plain first, one character for one.

Every reader returns ``None`` when nothing usable is found, and never raises, whatever it is given:
``assistant/skill_runtime/parsing.py`` delegates here when a resident's words hold Chinese, so the skills
call the same functions in both languages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta

MAX_TEXT = 1000
"""Longer text is cut before it is read: no answer to a question is this long, and reading stays fast."""

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Traditional → simplified, one character for one, for the characters these readers look for (the tokenizer
# has the full table in rasa_runtime; the action server does not install it, and these are enough here).
_TRADITIONAL = str.maketrans(
    "號樓棟單兩點個禮拜後週這對發錯嗎麼幾鐘時門電話陽園萬來還沒們說請幫謝別筆夠過實確認兒裡單號幺爲為問題"
    "預約記計報脩修廳層戶鄰師醫務場陰曆齊聽見開關燈",
    "号楼栋单两点个礼拜后周这对发错吗么几钟时门电话阳园万来还没们说请帮谢别笔够过实确认儿里单号幺为为问题"
    "预约记计报修修厅层户邻师医务场阴历齐听见开关灯",
)

_DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL = "零〇一幺二两三四五六七八九十百千万"
_NUM = rf"[{NUMERAL}0-9]"
_RUN = re.compile(rf"{_NUM}+")


def plain(text: object) -> str:
    """``text`` made plain for reading: full-width forms and traditional characters become the usual ones,
    letters lower case, cut to :data:`MAX_TEXT`."""
    if text is None:
        return ""
    raw = str(text)[:MAX_TEXT]
    return unicodedata.normalize("NFKC", raw).translate(_TRADITIONAL).lower()


def has_chinese(text: object) -> bool:
    """Any Chinese character (numerals included) in ``text``: the readers here should read it."""
    return text is not None and HAN.search(str(text)[:MAX_TEXT]) is not None


# --- numbers ------------------------------------------------------------------------------------


def digit_string(run: str) -> str | None:
    """A run said digit by digit ("五零二", "幺三八", "0502") as its digits, leading zeros kept; ``None`` if
    the run has units (十百千万) or anything that is not a digit."""
    out: list[str] = []
    for ch in run:
        if ch.isascii() and ch.isdigit():
            out.append(ch)
        elif ch in _DIGITS:
            out.append(str(_DIGITS[ch]))
        else:
            return None
    return "".join(out) or None


def zh_number(text: str) -> int | None:
    """A number as said: "五零二" → 502 (digit by digit), "十二" → 12, "三百零五" → 305, "三百五" → 350,
    "两千" → 2000, "一万二" → 12000, "25" → 25. ``None`` if ``text`` is not one number."""
    run = plain(text).strip()
    if not run or len(run) > 20 or not _RUN.fullmatch(run):
        return None
    digits = digit_string(run)
    if digits is not None:
        return int(digits)
    if run[0] not in _DIGITS and run[0] != "十" and not run[0].isdigit():
        return None  # "万一" (in case), "千万" (by all means) are words, not numbers
    total = section = 0
    number: int | None = None
    last_unit = 0
    zero_seen = False
    for ch in run:
        if ch in _DIGITS or ch.isdigit():
            if number is not None and not zero_seen:
                return None  # "三四十" (thirty or forty) is not one number
            number = _DIGITS[ch] if ch in _DIGITS else int(ch)
            if number == 0:
                zero_seen, number = True, None
            continue
        if ch in _UNITS:
            unit = _UNITS[ch]
            if last_unit and unit >= last_unit:
                return None
            section += (1 if number is None else number) * unit
            last_unit, number, zero_seen = unit, None, False
        else:  # 万
            if number is None and section == 0:
                return None
            total += (section + (number or 0)) * 10000
            section, number, last_unit, zero_seen = 0, None, 10000, False
    if number is not None:
        # "三百五" is 350 and "一万二" 12000: a last digit straight after a unit is the next place down
        section += number * (last_unit // 10 if last_unit and not zero_seen else 1)
    return total + section


def zh_arabic(text: str) -> str:
    """``text`` (made :func:`plain`) with its numbers written in digits: "三号楼五零二" → "3号楼502",
    "一千零一" → "1001". Words that only look like numbers ("万一") are left alone."""

    def one(match: re.Match[str]) -> str:
        run = match.group()
        digits = digit_string(run)
        if digits is not None:
            return digits
        value = zh_number(run)
        return run if value is None else str(value)

    return _RUN.sub(one, plain(text))


# --- flats and buildings -------------------------------------------------------------------------


@dataclass(frozen=True)
class ZhPlace:
    """A home as said: "阳光花园八号楼三单元二零一" → building 8, unit 3, flat "201"."""

    building: int | None = None
    unit: int | None = None
    flat: str | None = None


_BUILDING = re.compile(rf"({_NUM}{{1,4}})\s*(?:号楼|号栋|栋|幢|号院|座)")
_UNIT = re.compile(rf"({_NUM}{{1,3}})\s*(?:单元|门洞)")
_FLOOR_AND_DOOR = re.compile(rf"({_NUM}{{1,3}})\s*(?:楼|层)(?!号)\s*({_NUM}{{1,3}})\s*(?:号|户|室)")
_FLAT = re.compile(rf"(?<![0-9{NUMERAL}])({_NUM}{{3,5}})(?!{_NUM})\s*(?:室|号房|房间|房|号|户)?(?!号?楼|栋|单元)")


def _flat_digits(run: str) -> str | None:
    digits = digit_string(run)
    if digits is None:
        value = zh_number(run)
        digits = None if value is None else str(value)
    return digits if digits is not None and 3 <= len(digits) <= 4 else None


def zh_place(text: str) -> ZhPlace:
    """The building, unit (单元) and flat in "三号楼五零二", "3栋502室", "三号楼三单元五楼二号" (floor 5, door 2:
    flat "502"), "三号楼 room 502". Whatever is not said is ``None``."""
    low = plain(text)
    building = unit = None
    rest = low
    match = _BUILDING.search(low)
    if match:
        building = zh_number(match.group(1))
        rest = low[match.end():]
    unit_match = _UNIT.search(rest)
    if unit_match:
        unit = zh_number(unit_match.group(1))
        rest = rest[unit_match.end():]
    flat: str | None = None
    door = _FLOOR_AND_DOOR.search(rest)
    if door:
        floor, number = zh_number(door.group(1)), zh_number(door.group(2))
        if floor is not None and number is not None and 1 <= floor <= 99 and 1 <= number <= 99:
            flat = f"{floor}{number:02d}"
    if flat is None:
        for found in _FLAT.finditer(rest):
            flat = _flat_digits(found.group(1))
            if flat:
                break
    return ZhPlace(building, unit, flat)


def zh_building_and_flat(text: str) -> tuple[int | None, str | None]:
    """``(building, flat)`` of :func:`zh_place`, the shape ``report_repair``'s place reader works with."""
    place = zh_place(text)
    return place.building, place.flat


# --- days ---------------------------------------------------------------------------------------

_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEK_DAY = re.compile(r"(下下|下|上|这|本|今)?\s*(?:个|一个)?\s*(?:星期|礼拜|周)\s*([一二三四五六日天1-7])")
_WEEKEND = re.compile(r"(下下|下|上|这|本)?\s*(?:个)?\s*周末")
_FULL_DATE = re.compile(rf"({_NUM}{{4}})\s*年\s*({_NUM}{{1,3}})\s*月\s*({_NUM}{{1,3}})\s*[日号]?")
_MONTH_DAY = re.compile(rf"({_NUM}{{1,3}})\s*月(?:份)?\s*({_NUM}{{1,3}})\s*(?:日|号)?")
_DAY_ONLY = re.compile(rf"(?<![0-9{NUMERAL}月])({_NUM}{{1,3}})\s*(?:日|号)(?!楼|栋|院|线|门|床|窗|机|车|房|室|单元|码)")
_RELATIVE = (("大后天", 3), ("后天", 2), ("明天", 1), ("明儿", 1), ("明日", 1), ("明早", 1), ("明晚", 1),
             ("今天", 0), ("今儿", 0), ("今日", 0), ("今早", 0), ("今晚", 0), ("今个", 0))
_PAST = re.compile(r"昨天|前天|昨儿|昨晚|上个月")


def _next_date(today: date, month: int | None, day: int) -> date | None:
    """The first ``day`` (of ``month``, if given) from today on, within a year."""
    for offset in range(13):
        year = today.year + (today.month - 1 + offset) // 12
        m = (today.month - 1 + offset) % 12 + 1
        if month is not None and m != month:
            continue
        try:
            candidate = date(year, m, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def zh_day(text: str, today: date) -> date | None:
    """The day meant by "今天", "明天", "后天", "大后天", "星期三" (the next one, today included), "下礼拜三" /
    "下周三" / "下个星期三" (next week's), "这个礼拜五" (this week's, not already past), "十二月五号",
    "12月5日", "5号", "2026年12月5日". ``None`` for anything else, and for a day already past."""
    low = plain(text)
    if not HAN.search(low):
        return None
    full = _FULL_DATE.search(low)
    if full:
        year, month, day = (zh_number(full.group(i)) for i in (1, 2, 3))
        try:
            said = date(year or 0, month or 0, day or 0)
        except ValueError:
            return None
        return said if said >= today else None
    for word, ahead in _RELATIVE:
        if word in low:
            return today + timedelta(days=ahead)
    week = _WEEK_DAY.search(low) or _WEEKEND.search(low)
    if week:
        which = week.group(1)
        weekday = _WEEKDAY[week.group(2)] if week.re is _WEEK_DAY else 5  # the weekend starts on Saturday
        monday = today - timedelta(days=today.weekday())
        if which == "上":
            return None
        if which == "下":
            return monday + timedelta(days=7 + weekday)
        if which == "下下":
            return monday + timedelta(days=14 + weekday)
        if which in ("这", "本", "今"):
            this_week = monday + timedelta(days=weekday)
            return this_week if this_week >= today else None
        ahead = (weekday - today.weekday()) % 7
        return today + timedelta(days=ahead)
    if _PAST.search(low):
        return None
    month_day = _MONTH_DAY.search(low)
    if month_day:
        month, day = zh_number(month_day.group(1)), zh_number(month_day.group(2))
        if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return _next_date(today, month, day)
    day_only = _DAY_ONLY.search(low)
    if day_only:
        day = zh_number(day_only.group(1))
        if day is None or not 1 <= day <= 31:
            return None
        return _next_date(today, None, day)
    return None


# --- times --------------------------------------------------------------------------------------

_MORNING = ("凌晨", "半夜", "清早", "一早", "早上", "早晨", "上午", "今早", "明早")
_NOON = ("中午", "正午", "晌午")
_EVENING = ("下午", "午后", "傍晚", "晚上", "夜里", "夜晚", "晚间", "今晚", "明晚")
_HOUR = rf"({_NUM}{{1,3}})"
_CLOCK = re.compile(rf"(?<![差有些])(早|晚)?{_HOUR}\s*(?:点钟|点|时)(?![儿点候间])"
                    rf"\s*(?:(半)|([一两二三])刻|差\s*(一刻|{_NUM}{{1,3}}\s*分)|({_NUM}{{1,3}})\s*分?)?")
_BEFORE = re.compile(rf"差\s*(一刻|{_NUM}{{1,3}}\s*分钟?)\s*{_HOUR}\s*(?:点钟|点)")
_A_LITTLE_AFTER = frozenset("好快慢早晚多少大小高低轻重近远便宜贵")
_COLON = re.compile(r"(?<!\d)(\d{1,2})\s*:\s*(\d{2})(?!\d)")


def _minutes(said: str) -> int | None:
    said = said.replace("分钟", "").replace("分", "").strip()
    if said == "一刻":
        return 15
    return zh_number(said)


def _a_little(low: str, found: re.Match[str]) -> bool:
    """"一点" after 早, 晚, 好, 快 ... is "a little" ("晚一点来", "好一点了"), not one o'clock."""
    if found.group(2) != "一":
        return False
    return bool(found.group(1)) or (found.start() > 0 and low[found.start() - 1] in _A_LITTLE_AFTER)


def zh_clock_time(text: str) -> time | None:
    """A time as said: "下午两点半" → 14:30, "上午十点" → 10:00, "早上九点一刻" → 9:15, "晚上七点" → 19:00,
    "两点四十五" → 14:45 (one to six without a part of the day is the afternoon, as in English),
    "十点差一刻" / "差一刻十点" → 9:45, "九点零五", "十五点", "下午3:30". ``None`` if no time is said."""
    low = plain(text)
    if not HAN.search(low):
        return None
    hour: int | None = None
    minute = 0
    short_period = ""
    before = _BEFORE.search(low)
    colon = _COLON.search(low)
    clock = next((found for found in _CLOCK.finditer(low) if not _a_little(low, found)), None)
    if before:
        mins, base = _minutes(before.group(1)), zh_number(before.group(2))
        if mins is None or base is None or not 0 < mins < 60:
            return None
        hour, minute = (base - 1) % 24, 60 - mins
    elif colon:
        hour, minute = int(colon.group(1)), int(colon.group(2))
    elif clock:
        short_period = clock.group(1) or ""
        hour = zh_number(clock.group(2))
        if clock.group(3):
            minute = 30
        elif clock.group(4):
            minute = {"一": 15, "两": 30, "二": 30, "三": 45}[clock.group(4)]
        elif clock.group(5):
            mins = _minutes(clock.group(5))
            if hour is None or mins is None or not 0 < mins < 60:
                return None
            hour, minute = (hour - 1) % 24, 60 - mins
        elif clock.group(6):
            said_minutes = zh_number(clock.group(6))
            if said_minutes is None:
                return None
            minute = said_minutes
    if hour is None or not (0 <= hour <= 24 and 0 <= minute <= 59):
        return None
    hour = 0 if hour == 24 else hour
    morning = short_period == "早" or any(w in low for w in _MORNING)
    evening = short_period == "晚" or any(w in low for w in _EVENING)
    noon = any(w in low for w in _NOON)
    if evening and not morning:
        hour = 0 if hour == 12 and re.search("晚上|夜里|夜晚|半夜", low) else (hour + 12 if hour < 12 else hour)
    elif noon and not morning:
        hour = hour + 12 if 1 <= hour <= 4 else hour
    elif morning:
        hour = 0 if hour == 12 and re.search("凌晨|半夜", low) else hour
    elif 1 <= hour <= 6:
        hour += 12  # "两点" at a clinic or an event is the afternoon
    return time(hour, minute) if 0 <= hour <= 23 else None


# --- yes or no ----------------------------------------------------------------------------------

# Questions back ("要不要发？") and set phrases with 不 that say neither yes nor no ("不知道", "不客气").
_NEUTRAL = re.compile(r"不知道|不清楚|不确定|不太懂|不明白|不懂|不好意思|不要紧|不客气|不管|要不然|可不可以|"
                      r"要改|要换|改一下|换一下|([要是对行好发])不\1[发送寄呢啊]?|(?:可以|好|对|是|行|要|发)[吗么嘛]")
_YES_WITH_NO = re.compile(r"没错|没问题|没事儿?|不错|可不是|那可不")
_REFUSE = re.compile(r"不要|不用|别|甭|算了|先不|不发|不行|不可以|不对|不是|不好|取消|错了|没有|不需要|不想|不了")
_NO = re.compile(r"不|没|no\b|nope\b", re.I)
_YES = re.compile(r"是|对|好|行|可以|嗯|要|发|确定|确认|成|得嘞|妥|没错|没问题|不错|可不是|那可不|"
                  r"\b(?:ok|okay|yes|yeah|sure)\b", re.I)


def zh_yes_or_no(text: str) -> bool | None:
    """A yes ("是的", "对", "好的", "行", "可以", "没错", "嗯", "发吧") or a no ("不", "不是", "不要", "别发",
    "算了", "不用了"); ``None`` if neither or a question back ("要不要发？"). A refusal wins over a yes in
    the same breath ("好的不要发" is a no), as "ok don't send it" is in English."""
    low = plain(text)
    if not low.strip():
        return None
    low = _NEUTRAL.sub(" ", low)
    if _REFUSE.search(_YES_WITH_NO.sub(" ", low)):
        return False
    no = bool(_NO.search(_YES_WITH_NO.sub(" ", low)))
    yes = bool(_YES.search(low))
    if no != yes:
        return yes
    return None


# --- names --------------------------------------------------------------------------------------

_FILLERS = re.compile(r"^(?:(?:嗯+|呃+|啊+|哦+|噢+|唉+|那个|这个|请问|麻烦你|麻烦您|我跟你说|你好|您好|好的|好|对|是的|"
                      r"喂|就是|然后)[\s,，.。!！、~]*)+")
_LEAD_IN = re.compile(r"(?:我的名字是|我的名字叫|名字是|名字叫|我叫|叫我|她叫|他叫|病人叫|病人是|本人是|本人|我是|这是|"
                      r"她是|他是|姓名是|姓名|名字|叫)\s*[:,，]?\s*")
_SURNAME = re.compile(r"(?:我|她|他|本人)?姓\s*([\u4e00-\u9fff]{1,2})(?![\u4e00-\u9fff]*[叫名])")
_ENDINGS = re.compile(r"[\s,，.。!！?？~、…]*(?:啊|呀|吧|呢|哈|嘛|哦|喔|啦|的|谢谢你?|谢谢您)*[\s,，.。!！?？~、…]*$")
_NOT_NAME_WORDS = re.compile(r"预约|取消|挂号|报修|登记|电话|号码|手机|不知道|医生|大夫|看病|帮我|帮忙|我要|我想|什么|"
                             r"怎么|为什么|谁|哪|时间|几点|明天|今天|后天|星期|礼拜|不要|算了|没有|可以|没错|"
                             r"是的|好的|对的|不是|不用|号楼|单元")
_NOT_NAMES = frozenset({"是", "对", "好", "行", "嗯", "不", "要", "我", "你", "他", "她", "喂", "啊", "哦", "没有",
                        "谢谢", "您好", "你好", "自己", "我自己", "本人"})


def zh_name(text: str) -> str | None:
    """The name a resident gives, kept as said: "我叫王秀英" → "王秀英", "李阿姨" → "李阿姨", "我是老张" →
    "老张", "我姓李" → "李". ``None`` when it is not a name ("不知道", "我要预约", a phone number)."""
    said = unicodedata.normalize("NFKC", str(text or "")[:MAX_TEXT])
    said = "".join(ch for ch in said if not unicodedata.category(ch).startswith(("S", "C"))).strip()
    if not said or not HAN.search(said):
        return None
    # Lead-ins are found in simplified text; the name is cut from the resident's own characters (one for one),
    # so "我叫陳麗華" keeps 陳麗華 as written.
    work = said.translate(_TRADITIONAL)
    start = filler.end() if (filler := _FILLERS.match(work)) else 0
    called = list(_LEAD_IN.finditer(work, start))
    surname = _SURNAME.search(work, start)
    end = len(work)
    if called:
        start = called[-1].end()  # "我姓王，叫王秀英": the last lead-in comes just before the name
    elif surname:
        start, end = surname.span(1)
    body = work[start:end]
    kept = said[start:end]
    ending = _ENDINGS.search(body)
    cut = ending.start() if ending else len(body)
    punctuation = " ,，.。!！?？:：;；\"'“”-"
    lead = len(body[:cut]) - len(body[:cut].lstrip(punctuation))
    body, kept = body[lead:cut].rstrip(punctuation), kept[lead:cut].rstrip(punctuation)
    if not body or len(body) > 12 or len(body.split()) > 3:
        return None
    if any(ch.isdigit() for ch in body) or all(ch in NUMERAL for ch in body) or _NOT_NAME_WORDS.search(body):
        return None
    if body in _NOT_NAMES or re.search(r"[,，。!！?？;；]", body):
        return None
    if len(body) == 1 and not surname:
        return None  # one character alone is an answer ("好"), not a name, unless it followed 姓
    if not all(ch.isalpha() or ch in " ·.-'" for ch in body):
        return None
    return kept
