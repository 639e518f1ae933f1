"""The times pickup reservations (交付予約) can book: made for each office that takes them and each reservable service,
on the office's open days (weekdays that are not national holidays, the designated weekend openings; never
12/29–1/3), in its hours, PICKUP_SLOT_MINUTES long, for the next PICKUP_OPEN_DAYS days; read for residents with the
places left for their party. A time closes PICKUP_CLOSE_HOURS before it starts.

The days an office opens are decided here from its row and its OfficeDay rows (the queue's own lookups in
counter.offices follow the same rule)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from core import calendar, clock
from core.db import is_sqlite, write_transaction
from core.i18n import N_
from core.i18n import gettext as _
from core.settings import get_settings
from counter.tables import CounterService, Office, OfficeDay, PickupSlot

# What each service is called on the residents' pages and emails (the Japanese term in brackets for staff).
SERVICE_NAMES = {
    "pickup": N_("Card pickup (交付)"),
    "certificate": N_("Electronic certificates: issue or renewal (電子証明書の発行・更新)"),
    "pin_reset": N_("PIN reset (暗証番号の再設定)"),
    "application": N_("Card application (申請)"),
    "other": N_("Other procedures"),
}


def service_name(kind: str) -> str:
    """A service's name in the current language."""
    return _(SERVICE_NAMES[kind]) if kind in SERVICE_NAMES else kind


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


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def open_hours(office: dict[str, Any], day: dt.date, exception: dict[str, Any] | None) -> tuple[str, str] | None:
    """The office's hours ("HH:MM", "HH:MM") on ``day``, or None when it is closed: 12/29–1/3 always; a day of
    its own (``exception``, an OfficeDay row) as that row says; else weekdays that are not national holidays when
    the office opens on weekdays."""
    if calendar.is_year_end_closure(day):
        return None
    if exception is not None:
        if not exception["open"]:
            return None
        return (exception["opens"] or office["opens"], exception["closes"] or office["closes"])
    if office["opens_weekdays"] and calendar.day_type(day) == calendar.DayType.weekday:
        return (office["opens"], office["closes"])
    return None


def slot_places(service: dict[str, Any], slot_minutes: int, walk_in_share: float) -> int:
    """People one time can take: the service's windows serve ``slot_minutes`` each at its minutes per person, less
    the share kept for visitors without a reservation; at least one."""
    served = service["windows"] * slot_minutes / max(service["minutes_per_person"], 1.0)
    return max(1, int(math.floor(served * (1 - walk_in_share) + 1e-9)))


def day_times(day: dt.date, hours: tuple[str, str], slot_minutes: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """The times of a day that end by the closing hour."""
    opens, closes = (_minutes(hhmm) for hhmm in hours)
    midnight = dt.datetime.combine(day, dt.time(0), clock.JST)
    return [
        (midnight + dt.timedelta(minutes=m), midnight + dt.timedelta(minutes=m + slot_minutes))
        for m in range(opens, closes - slot_minutes + 1, slot_minutes)
    ]


def booking_window(now: dt.datetime) -> tuple[dt.datetime, dt.date]:
    """The earliest start a reservation may take now, and the last day it may be for."""
    settings = get_settings()
    return (
        now + dt.timedelta(hours=settings.pickup_close_hours),
        now.astimezone(clock.JST).date() + dt.timedelta(days=settings.pickup_open_days),
    )


async def office_days(office_id: int, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, Any]]:
    rows = await OfficeDay.select().where(
        (OfficeDay.office == office_id) & (OfficeDay.date >= first) & (OfficeDay.date <= last)
    )
    return {row["date"]: row for row in rows}


async def generate_slots(today: dt.date | None = None) -> int:
    """Make the missing times for today and the next PICKUP_OPEN_DAYS days, for every active office that takes
    pickup reservations and each of its active reservable services; returns how many were made. Safe to run again
    (a time's ``slot_key`` is unique); a day closed after its times were made is refused when reading and booking."""
    settings = get_settings()
    today = today or clock.today()
    last = today + dt.timedelta(days=settings.pickup_open_days)
    made = 0
    offices = await Office.select().where((Office.active == True) & (Office.pickup_enabled == True))
    for office in offices:
        made += await _make_office_slots(office, today, last)
    return made


async def _still_there(office_id: int) -> bool:
    """Inside a write transaction: whether the office still exists, and (PostgreSQL) its row locked until the end, so
    that it cannot be deleted while its times are inserted (SQLite's write transaction already keeps other writers
    out)."""
    query = Office.select(Office.id).where(Office.id == office_id)
    return bool(await (query if is_sqlite() else query.lock_rows("UPDATE")))


async def _make_office_slots(office: dict[str, Any], today: dt.date, last: dt.date) -> int:
    """The missing times of one office from ``today`` to ``last``, in one write transaction."""
    settings = get_settings()
    made = 0
    async with write_transaction():
        if not await _still_there(office["id"]):
            return 0
        query = CounterService.select().where(
            (CounterService.office == office["id"])
            & (CounterService.active == True)
            & (CounterService.reservable == True)
        )
        services = await (query if is_sqlite() else query.lock_rows("KEY SHARE"))  # kept until the times are in
        if not services:
            return 0
        exceptions = await office_days(office["id"], today, last)
        rows = []
        for day in calendar.dates(today, last):
            hours = open_hours(office, day, exceptions.get(day))
            if hours is None:
                continue
            for service in services:
                places = slot_places(service, settings.pickup_slot_minutes, settings.walk_in_share)
                for start, end in day_times(day, hours, settings.pickup_slot_minutes):
                    rows.append(
                        PickupSlot(
                            office=office["id"],
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
    office = await Office.select().where(Office.id == slot["office"]).first()
    service = await CounterService.select().where(CounterService.id == slot["service"]).first()
    if not office or not service or not (office["active"] and office["pickup_enabled"]):
        return False
    if not (service["active"] and service["reservable"]):
        return False
    exceptions = await office_days(office["id"], slot["day"], slot["day"])
    hours = open_hours(office, slot["day"], exceptions.get(slot["day"]))
    return bool(hours is not None and _within(slot, hours))


def _within(slot: dict[str, Any], hours: tuple[str, str]) -> bool:
    start: dt.datetime = slot["start"].astimezone(clock.JST)
    end: dt.datetime = slot["end"].astimezone(clock.JST)
    return _minutes(hours[0]) <= start.hour * 60 + start.minute and (
        end.date() == start.date() and end.hour * 60 + end.minute <= _minutes(hours[1])
    )


async def pickup_times(office_id: int, service_id: int, party_size: int = 1) -> list[PickupTime]:
    """The times of a service residents can reserve now for a party of ``party_size``, earliest first (days the
    office has closed since its times were made are left out)."""
    now = clock.now()
    earliest, last_day = booking_window(now)
    office = await Office.select().where(Office.id == office_id).first()
    service = (
        await CounterService.select()
        .where((CounterService.id == service_id) & (CounterService.office == office_id))
        .first()
    )
    if office is None or not (office["active"] and office["pickup_enabled"]):
        return []
    if service is None or not (service["active"] and service["reservable"]):
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
        hours = open_hours(office, row["day"], exceptions.get(row["day"]))
        if hours is None or not _within(row, hours):
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
