"""In Chromium on a 360 px phone: a family of six books a time (the form offers only the times that fit it), and a
booth that is over says so and points to the next booths nearby (issue 15 items 2 and 4)."""

from __future__ import annotations

import datetime as dt

from booking.tables import Booking, Slot
from core import clock
from tests.booking.factories import publish_booth
from tests.e2e.test_booking import violations


async def fits_the_screen(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert await violations(page) == []


async def test_a_family_of_six_books_on_a_small_phone(page, live_server):
    booth = await publish_booth(clock.today() + dt.timedelta(days=20), capacity=4, walk_in=2)
    first, second = booth["slots"][0], booth["slots"][1]
    await Slot.update({Slot.booked: 1}).where(Slot.id == first["id"])  # someone booked the first time already
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto(f"{live_server}/booths/{booth['session']}/book?slot={first['id']}")
    assert await page.locator(f"input[name=slot][value='{first['id']}']").is_checked()
    await page.select_option("#party_size", "6")
    # the first time has room for 3 only: it is no longer offered, the next one is
    assert not await page.locator(f"input[name=slot][value='{first['id']}']").is_visible()
    assert await page.locator(f"input[name=slot][value='{second['id']}']").is_visible()
    assert "6人までのご家族1組" in await page.locator("#family-hint").inner_text()
    await fits_the_screen(page)
    await page.check(f"input[name=slot][value='{second['id']}']")
    await page.fill("#name_kana", "かなざわ たろう")
    await page.fill("#phone", "090-1234-5678")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_url("**/bookings/*new=1")
    row = await Booking.select(Booking.slot, Booking.party_size).first()
    assert (row["slot"], row["party_size"]) == (second["id"], 6)
    assert (await Slot.select(Slot.booked).where(Slot.id == second["id"]).first())["booked"] == 6
    await fits_the_screen(page)


async def test_a_past_booth_says_it_is_over_on_a_small_phone(page, live_server):
    past = await publish_booth(clock.today() - dt.timedelta(days=2), lat=36.561, lon=136.652, name="終わった公民館")
    upcoming = await publish_booth(clock.today() + dt.timedelta(days=9), lat=36.562, lon=136.653, name="次の公民館")
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto(f"{live_server}/booths/{past['session']}")
    assert await page.locator("#over-heading").inner_text() == "この会場は終了しました"
    assert await page.locator("a.slot--open").count() == 0
    await fits_the_screen(page)
    await page.locator("#over-heading ~ ul a").first.click()
    await page.wait_for_url(f"**/booths/{upcoming['session']}")
    assert await page.locator("a.slot--open").count() == 14
    await page.goto(f"{live_server}/")
    assert "終わった公民館" not in await page.locator("main").inner_text()
