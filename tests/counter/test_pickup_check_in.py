"""A pickup reservation checked in at reception on its day gets a queue ticket first within its time, once."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import Conflict, NotFound
from counter.pickup_check_in import check_in_pickup
from counter.pickups import PickupRequest, cancel_reservation, reserve
from counter.tables import PickupReservation
from tests.counter.pickup_factories import office_with_slots, slots_of

FRIDAY = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)
MONDAY = dt.date(2027, 7, 12)


async def test_a_reservation_checked_in_on_its_day_gets_one_priority_ticket():
    with clock.frozen(FRIDAY):
        office = await office_with_slots(FRIDAY.date())
        slot = (await slots_of(office["services"]["pickup"], MONDAY))[2]  # 10:00
        details, _ = await reserve(PickupRequest(slot["id"], ("0123456789", "1111222233"), phone="09012345678"))
        other, _ = await reserve(PickupRequest(slot["id"], ("2222333344",), phone="08012345678"))
        with pytest.raises(Conflict):
            await check_in_pickup(details.code)  # Friday: not its day
    with clock.frozen(dt.datetime(2027, 7, 12, 9, 58, tzinfo=clock.JST)):
        ticket = await check_in_pickup(details.code.lower())
        assert ticket.priority == 1 and ticket.reservation is not None and ticket.label.startswith("A-")
        assert await check_in_pickup(details.code) == ticket  # scanned twice: one ticket
        row = await PickupReservation.select().where(PickupReservation.code == details.code).first()
        assert row["state"] == "checked_in" and ticket.reservation == row["id"]
        with pytest.raises(Conflict):  # it was used at the counter
            await cancel_reservation(details.code, details.manage_token)
        await cancel_reservation(other.code, other.manage_token)
        with pytest.raises(Conflict):
            await check_in_pickup(other.code)
        with pytest.raises(NotFound):
            await check_in_pickup("0000000000000000")
