"""The counter as residents see it (read model, no writes): for every active office whether it is open now and, per
service, how many wait and the estimated wait with its colour (混雑ランプ); a ticket's place in its queue; and the
waiting-room board's calls.

Everything comes from one snapshot of today's counter (four queries whatever the number of tickets), read at most
every ``ttl`` seconds per process by :class:`CounterCache`; the pages, the board and the JSON the residents' phones
poll are computed from it."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from booking.codes import normalize_code
from core import clock
from core.shared_read import SharedRead
from counter.estimate import WINDOW_MINUTES, QueueState, estimate_wait_minutes
from counter.offices import DayInfo, OfficeInfo, opening_on, parse_hours
from counter.tables import CounterService, Office, OfficeDay, Ticket, TicketState

RECENT_CALLS = 8  # calls the board lists besides the numbers called now
LEVELS = ("low", "amber", "red")  # the colour of an estimate below amber_minutes, below red_minutes, and beyond


def queue_key(ticket: TicketRow) -> tuple[int, dt.datetime, int]:
    """The order in which a service's waiting tickets are called: priority first (a reservation checked in within
    its grace period), then the order of issue, then the id: ``counter.tickets.QUEUE_ORDER`` applied to the snapshot's
    rows in memory (tests/counter/test_status.py checks both count the same tickets ahead)."""
    return (-ticket.priority, ticket.issued_at, ticket.id)


def number_label(letter: str, number: int) -> str:
    """A ticket's number as printed and called: ``A-012``."""
    return f"{letter}-{number:03d}"


@dataclass(frozen=True)
class OfficeRow:
    id: int
    code: str
    name: str
    name_en: str
    opens: str
    closes: str
    opens_weekdays: bool
    amber_minutes: int
    red_minutes: int
    pickup_enabled: bool = False


@dataclass(frozen=True)
class OfficeDayRow:
    office_id: int
    date: dt.date
    open: bool
    opens: str
    closes: str


@dataclass(frozen=True)
class ServiceRow:
    id: int
    office_id: int
    kind: str
    letter: str
    minutes_per_person: float
    windows: int
    reservable: bool = False


@dataclass(frozen=True)
class TicketRow:
    """A ticket as the read model knows it: no contact, no note."""

    id: int
    code: str
    office_id: int
    service_id: int
    day: dt.date
    number: int
    state: str
    priority: int
    window: int | None
    issued_at: dt.datetime
    called_at: dt.datetime | None
    finished_at: dt.datetime | None
    recalls: int


@dataclass(frozen=True)
class OfficeHours:
    """An office's hours on one day (None, None when it is closed that day)."""

    opens: dt.time | None
    closes: dt.time | None

    @property
    def open_today(self) -> bool:
        return self.opens is not None and self.closes is not None

    def open_at(self, moment: dt.datetime) -> bool:
        """Whether the office is open at ``moment`` (of the day these hours are for)."""
        if self.opens is None or self.closes is None:
            return False
        return self.opens <= moment.astimezone(clock.JST).time().replace(tzinfo=None) < self.closes


def office_hours(office: OfficeRow, date: dt.date, exception: OfficeDayRow | None) -> OfficeHours:
    """The office's hours on ``date`` by the rule of ``counter.offices.opening_on`` (the one the tickets' issue
    follows): its own hours on weekdays if it opens on them, closed on Saturdays, Sundays and national holidays unless
    a designated day says otherwise, never open from 12/29 to 1/3."""
    info = OfficeInfo(
        id=office.id,
        code=office.code,
        name=office.name,
        name_en=office.name_en,
        opens=parse_hours(office.opens),
        closes=parse_hours(office.closes),
        opens_weekdays=office.opens_weekdays,
        pickup_enabled=office.pickup_enabled,
        amber_minutes=office.amber_minutes,
        red_minutes=office.red_minutes,
        active=True,  # the snapshot holds active offices only
    )
    day = (
        DayInfo(0, office.id, exception.date, exception.open, exception.opens, exception.closes, "")
        if exception is not None
        else None
    )
    found = opening_on(info, date, day)
    if found is None:
        return OfficeHours(None, None)
    return OfficeHours(found.opens.astimezone(clock.JST).time(), found.closes.astimezone(clock.JST).time())


