"""Staff see an office's pickup waiting lists (audited, never the notice numbers), call the residents who gave a
phone number only when they have an offer, and accept or decline it for them."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.tables import WaitlistEntry
from core import clock
from core.tables import AuditEvent, Role
from counter.pickup_waitlist import PickupWaitRequest, join_waitlist
from counter.pickups import PickupRequest, cancel_reservation, reserve
from counter.tables import PickupReservation, PickupSlot
from tests.conftest import csrf_token, soup
from tests.counter.pickup_factories import office_with_slots, slots_of

NOW = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)  # a Friday afternoon
MONDAY = dt.date(2027, 7, 12)


@pytest.fixture(autouse=True)
def in_english(client):
    client.headers["Accept-Language"] = "en"
    with clock.frozen(NOW):
        yield


async def test_staff_call_a_phone_only_offer_and_accept_it_for_the_resident(client, signed_in):
    office = await office_with_slots(NOW.date())
    await PickupSlot.update({PickupSlot.capacity: 1}).where(PickupSlot.day == MONDAY)
    slot = (await slots_of(office["services"]["pickup"], MONDAY))[0]["id"]
    held = (await reserve(PickupRequest(slot, ("1000000001",), phone="09011112222")))[0]
    by_phone, _ = await join_waitlist(
        PickupWaitRequest(office["services"]["pickup"], ("2000000002",), slot_ids=(slot,), phone="080-3333-4444")
    )
    await join_waitlist(
        PickupWaitRequest(office["services"]["pickup"], ("3000000003",), slot_ids=(slot,), email="w@example.jp")
    )
    await signed_in(Role.contractor_staff)
    listed = await client.get(f"/staff/counter/{office['office']}/waitlist")
    assert listed.status_code == 200
    rows = soup(listed).select("#waitlist-table tbody tr")
    assert len(rows) == 2 and not soup(listed).select(".to-call")
    assert "2000000002" not in listed.text and "08033334444" not in listed.text  # no call to make yet
    viewed = await AuditEvent.select().where(AuditEvent.action == "pickup_waitlist.viewed").first()
    assert viewed["summary"] == "2 entries" and viewed["object_id"] == str(office["office"])

    await cancel_reservation(held.code, held.manage_token)
    page = await client.get(f"/staff/counter/{office['office']}/waitlist")
    to_call = soup(page).select_one(".to-call")
    assert to_call is not None and to_call.select_one("a[href='tel:08033334444']") is not None
    accepted = await client.post(
        f"/staff/counter/{office['office']}/waitlist/{by_phone.code}/accept",
        data={"_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text
    shown = await client.get(accepted.headers["location"])
    reservation = await PickupReservation.select().where(PickupReservation.notice_numbers == "2000000002").first()
    assert reservation["slot"] == slot and reservation["code"] in soup(shown).select_one("#accepted").text
    assert (await WaitlistEntry.select(WaitlistEntry.state).where(WaitlistEntry.code == by_phone.code).first())[
        "state"
    ] == "booked"
    assert await AuditEvent.count().where(AuditEvent.action == "pickup_waitlist.accepted") == 1
    again = await client.post(
        f"/staff/counter/{office['office']}/waitlist/NOPE/decline", data={"_csrf_token": csrf_token(page.text)}
    )
    assert again.status_code == 404
