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
from booking.tables import Booking, Slot
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


async def test_the_booking_slip_rendered_off_the_loop_keeps_the_reader_s_language(client, monkeypatch):
    """The flyer threads run the slip in the request's context: its locale (a context variable) goes with it."""
    from core.i18n import get_locale

    locales = []
    render = portal.public.booking.booking_slip_pdf
    monkeypatch.setattr(portal.public.booking, "booking_slip_pdf", lambda d: locales.append(get_locale()) or render(d))
    manage_url = (await book(client, await publish_booth())).headers["location"]
    code, token = urlsplit(manage_url).path.rsplit("/", 1)[1], parse_qs(urlsplit(manage_url).query)["token"][0]
    await client.get("/lang/en?next=/")
    assert (await client.get(f"/bookings/{code}/slip.pdf", params={"token": token})).status_code == 200
    await client.get("/lang/vi?next=/")
    assert (await client.get(f"/bookings/{code}/slip.pdf", params={"token": token})).status_code == 200
    assert locales == ["en", "vi"]


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


async def test_a_family_of_six_books_through_the_form(client):
    """Issue 15 item 2: the form offers 1 to 6 people, and a party of 6 books a time nobody has booked."""
    booth = await publish_booth(capacity=4, walk_in=2)
    form = soup(await client.get(f"/booths/{booth['session']}/book"))
    assert [o["value"] for o in form.select("#party_size option")] == ["1", "2", "3", "4", "5", "6"]
    assert "6人までのご家族1組" in form.select_one("#family-hint").get_text()
    response = await book(client, booth, party_size="6")
    assert response.status_code == 303, response.text
    assert (await Booking.select(Booking.party_size).first())["party_size"] == 6


async def test_a_refused_family_reads_the_reason_once_keeps_its_form_and_sees_times_that_fit(client):
    booth = await publish_booth(capacity=4, walk_in=2)
    await create_booking(
        BookingRequest(slot_id=booth["slots"][0]["id"], name_kana="カナザワ ハナコ", phone="090-1111-2222")
    )
    small = booth["slots"][3]["id"]
    await Slot.update({Slot.booked: 3}).where(Slot.id == small)  # room for one more person only
    response = await book(client, booth, party_size="5", name_kana="かなざわ たろう", email="taro@example.jp")
    assert response.status_code == 409
    page = soup(response)
    reason = "この時間に予約できるのは3人まで"
    assert page.get_text().count(reason) == 1 and "満員" not in page.get_text()
    assert page.select_one("#name_kana")["value"] == "かなざわ たろう"
    assert page.select_one("#email")["value"] == "taro@example.jp"
    assert page.select_one("#party_size option[selected]")["value"] == "5"
    offered = [i["value"] for i in page.select("input[name=slot]:not([disabled])")]
    assert offered and str(booth["slots"][0]["id"]) not in offered
    assert str(booth["slots"][1]["id"]) in offered
    too_small = page.select_one(f"input[name=slot][value='{small}']")  # shown when the party changes (script)
    assert too_small.has_attr("disabled") and too_small.find_parent("label").has_attr("hidden")
    chosen = await book(client, booth, slot_index=1, party_size="5")
    assert chosen.status_code == 303


async def test_a_booth_that_is_over_shows_no_form_and_refuses_a_booking(client):
    booth = await publish_booth(dt.date(2027, 5, 30))  # two days before "now"
    form = await client.get(f"/booths/{booth['session']}/book")
    assert form.status_code == 200
    page = soup(form)
    assert "この会場は終了しました" in page.get_text() and page.select_one("input[name=slot]") is None
    upcoming = await client.get(f"/booths/{(await publish_booth())['session']}/book")  # a form, for its CSRF token
    response = await client.post(
        f"/booths/{booth['session']}/book",
        data={
            "_csrf_token": csrf_token(upcoming.text),
            "slot": str(booth["slots"][0]["id"]),
            "name_kana": "カナザワ ハナコ",
            "phone": "090-1111-2222",
            "party_size": "1",
        },
    )
    assert response.status_code == 409 and "終了しました" in soup(response).get_text()
    assert await Booking.count() == 0


async def test_a_family_of_six_can_move_to_another_time_nobody_has_booked(client):
    booth = await publish_booth(capacity=4, walk_in=2)
    first, second = booth["slots"][0]["id"], booth["slots"][1]["id"]
    details, _ = await create_booking(
        BookingRequest(slot_id=first, name_kana="カナザワ ハナコ", phone="090-1111-2222", party_size=6)
    )
    await Slot.update({Slot.booked: 1}).where(Slot.id == booth["slots"][2]["id"])
    page = soup(await client.get(f"/bookings/{details.code}", params={"token": details.manage_token}))
    choices = [i["value"] for i in page.select("input[name=slot]")]
    assert str(second) in choices and str(booth["slots"][2]["id"]) not in choices and str(first) not in choices


async def test_the_form_offers_only_party_sizes_some_time_can_take(client):
    booth = await publish_booth(capacity=2, walk_in=1)  # a small slot: 3 places in all
    form = soup(await client.get(f"/booths/{booth['session']}/book"))
    assert [o["value"] for o in form.select("#party_size option")] == ["1", "2", "3"]
