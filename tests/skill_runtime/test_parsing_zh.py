"""parsing_zh, and parsing's public readers given Mandarin as older residents say it."""

from __future__ import annotations

import time as clock
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.skill_runtime.parsing import (
    parse_clock_time,
    parse_day,
    parse_phone,
    parse_reference,
    spoken_digits,
    spoken_list,
)
from assistant.skill_runtime.parsing_zh import (
    ZhPlace,
    has_chinese,
    zh_arabic,
    zh_building_and_flat,
    zh_clock_time,
    zh_day,
    zh_name,
    zh_number,
    zh_place,
    zh_yes_or_no,
)

MONDAY = date(2026, 11, 23)
SATURDAY = date(2026, 11, 28)


# --- numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "number"), [
    ("五零二", 502), ("幺三八", 138), ("两两", 22), ("〇五", 5), ("十", 10), ("十二", 12), ("二十", 20),
    ("二十五", 25), ("四十五", 45), ("一百", 100), ("三百零五", 305), ("三百五", 350), ("两千", 2000),
    ("两千零五十", 2050), ("一千零一", 1001), ("一万二", 12000), ("一万零五", 10005), ("25", 25), ("3百", 300),
    ("１２", 12),
])
def test_numbers(said: str, number: int) -> None:
    assert zh_number(said) == number


@pytest.mark.parametrize("said", ["", "万一", "千万", "三四十", "十十", "百", "万", "五号", "abc", "一" * 30])
def test_not_one_number(said: str) -> None:
    assert zh_number(said) is None


@pytest.mark.parametrize(("said", "written"), [
    ("三号楼五零二", "3号楼502"),
    ("一千零一", "1001"),
    ("幺三八 幺二三四", "138 1234"),
    ("万一下雨", "万一下雨"),        # a word, not a number
    ("３號樓", "3号楼"),             # full-width and traditional made plain
])
def test_numbers_in_text_become_digits(said: str, written: str) -> None:
    assert zh_arabic(said) == written


# --- flats and buildings -------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "place"), [
    ("三号楼五零二", ZhPlace(3, None, "502")),
    ("3栋502室", ZhPlace(3, None, "502")),
    ("三单元", ZhPlace(None, 3, None)),
    ("阳光花园八号楼二零一", ZhPlace(8, None, "201")),
    ("十二号楼三零一", ZhPlace(12, None, "301")),
    ("我住五号楼二单元六零一", ZhPlace(5, 2, "601")),
    ("三号楼五楼二号", ZhPlace(3, None, "502")),              # fifth floor, door two
    ("三号楼五百零二", ZhPlace(3, None, "502")),
    ("嗯，那个，我家是七幢四零三房间", ZhPlace(7, None, "403")),
    ("三号楼 room 502", ZhPlace(3, None, "502")),              # Chinese and English in one answer
    ("三號樓五零二", ZhPlace(3, None, "502")),                  # traditional characters
    ("３号楼５０２", ZhPlace(3, None, "502")),                  # full-width digits
    ("三号楼", ZhPlace(3, None, None)),
    ("五零二", ZhPlace(None, None, "502")),
    ("三号楼五零二三四五六七", ZhPlace(3, None, None)),         # seven digits are not a flat
    ("中心花园", ZhPlace()),
])
def test_places(said: str, place: ZhPlace) -> None:
    assert zh_place(said) == place
    assert zh_building_and_flat(said) == (place.building, place.flat)


# --- days ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "day"), [
    ("今天", MONDAY),
    ("今天下午", MONDAY),
    ("明天", date(2026, 11, 24)),
    ("明儿上午", date(2026, 11, 24)),
    ("后天", date(2026, 11, 25)),
    ("大后天", date(2026, 11, 26)),
    ("星期三", date(2026, 11, 25)),
    ("礼拜一", MONDAY),                       # the same weekday is today
    ("周日", date(2026, 11, 29)),
    ("下礼拜三", date(2026, 12, 2)),          # 下: the week after this one
    ("下周三", date(2026, 12, 2)),
    ("下个星期三", date(2026, 12, 2)),
    ("下下个礼拜一", date(2026, 12, 7)),
    ("这个礼拜五", date(2026, 11, 27)),
    ("本周日", date(2026, 11, 29)),
    ("这周末", date(2026, 11, 28)),
    ("十二月五号", date(2026, 12, 5)),
    ("12月5日", date(2026, 12, 5)),
    ("十一月二十二号", date(2027, 11, 22)),    # this year's has passed
    ("二〇二七年一月五号", date(2027, 1, 5)),   # a year said digit by digit
    ("2026年1月5号", None),                    # already past
    ("2027年1月5号", date(2027, 1, 5)),
    ("5号", date(2026, 12, 5)),
    ("二十五号", date(2026, 11, 25)),
    ("三十一号", date(2026, 12, 31)),          # November has 30 days
    ("嗯，请问下个礼拜三上午可以吗", date(2026, 12, 2)),
    ("下個禮拜三", date(2026, 12, 2)),        # traditional characters
])
def test_days(said: str, day: date | None) -> None:
    assert zh_day(said, MONDAY) == day


