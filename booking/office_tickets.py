"""What the reports read from the counter's queue tickets (整理券): the tickets served per day and service, and each
visit's wait, aggregated per hour into the waiting-time tables of the daily and monthly reports.

booking does not know the counter app (layers: counter → booking), so the counter registers a provider here
(``register_office_figures``, called by ``wiring.register``). Without a provider, or on days without tickets, the
reports show the in-office counts typed by hand (OfficeCount), as before.

Definitions:

- a visit is a resident's first ticket and the tickets transferred from it to other services: its hour is the hour
  (Japan time) the first ticket was taken, its wait the time from each ticket's issue (for a transferred ticket: from
  the transfer) to its call, summed over the visit's tickets; a visit whose first ticket was never called has no wait;
- the median and the 90th percentile are those of the waits of the visits called (linear interpolation between the
  closest ranks, as ``statistics.quantiles(method="inclusive")``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

TICKET_FIELDS = ("card_handovers", "certificates", "pin_resets", "applications")
"""The in-office counts that come from served tickets on a day with tickets; the others (card detail changes, phone
calls) stay typed by hand."""


@dataclass(frozen=True)
class OfficeInfo:
    """An office whose tickets are reported: its name and its colour thresholds (混雑ランプ) in minutes."""

    id: int
    name: str
    amber_minutes: int
    red_minutes: int


@dataclass(frozen=True)
class Visit:
    """One resident's visit to an office: the hour its first ticket was taken, its wait until called (None: never
    called) and whether any of its tickets was served."""

    office: int
    day: dt.date
    hour: int
    wait_minutes: float | None
    served: bool


@dataclass(frozen=True)
class TicketFigures:
    """What the provider returns for a period: served tickets per day as in-office counts (a TICKET_FIELDS name →
    tickets served), the visits, and the offices they were at."""

    served: Mapping[dt.date, Mapping[str, int]] = field(default_factory=dict)
    visits: Sequence[Visit] = ()
    offices: Mapping[int, OfficeInfo] = field(default_factory=dict)


Provider = Callable[[dt.date, dt.date], Awaitable[TicketFigures]]
DaysProvider = Callable[[dt.date], Awaitable[Sequence[dt.date]]]
_provider: Provider | None = None
_days: DaysProvider | None = None


def register_office_figures(provider: Provider | None, days: DaysProvider | None = None) -> None:
    """Let the reports read the counter's tickets through ``provider``, and the days with tickets up to a date
    through ``days`` (None: no counter; safe to call again)."""
    global _provider, _days
    _provider, _days = provider, days


async def ticket_days(until: dt.date) -> list[dt.date]:
    """The days with queue tickets up to ``until`` (none when no counter is registered)."""
    return [] if _days is None else list(await _days(until))


async def ticket_figures(first: dt.date, last: dt.date) -> TicketFigures:
    """The counter's figures from ``first`` to ``last`` (nothing when no counter is registered)."""
    return TicketFigures() if _provider is None else await _provider(first, last)


# --- waiting times ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitRow:
    """The visits of one hour, one day or a whole period: how many took a ticket, were called and were served, and
    the median and 90th percentile of the waits of those called, in minutes (None when nobody was called)."""

    visits: int = 0
    called: int = 0
    served: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None


@dataclass(frozen=True)
class OfficeWaits:
    """An office's waiting times in a report: per hour of the day (of a day, or of every day of a month together),
    per day (monthly) and over the whole period."""

    office_id: int
    office_name: str
    amber_minutes: int
    red_minutes: int
    hours: tuple[tuple[int, WaitRow], ...]
    total: WaitRow
    days: tuple[tuple[dt.date, WaitRow], ...] = ()

    def hours_over(self, minutes: int, least_called: int) -> list[tuple[int, WaitRow]]:
        """The hours whose 90th percentile is above ``minutes``, among those with at least ``least_called`` calls."""
        return [
            (hour, row)
            for hour, row in self.hours
            if row.called >= least_called and row.p90_minutes is not None and row.p90_minutes > minutes
        ]


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (0 < share < 1) of at least one value, interpolated between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


def wait_row(visits: Iterable[Visit]) -> WaitRow:
    """The figures of a group of visits (waits rounded to a tenth of a minute)."""
    items = list(visits)
    waits = [v.wait_minutes for v in items if v.wait_minutes is not None]
    return WaitRow(
        visits=len(items),
        called=len(waits),
        served=sum(1 for v in items if v.served),
        median_minutes=round(statistics.median(waits), 1) if waits else None,
        p90_minutes=round(percentile(waits, 0.9), 1) if waits else None,
    )


def office_waits(figures: TicketFigures, *, by_day: bool) -> tuple[OfficeWaits, ...]:
    """The waiting-time tables of each office with visits, by office name; ``by_day`` adds a row per day."""
    result = []
    for office_id, info in figures.offices.items():
        visits = [v for v in figures.visits if v.office == office_id]
        if not visits:
            continue
        hours: dict[int, list[Visit]] = {}
        days: dict[dt.date, list[Visit]] = {}
        for visit in visits:
            hours.setdefault(visit.hour, []).append(visit)
            days.setdefault(visit.day, []).append(visit)
        result.append(
            OfficeWaits(
                office_id=office_id,
                office_name=info.name,
                amber_minutes=info.amber_minutes,
                red_minutes=info.red_minutes,
                hours=tuple((hour, wait_row(hours[hour])) for hour in sorted(hours)),
                total=wait_row(visits),
                days=tuple((day, wait_row(days[day])) for day in sorted(days)) if by_day else (),
            )
        )
    result.sort(key=lambda w: (w.office_name, w.office_id))
    return tuple(result)
