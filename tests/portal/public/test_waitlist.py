"""The residents' waiting-list pages (portal/public/waitlist.py): from a full time to the list's form, joining it
(field errors, a time with room, success), the entry's page behind its link, accepting an offer into the booking's
confirmation, declining, leaving."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.tables import Booking, WaitlistEntry
from core import clock
from core.tables import OutboxMessage
from tests.booking.factories import publish_booth
from tests.conftest import csrf_token, soup
from tests.portal.public.test_home import book

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


async def full_booth(end: dt.time = dt.time(11)) -> tuple[dict, int, list]:
    """A booth whose first time is full (two bookings); returns the booth, that time's id and the bookings."""
    booth = await publish_booth(capacity=2, walk_in=1, start=dt.time(10), end=end)
    slot = booth["slots"][0]["id"]
    made = [
        (await create_booking(BookingRequest(slot_id=slot, name_kana="ヨヤク タロウ", phone=f"090{n:08d}")))[0]
        for n in range(2)
    ]
    return booth, slot, made


async def join(client, booth: dict, **fields):
    form_page = await client.get(f"/booths/{booth['session']}/waitlist", params={"slot": booth["slots"][0]["id"]})
    assert form_page.status_code == 200
    data = {
        "_csrf_token": csrf_token(form_page.text),
        "form_token": soup(form_page).find("input", {"name": "form_token"})["value"],
        "party_size": "1",
        "slot_ids": str(booth["slots"][0]["id"]),
        "name_kana": "まち はなこ",
        "email": "hanako@example.jp",
        "phone": "",
        "language": "ja",
    }
    data.update(fields)
    response = await client.post(f"/booths/{booth['session']}/waitlist", data=data, follow_redirects=False)
    response.sent = data
    return response


