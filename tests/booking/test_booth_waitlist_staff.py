"""Staff's side of the booths' waiting lists (booking.booth_waitlist_staff, booking.booth_capacity): a booth's list
with offers and outcomes (audited views), accepting and declining for a resident on the phone (audited, once), the
offers to call, and a lead's change of a booth's bookable places offered to the list at once — on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.booth_capacity import set_capacity, slot_places
from booking.booth_waitlist import KIND
from booking.booth_waitlist_staff import (
    accept_for_resident,
    booth_waitlist,
    calls_waiting,
    decline_for_resident,
    open_lists,
)
from booking.tables import Booking, Slot, WaitlistEntry
from booking.waitlist import WaitRequest, get_entry, join
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import using_locale
from core.tables import AuditEvent, Role
from tests.booking.factories import publish_booth

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


async def full_booth(capacity: int = 2) -> tuple[dict, int, list]:
    booth = await publish_booth(capacity=capacity, walk_in=1, start=dt.time(10), end=dt.time(11))
    slot = booth["slots"][0]["id"]
    made = [
        (await create_booking(BookingRequest(slot_id=slot, name_kana="ヨヤク タロウ", phone=f"090{n:08d}")))[0]
        for n in range(capacity)
    ]
    for other in booth["slots"][1:]:  # the other slot full too, so that the list waits
        for n in range(capacity):
            await create_booking(BookingRequest(slot_id=other["id"], name_kana="ヨヤク ジロウ", phone=f"091{n:08d}"))
    return booth, slot, made


def waiting(scope: int, n: int, **contact) -> WaitRequest:
    return WaitRequest(scope=scope, name_kana="まち はなこ", **(contact or {"email": f"wait{n}@example.jp"}))


async def test_staff_see_the_list_oldest_first_with_offers_to_call_and_each_view_is_audited(make_user):
    actor = await make_user(Role.contractor_staff)
    booth, slot, made = await full_booth()
    by_phone, _ = await join(KIND, waiting(booth["session"], 1, phone="080-1111-2222"))
    by_email, _ = await join(KIND, waiting(booth["session"], 2))
    listed = await booth_waitlist(actor, booth["session"])
    assert [line.code for line in listed.lines] == [by_phone.code, by_email.code]
    assert listed.waiting == 2 and not listed.to_call
    await cancel_booking(made[0].code, made[0].manage_token)
    listed = await booth_waitlist(actor, booth["session"])
    call = listed.to_call[0]
    assert call.code == by_phone.code and call.phone == "08011112222" and call.state == "offered"
    assert call.offered_start.hour == 10 and call.offer_expires_at == BEFORE + dt.timedelta(minutes=120)
    assert await calls_waiting() == 1
    [summary] = await open_lists()
    assert (summary.booth.booth_id, summary.waiting, summary.offered, summary.to_call) == (booth["session"], 1, 1, 1)
    views = await AuditEvent.select().where(AuditEvent.action == "waitlist.viewed")
    assert len(views) == 2 and views[0]["summary"] == "2 entries"
    assert "080" not in str(views) and "マチ" not in str(views)


async def test_staff_accept_for_a_resident_on_the_phone_makes_one_booking_audited(make_user):
    actor = await make_user(Role.contractor_staff)
    booth, slot, made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1, phone="080-1111-2222"))
    await cancel_booking(made[0].code, made[0].manage_token)
    code = await accept_for_resident(actor, booth["session"], entry.id)
    again = await accept_for_resident(actor, booth["session"], entry.id)
    assert again == code
    booking = await Booking.select().where(Booking.code == code).first()
    assert booking["source"] == "waitlist" and booking["slot"] == slot and booking["phone"] == "08011112222"
    stored = await WaitlistEntry.select().where(WaitlistEntry.id == entry.id).first()
    assert stored["state"] == "booked" and stored["handled_by"] == actor.id
    accepted = await AuditEvent.select().where(AuditEvent.action == "waitlist.accepted")
    assert len(accepted) == 1 and accepted[0]["actor_id"] == actor.id
    assert accepted[0]["summary"].startswith(f"…{entry.code[-4:]} (1)") and "080" not in accepted[0]["summary"]
    line = (await booth_waitlist(actor, booth["session"])).lines[0]
    assert line.state == "booked" and line.by_staff and line.booking_code == code and line.phone == ""


async def test_staff_decline_passes_the_places_on_and_entries_of_other_booths_are_refused(make_user):
    actor = await make_user(Role.contractor_staff)
    booth, slot, made = await full_booth()
    first, _ = await join(KIND, waiting(booth["session"], 1, phone="080-1111-2222"))
    second, _ = await join(KIND, waiting(booth["session"], 2))
    await cancel_booking(made[0].code, made[0].manage_token)
    other = await publish_booth(dt.date(2027, 6, 6))
    with pytest.raises(NotFound):
        await decline_for_resident(actor, other["session"], first.id)
    await decline_for_resident(actor, booth["session"], first.id)
    await decline_for_resident(actor, booth["session"], first.id)
    assert (await get_entry(first.code, first.token)).state == "declined"
    assert (await get_entry(second.code, second.token)).state == "offered"
    assert await AuditEvent.count().where(AuditEvent.action == "waitlist.declined") == 1
    with pytest.raises(Conflict):
        await accept_for_resident(actor, booth["session"], first.id)


async def test_raising_the_places_offers_them_to_the_list_at_once(make_user):
    lead = await make_user(Role.contractor_lead)
    booth, slot, _made = await full_booth()
    entry, _ = await join(KIND, waiting(booth["session"], 1))
    change = await set_capacity(lead, booth["session"], 3, slot)
    assert (change.changed, change.raised, change.offers) == (1, True, 1)
    assert (await get_entry(entry.code, entry.token)).state == "offered"
    places = {s.id: (s.capacity, s.booked) for s in await slot_places(booth["session"])}
    assert places[slot] == (3, 3)
    assert [s.capacity for s in await slot_places(booth["session"]) if s.id != slot] == [2]
    event = await AuditEvent.select().where(AuditEvent.action == "session.capacity").first()
    assert event["changes"] in ({"10:00": {"before": 2, "after": 3}}, '{"10:00": {"before": 2, "after": 3}}')


async def test_places_are_never_lowered_below_what_is_booked_or_held(make_user):
    lead = await make_user(Role.contractor_lead)
    booth, slot, _made = await full_booth()
    with using_locale("en"), pytest.raises(Conflict, match="10:00 has 2 places booked"):
        await set_capacity(lead, booth["session"], 1)
    assert {s.capacity for s in await slot_places(booth["session"])} == {2}  # nothing changed, no slot
    with pytest.raises(ValidationFailed):
        await set_capacity(lead, booth["session"], 0)
    change = await set_capacity(lead, booth["session"], 5)
    assert (change.changed, change.offers) == (2, 0)
    change = await set_capacity(lead, booth["session"], 2)
    assert change.changed == 2 and not change.raised
    assert await Slot.count().where(Slot.capacity == 2) == 2
    with pytest.raises(NotFound):
        await set_capacity(lead, booth["session"], 3, 999999)
