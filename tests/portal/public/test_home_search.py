"""Finding a booth on the home page (issue 15 item 6): romaji and station searches, one entry per venue with its next
dates nearest first, results and "show more" landing where the resident reads, the header's 予約を探す, and English
venue names."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from core import clock
from tests.booking.factories import publish_booth
from tests.conftest import DATA, soup
from tests.venues.factories import make_venue
from venues.places import import_places

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


@pytest.fixture
async def places():
    await import_places(DATA / "town_points.csv", DATA / "landmarks.csv")


def titles(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.select(".booth-card__title a")]


async def test_romaji_and_station_names_find_booths_nearest_first(client, places):
    await publish_booth(dt.date(2027, 6, 5), lat=36.60, lon=136.70, name="遠い公民館")
    await publish_booth(dt.date(2027, 6, 12), lat=36.5615, lon=136.6525, name="片町の会場")
    await publish_booth(dt.date(2027, 6, 19), lat=36.5785, lon=136.6490, name="駅前の会場")
    katamachi = soup(await client.get("/", params={"q": "Katamachi"}))
    assert not katamachi.select("#q-error")
    assert titles(katamachi)[0] == "片町の会場"
    assert "片町" in katamachi.select_one("#results").get_text()
    for query in ("金沢駅", "Kanazawa Station"):
        page = soup(await client.get("/", params={"q": query}))
        assert titles(page)[0] == "駅前の会場", query
        assert "金沢駅" in page.select_one("#results").get_text(), query


async def test_nearest_first_shows_each_venue_once_with_its_next_dates(client, places):
    near = await make_venue(name="片町公民館", lat=36.5605, lon=136.6525)
    for day in (5, 12, 19, 26, 27):
        await publish_booth(dt.date(2027, 6, day), venue=near)
    await publish_booth(dt.date(2027, 6, 6), lat=36.5650, lon=136.6550, name="次に近い会場")
    page = soup(await client.get("/", params={"q": "片町"}))
    assert titles(page) == ["片町公民館", "次に近い会場"]  # not the same venue five times before any other
    dates = page.select(".booth-card")[0].select(".booth-card__dates li")
    assert len(dates) == 4 and "6月5日" in dates[0].get_text() and "6月26日" in dates[3].get_text()
    assert [urlsplit(a["href"]).path for a in page.select(".booth-card")[0].select(".booth-card__dates a")] == [
        f"/booths/{n}" for n in sorted(int(a["href"].split("/")[-1]) for a in page.select(".booth-card__dates a"))
    ][:4]
    assert "1" in page.select_one(".booth-card").select_one(".hint").get_text()  # and 1 more date
    by_date = soup(await client.get("/"))  # without a place, the list is by date: one entry per booth
    assert len(by_date.select(".booth-card")) == 6


async def test_a_search_lands_on_the_results_and_show_more_on_the_first_new_entry(client, places):
    for n in range(25):
        await publish_booth(dt.date(2027, 6, 2) + dt.timedelta(days=n), name=f"会場{n:02d}", lat=36.5 + n / 500)
    page = soup(await client.get("/", params={"q": "片町", "limit": "20"}))
    assert page.select_one("form.search")["action"] == "/#results"  # the browser scrolls to the results itself
    assert page.select_one("#results")
    more = page.select_one("a[href*='limit=40']")["href"]
    assert more.endswith("#item-21") and more.count("limit=") == 1 and "q=%E7%89%87%E7%94%BA" in more
    following = soup(await client.get(more.split("#")[0]))
    assert following.select_one("#item-21") and len(following.select(".booth-card")) == 25
    assert not following.select("a[href*='limit=60']")  # everything shown: no more button


async def test_the_header_offers_find_my_booking_on_every_public_page(client):
    booth = await publish_booth()
    for path in ("/", f"/booths/{booth['session']}", "/bookings/find"):
        link = soup(await client.get(path)).select_one("header .site-header__find")
        assert link["href"] == "/bookings/find" and link.get_text(strip=True) == "予約を探す", path


async def test_the_english_page_shows_english_venue_names(client):
    await publish_booth(name="米丸公民館", name_kana="ヨネマルコウミンカン")
    await publish_booth(dt.date(2027, 6, 12), name="イオン金沢店", name_en="AEON Kanazawa")
    page = soup(await client.get("/", headers={"Accept-Language": "en"}))
    assert sorted(titles(page)) == ["AEON Kanazawa", "Yonemaru Community Hall"]
    assert sorted(titles(soup(await client.get("/")))) == ["イオン金沢店", "米丸公民館"]


async def test_a_place_not_found_says_what_can_be_typed(client, places):
    error = soup(await client.get("/", params={"q": "Xyzzy"})).select_one("#q-error").get_text()
    assert "「Xyzzy」" in error and "駅名" in error and "Katamachi" in error
