"""Booking's periodic work run by the deployment's job runner: late bookings released once a minute, reminders from
REMIND_HOUR, the scheduled purge once a day; each once per interval however many runners look."""

from __future__ import annotations

import asyncio
import datetime as dt

from booking import jobs
from booking.bookings import BookingRequest, create_booking
from booking.tables import Booking, PurgeRun
from core import clock
from core.jobs import Registry, Worker
from core.settings import get_settings
from core.tables import OutboxMessage
from tests.booking.factories import publish_booth

DAY = dt.date(2027, 6, 5)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), clock.JST)


def booking_registry() -> Registry:
    registry = Registry()
    jobs.register(get_settings(), registry)
    return registry


async def book(slot_id: int, email: str = "") -> str:
    with clock.frozen(at(DAY - dt.timedelta(days=5), 9)):
        details, _created = await create_booking(
            BookingRequest(slot_id=slot_id, name_kana="テスト タロウ", phone="090-0000-0001", email=email, party_size=2)
        )
    return details.code


async def state(code: str) -> str:
    return (await Booking.select(Booking.state).where(Booking.code == code).first())["state"]


async def test_a_late_booking_is_released_by_the_minutes_run_once_across_runners():
    booth = await publish_booth(DAY)
    code = await book(booth["slots"][0]["id"])
    registry = booking_registry()
    with clock.frozen(at(DAY, 10, 10)):  # 10 minutes into its slot: not late yet
        await Worker(registry).run_once()
    assert await state(code) == "confirmed"
    with clock.frozen(at(DAY, 10, 16)):  # the next minute's run, by one of four racing runners
        await asyncio.gather(*(Worker(registry).run_once() for _ in range(4)))
    assert await state(code) == "no_show"


async def test_reminders_are_queued_from_the_remind_hour_for_tomorrows_bookings():
    booth = await publish_booth(DAY)
    await book(booth["slots"][0]["id"], email="resident@example.jp")
    registry = booking_registry()
    eve = DAY - dt.timedelta(days=1)
    with clock.frozen(at(eve, get_settings().remind_hour - 1, 50)):
        await Worker(registry).run_once()
    assert await OutboxMessage.count().where(OutboxMessage.kind == "booking.reminder") == 0
    with clock.frozen(at(eve, get_settings().remind_hour, 5)):
        await Worker(registry).run_once()
    assert await OutboxMessage.count().where(OutboxMessage.kind == "booking.reminder") == 1


async def test_the_scheduled_purge_runs_once_a_day_from_the_purge_hour():
    booth = await publish_booth(DAY)
    code = await book(booth["slots"][0]["id"])
    registry = booking_registry()
    later = DAY + dt.timedelta(days=get_settings().retention_days + 1)
    hour = get_settings().purge_hour
    with clock.frozen(at(later, hour - 1, 50)):  # before the hour: nothing yet
        await Worker(registry).run_once()
    assert await PurgeRun.count() == 0
    for minutes in (5, 25, 45):  # every quarter of an hour from then on, once a day
        with clock.frozen(at(later, hour, minutes)):
            await Worker(registry).run_once()
    row = await Booking.select(Booking.name_kana, Booking.phone).where(Booking.code == code).first()
    assert row["phone"] == "" and row["name_kana"] != "テスト タロウ"
    assert await PurgeRun.count() == 1
    with clock.frozen(at(later + dt.timedelta(days=1), hour, 1)):
        await Worker(registry).run_once()
    assert await PurgeRun.count() == 2
