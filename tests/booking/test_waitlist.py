"""The booths' waiting list (booking.waitlist with booking.booth_waitlist): joining a full time, offers of freed
places held by the database, accepting once, declining, leaving, offers that expire passing to the next entry, and
what cannot be served closed — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from booking.bookings import BookingRequest, SlotFull, cancel_booking, create_booking, move_booking
from booking.booth_waitlist import KIND
from booking.tables import Booking, Slot, WaitlistEntry
from booking.waitlist import WaitRequest, accept, decline, get_entry, join, leave, sweep
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import using_locale
from core.tables import OutboxMessage
from planner.tables import Session
from tests.booking.factories import publish_booth

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE), using_locale("en"):  # messages checked in English; each language has its own
        yield


@pytest.fixture(autouse=True)
def in_english():
    """Messages in English (their wording is checked here; the lists' messages now have Japanese translations)."""
    with using_locale("en"):
        yield


def booking(slot_id: int, n: int, party_size: int = 1) -> BookingRequest:
    return BookingRequest(slot_id=slot_id, name_kana="ヨヤク タロウ", phone=f"090{n:08d}", party_size=party_size)


def waiting(scope: int, n: int, party_size: int = 1, slot_ids: tuple[int, ...] = (), **values) -> WaitRequest:
    fields = dict(scope=scope, name_kana="まち はなこ", party_size=party_size, slot_ids=slot_ids)
    fields.update(values or {"email": f"wait{n}@example.jp"})
    return WaitRequest(**fields)


async def booked(slot_id: int) -> int:
    return (await Slot.select(Slot.booked).where(Slot.id == slot_id).first())["booked"]


async def full_booth(capacity: int = 2) -> tuple[dict, int, list]:
    """A booth whose first slot is full (two bookings of one); returns the booth, the slot and the bookings."""
    booth = await publish_booth(capacity=capacity, walk_in=1, start=dt.time(10), end=dt.time(10, 30))
    slot = booth["slots"][0]["id"]
    made = [(await create_booking(booking(slot, n)))[0] for n in range(capacity)]
    return booth, slot, made


async def emails(kind: str) -> list[dict]:
    return await OutboxMessage.select().where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)


async def test_a_time_with_room_is_booked_not_waited_for():
    booth = await publish_booth(capacity=2, walk_in=1)
    with pytest.raises(Conflict, match="book it instead"):
        await join(KIND, waiting(booth["session"], 1, slot_ids=(booth["slots"][0]["id"],)))
    assert await WaitlistEntry.count() == 0


async def test_joining_a_full_time_checks_the_fields_and_emails_the_link():
    booth, slot, _made = await full_booth()
    with pytest.raises(ValidationFailed) as error:
        await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,), name_kana="", phone="abc", email=""))
    assert {"name_kana", "phone"} <= error.value.fields.keys()
    entry, created = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)), "key-1")
    assert created and entry.state == "waiting" and entry.name_kana == "マチ ハナコ" and entry.slot_ids == (slot,)
    assert entry.token and entry.link.endswith(f"/waitlist/{entry.code}?token={entry.token}")
    stored = await WaitlistEntry.select().first()
    assert entry.token not in str(stored) and stored["token_hash"]
    again, created = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)), "key-1")
    assert not created and again.code == entry.code and again.token == entry.token
    with pytest.raises(Conflict, match="already on this waiting list"):
        await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    with pytest.raises(ValidationFailed):
        await join(KIND, waiting(booth["session"], 2, slot_ids=(999999,)))
    assert (await get_entry(entry.code, entry.token)).state == "waiting"
    joined = await emails("waitlist.joined")
    assert len(joined) == 1 and entry.link in joined[0]["body"]
    with pytest.raises(NotFound):
        await get_entry(entry.code, "wrong")


async def test_a_cancellation_offers_the_place_to_the_oldest_entry_and_holds_it():
    booth, slot, made = await full_booth()
    first, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    second, _ = await join(KIND, waiting(booth["session"], 2, slot_ids=(slot,)))
    await cancel_booking(made[0].code, made[0].manage_token)
    offered = await get_entry(first.code, first.token)
    assert offered.state == "offered" and offered.offered_slot == slot
    assert offered.offer_expires_at == BEFORE + dt.timedelta(minutes=120)
    assert (await get_entry(second.code, second.token)).state == "waiting"
    assert await booked(slot) == 2  # the held place is not free to anyone else
    with pytest.raises(SlotFull):
        await create_booking(booking(slot, 50))
    offers = await emails("waitlist.offer")
    assert [m["recipient"] for m in offers] == ["wait1@example.jp"]
    assert f"/waitlist/{first.code}?token=" in offers[0]["body"]

    details, created = (await accept(first.code, first.token))[1:]
    assert created and details.state == "confirmed" and details.slot_id == slot and details.party_size == 1
    assert details.manage_token and await booked(slot) == 2
    assert (await get_entry(first.code, first.token)).state == "booked"
    assert [m["recipient"] for m in await emails("booking.confirmed")][-1] == "wait1@example.jp"
    again = (await accept(first.code, first.token))[1:]
    assert again[0].code == details.code and again[1] is False and again[0].manage_token == details.manage_token
    assert await Booking.count().where(Booking.source == "waitlist") == 1


async def test_the_offer_link_from_the_email_opens_the_entry_too():
    booth, slot, made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    await cancel_booking(made[0].code, made[0].manage_token)
    body = (await emails("waitlist.offer"))[0]["body"]
    token = body.split(f"/waitlist/{entry.code}?token=")[1].split()[0]
    assert token != entry.token
    assert (await get_entry(entry.code, token)).state == "offered"


