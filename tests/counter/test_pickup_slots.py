"""The times pickup reservations can book: made for the office's open days and hours (weekdays, designated weekend
openings; never national holidays, the office's closures or 12/29–1/3), with places from the service's windows and
minutes per person, inside the booking window (PICKUP_OPEN_DAYS ahead, closing PICKUP_CLOSE_HOURS before)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core import clock
from core.settings import configure, get_settings
from counter.pickup_slots import generate_slots, pickup_offices, pickup_times, slot_places
from counter.tables import OfficeDay, PickupSlot
from tests.counter.pickup_factories import make_pickup_office, office_with_slots, slots_of

SATURDAY = dt.date(2027, 7, 10)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)):  # a Friday afternoon
        yield


async def test_times_are_made_on_weekdays_in_the_office_hours_with_places_from_windows_and_minutes():
    office = await office_with_slots(dt.date(2027, 7, 9))
    pickup, certificate = office["services"]["pickup"], office["services"]["certificate"]
    monday = await slots_of(pickup, dt.date(2027, 7, 12))
    starts = [row["start"].astimezone(clock.JST).strftime("%H:%M") for row in monday]
    assert starts[0] == "09:00" and starts[-1] == "17:00" and len(starts) == 17  # the last one ends by 17:45
    # 2 windows x 30 min / 10 min = 6, less the third kept for visitors without a reservation
    assert {row["capacity"] for row in monday} == {4}
    assert {row["capacity"] for row in await slots_of(certificate, dt.date(2027, 7, 12))} == {1}
    assert await slots_of(pickup, SATURDAY) == []
    assert await slots_of(pickup, dt.date(2027, 7, 19)) == []  # 海の日
    last = dt.date(2027, 7, 9) + dt.timedelta(days=31)
    assert await PickupSlot.count().where(PickupSlot.day > last) == 0
    assert await generate_slots(dt.date(2027, 7, 9)) == 0  # made again: nothing new


async def test_designated_weekend_openings_and_closures_are_followed():
    office = await office_with_slots(
        dt.date(2027, 7, 9), weekend_openings=(dt.date(2027, 7, 17),), closures=(dt.date(2027, 7, 21),)
    )
    pickup = office["services"]["pickup"]
    saturday = await slots_of(pickup, dt.date(2027, 7, 17))
    assert [row["start"].astimezone(clock.JST).strftime("%H:%M") for row in saturday] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert await slots_of(pickup, dt.date(2027, 7, 21)) == []


async def test_no_times_at_the_year_end():
    with clock.frozen(dt.datetime(2027, 12, 20, 10, 0, tzinfo=clock.JST)):
        office = await office_with_slots(dt.date(2027, 12, 20))
    pickup = office["services"]["pickup"]
    assert await slots_of(pickup, dt.date(2027, 12, 28))
    for day in (dt.date(2027, 12, 29), dt.date(2027, 12, 31), dt.date(2028, 1, 3)):
        assert await slots_of(pickup, day) == []
    assert await slots_of(pickup, dt.date(2028, 1, 4))


async def test_offices_without_pickups_get_no_times():
    await make_pickup_office(pickup_enabled=False)
    assert await generate_slots(dt.date(2027, 7, 9)) == 0
    assert await pickup_offices() == []


async def test_residents_see_only_times_that_open_now_and_have_room_for_their_party():
    office = await office_with_slots(dt.date(2027, 7, 9))
    pickup = office["services"]["pickup"]
    times = await pickup_times(office["office"], pickup)
    # closing 24 hours before: Saturday 15:00 at the earliest, and Saturday and Sunday are closed
    assert times[0].start == dt.datetime(2027, 7, 12, 9, 0, tzinfo=clock.JST)
    assert times[-1].start.date() == dt.date(2027, 8, 9)  # 31 days ahead
    first = times[0].id
    await PickupSlot.update({PickupSlot.booked: 3}).where(PickupSlot.id == first)
    assert first in [t.id for t in await pickup_times(office["office"], pickup, party_size=1)]
    assert first not in [t.id for t in await pickup_times(office["office"], pickup, party_size=2)]
    await OfficeDay.insert(OfficeDay(office=office["office"], date=dt.date(2027, 7, 12), open=False))
    assert all(t.start.date() != dt.date(2027, 7, 12) for t in await pickup_times(office["office"], pickup))


async def test_a_shorter_window_closes_the_later_days():
    office = await office_with_slots(dt.date(2027, 7, 9))
    configure(dataclasses.replace(get_settings(), pickup_open_days=7, pickup_close_hours=72))
    times = await pickup_times(office["office"], office["services"]["pickup"])
    assert times[0].start == dt.datetime(2027, 7, 12, 15, 0, tzinfo=clock.JST)  # 72 hours after Friday 15:00
    assert times[-1].start.date() == dt.date(2027, 7, 16)  # 7 days ahead


def test_places_per_time():
    assert slot_places({"windows": 2, "minutes_per_person": 10.0}, 30, 1 / 3) == 4
    assert slot_places({"windows": 1, "minutes_per_person": 45.0}, 30, 1 / 3) == 1  # never none
    assert slot_places({"windows": 5, "minutes_per_person": 6.0}, 30, 0.0) == 25