def level_of(minutes: float | None, amber_minutes: int, red_minutes: int) -> str:
    """The colour of an estimate: ``low`` below the office's amber threshold, ``amber`` below its red one, ``red``
    beyond; ``closed`` when there is no estimate."""
    if minutes is None:
        return "closed"
    if minutes >= red_minutes:
        return "red"
    if minutes >= amber_minutes:
        return "amber"
    return "low"


def whole_minutes(minutes: float) -> int:
    """An estimate in whole minutes, rounded up (a resident told 4 minutes should not find it took 5)."""
    return max(0, math.ceil(minutes - 1e-9))


@dataclass(frozen=True)
class ServiceStatus:
    service_id: int
    kind: str
    letter: str
    waiting: int
    windows: int
    estimated_wait_minutes: int | None  # a new arrival's; None while the office is closed
    level: str  # low | amber | red | closed


@dataclass(frozen=True)
class OfficeStatus:
    id: int
    code: str
    name: str
    name_en: str
    open_now: bool
    hours: OfficeHours
    services: tuple[ServiceStatus, ...]
    updated_at: dt.datetime
    amber_minutes: int
    red_minutes: int
    takes_reservations: bool = False  # pickup reservations (交付予約) on /pickups: enabled, a reservable service

    def display_name(self, locale: str) -> str:
        return self.name if locale in ("ja", "ja-easy") or not self.name_en else self.name_en

    @property
    def waiting(self) -> int:
        return sum(service.waiting for service in self.services)


@dataclass(frozen=True)
class TicketPlace:
    """A ticket's place, as its holder's phone shows it."""

    code: str
    office_id: int
    office_name: str
    office_name_en: str
    kind: str
    number: str
    state: str
    day: dt.date
    current: bool  # a ticket of today (an older one is over, whatever its state)
    ahead: int | None  # waiting tickets called before it (None unless waiting today)
    estimated_wait_minutes: int | None  # its remaining wait (None unless waiting today)
    window: int | None  # the window that called it
    called_at: dt.datetime | None
    recalls: int
    updated_at: dt.datetime

    def display_office(self, locale: str) -> str:
        return self.office_name if locale in ("ja", "ja-easy") or not self.office_name_en else self.office_name_en


@dataclass(frozen=True)
class BoardCall:
    number: str
    window: int
    kind: str
    called_at: dt.datetime
    recalls: int
    state: str


@dataclass(frozen=True)
class Board:
    """The waiting room's board: the number each window calls now (window order) and the latest calls."""

    office: OfficeStatus
    now_calling: tuple[BoardCall, ...]
    recent: tuple[BoardCall, ...]
    updated_at: dt.datetime


