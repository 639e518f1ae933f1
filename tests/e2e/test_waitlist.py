"""In Chromium on a 360 px phone, in Japanese and in Vietnamese: a resident finds a time full, joins its waiting list
from the booth page, a booking is cancelled, the offer's link opens the offer, the resident accepts it and sees the
booking's confirmation (issue 20). Nothing scrolls sideways and axe-core finds no WCAG 2.1 A/AA violation on any of
the pages."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.tables import Booking, Slot, WaitlistEntry
from core import clock
from core.i18n import gettext, using_locale
from core.tables import OutboxMessage
from tests.booking.factories import publish_booth
from tests.e2e.test_booking import violations


async def fits_the_screen(page, name: str) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360, name
    assert await violations(page) == [], name


def say(language: str, message: str) -> str:
    with using_locale(language):
        return gettext(message)


@pytest.mark.parametrize("language", ["ja", "vi"])
async def test_a_resident_waits_for_a_full_time_and_accepts_the_offer(page, live_server, language):
    booth = await publish_booth(
        clock.today() + dt.timedelta(days=20), capacity=1, walk_in=0, start=dt.time(10), end=dt.time(11)
    )
    full = booth["slots"][0]
    made, _ = await create_booking(BookingRequest(slot_id=full["id"], name_kana="ヨヤク タロウ", phone="09012345678"))
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])

    await page.goto(f"{live_server}/booths/{booth['session']}")
    wait_link = page.locator("a.slot--wait")
    assert await wait_link.count() == 1
    assert say(language, "Tell me when a place is free") in await wait_link.inner_text()
    await fits_the_screen(page, "booth")
    await wait_link.click()
    await page.wait_for_url(f"**/booths/{booth['session']}/waitlist?slot={full['id']}")
    assert await page.locator(f"input[name=slot_ids][value='{full['id']}']").is_checked()
    assert await page.locator(f"input[name=language][value='{language}']").is_checked()
    await fits_the_screen(page, "waitlist form")
    await page.click("form.waitlist-form button[type=submit]")  # no name, no contact: the errors are shown
    await page.wait_for_selector("#form-errors")
    assert await page.locator("#name_kana-error").count() == 1
    await fits_the_screen(page, "waitlist form (errors)")
    await page.fill("#name_kana", "まち はなこ")
    await page.fill("#email", "hanako@example.jp")
    await page.click("form.waitlist-form button[type=submit]")
    await page.wait_for_url("**/waitlist/*joined=1")
    assert "hanako@example.jp" in await page.locator("#joined").inner_text()
    assert await page.locator("#leave").count() == 1
    await fits_the_screen(page, "entry (waiting)")
    entry = await WaitlistEntry.select(WaitlistEntry.state, WaitlistEntry.language).first()
    assert entry == {"state": "waiting", "language": language}

    await cancel_booking(made.code, made.manage_token)  # someone cancels: the place is offered and held
    offer = await OutboxMessage.select(OutboxMessage.body).where(OutboxMessage.kind == "waitlist.offer").first()
    link = urlsplit(next(word for word in offer["body"].split() if "/waitlist/" in word))
    await page.goto(f"{live_server}{link.path}?{link.query}")
    assert await page.locator("#offer-heading").inner_text() == say(language, "A place is free for you")
    assert await page.locator("#held-until").count() == 1
    await fits_the_screen(page, "entry (offered)")
    await page.click("#accept")
    await page.wait_for_url("**/bookings/*new=1")
    assert say(language, "Your booking is confirmed.") in await page.locator(".notice--success").inner_text()
    assert "10:00–10:30" in await page.locator(".facts").inner_text()
    await fits_the_screen(page, "booking confirmation")
    row = await Booking.select(Booking.slot, Booking.language).where(Booking.source == "waitlist").first()
    assert row == {"slot": full["id"], "language": language}
    assert (await Slot.select(Slot.booked).where(Slot.id == full["id"]).first())["booked"] == 1
    assert page.outside == []  # type: ignore[attr-defined]
