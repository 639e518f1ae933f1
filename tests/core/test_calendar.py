"""The business calendar (core.calendar) against the national holidays of 2024–2030 (data/jp_holidays_2024_2030.csv):
holidays with 振替休日 and 国民の休日, day types, the 12/29–1/3 closure and opening days with and without 祝."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from core.calendar import DayType, dates, day_type, is_national_holiday, is_open_on, is_year_end_closure

HOLIDAYS_CSV = Path(__file__).resolve().parents[2] / "data" / "jp_holidays_2024_2030.csv"
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2030, 12, 31)


def holidays_from_csv() -> dict[dt.date, str]:
    with HOLIDAYS_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return {dt.date.fromisoformat(row["date"]): row["name_holidays_ja"] for row in csv.DictReader(handle)}


HOLIDAYS = holidays_from_csv()


def test_the_reference_file_covers_2024_to_2030() -> None:
    assert min(HOLIDAYS) == dt.date(2024, 1, 1)
    assert max(HOLIDAYS) <= LAST
    assert {d.year for d in HOLIDAYS} == set(range(2024, 2031))
    assert len(HOLIDAYS) == 129


def test_every_national_holiday_2024_to_2030_matches_the_reference_file() -> None:
    computed = {d for d in dates(FIRST, LAST) if is_national_holiday(d)}
    assert sorted(computed - set(HOLIDAYS)) == []  # no holiday the file does not know
    assert sorted(set(HOLIDAYS) - computed) == []  # no holiday missed


@pytest.mark.parametrize(
    "date",
    [
        dt.date(2024, 2, 12),
        dt.date(2024, 5, 6),
        dt.date(2024, 8, 12),
        dt.date(2024, 9, 23),
        dt.date(2024, 11, 4),
        dt.date(2025, 2, 24),
        dt.date(2025, 5, 6),
        dt.date(2025, 11, 24),
        dt.date(2026, 5, 6),
        dt.date(2027, 3, 22),
        dt.date(2029, 4, 30),
        dt.date(2030, 11, 4),
    ],
)
def test_substitute_holidays_are_holidays(date: dt.date) -> None:
    assert HOLIDAYS[date] == "振替休日"
    assert date.weekday() < 5
    assert is_national_holiday(date)
    assert day_type(date) == DayType.holiday


def test_the_sandwiched_citizens_holiday_of_2026_is_a_holiday() -> None:
    date = dt.date(2026, 9, 22)  # between 敬老の日 (9/21) and 秋分の日 (9/23)
    assert HOLIDAYS[date] == "国民の休日"
    assert is_national_holiday(date)
    assert is_national_holiday(dt.date(2026, 9, 21)) and is_national_holiday(dt.date(2026, 9, 23))
    assert day_type(date) == DayType.holiday
    assert not is_national_holiday(dt.date(2026, 9, 24))


def test_day_type_is_holiday_exactly_on_saturdays_sundays_and_national_holidays() -> None:
    for date in dates(FIRST, LAST):
        expected = DayType.holiday if date.weekday() >= 5 or date in HOLIDAYS else DayType.weekday
        assert day_type(date) == expected, date


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2027, 4, 1), DayType.weekday),  # Thursday
        (dt.date(2027, 4, 3), DayType.holiday),  # Saturday
        (dt.date(2027, 4, 4), DayType.holiday),  # Sunday
        (dt.date(2027, 4, 29), DayType.holiday),  # 昭和の日, Thursday
        (dt.date(2027, 4, 30), DayType.weekday),  # Friday between 昭和の日 and Golden Week
        (dt.date(2024, 11, 4), DayType.holiday),  # 振替休日, Monday
        (dt.date(2026, 9, 22), DayType.holiday),  # 国民の休日, Tuesday
    ],
)
def test_day_type_examples(date: dt.date, expected: DayType) -> None:
    assert day_type(date) == expected


def test_year_end_closure_is_december_29_to_january_3() -> None:
    for year in range(2024, 2031):
        closed = {d for d in dates(dt.date(year, 1, 1), dt.date(year, 12, 31)) if is_year_end_closure(d)}
        expected = {dt.date(year, 1, day) for day in (1, 2, 3)} | {dt.date(year, 12, day) for day in (29, 30, 31)}
        assert closed == expected
    assert not is_year_end_closure(dt.date(2027, 12, 28))
    assert not is_year_end_closure(dt.date(2028, 1, 4))


def test_closure_days_are_closed_even_on_weekdays_that_are_not_holidays() -> None:
    date = dt.date(2027, 12, 29)  # a Wednesday, not a national holiday
    assert not is_national_holiday(date) and day_type(date) == DayType.weekday
    assert is_year_end_closure(date)


WEEKDAY_HOLIDAY = dt.date(2027, 4, 29)  # 昭和の日, a Thursday
PLAIN_THURSDAY = dt.date(2027, 4, 22)


def test_a_venue_without_祝_is_closed_on_a_national_holiday_on_its_open_weekday() -> None:
    assert WEEKDAY_HOLIDAY.weekday() == 3 and is_national_holiday(WEEKDAY_HOLIDAY)
    assert is_open_on("月火水木金", PLAIN_THURSDAY)
    assert not is_open_on("月火水木金", WEEKDAY_HOLIDAY)
    assert not is_open_on("月火水木金土日", WEEKDAY_HOLIDAY)


def test_a_venue_with_祝_is_open_on_a_national_holiday() -> None:
    assert is_open_on("月火水木金祝", WEEKDAY_HOLIDAY)
    assert is_open_on("祝", WEEKDAY_HOLIDAY)  # 祝 alone is enough, even though Thursday is not listed
    assert not is_open_on("祝", PLAIN_THURSDAY)


@pytest.mark.parametrize("date", [dt.date(2024, 11, 4), dt.date(2026, 9, 22), dt.date(2024, 2, 12)])
def test_substitute_and_sandwiched_holidays_follow_the_祝_rule(date: dt.date) -> None:
    letter = "月火水木金土日"[date.weekday()]
    assert not is_open_on(letter, date)
    assert is_open_on(letter + "祝", date)


def test_a_holiday_on_a_sunday_counts_as_祝_not_日() -> None:
    date = dt.date(2027, 3, 21)  # 春分の日, a Sunday
    assert date.weekday() == 6 and is_national_holiday(date)
    assert not is_open_on("日", date)
    assert is_open_on("祝", date)


def test_open_days_on_ordinary_dates_use_the_weekday_letter() -> None:
    monday = dt.date(2027, 4, 5)
    for offset, letter in enumerate("月火水木金土日"):
        date = monday + dt.timedelta(days=offset)
        assert not is_national_holiday(date)
        assert is_open_on(letter, date)
        assert not is_open_on("月火水木金土日祝".replace(letter, ""), date)
    assert not is_open_on("", monday)
