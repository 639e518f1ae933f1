"""The residents' booking pages (portal/public/booking.py): what they leave off the event loop, and the booking and
manage forms with what an attacker types instead of a number."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

import portal.public.booking
from booking.bookings import BookingRequest, create_booking
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


async def test_the_booking_slip_is_rendered_off_the_event_loop(client, monkeypatch):
    """Issue 17: WeasyPrint takes about 0.15 s a slip; on the event loop it held every other request of the worker."""
    rendered_in = []
    render = portal.public.booking.booking_slip_pdf

    def recording(details):
        try:
            asyncio.get_running_loop()
            on_a_loop = True
        except RuntimeError:
            on_a_loop = False
        rendered_in.append((threading.current_thread().name, on_a_loop))
        return render(details)

    monkeypatch.setattr(portal.public.booking, "booking_slip_pdf", recording)
    manage_url = (await book(client, await publish_booth())).headers["location"]
    code, token = urlsplit(manage_url).path.rsplit("/", 1)[1], parse_qs(urlsplit(manage_url).query)["token"][0]
    slip = await client.get(f"/bookings/{code}/slip.pdf", params={"token": token})
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    [(thread, on_a_loop)] = rendered_in
    assert not on_a_loop and thread.startswith("flyers")  # the flyer threads: two at most per worker


async def test_a_booking_page_opened_again_draws_its_qr_code_once(client, monkeypatch):
    """The booking page shows the code as a QR code (3-10 ms of pure Python on the event loop to draw)."""
    import portal.documents.qr

    drawn = []
    make = portal.documents.qr._code
    monkeypatch.setattr(portal.documents.qr, "_code", lambda text, **kw: drawn.append(text) or make(text, **kw))
    manage_url = (await book(client, await publish_booth())).headers["location"]
    pages = [await client.get(manage_url) for _ in range(3)]
    assert all(page.status_code == 200 and "<svg" in page.text for page in pages)
    assert len(drawn) == 1


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
    manage = f"/bookings/{details.code}?token={details.manage_token}"
    page = await client.get(manage)
    for slot in ("²", str(2**63)):
        response = await client.post(
            f"/bookings/{details.code}/move",
            params={"token": details.manage_token},
            data={"slot": slot, "_csrf_token": csrf_token(page.text)},
        )
        assert response.status_code == 422
        assert "時間を選んでください" in soup(response).get_text()