def code_and_token(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path.rsplit("/", 1)[1], parse_qs(parts.query)["token"][0]


async def test_a_full_time_on_the_booth_page_leads_to_the_waiting_list(client):
    booth, slot, _made = await full_booth()
    page = soup(await client.get(f"/booths/{booth['session']}"))
    [full] = page.select("a.slot--wait")
    assert full["href"] == f"/booths/{booth['session']}/waitlist?slot={slot}"
    assert "空きが出たら知らせる" in full.get_text()
    assert page.select_one("#waitlist-offer a")["href"] == f"/booths/{booth['session']}/waitlist"
    form = soup(await client.get(full["href"]))
    assert form.select_one(f"input[name=slot_ids][value='{slot}']").has_attr("checked")
    assert form.select_one("input[name=language][value=ja]").has_attr("checked")


async def test_a_booth_with_no_full_time_offers_no_waiting_list(client):
    booth = await publish_booth(capacity=2, walk_in=1, start=dt.time(10), end=dt.time(11))
    page = soup(await client.get(f"/booths/{booth['session']}"))
    assert not page.select("a.slot--wait") and not page.select_one("#waitlist-offer")


async def test_the_booking_form_s_full_refusal_offers_the_waiting_list(client):
    booth = await publish_booth(capacity=1, walk_in=0, start=dt.time(10), end=dt.time(11))
    assert (await book(client, booth)).status_code == 303
    refused = await book(client, booth, phone="090-9999-0000")
    assert refused.status_code == 409
    link = soup(refused).select_one("#waitlist-link")
    assert link["href"] == f"/booths/{booth['session']}/waitlist?slot={booth['slots'][0]['id']}&party_size=1"


async def test_joining_shows_field_errors_and_the_refusal_of_a_time_with_room(client):
    booth, slot, _made = await full_booth()
    response = await join(client, booth, name_kana="", email="not-an-email", slot_ids="")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#slot_ids-error") and page.select_one("#name_kana-error")
    response = await join(client, booth, name_kana="", email="not-an-email")
    page = soup(response)
    assert response.status_code == 422 and page.select_one("#name_kana-error") and page.select_one("#email-error")
    assert page.select_one("#name_kana")["aria-invalid"] == "true"
    free = booth["slots"][1]["id"]
    response = await join(client, booth, slot_ids=str(free))
    assert response.status_code == 409
    assert soup(response).select_one("#form-errors a.button")["href"] == f"/booths/{booth['session']}/book?slot={free}"
    assert await WaitlistEntry.count() == 0


async def test_joining_shows_the_entry_and_says_the_email_was_sent(client):
    booth, slot, _made = await full_booth()
    response = await join(client, booth)
    assert response.status_code == 303
    entry_page = await client.get(response.headers["location"])
    assert entry_page.status_code == 200
    assert entry_page.headers["cache-control"] == "no-store"
    assert entry_page.headers["referrer-policy"] == "no-referrer"
    page = soup(entry_page)
    assert "hanako@example.jp" in page.select_one("#joined").get_text()
    assert "10:00–10:30" in page.select_one("#entry-heading").find_next("dl").get_text()
    assert page.select_one("#ahead") and page.select_one("#leave")
    labels = {term.get_text(): term.find_next("dd").get_text() for term in page.select("#entry-heading + dl dt")}
    assert labels["お名前（カタカナ）"] == "マチ ハナコ"  # a person's name, not 名称 (the name of a thing)
    code, token = code_and_token(response.headers["location"])
    joined = await OutboxMessage.select().where(OutboxMessage.kind == "waitlist.joined")
    assert len(joined) == 1 and f"/waitlist/{code}?token={token}" in joined[0]["body"]
    # the same form sent twice (a double tap): one entry, the same link
    again = await client.post(f"/booths/{booth['session']}/waitlist", data=response.sent, follow_redirects=False)
    assert again.headers["location"] == response.headers["location"] and await WaitlistEntry.count() == 1


async def test_the_same_form_sent_again_with_other_details_asks_to_check_them(client):
    """Back, change the email, send again: the form's key made an entry already, so the page says to check the details
    and gives the form a new key (never the first entry's page, never a field list pointing at a hidden key)."""
    booth, _slot, _made = await full_booth()
    first = await join(client, booth)
    assert first.status_code == 303
    again = await client.post(
        f"/booths/{booth['session']}/waitlist",
        data=first.sent | {"email": "other@example.jp"},
        follow_redirects=False,
        headers={"Accept-Language": "en"},
    )
    assert again.status_code == 422
    page = soup(again)
    assert "already sent with other details" in page.select_one("#form-errors").get_text()
    assert not page.select("#form-errors a[href='#idempotency_key']")
    assert page.find("input", {"name": "form_token"})["value"] != first.sent["form_token"]
    assert page.select_one("#email")["value"] == "other@example.jp"
    assert await WaitlistEntry.count() == 1


async def test_a_phone_only_entry_is_told_staff_will_call(client):
    booth, _slot, _made = await full_booth(end=dt.time(10, 30))  # one time, full: any time of the day waits
    response = await join(client, booth, email="", phone="080-1111-2222", any_time="1", slot_ids="")
    assert response.status_code == 303
    page = soup(await client.get(response.headers["location"]))
    assert "08011112222" in page.select_one("#joined").get_text()  # as stored (digits only)
    assert "その日のどの時間でもよい" in page.select_one("#entry-heading").find_next("dl").get_text()


async def test_an_offer_is_accepted_into_the_booking_confirmation(client):
    booth, slot, made = await full_booth()
    code, token = code_and_token((await join(client, booth)).headers["location"])
    await cancel_booking(made[0].code, made[0].manage_token)
    offer = await client.get(f"/waitlist/{code}", params={"token": token})
    page = soup(offer)
    assert page.select_one("#offer-heading") and page.select_one("#held-until").get_text().endswith("11:00")
    response = await client.post(
        f"/waitlist/{code}/accept",
        params={"token": token},
        data={"_csrf_token": csrf_token(offer.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and "new=1" in response.headers["location"]
    confirmation = soup(await client.get(response.headers["location"]))
    assert "予約が確定しました" in confirmation.get_text()
    assert await Booking.count().where(Booking.source == "waitlist") == 1
    booked = soup(await client.get(f"/waitlist/{code}", params={"token": token}))
    assert booked.select_one("#booked-heading") and booked.select_one("a[href*='/slip.pdf']")


async def test_declining_and_leaving_from_the_entry_page(client):
    booth, slot, made = await full_booth()
    first = code_and_token((await join(client, booth)).headers["location"])
    second = code_and_token((await join(client, booth, email="second@example.jp")).headers["location"])
    await cancel_booking(made[0].code, made[0].manage_token)
    offer = await client.get(f"/waitlist/{first[0]}", params={"token": first[1]})
    response = await client.post(
        f"/waitlist/{first[0]}/decline", params={"token": first[1]}, data={"_csrf_token": csrf_token(offer.text)}
    )
    assert response.status_code == 200 and "次の方" in soup(response).select_one("#over-heading").get_text()
    offered = await client.get(f"/waitlist/{second[0]}", params={"token": second[1]})
    assert soup(offered).select_one("#offer-heading")
    response = await client.post(
        f"/waitlist/{second[0]}/leave", params={"token": second[1]}, data={"_csrf_token": csrf_token(offered.text)}
    )
    assert response.status_code == 200 and soup(response).select_one("#over-heading")
    gone = await client.post(
        f"/waitlist/{first[0]}/accept", params={"token": first[1]}, data={"_csrf_token": csrf_token(offer.text)}
    )
    assert gone.status_code == 409 and soup(gone).select_one("#entry-message")


async def test_a_wrong_token_opens_nothing(client):
    booth, _slot, _made = await full_booth()
    code, _token = code_and_token((await join(client, booth)).headers["location"])
    assert (await client.get(f"/waitlist/{code}", params={"token": "wrong"})).status_code == 404
    assert (await client.get(f"/waitlist/{code}")).status_code == 404
