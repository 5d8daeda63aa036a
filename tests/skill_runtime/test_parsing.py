"""parsing: days, times, phone numbers and references the way residents say (or a recogniser spells) them."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from assistant.skill_runtime.parsing import (
    mask_phone,
    parse_clock_time,
    parse_day,
    parse_phone,
    parse_reference,
    spoken_day,
    spoken_digits,
    spoken_list,
    spoken_time,
)

MONDAY = date(2026, 11, 23)
SUNDAY = date(2026, 11, 29)
DEC_30 = date(2026, 12, 30)  # a Wednesday


# --- days -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("today", MONDAY),
    ("Today please", MONDAY),
    ("this afternoon", MONDAY),
    ("tomorrow", date(2026, 11, 24)),
    ("tomorrow morning", date(2026, 11, 24)),
    ("the day after tomorrow", date(2026, 11, 25)),
    ("今天", MONDAY),
    ("明天", date(2026, 11, 24)),
    ("后天", date(2026, 11, 25)),
    ("2026-12-01", date(2026, 12, 1)),
    ("on 2027-1-5 please", date(2027, 1, 5)),
])
def test_relative_and_iso_days(text: str, expected: date) -> None:
    assert parse_day(text, MONDAY) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("monday", MONDAY),                          # the same weekday is today
    ("next monday", date(2026, 11, 30)),         # ... unless "next"
    ("Wednesday", date(2026, 11, 25)),
    ("next wednesday", date(2026, 11, 25)),
    ("on friday afternoon", date(2026, 11, 27)),
    ("sunday", SUNDAY),
    ("tues", date(2026, 11, 24)),
    ("thurs", date(2026, 11, 26)),
    ("sat", date(2026, 11, 28)),
    ("星期三", date(2026, 11, 25)),
    ("下个礼拜五", date(2026, 12, 4)),            # 下 is next week's Friday, not this week's
    ("这个礼拜五", date(2026, 11, 27)),
    ("周日", SUNDAY),
    ("星期天", SUNDAY),
    ("星期一", MONDAY),
])
def test_weekdays_from_monday(text: str, expected: date) -> None:
    assert parse_day(text, MONDAY) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("monday", date(2026, 11, 30)),              # wraps into next week
    ("next monday", date(2026, 11, 30)),
    ("saturday", date(2026, 12, 5)),
    ("sunday", SUNDAY),
    ("next sunday", date(2026, 12, 6)),
    ("星期三", date(2026, 12, 2)),
])
def test_weekdays_wrap_from_sunday(text: str, expected: date) -> None:
    assert parse_day(text, SUNDAY) == expected


def test_weekday_wraps_over_the_year_end() -> None:
    assert parse_day("monday", DEC_30) == date(2027, 1, 4)
    assert parse_day("tomorrow", date(2026, 12, 31)) == date(2027, 1, 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("the 25th", date(2026, 11, 25)),
    ("the 23rd", MONDAY),                        # today still counts
    ("the 22nd", date(2026, 12, 22)),            # already past this month: next month
    ("the 1st", date(2026, 12, 1)),
    ("on the 3", date(2026, 12, 3)),
    ("25 November", date(2026, 11, 25)),
    ("november 25", date(2026, 11, 25)),
    ("the 5th of january", date(2027, 1, 5)),
    ("dec 1st", date(2026, 12, 1)),
    ("sept 3", date(2027, 9, 3)),
    ("3 sep", date(2027, 9, 3)),
    ("22 November", date(2027, 11, 22)),         # this year's has passed
    ("at 9:30 on the 25th", date(2026, 11, 25)),  # the time is not the day
    ("room 3 on the 25th", date(2026, 11, 25)),
    ("at 9:30, 25 november", date(2026, 11, 25)),
    ("the market on the 30th", date(2026, 11, 30)),  # "market" is not March
    ("may I come on the 25th", date(2026, 11, 25)),  # "may I" is not May
    ("the 25th of may", date(2027, 5, 25)),
])
def test_day_of_month(text: str, expected: date) -> None:
    assert parse_day(text, MONDAY) == expected


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("the 31st", MONDAY, date(2026, 12, 31)),           # November has 30 days
    ("the 30th", date(2027, 1, 31), date(2027, 3, 30)),  # no 30 February
    ("29 february", MONDAY, None),                       # no leap day in the next twelve months
    ("29 february", date(2027, 3, 1), date(2028, 2, 29)),
    ("the 31st", DEC_30, date(2026, 12, 31)),
    ("the 1st", DEC_30, date(2027, 1, 1)),
])
def test_month_end(text: str, today: date, expected: date | None) -> None:
    assert parse_day(text, today) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "whenever", "soon", "2026-02-30", "2026-13-01", "the 32nd", "the 0th", "25", "at 3 pm",
    "I don't know", "星期八",
])
def test_no_usable_day(text: str) -> None:
    assert parse_day(text, MONDAY) is None


# --- clock times ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("9:20", time(9, 20)),
    ("9.20", time(9, 20)),
    ("14:00", time(14, 0)),
    ("00:30", time(0, 30)),
    ("2 pm", time(14, 0)),
    ("2pm", time(14, 0)),
    ("8pm", time(20, 0)),
    ("8 p.m.", time(20, 0)),
    ("8 P.M.", time(20, 0)),
    ("11am", time(11, 0)),
    ("10 a.m.", time(10, 0)),
    ("12 pm", time(12, 0)),
    ("12 am", time(0, 0)),
    ("10 o'clock", time(10, 0)),
    ("3 oclock", time(15, 0)),                   # "at three" means the afternoon
    ("3 o'clock in the morning", time(3, 0)),
    ("I am coming at 3 o'clock", time(15, 0)),   # "I am" says nothing about am
    ("half past nine", time(9, 30)),
    ("half past 9", time(9, 30)),
    ("quarter past eleven", time(11, 15)),
    ("quarter to ten", time(9, 45)),
    ("ten past nine", time(9, 10)),
    ("twenty-five to four", time(15, 35)),
    ("ten to one", time(12, 50)),
    ("nine twenty", time(9, 20)),
    ("nine forty-five", time(9, 45)),
    ("eleven fifteen", time(11, 15)),
    ("twelve thirty", time(12, 30)),
    ("at three", time(15, 0)),
    ("three in the afternoon", time(15, 0)),
    ("seven in the evening", time(19, 0)),
    ("nine in the morning", time(9, 0)),
    ("9:20 pm", time(21, 20)),
])
def test_clock_times(text: str, expected: time) -> None:
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize("text", ["", "later", "25:00", "9:75", "soon please", "the 25th", "twenty past noon"])
def test_no_usable_time(text: str) -> None:
    assert parse_clock_time(text) is None


# --- phone numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("my number is 139 1234 5678 thanks", "13912345678"),
    ("one three eight zero zero one three eight zero zero zero", "13800138000"),
    ("one three eight double zero one three eight triple zero", "13800138000"),
    ("one three eight oh oh one three eight o o o", "13800138000"),
    ("Double one three eight double zero one three eight nine", None),  # 12 digits
    ("一三八零零一三八零零零", "13800138000"),
    ("幺三八 两两两两 两两两两", "13822222222"),
    ("5551234", "5551234"),                       # landline, 7 digits
    ("8888 1234", "88881234"),                    # landline, 8 digits
])
def test_phone_numbers(text: str, expected: str | None) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", ["", "no phone", "12345", "0551234", "23800138000", "138001380001",
                                  "one two three"])
def test_not_phone_numbers(text: str) -> None:
    assert parse_phone(text) is None


@pytest.mark.parametrize(("text", "digits"), [
    ("double three", "33"),
    ("triple seven two", "7772"),
    ("double", ""),
    ("double trouble one", "1"),        # a multiplier only applies to the next word
    ("room 3 floor 12", "312"),
    ("someone often went", ""),         # digit words only as whole words
])
def test_spoken_digits(text: str, digits: str) -> None:
    assert spoken_digits(text) == digits


def test_mask_phone_reads_back_only_the_last_four() -> None:
    assert mask_phone("13800138000") == "ending in 8 0 0 0"
    assert mask_phone("12") == "on file"


# --- references -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("R1001", "R1001"),
    ("r 1001", "R1001"),
    ("my ticket is R-1001 thanks", "R1001"),
    ("ticket one zero zero one", "R1001"),
    ("number 1001", "R1001"),
    ("double one zero three", "R1103"),
    ("R123456", "R123456"),
    ("12", None),
    ("1234567", None),
    ("I lost it", None),
    # random references (R + 8 of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ), as printed, typed and spoken
    ("R7K3M9P2X", "R7K3M9P2X"),
    ("r 7k3m 9p2x", "R7K3M9P2X"),
    ("my repair is R-7K3M-9P2X thanks", "R7K3M9P2X"),
    ("R seven K three M nine P two X", "R7K3M9P2X"),
    ("ar seven kay three em nine pee two ex", "R7K3M9P2X"),
    ("R double seven K three M nine P two", "R77K3M9P2"),
    ("it is 7K3M9P2X", "R7K3M9P2X"),
    ("R7K3M9P", None),  # one character short
    ("R7K3M9P0X", None),  # 0 is never in a random reference
    ("I have a broken tap", None),
    ("rtdgvqwll", "RTDGVQWLL"),  # about one code in ten has no digit
    ("R T D G V Q W L L", "RTDGVQWLL"),
])
def test_references(text: str, expected: str | None) -> None:
    assert parse_reference(text, "R") == expected


def test_reference_prefix_is_case_insensitive_and_upper_cased() -> None:
    assert parse_reference("a 2001", "a") == "A2001"
    assert parse_reference("q-00042", "Q") == "Q00042"


# --- speaking them back ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "spoken"), [
    (time(9, 20), "9:20 am"),
    (time(9, 0), "9 am"),
    (time(0, 5), "12:05 am"),
    (time(12, 0), "12 pm"),
    (time(12, 30), "12:30 pm"),
    (time(23, 59), "11:59 pm"),
    (datetime(2026, 11, 23, 14, 0), "2 pm"),
])
def test_spoken_time(value: time | datetime, spoken: str) -> None:
    assert spoken_time(value) == spoken


@pytest.mark.parametrize(("value", "spoken"), [
    (MONDAY, "today, Monday 23 November"),
    (date(2026, 11, 24), "tomorrow, Tuesday 24 November"),
    (date(2026, 11, 26), "Thursday 26 November"),
    (date(2027, 1, 1), "Friday 1 January"),
])
def test_spoken_day(value: date, spoken: str) -> None:
    assert spoken_day(value, MONDAY) == spoken


def test_spoken_day_across_the_year_end() -> None:
    assert spoken_day(date(2027, 1, 1), date(2026, 12, 31)) == "tomorrow, Friday 1 January"


@pytest.mark.parametrize(("items", "last", "said"), [
    ([], "and", ""), (["tea"], "and", "tea"), (["tea", "cake"], "and", "tea and cake"),
    (["tea", "cake", "fruit"], "and", "tea, cake and fruit"), (["tea", "cake", "fruit"], "or", "tea, cake or fruit"),
])
def test_spoken_list(items: list[str], last: str, said: str) -> None:
    assert spoken_list(items, last) == said
