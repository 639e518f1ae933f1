"""The booths' waiting lists in the back office: the index, a booth's list with the offers to call on top, accepting
and declining by phone (CSRF-protected, audited), the lead's bookable places, and the roles refused."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.booth_waitlist import KIND
from booking.tables import Booking, Slot
from booking.waitlist import WaitRequest, get_entry, join
from core import clock
from core.tables import AuditEvent, Role
from tests.booking.factories import publish_booth
from tests.conftest import post_form, soup

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


@pytest.fixture(autouse=True)
def in_english(client):
    client.headers["Accept-Language"] = "en"


@pytest.fixture
async def offered():
    """A full booth (one slot of two places), a phone-only entry offered the place a cancellation freed, and an
    entry by email still waiting."""
    booth = await publish_booth(capacity=2, walk_in=1, start=dt.time(10), end=dt.time(10, 30))
    slot = booth["slots"][0]["id"]
    made = [
        (await create_booking(BookingRequest(slot_id=slot, name_kana="ヨヤク タロウ", phone=f"090{n:08d}")))[0]
        for n in range(2)
    ]
    phone, _ = await join(KIND, WaitRequest(scope=booth["session"], name_kana="でんわ はなこ", phone="080-1111-2222"))
    email, _ = await join(KIND, WaitRequest(scope=booth["session"], name_kana="めーる じろう", email="w@example.jp"))
    await cancel_booking(made[0].code, made[0].manage_token)
    return {"session": booth["session"], "slot": slot, "phone": phone, "email": email}


async def test_anonymous_and_reviewers_are_refused(client, signed_in, offered):
    page = f"/staff/waitlists/{offered['session']}"
    assert (await client.get(page, follow_redirects=False)).status_code == 303  # to the sign-in
    await signed_in(Role.city_reviewer)
    assert (await client.get(page)).status_code == 403
    assert (await client.get("/staff/waitlists")).status_code == 403
    assert await AuditEvent.count().where(AuditEvent.action == "waitlist.viewed") == 0


async def test_staff_see_the_list_with_the_phone_offer_on_top(client, signed_in, offered):
    await signed_in(Role.contractor_staff)
    index = soup(await client.get("/staff/waitlists"))
    row = index.find(id=f"list-{offered['session']}")
    assert row.find(attrs={"data-column": "to_call"}).get_text(strip=True) == "1"
    home = soup(await client.get("/staff/"))
    assert home.find(id="waitlist-calls") is not None
    checkin = soup(await client.get(f"/staff/checkin/{offered['session']}"))
    assert checkin.find(id="waitlist-link")["href"] == f"/staff/waitlists/{offered['session']}"
    html = soup(await client.get(f"/staff/waitlists/{offered['session']}"))
    call = html.find(id=f"call-{offered['phone'].id}")
    assert "Call: 08011112222, by 11:00" in call.get_text(" ", strip=True)
    rows = html.find(id="entries-table").find("tbody").find_all("tr")
    assert [r["data-state"] for r in rows] == ["offered", "waiting"]
    assert "デンワ ハナコ" in rows[0].get_text() and "w@example.jp" in rows[1].get_text()
    assert html.find(id="places") is None  # contractor staff do not change places
    assert await AuditEvent.count().where(AuditEvent.action == "waitlist.viewed") == 1


async def test_accepting_on_the_phone_books_and_needs_the_csrf_token(client, signed_in, offered):
    actor = await signed_in(Role.contractor_staff)
    page = f"/staff/waitlists/{offered['session']}"
    action = f"{page}/entries/{offered['phone'].id}/accept"
    assert (await client.post(action, data={})).status_code == 403  # no CSRF token
    assert (await get_entry(offered["phone"].code, offered["phone"].token)).state == "offered"
    response = await post_form(client, page, action, {}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{page}?done=accepted"
    booking = await Booking.select().where(Booking.source == "waitlist").first()
    assert booking["phone"] == "08011112222"
    event = await AuditEvent.select().where(AuditEvent.action == "waitlist.accepted").first()
    assert event["actor_id"] == actor.id
    html = soup(await client.get(f"{page}?done=accepted"))
    assert html.find(id="done-message") is not None and html.find(id="to-call") is None
    outcome = html.find(id=f"entry-{offered['phone'].id}").find(attrs={"data-column": "outcome"})
    assert booking["code"][-4:] in outcome.get_text()


async def test_declining_on_the_phone_offers_the_next_entry(client, signed_in, offered):
    await signed_in(Role.contractor_lead)
    page = f"/staff/waitlists/{offered['session']}"
    response = await post_form(client, page, f"{page}/entries/{offered['phone'].id}/decline", {})
    assert response.status_code == 200
    assert (await get_entry(offered["email"].code, offered["email"].token)).state == "offered"
    assert await AuditEvent.count().where(AuditEvent.action == "waitlist.declined") == 1


async def test_only_leads_change_places_and_more_places_go_to_the_list(client, signed_in, offered):
    page = f"/staff/waitlists/{offered['session']}"
    await signed_in(Role.contractor_staff)
    refused = await post_form(client, page, f"{page}/places", {"capacity": "3"})
    assert refused.status_code == 403
    await signed_in(Role.contractor_lead)
    html = soup(await client.get(page))
    assert html.find(id="places-form") is not None
    low = await post_form(client, page, f"{page}/places", {"capacity": "1", "slot": ""})
    assert low.status_code == 409 and "2 places booked" in soup(low).find(id="action-error").get_text()
    bad = await post_form(client, page, f"{page}/places", {"capacity": "x"})
    assert bad.status_code == 422 and soup(bad).find(id="capacity-error") is not None
    done = await post_form(client, page, f"{page}/places", {"capacity": "3", "slot": str(offered["slot"])})
    assert done.status_code == 200 and soup(done).find(id="done-message") is not None
    assert (await Slot.select(Slot.capacity).where(Slot.id == offered["slot"]).first())["capacity"] == 3
    assert (await get_entry(offered["email"].code, offered["email"].token)).state == "offered"
    assert await AuditEvent.count().where(AuditEvent.action == "session.capacity") == 1
