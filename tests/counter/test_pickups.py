"""Pickup reservations (交付予約): the notice numbers (never a My Number, never a birth date), places held by the
database, the booking window and closed days, the per-contact limit, idempotency, changing and cancelling with the
code and token, and the emails — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import using_locale
from core.tables import OutboxMessage
from counter.pickups import (
    PickupRequest,
    PickupTimeFull,
    cancel_reservation,
    change_reservation,
    get_reservation,
    reserve,
)
from counter.tables import OfficeDay, PickupReservation, PickupSlot
from tests.counter.pickup_factories import office_with_slots, slots_of

NOW = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)  # a Friday afternoon
MONDAY = dt.date(2027, 7, 12)
NUMBERS = ("0123456789", "1111222233", "4444555566", "7777888899", "1212343456")


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW), using_locale("en"):  # messages checked in English; each language has its own
        yield


@pytest.fixture
async def office():
    return await office_with_slots(NOW.date())


async def monday_slot(office: dict, index: int = 0, kind: str = "pickup") -> int:
    return (await slots_of(office["services"][kind], MONDAY))[index]["id"]


def ask(slot_id: int, *numbers: str, **values) -> PickupRequest:
    defaults = dict(phone="090-1234-5678")
    defaults.update(values)
    return PickupRequest(slot_id=slot_id, notice_numbers=numbers or NUMBERS[:1], **defaults)


async def booked(slot_id: int) -> int:
    return (await PickupSlot.select(PickupSlot.booked).where(PickupSlot.id == slot_id).first())["booked"]


async def test_a_reservation_takes_one_place_per_notice_number_and_keeps_only_numbers_contact_and_language(office):
    slot = await monday_slot(office)
    details, created = await reserve(
        ask(slot, "０１２３－４５６－７８９", "1111 2222 33", email="Hanako@Example.JP", phone="", language="vi")
    )
    assert created and details.party_size == 2 and await booked(slot) == 2
    assert details.notice_numbers == ("0123456789", "1111222233")
    assert details.start == dt.datetime(2027, 7, 12, 9, 0, tzinfo=clock.JST)
    assert details.manage_url.endswith(f"/pickups/{details.code}?token={details.manage_token}")
    row = await PickupReservation.select().where(PickupReservation.code == details.code).first()
    assert row["notice_numbers"] == "0123456789 1111222233" and row["email"] == "hanako@example.jp"
    assert row["language"] == "vi" and row["manage_token_hash"] != details.manage_token
    mail = await OutboxMessage.select().where(OutboxMessage.kind == "counter.pickup.confirmed").first()
    assert mail["recipient"] == "hanako@example.jp" and details.manage_url in mail["body"]
    assert details.code[:4] in mail["body"] and "0123456789" not in mail["body"]  # no notice number in email
    opened = await get_reservation(details.code, details.manage_token)
    assert opened.code == details.code and opened.notice_numbers == details.notice_numbers


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1234 5678 9012", "My Number"),  # 12 digits: a My Number, refused whatever it is
        ("１２３４５６７８９０１２", "My Number"),
        ("1985/03/12", "date"),
        ("1985年3月12日", "date"),
        ("19850312", "date"),
        ("S60.3.12", "date"),
        ("01234", "10 digits"),
        ("01234567AB", "10 digits"),
        ("", "notice number"),
    ],
)
async def test_a_my_number_a_birth_date_or_a_malformed_number_is_refused_with_a_clear_message(office, typed, says):
    slot = await monday_slot(office)
    with pytest.raises(ValidationFailed) as refused:
        await reserve(ask(slot, typed))
    message = " ".join(refused.value.fields.values())
    assert says in message, message
    assert await booked(slot) == 0 and await PickupReservation.count() == 0


async def test_the_same_notice_number_twice_and_no_contact_are_refused(office):
    slot = await monday_slot(office)
    with pytest.raises(ValidationFailed) as refused:
        await reserve(ask(slot, "0123456789", "0123-456-789", phone=""))
    assert set(refused.value.fields) == {"notice_numbers.1", "contact"}


async def test_a_full_time_is_refused_with_the_next_times_that_have_room(office):
    slot = await monday_slot(office)
    await reserve(ask(slot, *NUMBERS[:3], phone="090-0000-0001"))
    with pytest.raises(PickupTimeFull) as refused:
        await reserve(ask(slot, *NUMBERS[3:5], phone="090-0000-0002"))
    assert "at most 1" in refused.value.message
    assert refused.value.alternatives and slot not in [t.id for t in refused.value.alternatives]
    assert await booked(slot) == 3


async def test_simultaneous_reservations_take_exactly_the_places_of_a_time(office):
    slot = await monday_slot(office)
    attempts = [reserve(ask(slot, f"{n:010d}", phone=f"090{n:08d}")) for n in range(30)]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    made = [r for r in results if isinstance(r, tuple)]
    assert len(made) == 4 and all(isinstance(r, PickupTimeFull) for r in results if not isinstance(r, tuple))
    assert await booked(slot) == 4 and await PickupReservation.count().where(PickupReservation.slot == slot) == 4


async def test_times_inside_the_closing_hours_or_on_a_closed_day_are_refused(office):
    friday_evening = (await slots_of(office["services"]["pickup"], NOW.date()))[-1]["id"]
    with pytest.raises(Conflict) as refused:
        await reserve(ask(friday_evening))
    assert "24 hours" in refused.value.message
    slot = await monday_slot(office)
    await OfficeDay.insert(OfficeDay(office=office["office"], date=MONDAY, open=False))
    with pytest.raises(Conflict):
        await reserve(ask(slot))
    assert await booked(slot) == 0 and await booked(friday_evening) == 0
    with pytest.raises(NotFound):
        await reserve(ask(10**6))


async def test_one_contact_holds_at_most_two_reservations_and_a_notice_number_one(office):
    first, second, slot = [await monday_slot(office, i) for i in range(3)]
    await reserve(ask(first, NUMBERS[0]))
    await reserve(ask(second, NUMBERS[1], phone="09012345678", email="a@example.jp"))
    with pytest.raises(Conflict) as refused:
        await reserve(ask(slot, NUMBERS[2], phone="090 1234 5678"))
    assert "already has 2 reservations" in refused.value.message
    with pytest.raises(Conflict) as refused:
        await reserve(ask(slot, NUMBERS[0], phone="080-1111-2222"))
    assert "already has a reservation" in refused.value.message
    assert await booked(slot) == 0


async def test_the_same_idempotency_key_gives_the_same_reservation_and_never_a_second(office):
    slot = await monday_slot(office)
    first, created = await reserve(ask(slot), idempotency_key="tap-1")
    again, created_again = await reserve(ask(slot), idempotency_key="tap-1")
    assert created and not created_again
    assert again.code == first.code and again.manage_token == first.manage_token
    assert await booked(slot) == 1
    with pytest.raises(ValidationFailed):
        await reserve(ask(slot, NUMBERS[1]), idempotency_key="tap-1")


async def test_the_resident_changes_the_time_and_cancels_with_the_code_and_token(office):
    slot, later = await monday_slot(office, 0), await monday_slot(office, 5)
    details, _ = await reserve(ask(slot, *NUMBERS[:2], email="taro@example.jp"))
    with pytest.raises(NotFound):
        await get_reservation(details.code, "wrong")
    with pytest.raises(NotFound):
        await cancel_reservation(details.code, None)
    moved = await change_reservation(details.code, details.manage_token, later)
    assert moved.slot_id == later and await booked(slot) == 0 and await booked(later) == 2
    cancelled = await cancel_reservation(details.code, details.manage_token)
    assert cancelled.state == "cancelled" and await booked(later) == 0
    assert (await cancel_reservation(details.code, details.manage_token)).state == "cancelled"  # harmless
    assert await booked(later) == 0
    kinds = await OutboxMessage.select(OutboxMessage.kind).order_by(OutboxMessage.id).output(as_list=True)
    assert kinds == ["counter.pickup.confirmed", "counter.pickup.changed", "counter.pickup.cancelled"]
    with pytest.raises(Conflict):
        await change_reservation(details.code, details.manage_token, slot)


async def test_a_change_to_another_service_or_a_full_time_keeps_the_reservation(office):
    slot, full = await monday_slot(office, 0), await monday_slot(office, 1)
    details, _ = await reserve(ask(slot, *NUMBERS[:2]))
    await reserve(ask(full, *NUMBERS[2:5], phone="080-2222-3333"))
    with pytest.raises(PickupTimeFull):
        await change_reservation(details.code, details.manage_token, full)
    with pytest.raises(Conflict):
        await change_reservation(details.code, details.manage_token, await monday_slot(office, 0, "certificate"))
    assert (await get_reservation(details.code, details.manage_token)).slot_id == slot
    assert await booked(slot) == 2 and await booked(full) == 3


async def test_simultaneous_reservations_keep_the_contact_and_notice_number_rules(office):
    slots = [await monday_slot(office, i) for i in range(10)]
    same_phone = [reserve(ask(slot, f"{n + 1:010d}", phone="090-5555-6666")) for n, slot in enumerate(slots)]
    results = await asyncio.gather(*same_phone, return_exceptions=True)
    assert sum(isinstance(r, tuple) for r in results) == 2  # BOOKINGS_PER_CONTACT
    same_number = [reserve(ask(slot, "2222333344", phone=f"080{n:08d}")) for n, slot in enumerate(slots)]
    results = await asyncio.gather(*same_number, return_exceptions=True)
    assert sum(isinstance(r, tuple) for r in results) == 1
    assert sum([await booked(slot) for slot in slots]) == 3
