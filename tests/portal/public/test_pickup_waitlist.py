"""The residents' pickup waiting-list pages (portal/public/pickups.py): a full day or time offers
「空きが出たら知らせる」, the form joins the day's list, and the entry's page accepts the offer a cancellation makes
(into an ordinary reservation), declines it or leaves the list."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.tables import WaitlistEntry
from core import clock
from core.tables import OutboxMessage
from counter.pickups import PickupRequest, cancel_reservation, reserve
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
    """An office whose Monday times take one person each; its first time is reserved (full)."""
    made = await office_with_slots(NOW.date())
    await PickupSlot.update({PickupSlot.capacity: 1}).where(PickupSlot.day == MONDAY)
    made["slots"] = [row["id"] for row in await slots_of(made["services"]["pickup"], MONDAY)]
    made["held"] = (await reserve(PickupRequest(made["slots"][0], ("1000000001",), phone="09011112222")))[0]
    return made


def query(office: dict, **values) -> dict:
    return {"office": office["office"], "service": office["services"]["pickup"], "party": 1, **values}


async def test_a_full_time_and_a_full_day_offer_the_waiting_list(client, office):
    page = await client.get("/pickups", params=query(office, day=str(MONDAY)))
    link = soup(page).select_one("#full-times a")
    assert (
        link is not None and "day=2027-07-12" in link["href"] and "09:00" in soup(page).select_one("#full-times").text
    )
    assert soup(page).select_one("#waitlist") is None  # Monday still has room for one
    await PickupSlot.update({PickupSlot.booked: 1}).where(PickupSlot.day == MONDAY)
    page = await client.get("/pickups", params=query(office))
    days = [a["href"] for a in soup(page).select("#waitlist a")]
    assert days and "/pickups/waitlist?" in days[0] and "day=2027-07-12" in days[0]


async def test_joining_then_accepting_the_offer_a_cancellation_makes(client, office):
    form = await client.get("/pickups/waitlist", params=query(office, day=str(MONDAY)))
    html = soup(form)
    assert form.status_code == 200 and html.select_one("html")["lang"] == "ja"
    assert [int(c["value"]) for c in html.select("input[name=slots]")] == office["slots"][:1]  # the full one
    for field in html.select("form input:not([type=hidden]):not([type=radio]):not([type=checkbox])"):
        assert html.select_one(f"label[for={field['id']}]") is not None, field
    data = {
        "_csrf_token": csrf_token(form.text),
        **{i["name"]: i.get("value", "") for i in html.select("form.booking-form input[type=hidden]")},
        "slots": str(office["slots"][0]),
        "notice_0": "1234 5678 9012",
        "email": "wait@example.jp",
        "language": "en",
    }
    refused = await client.post("/pickups/waitlist", data=data, follow_redirects=False)
    assert refused.status_code == 422 and soup(refused).select_one("#notice_0")["aria-invalid"] == "true"
    assert "マイナンバー" in soup(refused).select_one("#notice_0-error").text
    assert await WaitlistEntry.count() == 0

    joined = await client.post("/pickups/waitlist", data={**data, "notice_0": "2000000002"}, follow_redirects=False)
    assert joined.status_code == 303, joined.text
    location = joined.headers["location"]
    assert location.startswith("/pickups/waitlist/")
    code, token = urlsplit(location).path.rsplit("/", 1)[1], parse_qs(urlsplit(location).query)["token"][0]
    entry_page = await client.get(location)
    assert entry_page.status_code == 200 and entry_page.headers["cache-control"] == "no-store"
    joined_email = (await OutboxMessage.select().where(OutboxMessage.kind.like("%waitlist.joined")).first())["body"]
    assert f"/pickups/waitlist/{code}?token={token}" in joined_email  # the email's link opens the pickup page
    generic = await client.get(f"/waitlist/{code}", params={"token": token}, follow_redirects=False)
    assert generic.status_code == 303 and generic.headers["location"] == f"/pickups/waitlist/{code}?token={token}"
    assert soup(entry_page).select_one("form[action*=leave]") and not soup(entry_page).select_one("#accept")
    assert "09:00–09:30" in soup(entry_page).select_one("dl.facts").text

    await cancel_reservation(office["held"].code, office["held"].manage_token)
    offered = soup(await client.get(f"/pickups/waitlist/{code}", params={"token": token}))
    assert offered.select_one("#offer-heading") is not None and "17:00" in offered.text  # held two hours
    accepted = await client.post(
        f"/pickups/waitlist/{code}/accept?token={token}",
        data={"_csrf_token": offered.select_one("input[name=_csrf_token]")["value"]},
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text
    assert "/pickups/" in accepted.headers["location"] and "new=1" in accepted.headers["location"]
    reservation = await client.get(accepted.headers["location"])
    assert reservation.status_code == 200 and "2000000002" in soup(reservation).select_one("dl.facts").text
    row = await PickupReservation.select().where(PickupReservation.notice_numbers == "2000000002").first()
    assert row["slot"] == office["slots"][0] and row["state"] == "confirmed"
    after = soup(await client.get(f"/pickups/waitlist/{code}", params={"token": token}))
    assert after.select_one(f"a[href^='/pickups/{row['code']}?token=']") is not None
    assert (await client.get(f"/pickups/waitlist/{code}", params={"token": "wrong"})).status_code == 404


async def test_leaving_the_list_from_its_page(client, office):
    form = await client.get("/pickups/waitlist", params=query(office, day=str(MONDAY)))
    html = soup(form)
    data = {
        "_csrf_token": csrf_token(form.text),
        **{i["name"]: i.get("value", "") for i in html.select("form.booking-form input[type=hidden]")},
        "slots": str(office["slots"][0]),
        "notice_0": "2000000002",
        "phone": "080-2222-3333",
    }
    location = (await client.post("/pickups/waitlist", data=data, follow_redirects=False)).headers["location"]
    code, token = urlsplit(location).path.rsplit("/", 1)[1], parse_qs(urlsplit(location).query)["token"][0]
    left = await client.post(
        f"/pickups/waitlist/{code}/leave?token={token}", data={"_csrf_token": csrf_token(form.text)}
    )
    assert left.status_code == 200 and not soup(left).select_one("form[action*=leave]")
    assert (await WaitlistEntry.select(WaitlistEntry.state).first())["state"] == "left"
