"""The booking and manage forms (portal/public/booking.py) with what an attacker types instead of a number."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.bookings import BookingRequest, create_booking
from booking.codes import manage_token
from booking.tables import Booking
from core import clock
from tests.booking.factories import publish_booth
from tests.conftest import csrf_token, soup
from tests.portal.public.test_home import book

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


@pytest.mark.parametrize("party_size", ["²", "١", "0", "-1", "1e3", str(2**64)])
async def test_a_party_size_that_is_no_plain_number_is_a_field_error(client, party_size):
    booth = await publish_booth()
    response = await book(client, booth, party_size=party_size)
    assert response.status_code == 422
    assert soup(response).select_one("#party_size-error")
    assert await Booking.count() == 0


@pytest.mark.parametrize("slot", ["²", "１", "", str(2**63), str(2**31)])
async def test_a_slot_that_is_no_plain_number_is_a_field_error(client, slot):
    booth = await publish_booth()
    response = await book(client, booth, slot=slot)
    assert response.status_code == 422
    assert "時間を選んでください" in soup(response).select_one("#slot-error").get_text()
    assert await Booking.count() == 0


async def test_moving_to_a_slot_that_is_no_plain_number_says_choose_a_time(client):
    booth = await publish_booth()
    details, _ = await create_booking(
        BookingRequest(slot_id=booth["slots"][0]["id"], name_kana="カナザワ ハナコ", phone="090-1111-2222")
    )
    manage = f"/bookings/{details.code}?token={manage_token(details.code)}"
    page = await client.get(manage)
    for slot in ("²", str(2**63)):
        response = await client.post(
            f"/bookings/{details.code}/move",
            params={"token": manage_token(details.code)},
            data={"slot": slot, "_csrf_token": csrf_token(page.text)},
        )
        assert response.status_code == 422
        assert "時間を選んでください" in soup(response).get_text()
