"""Reception checks a pickup reservation in by its code (scanned from its QR code or typed): the resident gets a
queue ticket first within the reserved time; a wrong code, another day's or another office's reservation is said
beside the field."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.tables import Role
from counter.pickups import PickupRequest, reserve
from counter.tables import PickupReservation, Ticket
from tests.conftest import csrf_token, soup
from tests.counter.pickup_factories import office_with_slots, slots_of

FRIDAY = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)
MONDAY = dt.date(2027, 7, 12)


@pytest.fixture(autouse=True)
def in_english(client):
    client.headers["Accept-Language"] = "en"


async def test_reception_checks_a_reservation_in_and_shows_its_ticket(client, signed_in):
    with clock.frozen(FRIDAY):
        office = await office_with_slots(FRIDAY.date())
        slot = (await slots_of(office["services"]["pickup"], MONDAY))[2]  # 10:00
        details, _ = await reserve(PickupRequest(slot["id"], ("0123456789",), phone="09012345678", language="vi"))
    with clock.frozen(dt.datetime(2027, 7, 12, 9, 58, tzinfo=clock.JST)):
        await signed_in(Role.contractor_staff)
        page = await client.get(f"/staff/counter/{office['office']}")
        assert soup(page).select_one("#check-in-form label[for=reservation_code]") is not None
        form = {"_csrf_token": csrf_token(page.text), "reservation_code": "nope"}
        refused = await client.post(f"/staff/counter/{office['office']}/pickups", data=form)
        assert refused.status_code == 404
        assert soup(refused).select_one("#reservation-error").text == "No reservation has this code."
        assert soup(refused).select_one("#reservation_code")["aria-invalid"] == "true"
        form["reservation_code"] = details.code.lower()
        checked = await client.post(f"/staff/counter/{office['office']}/pickups", data=form, follow_redirects=False)
        assert checked.status_code == 303
        again = await client.post(f"/staff/counter/{office['office']}/pickups", data=form, follow_redirects=False)
        assert again.headers["location"] == checked.headers["location"]  # scanned twice: one ticket
        shown = soup(await client.get(checked.headers["location"]))
        assert shown.select_one("#ticket-number").text == "A-001"
        assert shown.select_one("#ticket").get("lang") == "vi"  # the resident's language
        ticket = await Ticket.select().first()
        row = await PickupReservation.select().where(PickupReservation.code == details.code).first()
        assert (ticket["priority"], ticket["reservation"], row["state"]) == (1, row["id"], "checked_in")
