"""Staffing of the counter (窓口の人員配置): how many windows each hour keep the expected wait under a target.

For a day, the forecast arrivals per hour of each service (the city's monthly counter statistics, 窓口統計, spread
over the month's weekdays and over the hours by :data:`HOURLY_SHAPE`) and each service's minutes per person give
the offered load; Erlang C (the M/M/c queue, one hour at a time: the "stationary independent period by period"
approximation) gives the fewest windows whose expected wait is at most the target. Each service has its own
windows (a window serves one kind of business, as CounterService.windows says), so the day's need in an hour is the
sum over the services; it is compared with the contract's :data:`CONTRACT_WINDOWS` windows.

Why not a library: ``pyworkforce`` (ErlangC) installs on Python 3.11 with numpy 2.4 and agrees with these figures,
but its package imports OR-Tools and pandas (about 250 MB with protobuf) for a ten-line recurrence, has had no
release since 2023, and sizes for a service level (share answered within a time) where the issue asks for the
expected wait. The formula is therefore written here (Erlang B by its stable recurrence, then Erlang C) and
checked against a discrete-event simulation with ``ciw`` (tests/counter/test_staffing.py and
``bench/counter/backtest.py --staffing``). Period-by-period Erlang C ignores the queue an overloaded hour leaves
to the next; the simulation in the bench shows how much that matters.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from booking.counter_stats import CounterStat, read_counter_stats, same_month_stat
from core.calendar import is_national_holiday, is_year_end_closure
from core.settings import get_settings
from counter import offices

CONTRACT_WINDOWS = 5
"""The windows the contract staffs at City Hall (issue 19: at least 2 reception staff, 5 windows, 2 back office)."""
DEFAULT_TARGET_MINUTES = 20.0
"""The default target of the expected wait (the amber threshold of 和歌山市's 混雑ランプ)."""
MAX_WINDOWS = 30
"""No service is sized beyond this many windows (a forecast that needs more says so)."""

HOURLY_SHAPE: Mapping[int, float] = {
    9: 1.15,
    10: 1.25,
    11: 1.10,
    12: 0.75,
    13: 0.95,
    14: 1.05,
    15: 0.95,
    16: 0.75,
    17: 0.40,
}
"""Relative arrival rate in each clock hour of a counter day (1.0 = the day's average). The city's statistics are
monthly, so the shape is an assumption, the common one of municipal counters: a rush at opening and late morning,
a dip at lunch, a second smaller peak after it and a quiet last three quarters of an hour. Served tickets measure
the real one (the reports' waiting times per hour); replace it then."""

STAT_FIELDS: Mapping[str, str] = {
    "pickup": "card_issued",  # 交付 ← card_issued_at_window
    "certificate": "certificates",  # 電子証明書 ← e_certificate_issued_or_renewed
    "application": "applications",  # 申請受付 ← applications_received
}
"""Which column of the counter statistics (booking.counter_stats.CounterStat) forecasts each service kind; the
others (暗証番号の再設定, その他) have no statistics and no forecast."""


def erlang_c(arrivals_per_minute: float, minutes: float, windows: int) -> float:
    """The probability that an arrival waits (Erlang C) at ``windows`` windows; 1.0 when they cannot keep up."""
    load = arrivals_per_minute * minutes  # offered load in erlangs
    if load <= 0:
        return 0.0
    if windows <= load:
        return 1.0
    blocking = 1.0  # Erlang B by the recurrence B(k) = A·B(k-1) / (k + A·B(k-1)), stable for any size
    for k in range(1, windows + 1):
        blocking = load * blocking / (k + load * blocking)
    return windows * blocking / (windows - load * (1 - blocking))


def expected_wait_minutes(arrivals_per_minute: float, minutes: float, windows: int) -> float:
    """The expected wait before service in the M/M/c queue (Erlang C): ``C · m / (c − A)``; infinite when the
    windows cannot keep up (``c ≤ A``)."""
    load = arrivals_per_minute * minutes
    if load <= 0:
        return 0.0
    if windows <= load:
        return math.inf
    return erlang_c(arrivals_per_minute, minutes, windows) * minutes / (windows - load)


def windows_needed(arrivals_per_hour: float, minutes: float, target_minutes: float) -> int:
    """The fewest windows whose expected wait is at most ``target_minutes`` (0 when nobody is expected; at most
    :data:`MAX_WINDOWS`)."""
    if arrivals_per_hour <= 0 or minutes <= 0:
        return 0
    rate = arrivals_per_hour / 60.0
    windows = max(1, math.floor(rate * minutes) + 1)
    while windows < MAX_WINDOWS and expected_wait_minutes(rate, minutes, windows) > target_minutes:
        windows += 1
    return windows


@dataclass(frozen=True)
class Period:
    """An interval of a counter day, e.g. 9:00–10:00 (the last one may be shorter: 17:00–17:45)."""

    start: dt.time
    end: dt.time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def hour_periods(opens: dt.time, closes: dt.time) -> list[Period]:
    """The clock-hour periods of a day from ``opens`` to ``closes`` (9:00–10:00, ..., 17:00–17:45)."""
    periods: list[Period] = []
    start = opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    while start < end:
        stop = min(end, (start // 60 + 1) * 60)
        periods.append(Period(dt.time(start // 60, start % 60), dt.time(stop // 60, stop % 60)))
        start = stop
    return periods


def hourly_arrivals(day_total: float, periods: Sequence[Period]) -> list[float]:
    """A day's arrivals spread over its periods by :data:`HOURLY_SHAPE` and their length (arrivals per period)."""
    weights = [HOURLY_SHAPE.get(p.start.hour, 0.5) * p.minutes for p in periods]
    total = sum(weights)
    return [day_total * w / total if total else 0.0 for w in weights]


def counter_weekdays(year: int, month: int) -> int:
    """The weekdays of a month on which the counter opens (not a weekend, a national holiday or 12/29–1/3)."""
    days = month_calendar.monthrange(year, month)[1]
    return sum(
        1
        for d in range(1, days + 1)
        if (date := dt.date(year, month, d)).weekday() < 5
        and not is_national_holiday(date)
        and not is_year_end_closure(date)
    )


@dataclass(frozen=True)
class ServiceForecast:
    """One service's forecast for a day: its minutes per person and arrivals in each period."""

    kind: str
    minutes: float
    arrivals: tuple[float, ...]  # per period of the plan


@dataclass(frozen=True)
class StaffingPlan:
    """Windows needed per period (by service and in total) for a day, against the contract's windows."""

    day: dt.date
    periods: tuple[Period, ...]
    services: tuple[ServiceForecast, ...]
    windows: tuple[tuple[int, ...], ...]  # per service (same order), per period
    target_minutes: float
    contract_windows: int = CONTRACT_WINDOWS

    @property
    def totals(self) -> list[int]:
        """The windows needed in each period, all services together."""
        return [sum(column) for column in zip(*self.windows)] if self.windows else [0] * len(self.periods)

    @property
    def arrivals(self) -> list[float]:
        """The arrivals forecast in each period, all services together."""
        return [sum(column) for column in zip(*(s.arrivals for s in self.services))] or [0.0] * len(self.periods)

    @property
    def peak(self) -> int:
        return max(self.totals, default=0)

    @property
    def short_periods(self) -> list[Period]:
        """The periods that need more windows than the contract staffs."""
        return [p for p, total in zip(self.periods, self.totals) if total > self.contract_windows]


def plan_staffing(
    day: dt.date,
    periods: Sequence[Period],
    services: Sequence[ServiceForecast],
    target_minutes: float = DEFAULT_TARGET_MINUTES,
    contract_windows: int = CONTRACT_WINDOWS,
) -> StaffingPlan:
    """The windows each service needs in each period so that its expected wait stays at most ``target_minutes``."""
    windows = tuple(
        tuple(
            windows_needed(arrivals * 60.0 / period.minutes, service.minutes, target_minutes)
            for arrivals, period in zip(service.arrivals, periods)
        )
        for service in services
    )
    return StaffingPlan(day, tuple(periods), tuple(services), windows, target_minutes, contract_windows)


def daily_arrivals(kind: str, stat: CounterStat | None, day: dt.date) -> float:
    """The forecast arrivals of a service kind on a weekday of ``day``'s month: the month's count in the counter
    statistics (the same calendar month of the latest year before) over the month's counter weekdays; 0 without a
    statistic for the kind."""
    field = STAT_FIELDS.get(kind)
    if stat is None or field is None:
        return 0.0
    count = float(getattr(stat, field))
    days = counter_weekdays(day.year, day.month)
    return count / days if days else 0.0


def month_stat(day: dt.date, path: Path | None) -> CounterStat | None:
    """The counter statistic that forecasts ``day``: the same calendar month of the latest year before it in the
    ``COUNTER_STATS_FILE`` CSV, else the same month of any year in it (a file of the current year only)."""
    month = f"{day:%Y-%m}"
    stat = same_month_stat(month, path)
    if stat is not None or path is None:
        return stat
    try:
        stats = read_counter_stats(path)
    except (OSError, ValueError):
        return None
    same = [key for key in stats if key[5:] == month[5:]]
    return stats[max(same)] if same else None


@dataclass(frozen=True)
class OfficeStaffing:
    """An office's staffing plan for a day, with what it was forecast from."""

    office_id: int
    office_name: str
    plan: StaffingPlan
    stat_month: str | None  # the month of the counter statistics used ("2024-12"); None: no statistics
    kinds_without_forecast: tuple[str, ...]  # services with no statistics (暗証番号の再設定, その他)
    open: bool  # False on a day the office is closed (weekend, holiday, 12/29-1/3, a closure)


async def office_staffing(
    office_id: int, day: dt.date, target_minutes: float = DEFAULT_TARGET_MINUTES
) -> OfficeStaffing:
    """The windows the office needs each hour of ``day`` to keep every service's expected wait under the target,
    forecast from the counter statistics (the ``COUNTER_STATS_FILE`` setting) and the services' minutes per
    person; the office's opening day and hours are counter.offices'. NotFound for an unknown office."""
    office = await offices.get_office(office_id)
    opening = await offices.opening(office, day)
    periods = hour_periods(opening.opens.time(), opening.closes.time()) if opening is not None else []
    services = await offices.office_services(office_id)
    stat = month_stat(day, get_settings().counter_stats_file)
    same_kind = {s.kind: sum(1 for t in services if t.kind == s.kind) for s in services}
    forecasts = [
        ServiceForecast(
            s.kind.value,
            float(s.minutes_per_person),
            tuple(hourly_arrivals(daily_arrivals(s.kind.value, stat, day) / same_kind[s.kind], periods)),
        )
        for s in services
    ]
    return OfficeStaffing(
        office_id=office_id,
        office_name=office.name,
        plan=plan_staffing(day, periods, forecasts, target_minutes),
        stat_month=stat.month if stat is not None else None,
        kinds_without_forecast=tuple(s.kind.value for s in services if s.kind.value not in STAT_FIELDS),
        open=opening is not None,
    )