@pytest.mark.parametrize("said", ["", "三号楼", "五号楼五零二", "昨天", "上礼拜三", "星期八", "三十二号",
                                  "十三月五号", "随便", "🙂", "2026年2月30号"])
def test_no_usable_day(said: str) -> None:
    assert zh_day(said, MONDAY) is None
    assert parse_day(said, MONDAY) is None


def test_this_weeks_day_already_past_is_not_used() -> None:
    assert zh_day("这个礼拜三", SATURDAY) is None
    assert zh_day("下礼拜三", SATURDAY) == date(2026, 12, 2)
    assert zh_day("礼拜三", SATURDAY) == date(2026, 12, 2)


@pytest.mark.parametrize(("said", "day"), [
    ("下礼拜三", date(2026, 12, 2)),
    ("明天 at 9", date(2026, 11, 24)),
    ("the 25th 谢谢", date(2026, 11, 25)),     # nothing Chinese found: the English reading
    ("２０２６-１２-０１", date(2026, 12, 1)),
])
def test_parse_day_reads_mandarin(said: str, day: date) -> None:
    assert parse_day(said, MONDAY) == day


# --- times --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "at"), [
    ("下午两点半", time(14, 30)),
    ("上午十点", time(10, 0)),
    ("早上九点一刻", time(9, 15)),
    ("晚上七点", time(19, 0)),
    ("两点四十五", time(14, 45)),             # one to six o'clock alone is the afternoon, as in English
    ("九点", time(9, 0)),
    ("八点钟", time(8, 0)),
    ("九点二十", time(9, 20)),
    ("九点零五", time(9, 5)),
    ("九点五分", time(9, 5)),
    ("三点三刻", time(15, 45)),
    ("十点差一刻", time(9, 45)),
    ("差五分十点", time(9, 55)),
    ("十五点", time(15, 0)),
    ("十二点半", time(12, 30)),
    ("中午十二点", time(12, 0)),
    ("中午一点", time(13, 0)),
    ("凌晨两点", time(2, 0)),
    ("早上六点", time(6, 0)),
    ("傍晚六点", time(18, 0)),
    ("下午3:30", time(15, 30)),
    ("晚上8:30", time(20, 30)),
    ("下午３点", time(15, 0)),
    ("明天下午两点半可以吗", time(14, 30)),
    ("嗯，那个，早9点", time(9, 0)),
    ("一点", time(13, 0)),
    ("中午一点钟", time(13, 0)),
    ("晚一点来，上午十点吧", time(10, 0)),  # "晚一点" is "a bit later", not one o'clock in the evening
    ("下午兩點半", time(14, 30)),             # traditional characters
])
def test_times(said: str, at: time) -> None:
    assert zh_clock_time(said) == at
    assert parse_clock_time(said) == at


@pytest.mark.parametrize("said", ["", "等一下", "我要一点儿水", "有一点疼",
                                  "晚一点来", "好一点了", "快一点", "下午", "二十五点", "九点七十分", "🕘"])
def test_no_usable_time(said: str) -> None:
    assert zh_clock_time(said) is None
    assert parse_clock_time(said) is None


def test_parse_clock_time_falls_back_to_english_in_mixed_words() -> None:
    assert parse_clock_time("明天 9.30") == time(9, 30)
    assert parse_clock_time("下午 3 pm") == time(15, 0)


# --- phones, references, digits, lists -----------------------------------------------------------

@pytest.mark.parametrize(("said", "phone"), [
    ("幺三八幺二三四五六七八", "13812345678"),
    ("我的电话是幺三八，幺二三四，五六七八", "13812345678"),
    ("一三九 〇〇一三 八〇〇〇", "13900138000"),
    ("１３８００１３８０００", "13800138000"),
    ("手机号码是138 1234 5678，谢谢", "13812345678"),
    ("八八八八幺二三四", "88881234"),
    ("幺三八幺二三", None),
    ("不知道", None),
])
def test_phones(said: str, phone: str | None) -> None:
    assert parse_phone(said) == phone


@pytest.mark.parametrize(("said", "reference"), [
    ("单号是R一零零一", "R1001"),
    ("R幺零零幺", "R1001"),
    ("一零零一", "R1001"),
    ("我的单号是一千零一", "R1001"),
    ("ｒ７ｋ３ｍ９ｐ２ｘ", "R7K3M9P2X"),
    ("我忘了", None),
])
def test_references(said: str, reference: str | None) -> None:
    assert parse_reference(said, "R") == reference


@pytest.mark.parametrize(("said", "digits"), [
    ("三号楼五零二", "3502"), ("十二号楼", "12"), ("〇五", "05"), ("３号", "3"),
])
def test_spoken_digits(said: str, digits: str) -> None:
    assert spoken_digits(said) == digits


