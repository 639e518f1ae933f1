"""Japanese era (和暦) dates: 令和9年6月5日, with the first year of an era as 元年 (令和元年5月1日)."""

from __future__ import annotations

import datetime as dt

# (era, first day) newest first.  Japan adopted the Gregorian calendar on 1873-01-01 (明治6年), so earlier dates
# (lunisolar calendar) are not supported.
ERAS: tuple[tuple[str, dt.date], ...] = (
    ("令和", dt.date(2019, 5, 1)),
    ("平成", dt.date(1989, 1, 8)),
    ("昭和", dt.date(1926, 12, 25)),
    ("大正", dt.date(1912, 7, 30)),
    ("明治", dt.date(1868, 1, 25)),
)
EARLIEST = dt.date(1873, 1, 1)


def era_year(date: dt.date) -> tuple[str, int]:
    """The era (元号) and the year in it: (令和, 9) for 2027-06-05; ValueError before 1873-01-01."""
    day = date.date() if isinstance(date, dt.datetime) else date
    if day >= EARLIEST:
        for era, first in ERAS:
            if day >= first:
                return era, day.year - first.year + 1
    raise ValueError(f"no Japanese era date for {day.isoformat()} (supported from {EARLIEST.isoformat()})")


def wareki_year(date: dt.date) -> str:
    """The era and year of a date: 令和9年, 令和元年."""
    era, year = era_year(date)
    return f"{era}{'元' if year == 1 else year}年"


def wareki(date: dt.date) -> str:
    """The date in the Japanese calendar: 令和9年6月5日, 令和元年5月1日, 平成31年4月30日."""
    return f"{wareki_year(date)}{date.month}月{date.day}日"
