"""The times pickup reservations (交付予約) can book: made for each office that takes them and each reservable service,
on the office's open days (weekdays that are not national holidays, the designated weekend openings; never
12/29–1/3), in its hours, PICKUP_SLOT_MINUTES long, for the next PICKUP_OPEN_DAYS days; read for residents with the
places left for their party. A time closes PICKUP_CLOSE_HOURS before it starts.

The days and hours an office opens are counter.offices' (``opening_on``), the rule the queue tickets follow too;
services are named by counter.offices.service_label."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from core import calendar, clock
from core.db import is_sqlite, write_transaction
from core.errors import NotFound
from core.settings import get_settings
from counter import offices
from counter.offices import DayInfo, OfficeInfo, Opening, opening_on
from counter.tables import CounterService, Office, PickupSlot


@dataclass(frozen=True)
class PickupTime:
    """A time residents may reserve, as they see it."""

    id: int
    office_id: int
    service_id: int
    start: dt.datetime  # Japan time
    end: dt.datetime
    capacity: int
    remaining: int

    @property
    def room(self) -> int:
        """The largest party that can reserve it now (as a booth slot's ``room``)."""
        return self.remaining

    def fits(self, party_size: int) -> bool:
        return self.remaining >= party_size


def slot_places(service: dict[str, Any], slot_minutes: int, walk_in_share: float) -> int:
    """People one time can take: the service's windows serve ``slot_minutes`` each at its minutes per person, less
    the share kept for visitors without a reservation; at least one."""
    served = service["windows"] * slot_minutes / max(service["minutes_per_person"], 1.0)
    return max(1, int(math.floor(served * (1 - walk_in_share) + 1e-9)))


def day_times(opening: Opening, slot_minutes: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """The times of an opening day, from its opening hour, that end by its closing hour."""
    length = dt.timedelta(minutes=slot_minutes)
    times = []
    start = opening.opens
    while start + length <= opening.closes:
        times.append((start, start + length))
        start += length
    return times


def booking_window(now: dt.datetime) -> tuple[dt.datetime, dt.date]:
    """The earliest start a reservation may take now, and the last day it may be for."""
    settings = get_settings()
    return (
        now + dt.timedelta(hours=settings.pickup_close_hours),
        now.astimezone(clock.JST).date() + dt.timedelta(days=settings.pickup_open_days),
    )


async def office_days(office_id: int, first: dt.date, last: dt.date) -> dict[dt.date, DayInfo]:
    """An office's designated days from ``first`` to ``last``, by date."""
    return {day.date: day for day in await offices.office_days(office_id, first, last)}


async def _pickup_office(office_id: int) -> OfficeInfo | None:
    """The office, if it exists, is active and takes pickup reservations."""
    try:
        office = await offices.get_office(office_id)
    except NotFound:
        return None
    return office if office.active and office.pickup_enabled else None


async def generate_slots(today: dt.date | None = None) -> int:
    """Make the missing times for today and the next PICKUP_OPEN_DAYS days, for every active office that takes
    pickup reservations and each of its active reservable services; returns how many were made. Safe to run again
    (a time's ``slot_key`` is unique); a day closed after its times were made is refused when reading and booking."""
    settings = get_settings()
    today = today or clock.today()
    last = today + dt.timedelta(days=settings.pickup_open_days)
    made = 0
    for office in await offices.list_offices():
        if office.pickup_enabled:
            made += await _make_office_slots(office, today, last)
    return made


async def _still_there(office_id: int) -> bool:
    """Inside a write transaction: whether the office still exists, and (PostgreSQL) its row locked until the end, so
    that it cannot be deleted while its times are inserted (SQLite's write transaction already keeps other writers
    out)."""
    query = Office.select(Office.id).where(Office.id == office_id)
    return bool(await (query if is_sqlite() else query.lock_rows("UPDATE")))


async def _make_office_slots(office: OfficeInfo, today: dt.date, last: dt.date) -> int:
    """The missing times of one office from ``today`` to ``last``, in one write transaction."""
    settings = get_settings()
    made = 0
    async with write_transaction():
        if not await _still_there(office.id):
            return 0
        query = CounterService.select().where(
            (CounterService.office == office.id) & (CounterService.active == True) & (CounterService.reservable == True)
        )
        services = await (query if is_sqlite() else query.lock_rows("KEY SHARE"))  # kept until the times are in
        if not services:
            return 0
        exceptions = await office_days(office.id, today, last)
        rows = []
        for day in calendar.dates(today, last):
            opening = opening_on(office, day, exceptions.get(day))
            if opening is None:
                continue
            for service in services:
                places = slot_places(service, settings.pickup_slot_minutes, settings.walk_in_share)
                for start, end in day_times(opening, settings.pickup_slot_minutes):
                    rows.append(
                        PickupSlot(
                            office=office.id,
                            service=service["id"],
                            day=day,
                            start=start,
                            end=end,
                            capacity=places,
                            booked=0,
                            slot_key=f"{service['id']}:{start.astimezone(dt.UTC).isoformat()}",
                        )
                    )
        for first in range(0, len(rows), 200):
            inserted = (
                await PickupSlot.insert(*rows[first : first + 200])
                .on_conflict(target=PickupSlot.slot_key, action="DO NOTHING")
                .returning(PickupSlot.id)
            )
            made += len(inserted)
    return made


async def is_bookable(slot: dict[str, Any], now: dt.datetime) -> bool:
    """Whether a time (a PickupSlot row) takes reservations now: inside the booking window, on a day its office is
    open, inside that day's hours, at an office and service that take reservations."""
    earliest, last_day = booking_window(now)
    if slot["start"] < earliest or slot["day"] > last_day:
        return False
    office = await _pickup_office(slot["office"])
    service = await CounterService.select().where(CounterService.id == slot["service"]).first()
    if office is None or not service or not (service["active"] and service["reservable"]):
        return False
    exceptions = await office_days(office.id, slot["day"], slot["day"])
    return _within(slot, opening_on(office, slot["day"], exceptions.get(slot["day"])))


def _within(slot: dict[str, Any], opening: Opening | None) -> bool:
    """Whether a time (a PickupSlot row) lies inside the hours of its day (False when the office is closed then)."""
    return opening is not None and opening.opens <= slot["start"] and slot["end"] <= opening.closes


async def pickup_times(office_id: int, service_id: int, party_size: int = 1) -> list[PickupTime]:
    """The times of a service residents can reserve now for a party of ``party_size``, earliest first (days the
    office has closed since its times were made are left out)."""
    now = clock.now()
    earliest, last_day = booking_window(now)
    office = await _pickup_office(office_id)
    service = (
        await CounterService.select()
        .where((CounterService.id == service_id) & (CounterService.office == office_id))
        .first()
    )
    if office is None or service is None or not (service["active"] and service["reservable"]):
        return []
    rows = (
        await PickupSlot.select()
        .where(
            (PickupSlot.office == office_id)
            & (PickupSlot.service == service_id)
            & (PickupSlot.start >= earliest)
            & (PickupSlot.day <= last_day)
        )
        .order_by(PickupSlot.start)
    )
    if not rows:
        return []
    exceptions = await office_days(office_id, rows[0]["day"], rows[-1]["day"])
    times = []
    for row in rows:
        if not _within(row, opening_on(office, row["day"], exceptions.get(row["day"]))):
            continue
        remaining = max(0, row["capacity"] - row["booked"])
        if remaining >= party_size:
            times.append(
                PickupTime(
                    id=row["id"],
                    office_id=office_id,
                    service_id=service_id,
                    start=row["start"].astimezone(clock.JST),
                    end=row["end"].astimezone(clock.JST),
                    capacity=row["capacity"],
                    remaining=remaining,
                )
            )
    return times


@dataclass(frozen=True)
class PickupService:
    """A service residents can reserve at an office."""

    id: int
    kind: str
    minutes_per_person: float


@dataclass(frozen=True)
class PickupOffice:
    """An office that takes pickup reservations, with its reservable services."""

    id: int
    name: str
    name_en: str
    services: tuple[PickupService, ...]

    def display_name(self, locale: str) -> str:
        return self.name_en if locale != "ja" and not locale.startswith("ja") and self.name_en else self.name


async def pickup_offices() -> list[PickupOffice]:
    """The active offices that take pickup reservations, each with its active reservable services (in the order
    they were added); offices without one are left out."""
    offices = (
        await Office.select(Office.id, Office.name, Office.name_en)
        .where((Office.active == True) & (Office.pickup_enabled == True))
        .order_by(Office.id)
    )
    services = (
        await CounterService.select(
            CounterService.id, CounterService.office, CounterService.kind, CounterService.minutes_per_person
        )
        .where((CounterService.active == True) & (CounterService.reservable == True))
        .order_by(CounterService.id)
    )
    found = []
    for office in offices:
        own = tuple(
            PickupService(row["id"], row["kind"], row["minutes_per_person"])
            for row in services
            if row["office"] == office["id"]
        )
        if own:
            found.append(PickupOffice(office["id"], office["name"], office["name_en"], own))
    return found


async def bookable_rows(service_id: int, now: dt.datetime, day: dt.date | None = None) -> list[dict[str, Any]]:
    """The PickupSlot rows of a service (of one day, or of every day) that take reservations now, full ones too,
    earliest first: inside the booking window, at an office and service that take reservations, inside the day's
    hours. The waiting list's times (counter.pickup_waitlist)."""
    earliest, last_day = booking_window(now)
    service = await CounterService.select().where(CounterService.id == service_id).first()
    if service is None or not (service["active"] and service["reservable"]) or (day and day > last_day):
        return []
    office = await _pickup_office(service["office"])
    if office is None:
        return []
    where = (PickupSlot.service == service_id) & (PickupSlot.start >= earliest) & (PickupSlot.day <= last_day)
    if day is not None:
        where = where & (PickupSlot.day == day)
    rows = await PickupSlot.select().where(where).order_by(PickupSlot.start)
    if not rows:
        return []
    exceptions = await office_days(office.id, rows[0]["day"], rows[-1]["day"])
    return [row for row in rows if _within(row, opening_on(office, row["day"], exceptions.get(row["day"])))]
