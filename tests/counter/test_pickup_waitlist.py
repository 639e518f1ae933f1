"""The pickup reservations' waiting list (counter.pickup_waitlist, the kind "pickup" of booking.waitlist): joining
a full time with the notice numbers (never a My Number), offers of the places a cancellation or a change frees, held
on the PickupSlot row, accepting into an ordinary reservation, declined and expired offers passing on — on SQLite and
on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from booking.tables import WaitlistEntry
from booking.waitlist import accept, decline, get_entry, leave, sweep
from core import clock
from core.errors import Conflict, ValidationFailed
from core.i18n import using_locale
from core.tables import OutboxMessage
from counter.pickup_waitlist import PickupWaitRequest, full_days, join_waitlist, waitable_times
from counter.pickups import PickupRequest, PickupTimeFull, cancel_reservation, change_reservation, reserve
from counter.tables import PickupReservation, PickupSlot
from tests.counter.pickup_factories import office_with_slots, slots_of

NOW = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)  # a Friday afternoon
MONDAY = dt.date(2027, 7, 12)
NUMBERS = ("0123456789", "1111222233", "4444555566", "7777888899", "1212343456", "5656787890")


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW), using_locale("en"):
        yield


@pytest.fixture
async def office():
    """An office whose Monday times take two people each; its first time is full (two reservations of one)."""
    made = await office_with_slots(NOW.date())
    await PickupSlot.update({PickupSlot.capacity: 2}).where(PickupSlot.day == MONDAY)
    slot = (await slots_of(made["services"]["pickup"], MONDAY))[0]["id"]
    made["slot"] = slot
    made["held"] = [(await reserve(PickupRequest(slot, (NUMBERS[n],), phone=f"090{n:08d}")))[0] for n in range(2)]
    return made


def waiting(office: dict, n: int, *numbers: str, **values) -> PickupWaitRequest:
    fields = dict(
        service_id=office["services"]["pickup"],
        notice_numbers=numbers or (f"98765432{n:02d}",),
        slot_ids=(office["slot"],),
        email=f"wait{n}@example.jp",
        language="en",
    )
    fields.update(values)
    return PickupWaitRequest(**fields)


async def booked(slot_id: int) -> int:
    return (await PickupSlot.select(PickupSlot.booked).where(PickupSlot.id == slot_id).first())["booked"]


async def emails(kind: str) -> list[dict]:
    return await OutboxMessage.select().where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)


async def test_joining_a_full_time_keeps_the_notice_numbers_and_emails_the_pickup_link(office):
    with pytest.raises(ValidationFailed) as error:
        await join_waitlist(waiting(office, 1, "1234 5678 9012"))
    assert "My Number" in error.value.fields["notice_numbers.0"]
    with pytest.raises(ValidationFailed) as error:
        await join_waitlist(waiting(office, 1, email="", phone=""))
    assert "contact" in error.value.fields
    second = (await slots_of(office["services"]["pickup"], MONDAY))[1]["id"]
    with pytest.raises(Conflict, match="has room"):
        await join_waitlist(waiting(office, 1, slot_ids=(second,)))

    entry, created = await join_waitlist(waiting(office, 1, "０１２３－４５６－０００", "2222333344"), "key-1")
    assert created and entry.kind == "pickup" and entry.scope == office["services"]["pickup"]
    assert entry.day == MONDAY and entry.party_size == 2 and entry.name_kana == ""
    assert entry.extra == {"notice_numbers": ["0123456000", "2222333344"]} and entry.slot_ids == (office["slot"],)
    again, created = await join_waitlist(waiting(office, 1, "0123456000", "2222333344"), "key-1")
    assert not created and again.code == entry.code
    with pytest.raises(Conflict, match="already on this waiting list"):
        await join_waitlist(waiting(office, 1))
    mail = (await emails("counter.pickup.waitlist.joined"))[0]
    assert f"/pickups/waitlist/{entry.code}?token={entry.token}" in mail["body"]
    assert "Kanazawa City Hall" in mail["body"] and "0123456000" not in mail["body"]
    stored = await WaitlistEntry.select(WaitlistEntry.name_kana, WaitlistEntry.token_hash).first()
    assert stored["name_kana"] == "" and stored["token_hash"] != entry.token


async def test_the_days_to_wait_for_are_those_without_room_for_the_party(office):
    service = office["services"]["pickup"]
    assert MONDAY not in await full_days(service, 1)  # other times of Monday have room
    times = await waitable_times(service, MONDAY)
    assert times[0].id == office["slot"] and times[0].room == 0 and times[1].room == 2
    await PickupSlot.update({PickupSlot.booked: 2}).where(PickupSlot.day == MONDAY)
    assert MONDAY in await full_days(service, 1) and MONDAY in await full_days(service, 2)
    assert MONDAY not in await full_days(service, 3)  # no time takes three, even empty: no list to wait on
    assert await waitable_times(service, MONDAY, 3) == []
    with pytest.raises(Conflict, match="takes 3 people"):
        await join_waitlist(waiting(office, 1, *NUMBERS[3:6]))


async def test_a_cancellation_offers_the_places_held_and_accepting_makes_an_ordinary_reservation(office):
    slot = office["slot"]
    first, _ = await join_waitlist(waiting(office, 1))
    second, _ = await join_waitlist(waiting(office, 2))
    await cancel_reservation(office["held"][0].code, office["held"][0].manage_token)
    offered = await get_entry(first.code, first.token)
    assert offered.state == "offered" and offered.offered_slot == slot
    assert offered.offer_expires_at == NOW + dt.timedelta(minutes=120)
    assert (await get_entry(second.code, second.token)).state == "waiting"
    assert await booked(slot) == 2  # held: nobody else reserves it
    with pytest.raises(PickupTimeFull):
        await reserve(PickupRequest(slot, (NUMBERS[5],), phone="09099999999"))
    offer = (await emails("counter.pickup.waitlist.offer"))[0]
    assert offer["recipient"] == "wait1@example.jp" and f"/pickups/waitlist/{first.code}?token=" in offer["body"]
    assert "What to bring" in offer["body"]
    token = offer["body"].split(f"/pickups/waitlist/{first.code}?token=")[1].split()[0]

    entry, details, created = await accept(first.code, token)
    assert created and entry.state == "booked" and details.state == "confirmed" and details.slot_id == slot
    assert details.notice_numbers == ("9876543201",) and details.party_size == 1 and details.manage_token
    assert await booked(slot) == 2
    row = await PickupReservation.select().where(PickupReservation.code == details.code).first()
    assert row["notice_numbers"] == "9876543201" and row["email"] == "wait1@example.jp"
    confirmed = await emails("counter.pickup.confirmed")
    assert confirmed[-1]["recipient"] == "wait1@example.jp" and details.manage_url in confirmed[-1]["body"]
    again = await accept(first.code, token)
    assert not again[2] and again[1].code == details.code and again[1].manage_token == details.manage_token


async def test_a_change_offers_the_old_time_to_the_list(office):
    entry, _ = await join_waitlist(waiting(office, 1))
    later = (await slots_of(office["services"]["pickup"], MONDAY))[3]["id"]
    await change_reservation(office["held"][1].code, office["held"][1].manage_token, later)
    assert (await get_entry(entry.code, entry.token)).state == "offered"


async def test_declined_and_expired_offers_pass_to_the_next_entry(office):
    first, _ = await join_waitlist(waiting(office, 1))
    second, _ = await join_waitlist(waiting(office, 2))
    third, _ = await join_waitlist(waiting(office, 3))
    await cancel_reservation(office["held"][0].code, office["held"][0].manage_token)
    await decline(first.code, first.token)
    assert (await get_entry(second.code, second.token)).state == "offered"
    assert await booked(office["slot"]) == 2
    with clock.frozen(NOW + dt.timedelta(minutes=121)):
        result = await sweep()
    assert result["expired"] == 1
    assert (await get_entry(second.code, second.token)).state == "expired"
    assert (await get_entry(third.code, third.token)).state == "offered"
    await leave(third.code, third.token)  # its places go back: nobody else waits
    assert await booked(office["slot"]) == 1


async def test_a_notice_number_with_a_reservation_to_come_is_refused_on_the_list(office):
    with pytest.raises(Conflict, match="already has a reservation"):
        await join_waitlist(waiting(office, 1, NUMBERS[0]))  # reserved for the full time itself
    assert await WaitlistEntry.count() == 0


async def test_accepting_keeps_the_reservation_rules_for_notice_numbers(office):
    entry, _ = await join_waitlist(waiting(office, 1, NUMBERS[4]))
    later = (await slots_of(office["services"]["pickup"], MONDAY))[3]["id"]
    await reserve(PickupRequest(later, (NUMBERS[4],), phone="09011112222"))  # reserved meanwhile, elsewhere
    await cancel_reservation(office["held"][0].code, office["held"][0].manage_token)
    offered = await get_entry(entry.code, entry.token)
    assert offered.state == "offered"
    with pytest.raises(Conflict, match="already has a reservation"):
        await accept(entry.code, entry.token)
    assert (await get_entry(entry.code, entry.token)).state == "offered"  # nothing changed
    assert await PickupReservation.count().where(PickupReservation.slot == office["slot"]) == 2


async def test_fifty_accepts_of_one_pickup_offer_reserve_once(office):
    entry, _ = await join_waitlist(waiting(office, 1))
    await cancel_reservation(office["held"][0].code, office["held"][0].manage_token)
    results = await asyncio.gather(*(accept(entry.code, entry.token) for _ in range(50)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert sum(1 for r in results if r[2]) == 1 and len({r[1].code for r in results}) == 1
    confirmed = (PickupReservation.slot == office["slot"]) & (PickupReservation.state == "confirmed")
    assert await PickupReservation.count().where(confirmed) == 2
    assert await booked(office["slot"]) == 2