@dataclass
class CounterSnapshot:
    """Today's counter, read at one moment: offices, their services and days, and today's tickets."""

    now: dt.datetime
    offices: list[OfficeRow]
    services: list[ServiceRow]
    office_days: list[OfficeDayRow]
    tickets: list[TicketRow]
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(clock.JST).date()

    def memo(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """What ``build()`` makes of this snapshot for ``key`` (e.g. an encoded response), kept with it."""
        if key not in self._memo:
            if len(self._memo) >= 512:
                self._memo.clear()
            self._memo[key] = build()
        return self._memo[key]

    def peek(self, key: tuple[Any, ...]) -> Any:
        """What memo() holds for ``key``, or None."""
        return self._memo.get(key)

    @cached_property
    def _services_by_office(self) -> dict[int, list[ServiceRow]]:
        by_office: dict[int, list[ServiceRow]] = {office.id: [] for office in self.offices}
        for service in self.services:
            by_office.setdefault(service.office_id, []).append(service)
        return by_office

    @cached_property
    def _tickets_by_service(self) -> dict[int, list[TicketRow]]:
        by_service: dict[int, list[TicketRow]] = {}
        for ticket in self.tickets:
            by_service.setdefault(ticket.service_id, []).append(ticket)
        return by_service

    @cached_property
    def _queues(self) -> dict[int, list[TicketRow]]:
        """Each service's waiting tickets in the order they will be called."""
        return {
            service_id: sorted((t for t in tickets if t.state == TicketState.waiting.value), key=queue_key)
            for service_id, tickets in self._tickets_by_service.items()
        }

    @cached_property
    def _by_code(self) -> dict[str, TicketRow]:
        return {ticket.code: ticket for ticket in self.tickets}

    def queue_state(self, service: ServiceRow) -> QueueState:
        """What the estimator is told about a service's queue now."""
        tickets = self._tickets_by_service.get(service.id, [])
        since = self.now - dt.timedelta(minutes=WINDOW_MINUTES)  # a window that called the service since serves it now
        recent = [t for t in tickets if t.called_at is not None and t.called_at >= since]
        windows = {t.window for t in recent if t.window is not None}
        served = sorted(
            (t for t in tickets if t.state == TicketState.served.value and t.called_at and t.finished_at),
            key=lambda t: t.finished_at or t.issued_at,
        )
        queue = self._queues.get(service.id, [])
        longest = max(((self.now - t.issued_at).total_seconds() / 60 for t in queue), default=None)
        return QueueState(
            waiting=len(queue),
            windows=len(windows) or max(1, service.windows),
            service_minutes=[
                max(0.0, (t.finished_at - t.called_at).total_seconds() / 60)  # type: ignore[operator]
                for t in served
            ],
            planned_minutes=service.minutes_per_person,
            head_wait_minutes=max(0.0, longest) if longest is not None else None,
            recent_starts=len(recent),
        )

    def hours(self, office: OfficeRow) -> OfficeHours:
        exception = next((d for d in self.office_days if d.office_id == office.id and d.date == self.today), None)
        return office_hours(office, self.today, exception)

    @cached_property
    def statuses(self) -> list[OfficeStatus]:
        """Every active office with its services' queues, in the order they were added."""
        return [self._status(office) for office in self.offices]

    def status(self, office_id: int) -> OfficeStatus | None:
        return next((status for status in self.statuses if status.id == office_id), None)

    def _status(self, office: OfficeRow) -> OfficeStatus:
        hours = self.hours(office)
        open_now = hours.open_at(self.now)
        services = []
        for service in self._services_by_office.get(office.id, []):
            state = self.queue_state(service)
            minutes = whole_minutes(estimate_wait_minutes(state)) if open_now else None
            services.append(
                ServiceStatus(
                    service_id=service.id,
                    kind=service.kind,
                    letter=service.letter,
                    waiting=state.waiting,
                    windows=state.windows,
                    estimated_wait_minutes=minutes,
                    level=level_of(minutes, office.amber_minutes, office.red_minutes),
                )
            )
        return OfficeStatus(
            id=office.id,
            code=office.code,
            name=office.name,
            name_en=office.name_en,
            open_now=open_now,
            hours=hours,
            services=tuple(services),
            updated_at=self.now,
            amber_minutes=office.amber_minutes,
            red_minutes=office.red_minutes,
            takes_reservations=office.pickup_enabled
            and any(service.reservable for service in self._services_by_office.get(office.id, [])),
        )

    def place(self, code: str) -> TicketPlace | None:
        """The place of one of today's tickets (None for a code not issued today)."""
        ticket = self._by_code.get(code)
        if ticket is None:
            return None
        office = next((o for o in self.offices if o.id == ticket.office_id), None)
        service = next((s for s in self.services if s.id == ticket.service_id), None)
        if office is None or service is None:
            return None
        ahead = minutes = None
        if ticket.state == TicketState.waiting.value:
            queue = self._queues.get(service.id, [])
            ahead = next(i for i, t in enumerate(queue) if t.id == ticket.id)
            minutes = whole_minutes(estimate_wait_minutes(self.queue_state(service), ahead=ahead))
        return TicketPlace(
            code=ticket.code,
            office_id=office.id,
            office_name=office.name,
            office_name_en=office.name_en,
            kind=service.kind,
            number=number_label(service.letter, ticket.number),
            state=ticket.state,
            day=ticket.day,
            current=True,
            ahead=ahead,
            estimated_wait_minutes=minutes,
            window=ticket.window,
            called_at=ticket.called_at,
            recalls=ticket.recalls,
            updated_at=self.now,
        )

    def board(self, office_id: int) -> Board | None:
        """The board of an active office: per window the ticket it calls now, and the latest calls."""
        status = self.status(office_id)
        if status is None:
            return None
        letters = {s.id: (s.letter, s.kind) for s in self.services}
        calls = sorted(
            (
                t
                for t in self.tickets
                if t.office_id == office_id
                and t.called_at is not None
                and t.window is not None
                and t.service_id in letters
            ),
            key=lambda t: (t.called_at, t.id),
            reverse=True,
        )

        def call(ticket: TicketRow) -> BoardCall:
            letter, kind = letters[ticket.service_id]
            return BoardCall(
                number=number_label(letter, ticket.number),
                window=ticket.window or 0,
                kind=kind,
                called_at=ticket.called_at or ticket.issued_at,
                recalls=ticket.recalls,
                state=ticket.state,
            )

        latest: dict[int, TicketRow] = {}
        for ticket in calls:
            latest.setdefault(ticket.window or 0, ticket)
        now_calling = [call(t) for t in latest.values() if t.state == TicketState.called.value]
        return Board(
            office=status,
            now_calling=tuple(sorted(now_calling, key=lambda c: c.window)),
            recent=tuple(call(t) for t in calls[:RECENT_CALLS]),
            updated_at=self.now,
        )


_TICKET_COLUMNS = (
    Ticket._meta.primary_key,
    Ticket.code,
    Ticket.office,
    Ticket.service,
    Ticket.day,
    Ticket.number,
    Ticket.state,
    Ticket.priority,
    Ticket.window,
    Ticket.issued_at,
    Ticket.called_at,
    Ticket.finished_at,
    Ticket.recalls,
)


def _ticket(row: dict[str, Any]) -> TicketRow:
    return TicketRow(
        id=row["id"],
        code=row["code"],
        office_id=row["office"],
        service_id=row["service"],
        day=row["day"],
        number=row["number"],
        state=row["state"],
        priority=row["priority"],
        window=row["window"],
        issued_at=row["issued_at"],
        called_at=row["called_at"],
        finished_at=row["finished_at"],
        recalls=row["recalls"],
    )


async def read_snapshot(now: dt.datetime | None = None) -> CounterSnapshot:
    """Today's counter (Japan's today) as it is now: four queries."""
    now = now or clock.now()
    today = now.astimezone(clock.JST).date()
    offices = [
        OfficeRow(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            opens=row["opens"],
            closes=row["closes"],
            opens_weekdays=row["opens_weekdays"],
            amber_minutes=row["amber_minutes"],
            red_minutes=row["red_minutes"],
            pickup_enabled=row["pickup_enabled"],
        )
        for row in await Office.select(
            Office._meta.primary_key,
            Office.code,
            Office.name,
            Office.name_en,
            Office.opens,
            Office.closes,
            Office.opens_weekdays,
            Office.amber_minutes,
            Office.red_minutes,
            Office.pickup_enabled,
        )
        .where(Office.active == True)
        .order_by(Office._meta.primary_key)
    ]
    office_ids = [office.id for office in offices]
    if not office_ids:
        return CounterSnapshot(now=now, offices=[], services=[], office_days=[], tickets=[])
    services = [
        ServiceRow(
            id=row["id"],
            office_id=row["office"],
            kind=row["kind"],
            letter=row["letter"],
            minutes_per_person=row["minutes_per_person"],
            windows=row["windows"],
            reservable=row["reservable"],
        )
        for row in await CounterService.select(
            CounterService._meta.primary_key,
            CounterService.office,
            CounterService.kind,
            CounterService.letter,
            CounterService.minutes_per_person,
            CounterService.windows,
            CounterService.reservable,
        )
        .where((CounterService.active == True) & CounterService.office.is_in(office_ids))
        .order_by(CounterService._meta.primary_key)
    ]
    days = [
        OfficeDayRow(row["office"], row["date"], row["open"], row["opens"], row["closes"])
        for row in await OfficeDay.select(
            OfficeDay.office, OfficeDay.date, OfficeDay.open, OfficeDay.opens, OfficeDay.closes
        ).where((OfficeDay.date == today) & OfficeDay.office.is_in(office_ids))
    ]
    tickets = [
        _ticket(row)
        for row in await Ticket.select(*_TICKET_COLUMNS)
        .where((Ticket.day == today) & Ticket.office.is_in(office_ids))
        .order_by(Ticket._meta.primary_key)
    ]
    return CounterSnapshot(now=now, offices=offices, services=services, office_days=days, tickets=tickets)


async def ticket_place(code: str, snapshot: CounterSnapshot) -> TicketPlace | None:
    """The place of the ticket with this code (as typed or linked: case and look-alike letters do not matter): from
    the snapshot when it is today's, else from the database (an old ticket is over). None for a code never issued."""
    canonical = normalize_code(code)
    if not canonical:
        return None
    place = snapshot.place(canonical)
    if place is not None:
        return place
    row = (
        await Ticket.select(
            *_TICKET_COLUMNS,
            Ticket.service.letter,
            Ticket.service.kind,
            Ticket.office.name,
            Ticket.office.name_en,
        )
        .where(Ticket.code == canonical)
        .first()
    )
    if row is None:
        return None
    ticket = _ticket(row)
    return TicketPlace(
        code=ticket.code,
        office_id=ticket.office_id,
        office_name=row["office.name"],
        office_name_en=row["office.name_en"],
        kind=row["service.kind"],
        number=number_label(row["service.letter"], ticket.number),
        state=ticket.state,
        day=ticket.day,
        current=ticket.day >= snapshot.today,  # a ticket of today whose office was just added or closed down
        ahead=None,
        estimated_wait_minutes=None,
        window=ticket.window,
        called_at=ticket.called_at,
        recalls=ticket.recalls,
        updated_at=snapshot.now,
    )


class CounterCache:
    """Today's counter, read at most every ``ttl`` seconds per process (phones and boards poll it
    every LIVE_SECONDS). The request that finds the snapshot older than ``ttl`` reads it again and waits for it (a lone
    phone polling a quiet office always gets the counter as it is); requests arriving during that read get the
    snapshot it replaces rather than queueing behind it (under load, no request waits for the read but the one that
    started it), unless theirs is older than twice ``ttl``: then they wait for the same read (core.shared_read). A call
    therefore shows everywhere within ``ttl`` plus one read."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._snapshot: CounterSnapshot | None = None
        self._read_at = 0.0
        self._reading = SharedRead()

    async def snapshot(self) -> CounterSnapshot:
        age = time.monotonic() - self._read_at
        if self._snapshot is not None and (age < self.ttl or (self._reading.running and age < 2 * self.ttl)):
            return self._snapshot
        await self._reading.run(self._read)
        assert self._snapshot is not None
        return self._snapshot

    async def _read(self) -> None:
        started = time.monotonic()
        self._snapshot = await read_snapshot()
        self._read_at = started

    def invalidate(self) -> None:
        """The next request reads the counter again."""
        self._snapshot, self._read_at = None, 0.0
