"""The residents' pickup reservation pages (portal/public/pickups.py): choose a day and a time with room for the
party, give the notice numbers, get the reservation with its QR code and calendar entry, change it and cancel it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from core import clock
from counter.tables import PickupReservation, PickupSlot
from tests.conftest import csrf_token, soup
from tests.counter.pickup_factories import office_with_slots, slots_of

NOW = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)  # a Friday afternoon
MONDAY = dt.date(2027, 7, 12)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


@pytest.fixture
async def office():
    return await office_with_slots(NOW.date())


async def choose(client, office: dict, party: int = 2, day: dt.date = MONDAY):
    return await client.get(
        "/pickups",
        params={"office": office["office"], "service": office["services"]["pickup"], "party": party, "day": str(day)},
    )


async def submit(client, page, slot: int, **fields):
    data = {
        "_csrf_token": csrf_token(page.text),
        **{i["name"]: i.get("value", "") for i in soup(page).select("form.booking-form input[type=hidden]")},
        "slot": str(slot),
        "notice_0": "０１２３-４５６７-８９",
        "notice_1": "1111222233",
        "phone": "090-1234-5678",
        "language": "ja",
    }
    data.update(fields)
    return await client.post("/pickups", data=data, follow_redirects=False)


async def test_a_resident_reserves_a_time_for_two_and_gets_the_slip_and_calendar_entry(client, office):
    start = await client.get("/pickups")
    assert start.status_code == 200 and soup(start).select_one("select#office option").get_text() == "金沢市役所"
    days = soup(start).select(".day-choices a")
    assert "day=2027-07-12" in days[0]["href"]  # the first day with a time open (Monday), card pickup at first
    page = await choose(client, office)
    choices = soup(page).select("input[name=slot]")
    slots = [row["id"] for row in await slots_of(office["services"]["pickup"], MONDAY)]
    assert [int(c["value"]) for c in choices] == slots  # every time of Monday has room for two
    assert [i["id"] for i in soup(page).select("input[name^=notice_]")] == ["notice_0", "notice_1"]

    response = await submit(client, page, slots[0])
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    code, token = urlsplit(location).path.rsplit("/", 1)[1], parse_qs(urlsplit(location).query)["token"][0]
    row = await PickupReservation.select().where(PickupReservation.code == code).first()
    assert row["notice_numbers"] == "0123456789 1111222233" and row["party_size"] == 2

    shown = await client.get(location)
    html = soup(shown)
    assert shown.status_code == 200 and html.select_one(".qr svg") is not None
    assert "0123456789" in html.select_one("dl.facts").get_text()
    # the grace period, as residents are told it: a 9:00 time goes first until 9:05 (COUNTER_GRACE_MINUTES)
    assert "09:05までにお越しください" in html.select_one("p.hint").get_text()
    assert shown.headers["cache-control"] == "no-store"
    ics = await client.get(f"/pickups/{code}/calendar.ics", params={"token": token})
    event = Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event["uid"] == f"pickup-{code}@outreach" and event.decoded("dtstart") == dt.datetime(
        2027, 7, 12, 9, 0, tzinfo=clock.JST
    )
    assert "0123456789" not in ics.text and token not in ics.text  # no notice number, no manage link


async def test_the_form_refuses_a_my_number_and_keeps_what_was_typed(client, office):
    page = await choose(client, office)
    slot = int(soup(page).select_one("input[name=slot]")["value"])
    response = await submit(client, page, slot, notice_0="1234-5678-9012")
    assert response.status_code == 422
    html = soup(response)
    assert "マイナンバー" in html.select_one("#notice_0-error").get_text()
    assert html.select_one("#notice_0")["aria-invalid"] == "true"
    assert html.select_one("#notice_1")["value"] == "1111222233"
    assert await PickupReservation.count() == 0


async def test_a_time_that_filled_meanwhile_offers_the_next_times_with_room(client, office):
    page = await choose(client, office)
    slot = int(soup(page).select_one("input[name=slot]")["value"])
    await PickupSlot.update({PickupSlot.booked: 3}).where(PickupSlot.id == slot)
    response = await submit(client, page, slot)
    assert response.status_code == 409
    offered = [int(i["value"]) for i in soup(response).select("input[name=slot]")]
    assert offered and slot not in offered


async def test_the_resident_changes_the_time_and_cancels(client, office):
    page = await choose(client, office)
    first = int(soup(page).select_one("input[name=slot]")["value"])
    location = (await submit(client, page, first)).headers["location"]
    code, token = urlsplit(location).path.rsplit("/", 1)[1], parse_qs(urlsplit(location).query)["token"][0]
    manage = await client.get(f"/pickups/{code}", params={"token": token, "day": "2027-07-13"})
    later = int(soup(manage).select_one("form[action*=change] input[name=slot]")["value"])
    moved = await client.post(
        f"/pickups/{code}/change?token={token}",
        data={"_csrf_token": csrf_token(manage.text), "slot": str(later)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert (await PickupReservation.select().where(PickupReservation.code == code).first())["slot"] == later
    cancelled = await client.post(
        f"/pickups/{code}/cancel?token={token}", data={"_csrf_token": csrf_token(manage.text)}, follow_redirects=False
    )
    assert cancelled.status_code == 303
    after = await client.get(cancelled.headers["location"])
    assert after.status_code == 200 and not soup(after).select("form[action*=cancel]")
    assert (await PickupSlot.select(PickupSlot.booked).where(PickupSlot.id == later).first())["booked"] == 0
    assert (await client.get(f"/pickups/{code}", params={"token": "wrong"})).status_code == 404


async def test_the_pages_fit_a_360_px_phone_and_label_every_field(client, office):
    page = await choose(client, office, party=3)
    html = soup(page)
    for field in html.select("form input:not([type=hidden]):not([type=radio]), form select"):
        assert html.select_one(f"label[for={field['id']}]") is not None, field
    assert html.select_one("meta[name=viewport]")["content"].startswith("width=device-width")
