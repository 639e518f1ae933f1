"""Pickup reservations' personal data goes on the booths' schedule (the scheduled purge, RETENTION_DAYS after the
reserved day, and the end-of-contract deletion), through booking's purge; reminders go once, the day before."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import retention
from core import clock, jobs
from core.settings import get_settings
from core.tables import OutboxMessage
from counter import pickup_jobs
from counter.pickup_reminders import send_pickup_reminders
from counter.pickups import PickupRequest, reserve
from counter.tables import PickupReservation, PickupSlot
from tests.counter.pickup_factories import office_with_slots, slots_of

NOW = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)
MONDAY, TUESDAY = dt.date(2027, 7, 12), dt.date(2027, 7, 13)


async def reserve_on(office: dict, day: dt.date, number: str, email: str) -> str:
    slot = (await slots_of(office["services"]["pickup"], day))[0]["id"]
    with clock.frozen(NOW):
        details, _ = await reserve(PickupRequest(slot, (number,), email=email), idempotency_key=f"key-{number}")
    return details.code


@pytest.fixture
async def two_reservations():
    with clock.frozen(NOW):
        office = await office_with_slots(NOW.date())
    return (
        await reserve_on(office, MONDAY, "0123456789", "monday@example.jp"),
        await reserve_on(office, TUESDAY, "9876543210", "tuesday@example.jp"),
    )


async def test_the_scheduled_purge_blanks_reservations_of_days_past_the_horizon_and_keeps_the_counts(
    two_reservations,
):
    monday, tuesday = two_reservations
    # 30 days after Monday: Monday's reservation is past the horizon, Tuesday's not yet
    result = await retention.purge_expired(dt.datetime(2027, 8, 12, 4, 0, tzinfo=clock.JST), 30)
    assert result.counts["pickup_reservations_anonymised"] == 1
    assert result.counts["resident_messages_deleted"] == 2  # both confirmations were written on 7/9
    rows = {r["code"]: r for r in await PickupReservation.select()}
    assert (rows[monday]["notice_numbers"], rows[monday]["email"], rows[monday]["idempotency_key"]) == ("", "", None)
    assert rows[monday]["party_size"] == 1 and rows[monday]["state"] == "confirmed"  # counts stay
    assert rows[tuesday]["notice_numbers"] == "9876543210" and rows[tuesday]["anonymised_at"] is None
    assert await PickupSlot.count().where(PickupSlot.booked == 1) == 2
    assert retention.count_label("pickup_reservations_anonymised").startswith("交付予約")
    again = await retention.purge_expired(dt.datetime(2027, 8, 12, 5, 0, tzinfo=clock.JST), 30)
    assert again.counts["pickup_reservations_anonymised"] == 0


async def test_the_purge_blanks_the_pickup_waiting_list_entries_of_past_days(two_reservations):
    from booking.tables import WaitlistEntry
    from counter.pickup_waitlist import PickupWaitRequest, join_waitlist

    service = (await PickupSlot.select(PickupSlot.service).first())["service"]
    await PickupSlot.update({PickupSlot.booked: PickupSlot.capacity}).where(PickupSlot.day == MONDAY)
    with clock.frozen(NOW):
        entry, _ = await join_waitlist(
            PickupWaitRequest(service, ("2000000002",), day=MONDAY, email="wait@example.jp"), "wait-key"
        )
    before = await retention.purge_expired(dt.datetime(2027, 8, 11, 4, 0, tzinfo=clock.JST), 30)
    assert before.counts["waitlist_entries_anonymised"] == 0  # booking's purge: every kind's entries
    result = await retention.purge_expired(dt.datetime(2027, 8, 12, 4, 0, tzinfo=clock.JST), 30)
    assert result.counts["waitlist_entries_anonymised"] == 1
    row = await WaitlistEntry.select().where(WaitlistEntry.code == entry.code).first()
    assert (row["email"], row["idempotency_key"], row["anonymised_at"] is not None) == ("", None, True)
    assert "2000000002" not in str(row["extra"]) and row["party_size"] == 1  # the count stays


async def test_the_end_of_the_contract_blanks_every_reservation(two_reservations):
    result = await retention.purge_end_of_contract("契約 終了", dt.datetime(2027, 7, 10, tzinfo=clock.JST))
    assert result.counts["pickup_reservations_anonymised"] == 2
    assert {r["email"] for r in await PickupReservation.select(PickupReservation.email)} == {""}


async def test_reminders_go_once_the_day_before(two_reservations):
    with clock.frozen(dt.datetime(2027, 7, 11, 10, 0, tzinfo=clock.JST)):
        assert await send_pickup_reminders() == 1
        assert await send_pickup_reminders() == 0
    reminder = await OutboxMessage.select().where(OutboxMessage.kind == "counter.pickup.reminder").first()
    assert reminder["recipient"] == "monday@example.jp" and "2027" in reminder["body"]


async def test_the_background_work_makes_the_times_and_reminds_from_the_remind_hour(two_reservations):
    registry = jobs.Registry()
    pickup_jobs.register(get_settings(), registry)
    assert {"counter.pickup_slots", "counter.pickup_reminders"} <= set(registry.periodic)
    with clock.frozen(dt.datetime(2027, 7, 11, 7, 0, tzinfo=clock.JST)):
        assert await pickup_jobs.remind() == 0  # before REMIND_HOUR (9)
    with clock.frozen(dt.datetime(2027, 7, 11, 9, 5, tzinfo=clock.JST)):
        assert await pickup_jobs.remind() == 1
        # two days later in the window: their times are made, those made before are not made again
        # 8/10 (Tue): 2 services x 17 times; 8/11 is 山の日
        assert await pickup_jobs.make_slots() == 2 * 17