async def test_fifty_accepts_of_one_offer_book_once():
    booth, slot, made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    await cancel_booking(made[0].code, made[0].manage_token)
    results = await asyncio.gather(*(accept(entry.code, entry.token) for _ in range(50)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert sum(1 for r in results if r[2]) == 1
    assert len({r[1].code for r in results}) == 1
    assert await Booking.count().where(Booking.source == "waitlist") == 1
    assert await booked(slot) == 2


async def test_an_offer_not_taken_in_time_passes_to_the_next_entry():
    booth, slot, made = await full_booth()
    first, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    second, _ = await join(KIND, waiting(booth["session"], 2))  # any time of the day
    await cancel_booking(made[0].code, made[0].manage_token)
    with clock.frozen(BEFORE + dt.timedelta(minutes=121)):
        with pytest.raises(Conflict, match="expired"):
            await accept(first.code, first.token)
        assert (await get_entry(first.code, first.token)).state == "expired"
        assert (await get_entry(second.code, second.token)).state == "offered"
        assert await booked(slot) == 2
        assert await sweep() == {"expired": 0, "offered": 0, "closed": 0}  # nothing expires twice


async def test_the_periodic_sweep_expires_each_offer_once():
    booth, slot, made = await full_booth()
    first, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    await cancel_booking(made[0].code, made[0].manage_token)
    with clock.frozen(BEFORE + dt.timedelta(minutes=121)):
        results = await asyncio.gather(*(sweep() for _ in range(5)))
    assert sum(r["expired"] for r in results) == 1
    assert await booked(slot) == 1  # nobody else waits: the place is free again


async def test_declining_and_leaving_pass_the_places_on():
    booth, slot, made = await full_booth()
    first, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    second, _ = await join(KIND, waiting(booth["session"], 2, slot_ids=(slot,)))
    third, _ = await join(KIND, waiting(booth["session"], 3, slot_ids=(slot,)))
    await cancel_booking(made[0].code, made[0].manage_token)
    assert (await decline(first.code, first.token)).state == "declined"
    assert (await get_entry(second.code, second.token)).state == "offered"
    assert (await leave(second.code, second.token)).state == "left"
    assert (await get_entry(third.code, third.token)).state == "offered"
    assert (await leave(third.code, third.token)).state == "left"
    assert await booked(slot) == 1
    with pytest.raises(Conflict):
        await accept(first.code, first.token)


async def test_a_party_that_does_not_fit_is_passed_over_for_a_smaller_one():
    booth, slot, made = await full_booth(capacity=3)
    family, _ = await join(KIND, waiting(booth["session"], 1, party_size=2, slot_ids=(slot,)))
    single, _ = await join(KIND, waiting(booth["session"], 2, slot_ids=(slot,)))
    await cancel_booking(made[0].code, made[0].manage_token)
    assert (await get_entry(family.code, family.token)).state == "waiting"
    assert (await get_entry(single.code, single.token)).state == "offered"
    await cancel_booking(made[1].code, made[1].manage_token)
    await cancel_booking(made[2].code, made[2].manage_token)
    assert (await get_entry(family.code, family.token)).state == "offered"
    assert await booked(slot) == 3


async def test_a_move_frees_the_old_place_for_the_list():
    booth = await publish_booth(capacity=1, walk_in=0, start=dt.time(10), end=dt.time(11))
    first, second = (slot["id"] for slot in booth["slots"])
    made, _ = await create_booking(booking(first, 1))
    entry, _ = await join(KIND, waiting(booth["session"], 2, slot_ids=(first,)))
    await move_booking(made.code, made.manage_token, second)
    assert (await get_entry(entry.code, entry.token)).state == "offered"


async def test_a_phone_only_entry_gets_no_email_and_staff_can_accept_for_it():
    booth, slot, made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,), phone="080-1111-2222"))
    assert entry.phone_only
    await cancel_booking(made[0].code, made[0].manage_token)
    assert not await emails("waitlist.offer")
    _entry, details, created = await accept(entry.code, None, staff_user=1)
    assert created and details.phone == "08011112222"


async def test_offers_are_held_shorter_near_the_booth_and_not_made_at_the_last_minute():
    booth, slot, made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    start = dt.datetime.combine(dt.date(2027, 6, 5), dt.time(10), clock.JST)
    with clock.frozen(start - dt.timedelta(minutes=60 + 90)):  # 90 minutes before booking closes
        await cancel_booking(made[0].code, made[0].manage_token)
        offered = await get_entry(entry.code, entry.token)
        assert offered.offer_expires_at == clock.now() + dt.timedelta(minutes=45)


async def test_entries_whose_times_can_no_longer_be_booked_are_closed():
    booth, slot, _made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    with clock.frozen(dt.datetime(2027, 6, 5, 9, 30, tzinfo=clock.JST)):
        assert (await sweep())["closed"] == 1
        assert (await get_entry(entry.code, entry.token)).state == "closed"
        assert (await sweep())["closed"] == 0
    told = await emails("waitlist.closed")
    assert [m["recipient"] for m in told] == ["wait1@example.jp"] and "空きが出ませんでした" in told[0]["body"]


async def test_an_offer_at_a_booth_cancelled_since_is_closed_and_its_places_given_back():
    booth, slot, made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1, slot_ids=(slot,)))
    await cancel_booking(made[0].code, made[0].manage_token)
    assert (await get_entry(entry.code, entry.token)).state == "offered" and await booked(slot) == 2
    await Session.update({Session.state: "cancelled"}).where(Session.id == booth["session"])
    assert (await sweep())["closed"] == 1
    assert (await get_entry(entry.code, entry.token)).state == "closed" and await booked(slot) == 1
    assert [m["recipient"] for m in await emails("waitlist.closed")] == ["wait1@example.jp"]
    with pytest.raises(Conflict):
        await accept(entry.code, entry.token)
