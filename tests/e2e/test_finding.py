"""In Chromium on a 360 px phone: finding a booth (issue 15 item 6). A search by romaji or station lands on the
results, "show more" on the first new entry, the header stays compact with 予約を探す, and nothing is wider than
the phone (a long venue URL included)."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from tests.booking.factories import publish_booth
from tests.conftest import DATA
from tests.venues.factories import make_venue
from venues.places import import_places

LONG_URL = "https://www4.city.kanazawa.lg.jp/soshikikarasagasu/shiminkyodokikakuka/gyomuannai/1/2/" + "x" * 120


async def in_view(page, selector: str) -> bool:
    """Whether the element starts in the upper half of the screen, where the eye lands."""
    return await page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight / 2; }"
    )


async def gzip_weight(urls: list[str]) -> int:
    """The bytes on the wire of everything a page loaded, fetched again with gzip as browsers ask."""
    async with httpx.AsyncClient(headers={"Accept-Encoding": "gzip"}) as client:
        total = 0
        for url in dict.fromkeys(urls):
            response = await client.get(url)
            total += response.num_bytes_downloaded
    return total


async def width(page) -> int:
    return await page.evaluate("document.scrollingElement.scrollWidth")


async def test_a_phone_finds_booths_by_romaji_and_station_and_nothing_overflows(page, live_server):
    await import_places(DATA / "town_points.csv", DATA / "landmarks.csv")
    station = await publish_booth(
        dt.date(2027, 6, 19),
        venue=await make_venue(name="金沢駅前会館", lat=36.5785, lon=136.6490, url=LONG_URL),
    )
    katamachi = await make_venue(name="片町きらら", lat=36.5605, lon=136.6525)
    for day in (5, 12, 26):
        await publish_booth(dt.date(2027, 6, day), venue=katamachi)
    for n in range(22):  # enough venues for a second page
        await publish_booth(dt.date(2027, 7, 1) + dt.timedelta(days=n), name=f"遠い会場{n:02d}", lat=36.45 + n / 400)
    await page.set_viewport_size({"width": 360, "height": 740})

    await page.goto(live_server + "/")
    assert await width(page) <= 360
    assert await gzip_weight(page.requests) <= 200_000  # type: ignore[attr-defined]  # 70 KB here
    header = await page.locator("header.site-header").bounding_box()
    title = await page.locator(".site-title").bounding_box()
    assert header and title and header["height"] <= 740 / 4 and title["height"] <= 48  # one line, a quarter at most
    find = page.locator("header .site-header__find")
    assert await find.inner_text() == "予約を探す" and await find.get_attribute("href") == "/bookings/find"
    assert await in_view(page, "header .site-header__find")

    await page.goto(live_server + "/?q=Katamachi")  # the same results without the anchor start below the fold
    assert not await in_view(page, ".booth-card")
    await page.goto(live_server + "/")
    await page.fill("#q", "Katamachi")
    await page.press("#q", "Enter")
    await page.wait_for_url(re.compile(r".*\?q=Katamachi.*#results$"))
    assert await in_view(page, "#results") and await in_view(page, ".booth-card")  # not the unchanged top
    assert await page.locator(".booth-card__title").first.inner_text() == "片町きらら"
    assert await page.locator(".booth-card").first.locator(".booth-card__dates li").count() == 3
    assert await width(page) <= 360

    await page.fill("#q", "金沢駅")
    await page.press("#q", "Enter")
    await page.wait_for_url(re.compile(r".*q=%E9%87%91%E6%B2%A2%E9%A7%85.*#results$"))
    assert await in_view(page, "#results") and await in_view(page, ".booth-card")
    assert await page.locator(".booth-card__title").first.inner_text() == "金沢駅前会館"

    await page.click("a.button[href*='limit=40']")
    await page.wait_for_url(re.compile(r".*limit=40#item-21$"))
    assert await page.evaluate("window.scrollY") > 0 and await in_view(page, "#item-21")
    assert await width(page) <= 360

    await page.goto(f"{live_server}/booths/{station['session']}")
    assert await page.locator(f"a[href='{LONG_URL}']").count() == 1
    assert await width(page) <= 360  # the long venue URL wraps
    for path in ("/bookings/find", f"/booths/{station['session']}/book?slot={station['slots'][0]['id']}"):
        await page.goto(live_server + path)
        assert await width(page) <= 360, path
    assert page.outside == []  # type: ignore[attr-defined]
