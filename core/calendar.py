"""The business calendar: national holidays (振替休日 and 国民の休日 included), day types and the year-end closure.

A holiday (休日) is a Saturday, a Sunday or a national holiday; every other date is a weekday (平日).
12/29–1/3 is closed (年末年始): no booths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import Enum

import jpholiday

WEEKDAY_LETTERS = "月火水木金土日"  # date.weekday() 0..6
HOLIDAY_LETTER = "祝"


class DayType(str, Enum):
    """平日 or 休日 (Saturday, Sunday or national holiday)."""

    weekday = "weekday"
    holiday = "holiday"


def is_national_holiday(date: dt.date) -> bool:
    """Whether the date is a national holiday, substitute (振替休日) and sandwiched (国民の休日) ones included."""
    return jpholiday.is_holiday(date)


def national_holiday_name(date: dt.date) -> str | None:
    """The holiday's Japanese name, or None."""
    return jpholiday.is_holiday_name(date)


def day_type(date: dt.date) -> DayType:
    """休日 on Saturdays, Sundays and national holidays; 平日 otherwise."""
    if date.weekday() >= 5 or is_national_holiday(date):
        return DayType.holiday
    return DayType.weekday


def is_year_end_closure(date: dt.date) -> bool:
    """12/29–1/3, when the city (and every booth) is closed."""
    return (date.month == 12 and date.day >= 29) or (date.month == 1 and date.day <= 3)


def day_letter(date: dt.date) -> str:
    """The letter a facility list uses for the date: 祝 on national holidays, else 月…日."""
    return HOLIDAY_LETTER if is_national_holiday(date) else WEEKDAY_LETTERS[date.weekday()]


def is_open_on(open_days: str, date: dt.date) -> bool:
    """Whether a venue with these opening-day letters (e.g. 月火水木金祝) opens on the date.

    On a national holiday only 祝 counts (a venue closed on holidays is closed even if the weekday is open).
    """
    return day_letter(date) in open_days


def dates(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date from start to end, both included."""
    for offset in range((end - start).days + 1):
        yield start + dt.timedelta(days=offset)


def month_key(date: dt.date) -> str:
    """``YYYY-MM``."""
    return f"{date.year:04d}-{date.month:02d}"


FISCAL_YEAR_FIRST_MONTH = 4  # 年度: April to March


def fiscal_year(date: dt.date) -> int:
    """The fiscal year (年度) containing ``date``, named by the year it starts in (2027-03-31 is in FY2026)."""
    return date.year if date.month >= FISCAL_YEAR_FIRST_MONTH else date.year - 1


def fiscal_year_period(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of fiscal year ``year`` (1 April to 31 March)."""
    return dt.date(year, FISCAL_YEAR_FIRST_MONTH, 1), dt.date(year + 1, FISCAL_YEAR_FIRST_MONTH, 1) - dt.timedelta(1)
