"""The demo's City Hall counter (窓口): the office with its services and weekend openings, and its last few days
served with queue tickets (整理券) through the product's own services (``counter.tickets``), the clock set to each
simulated moment, so that issued, called and finished times are the simulation's; today too, up to now, when the
office is open as the demo runs (a live queue for /offices, the board and a ticket's page).

Where the figures come from (README, "The demo city"): the visitors of each service are the month's count in the
city's counter statistics (``data/kanazawa/window_stats_2024.csv``) over the month's weekdays, spread over the hours
by ``counter.staffing.HOURLY_SHAPE``; the contract staffs 5 windows (issue 19). The city publishes no minutes per
person: ``SERVICES`` states the demo's, chosen so that the five windows serve the busiest months' ~380 visitors a
weekday with the morning queues of a busy counter (waits of 20 to 60 minutes at the peaks), not the hours of 2022.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from booking.counter_stats import CounterStat
from core import clock
from core.clock import JST
from core.db import write_transaction
from core.errors import NotFound
from core.users import Actor
from counter.offices import (
    OfficeInfo,
    OfficeInput,
    Opening,
    ServiceInfo,
    ServiceInput,
    create_office,
    create_service,
    get_office,
    kinds_in_order,
    office_services,
    opening,
    openings,
    set_office_day,
)
from counter.staffing import daily_arrivals, hour_periods, hourly_arrivals, month_stat
from counter.tables import ServiceKind
from counter.tickets import TicketView, absent, call_next, issue, serve
from demo.simulation import COUNTER_RATES, PIN_RESETS_PER_CERTIFICATE, CounterRates, counter_arrivals, service_minutes
from venues.schemas import VenueFilter
from venues.services import list_venues

CITY_HALL = OfficeInput(
    code="CITYHALL",
    name="金沢市役所",
    name_en="Kanazawa City Hall",
    opens="09:00",
    closes="17:45",
    pickup_enabled=True,
)
SERVICES = (
    ServiceInput(ServiceKind.pickup.value, "A", 6.0, 2, reservable=True),  # 交付: identity, PINs set, card handed
    ServiceInput(ServiceKind.certificate.value, "B", 5.0, 1, reservable=True),  # 電子証明書の発行・更新
    ServiceInput(ServiceKind.pin_reset.value, "C", 5.0, 1, reservable=True),  # 暗証番号の再設定
    ServiceInput(ServiceKind.application.value, "D", 7.0, 1),  # 申請: the form checked, the photo taken
)
"""City Hall's services: ticket letter, minutes per person (the demo's assumption) and windows (2 + 1 + 1 + 1: the
contract's 5). A window calls its own service first and any other when nobody waits for its own."""
SIMULATED_DAYS = 2
"""The office's last opening days before today that are served with simulated tickets (a few: the demo stays fast)."""
SATURDAY_OPENING, SUNDAY_OPENING = 2, 4
"""The designated weekend openings (休日開庁), October to March: the second Saturday and the fourth Sunday."""


def weekend_openings(fiscal_start: dt.date) -> list[tuple[dt.date, str]]:
    """The fiscal year's designated weekend openings: the second Saturday and the fourth Sunday of each month from
    October to March, with the note staff see."""
    found = []
    for year, month in [(fiscal_start.year, m) for m in (10, 11, 12)] + [(fiscal_start.year + 1, m) for m in (1, 2, 3)]:
        first = dt.date(year, month, 1)
        days = [first + dt.timedelta(days=n) for n in range(28)]  # four of every weekday
        saturday = [d for d in days if d.weekday() == 5][SATURDAY_OPENING - 1]
        sunday = [d for d in days if d.weekday() == 6][SUNDAY_OPENING - 1]
        found += [(saturday, "休日開庁（第2土曜日）"), (sunday, "休日開庁（第4日曜日）")]
    return sorted(found)


async def open_city_hall(actor: Actor, when: dt.datetime, fiscal_start: dt.date) -> OfficeInfo:
    """City Hall's counter with its services and the year's weekend openings, set up by ``actor`` at ``when`` and
    linked to the facility list's city hall (kind ``city_hall``) when there is one; kept as it is when it exists."""
    try:
        return await get_office(CITY_HALL.code)
    except NotFound:
        pass
    halls = await list_venues(VenueFilter(kind="city_hall"))
    with clock.frozen(when):
        office = await create_office(actor, replace(CITY_HALL, venue=halls[0]["id"] if halls else None))
        for service in SERVICES:
            await create_service(actor, office.id, service)
        for day, note in weekend_openings(fiscal_start):
            await set_office_day(actor, office.id, day, True, note=note)
    return office


async def days_to_serve(office: OfficeInfo, first: dt.date, today: dt.date) -> list[dt.date]:
    """The office's last ``SIMULATED_DAYS`` opening days before ``today``, from ``first`` on."""
    if first >= today:
        return []
    found = await openings(office, max(first, today - dt.timedelta(days=6 * SIMULATED_DAYS)), today - dt.timedelta(1))
    return [item.date for item in found][-SIMULATED_DAYS:]


def expected_arrivals(kind: str, stat: CounterStat | None, day: dt.date) -> float:
    """A day's expected visitors for a service: the statistics' month over its weekdays (PIN resets, which the
    statistics lack, a share of the certificates)."""
    if kind == ServiceKind.pin_reset.value:
        return daily_arrivals(ServiceKind.certificate.value, stat, day) * PIN_RESETS_PER_CERTIFICATE
    return daily_arrivals(kind, stat, day)


@dataclass
class _Window:
    number: int
    kinds: tuple[str, ...]  # its own services, called first
    ticket: TicketView | None = None  # the visitor at it


@dataclass
class CounterDay:
    """What one simulated counter day did: tickets issued, and those served per service kind."""

    day: dt.date
    issued: int = 0
    served: Counter[str] = field(default_factory=Counter)


class _Day:
    """One counter day played through counter.tickets: arrivals issue tickets, free windows call the next."""

    def __init__(
        self, office: OfficeInfo, services: list[ServiceInfo], actor: Actor, rng: random.Random, rates: CounterRates
    ) -> None:
        self.office, self.actor, self.rng, self.rates = office, actor, rng, rates
        self.minutes = {s.kind.value: s.minutes_per_person for s in services}
        self.windows: list[_Window] = []
        for service in kinds_in_order(services):
            for _n in range(service.windows):
                self.windows.append(_Window(len(self.windows) + 1, (service.kind.value,)))
        self.waiting: Counter[str] = Counter()
        self.events: list[tuple[dt.datetime, int, str, int]] = []  # (when, order, what, window)
        self.order = 0

    def _at(self, when: dt.datetime, what: str, window: _Window) -> None:
        self.order += 1
        heapq.heappush(self.events, (when, self.order, what, window.number))

    async def _call(self, window: _Window, now: dt.datetime, result: CounterDay) -> None:
        """The window is free at ``now``: it calls the next visitor (its own service first), or finishes."""
        own = [kind for kind in window.kinds if self.waiting[kind]]
        with clock.frozen(now):
            if not own and not any(self.waiting.values()):
                if window.ticket is not None:
                    await serve(window.ticket.id, self.actor, self.office.id)
                    result.served[window.ticket.service_kind.value] += 1
                    window.ticket = None
                return
            previous = window.ticket
            ticket = await call_next(self.office, window.number, own or None, self.actor)
        if previous is not None:  # the call finished it as served
            result.served[previous.service_kind.value] += 1
        if ticket is None:  # pragma: no cover - the simulation counted someone waiting
            raise RuntimeError("the counter's queue differs from the simulation's")
        self.waiting[ticket.service_kind.value] -= 1
        window.ticket = ticket
        if self.rng.random() < self.rates.absent:
            self._at(now + dt.timedelta(minutes=self.rates.absent_after_minutes), "absent", window)
        else:
            minutes = service_minutes(self.rng, self.minutes[ticket.service_kind.value], self.rates)
            self._at(now + dt.timedelta(minutes=minutes), "done", window)

    async def play(
        self, day: dt.date, hours: Opening, stat: CounterStat | None, until: dt.datetime | None
    ) -> CounterDay:
        result = CounterDay(day)
        periods = hour_periods(hours.opens.astimezone(JST).time(), hours.closes.astimezone(JST).time())
        bounds = [(dt.datetime.combine(day, p.start, JST), dt.datetime.combine(day, p.end, JST)) for p in periods]
        arrivals = counter_arrivals(
            [
                (kind, [(*b, n) for b, n in zip(bounds, hourly_arrivals(expected_arrivals(kind, stat, day), periods))])
                for kind in self.minutes
            ],
            self.rng,
        )
        windows = {window.number: window for window in self.windows}
        for number, (when, kind) in enumerate(arrivals):
            heapq.heappush(self.events, (when, -len(arrivals) + number, kind, 0))  # arrivals before calls at a tie
        while self.events:
            when, _order, what, number = heapq.heappop(self.events)
            if until is not None and when > until:
                break
            if number == 0:  # a visitor takes a ticket; the free windows call
                with clock.frozen(when):
                    await issue(self.office, what, actor=self.actor)
                self.waiting[what] += 1
                result.issued += 1
                for window in self.windows:
                    if window.ticket is None and any(self.waiting.values()):
                        await self._call(window, when, result)
                continue
            window = windows[number]
            if what == "absent" and window.ticket is not None:
                with clock.frozen(when):
                    await absent(window.ticket.id, self.actor, self.office.id)
                window.ticket = None
            await self._call(window, when, result)
        return result


async def serve_day(
    office: OfficeInfo,
    day: dt.date,
    stats_file: Path,
    actor: Actor,
    rng: random.Random,
    until: dt.datetime | None = None,
    rates: CounterRates = COUNTER_RATES,
) -> CounterDay:
    """Play one opening day of the office: visitors arrive as the statistics say and take tickets, the windows call
    and serve them until the queue is empty (or only up to ``until``: today, as of now). The day is written in one
    transaction (the same services, one commit: the demo stays fast)."""
    hours = await opening(office, day)
    if hours is None:
        return CounterDay(day)
    services = await office_services(office.id)
    async with write_transaction():
        return await _Day(office, services, actor, rng, rates).play(day, hours, month_stat(day, stats_file), until)


def counter_rng(seed: int) -> random.Random:
    """The counter's own generator (the same seed, the same counter days; the booths' story is not shifted)."""
    return random.Random(f"counter:{seed}")