@pytest.mark.parametrize(("items", "last", "said"), [
    (["太极拳", "书法"], "and", "太极拳和书法"),
    (["太极拳", "书法", "合唱"], "and", "太极拳、书法和合唱"),
    (["上午九点", "下午两点"], "or", "上午九点或者下午两点"),
    (["tea", "cake"], "and", "tea and cake"),
])
def test_spoken_list(items: list[str], last: str, said: str) -> None:
    assert spoken_list(items, last) == said


# --- yes or no ----------------------------------------------------------------------------------

@pytest.mark.parametrize("said", ["是的", "是", "对", "对对对", "好的", "好", "行", "可以", "没错", "嗯", "嗯嗯",
                                  "没问题", "不错", "好的，发吧", "发吧", "确定", "可以，麻烦你了", "好的 OK",
                                  "嗯，那个，对的对的"])
def test_yes(said: str) -> None:
    assert zh_yes_or_no(said) is True


@pytest.mark.parametrize("said", ["不", "不是", "不要", "别发", "算了", "算了吧", "不用了", "不用了谢谢", "不对",
                                  "错了", "没有", "取消", "好的不要发", "先不发了", "ok 不要", "不行"])
def test_no(said: str) -> None:
    assert zh_yes_or_no(said) is False


@pytest.mark.parametrize("said", ["", "   ", "要不要发？", "是不是", "好吗", "可不可以", "不知道", "我想想",
                                  "我要改一下电话",                                  "🙂", "三号楼"])
def test_neither_yes_nor_no(said: str) -> None:
    assert zh_yes_or_no(said) is None


# --- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "name"), [
    ("我叫王秀英", "王秀英"),
    ("王秀英", "王秀英"),
    ("我姓李", "李"),
    ("李阿姨", "李阿姨"),                     # kept as said
    ("我是老张", "老张"),
    ("张三", "张三"),                         # numerals inside a name are part of it
    ("嗯，那个，我叫王秀英啊", "王秀英"),
    ("我姓王，叫王秀英", "王秀英"),
    ("我的名字是刘建国。", "刘建国"),
    ("姓名：刘德华", "刘德华"),
    ("病人叫陈小红", "陈小红"),
    ("我叫Mary", "Mary"),
    ("我叫王秀英🙂", "王秀英"),
    ("我叫陳麗華", "陳麗華"),                # a name is kept in the characters it was written in
    ("我叫王園園", "王園園"),
])
def test_names(said: str, name: str) -> None:
    assert zh_name(said) == name


@pytest.mark.parametrize("said", ["", "好的", "对", "不知道", "我要预约", "取消", "幺三八幺二三四五六七八",
                                  "三号楼五零二", "李", "我叫", "王秀英，明天下午两点", "🙂", "Mary",
                                  "我叫" + "王" * 40])
def test_not_names(said: str) -> None:
    assert zh_name(said) is None


# --- anything at all ----------------------------------------------------------------------------

ODD = ["", " ", "🙂🙂", "三号楼 room 502", "三號樓五零二", "３号楼５０２", "\x00\u200b", "十" * 500, "一万万万",
       "零" * 2000, "下" * 3000 + "礼拜三", "点" * 5000, "R" + "零" * 999, "Ⅻ号楼", "²³", "٣٣٣", "𠀀𠀀"]


def _read_everything(text: str) -> None:
    has_chinese(text)
    zh_number(text)
    zh_arabic(text)
    zh_place(text)
    zh_day(text, MONDAY)
    zh_clock_time(text)
    zh_yes_or_no(text)
    zh_name(text)
    parse_day(text, MONDAY)
    parse_clock_time(text)
    parse_phone(text)
    parse_reference(text, "R")
    spoken_digits(text)


@pytest.mark.parametrize("text", ODD)
def test_odd_input_never_raises_and_is_quick(text: str) -> None:
    started = clock.perf_counter()
    _read_everything(text)
    assert clock.perf_counter() - started < 1.0


def test_huge_input_is_read_quickly() -> None:
    huge = "嗯那个三号楼五零二明天下午两点半是的我叫王秀英" * 20_000
    started = clock.perf_counter()
    _read_everything(huge)
    assert clock.perf_counter() - started < 2.0


_PIECES = st.sampled_from(["三", "号楼", "五零二", "室", "单元", "下", "礼拜", "星期", "周", "三", "点", "半", "差",
                           "一刻", "分", "十", "百", "千", "万", "零", "幺", "两", "月", "号", "日", "不", "要", "好",
                           "叫", "姓", "我", "年", "2026", "12", ":", " ", "R", "pm", "３", "號", "樓"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=20).map("".join)))
def test_no_input_makes_a_reader_raise(text: str) -> None:
    _read_everything(text)
    day = zh_day(text, MONDAY)
    assert day is None or day >= MONDAY       # never a day already past
    place = zh_place(text)
    assert place.flat is None or (place.flat.isdigit() and 3 <= len(place.flat) <= 4)
