"""The residents' booking pages (portal/public/booking.py): what they leave off the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

import portal.public.booking
from core import clock
from tests.booking.factories import publish_booth
from tests.portal.public.test_home import book


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)):
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
