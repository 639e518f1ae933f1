"""The residents' pages, checked by parsing the HTML: the booth list near a place, a booth's slots and readiness
check, the booking form with its errors, the confirmation and manage page, moving and cancelling."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.tables import Booking, Slot
from core import clock
from core.tables import OutboxMessage
from tests.booking.factories import publish_booth
from tests.conftest import csrf_token, soup

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


async def book(client, booth: dict, slot_index: int = 0, **fields):
    form_page = await client.get(f"/booths/{booth['session']}/book", params={"slot": booth["slots"][slot_index]["id"]})
    assert form_page.status_code == 200
    page = soup(form_page)
    data = {
        "_csrf_token": csrf_token(form_page.text),
        "form_token": page.find("input", {"name": "form_token"})["value"],
        "slot": str(booth["slots"][slot_index]["id"]),
        "name_kana": "かなざわ はなこ",
        "phone": "090-1234-5678",
        "party_size": "1",
        "language": "ja",
        "src": "",
    }
    data.update(fields)
    return await client.post(f"/booths/{booth['session']}/book", data=data, follow_redirects=False)


async def test_home_lists_booths_nearest_to_a_typed_town(client):
    from tests.conftest import DATA
    from venues.places import import_places

    await import_places(DATA / "town_points.csv")
    far = await publish_booth(dt.date(2027, 6, 5), lat=36.60, lon=136.70, name="遠い公民館")
    near = await publish_booth(dt.date(2027, 6, 12), lat=36.5615, lon=136.6525, name="片町の会場")
    page = soup(await client.get("/", params={"q": "片町"}))
    cards = page.select(".booth-card")
    assert [c.select_one("a")["href"] for c in cards] == [f"/booths/{near['session']}", f"/booths/{far['session']}"]
    assert "km" in cards[0].select_one(".distance").text
    here = page.select_one("[data-booth-map]")["data-here"].split(",")  # the map marks the place found
    assert abs(float(here[0]) - 36.56) < 0.02 and abs(float(here[1]) - 136.65) < 0.02
    unknown = soup(await client.get("/", params={"q": "存在しない町"}))
    assert unknown.select_one("#q")["aria-invalid"] == "true" and unknown.select_one("#q-error")


async def map_of(client, response) -> dict:
    """What the browser draws on the home page's map: the document or data it loads for it, as the page says."""
    page = soup(response)
    frame = page.select_one("iframe.map-frame")
    if frame is not None:  # the server drew the map (folium, before issue 17)
        return {"url": frame["src"], "body": (await client.get(frame["src"])).text}
    drawn = page.select_one("[data-booth-map]")
    return {"url": drawn["data-sessions"], "body": (await client.get(drawn["data-sessions"])).text, "map": drawn}


async def test_the_map_is_drawn_in_the_browser_from_our_own_static_files(client):
    booth = await publish_booth(name="地図の会場")
    response = await client.get("/")
    page = soup(response)
    scripts = [s["src"] for s in page.select("script[src]")]
    assert scripts[-3:] == [
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/static/js/booth-map.js",
    ]
    assert all(href.startswith("/static/") for href in (link["href"] for link in page.select("link[rel=stylesheet]")))
    drawn = (await map_of(client, response))["map"]
    assert drawn["role"] == "region" and page.select_one(f"#{drawn['aria-describedby']}").get_text(strip=True)
    assert drawn["data-tiles"] == "/static/img/blank-tile.png"
    assert [(b["id"], b["venue_name"]) for b in (await client.get(drawn["data-sessions"])).json()] == [
        (booth["session"], "地図の会場")
    ]
    assert (await client.get("/map.html")).status_code == 404  # no map is rendered on the server any more


async def test_many_places_searched_from_draw_no_map_on_the_server(client, monkeypatch):
    """Issue 17: each new ``near=`` made the server build a folium map (170-280 ms on the event loop). Now every
    place searched from loads the same map data, encoded once per read of the booth list."""
    import folium

    import portal.api.sessions

    for n in range(3):
        await publish_booth(dt.date(2027, 6, 5 + n), name=f"会場{n}", lat=36.55 + n / 100, lon=136.65)
    maps_built, encoded = [], []
    monkeypatch.setattr(folium.Map, "render", lambda self, **kw: maps_built.append(1))
    session_out = portal.api.sessions.session_out
    monkeypatch.setattr(portal.api.sessions, "session_out", lambda *a, **kw: encoded.append(1) or session_out(*a, **kw))
    loaded = set()
    for n in range(30):
        lat, lon = 36.50 + n / 1000, 136.601 + n / 1000
        response = await client.get("/", params={"near": f"{lat},{lon}"})
        assert response.status_code == 200
        drawn = await map_of(client, response)
        loaded.add(drawn["url"])
        assert drawn["map"]["data-here"] == f"{lat},{lon}"  # the place searched from is marked by the browser
    assert maps_built == []
    assert loaded == {"/api/sessions"} and len(encoded) == 3  # the three booths, once for thirty places


async def test_the_map_asks_for_the_booths_of_the_filters(client):
    response = await client.get(
        "/", params={"date_from": "2027-06-01", "date_to": "2027-06-30", "day": "holiday", "wheelchair": "1"}
    )
    drawn = (await map_of(client, response))["map"]
    assert drawn["data-sessions"] == "/api/sessions?from=2027-06-01&to=2027-06-30&day_type=holiday"
    assert drawn["data-wheelchair"] == "1" and not drawn.has_attr("data-parking")
    assert (await client.get(drawn["data-sessions"])).status_code == 200


async def test_booth_page_has_the_readiness_check_and_slots(client):
    booth = await publish_booth(capacity=2)
    page = soup(await client.get(f"/booths/{booth['session']}"))
    assert page.select_one("#readiness-heading")
    links = page.select("a.slot--open")
    assert len(links) == 14 and "2" in links[0].text


async def test_booth_page_shows_the_venue_on_a_map_with_directions_and_its_phone(client):
    booth = await publish_booth(
        name="森本公民館", address="石川県金沢市吉原町ワ22", lat=36.6231, lon=136.7108, phone="０７６（２５８）１２３１"
    )
    page = soup(await client.get(f"/booths/{booth['session']}", params={"src": "hall-7"}))

    drawn = page.select_one("#booth-map[data-booth-map]")
    assert drawn is not None and drawn["data-sessions"] == f"/api/sessions/{booth['session']}"
    assert drawn["data-tiles"] == "/static/img/blank-tile.png" and drawn["data-src"] == "hall-7"
    heading = page.select_one(f"#{drawn['aria-labelledby']}")
    hint = page.select_one(f"#{drawn['aria-describedby']}").text
    assert drawn["role"] == "region" and heading.text == "地図と道順"
    assert "森本公民館" in hint and "石川県金沢市吉原町ワ22" in hint  # the map's place in words
    scripts = [tag["src"] for tag in page.select("script[src]")]
    assert "/static/vendor/leaflet/leaflet.js" in scripts and "/static/js/booth-map.js" in scripts
    assert all(src.startswith("/static/") for src in scripts)  # our own assets, no CDN
    assert page.select_one('link[href="/static/vendor/leaflet/leaflet.css"]')
    assert (await client.get(drawn["data-sessions"])).json()["lat"] == pytest.approx(36.6231)

    links = {a["href"]: a.text for a in page.select(".booth-where__links a")}
    directions = next(href for href in links if href.startswith("https://www.google.com/maps/dir/"))
    assert parse_qs(urlsplit(directions).query) == {"api": ["1"], "destination": ["36.623100,136.710800"]}
    assert "森本公民館" in links[directions]  # the link says where it leads
    assert "geo:36.623100,136.710800?q=36.623100,136.710800" in links
    assert "tel:0762581231" in links and "０７６（２５８）１２３１" in links["tel:0762581231"]
    assert page.select_one('.facts a[href="tel:0762581231"]').text == "０７６（２５８）１２３１"
    assert page.select_one('.facts a[href="#where-heading"]').text == "地図と道順"  # from the address to the map


async def test_booth_page_without_a_venue_phone_has_no_tel_link_and_a_cancelled_booth_no_directions(client):
    booth = await publish_booth(phone="")
    page = soup(await client.get(f"/booths/{booth['session']}"))
    assert page.select_one("#booth-map") and not page.select('a[href^="tel:"]')
    cancelled = await publish_booth(state="cancelled")
    page = soup(await client.get(f"/booths/{cancelled['session']}"))
    assert page.select_one("#booth-map") is None and not page.select('a[href*="/maps/dir/"]')


async def test_booking_form_confirms_and_the_manage_page_moves_and_cancels(client):
    booth = await publish_booth(capacity=2)
    response = await book(client, booth, email="hanako@example.jp", party_size="2")
    assert response.status_code == 303
    manage_url = response.headers["location"]
    query = parse_qs(urlsplit(manage_url).query)
    code, token = urlsplit(manage_url).path.rsplit("/", 1)[1], query["token"][0]
    page = soup(await client.get(manage_url))
    assert page.select_one(".notice--success") and page.select_one(".qr svg")
    assert page.select_one(".code").text.replace("-", "") == code
    assert (await OutboxMessage.count().where(OutboxMessage.recipient == "hanako@example.jp")) == 1
    slip = await client.get(f"/bookings/{code}/slip.pdf", params={"token": token})
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    ics = await client.get(f"/bookings/{code}/calendar.ics", params={"token": token})
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content
    # move to the third slot
    move_page = await client.get(manage_url)
    target = booth["slots"][2]["id"]
    moved = await client.post(
        f"/bookings/{code}/move",
        params={"token": token},
        data={"_csrf_token": csrf_token(move_page.text), "slot": str(target)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert (await Booking.select(Booking.slot).where(Booking.code == code).first())["slot"] == target
    # cancel, after the confirmation page
    confirm = await client.get(f"/bookings/{code}/cancel", params={"token": token})
    cancelled = await client.post(
        f"/bookings/{code}/cancel",
        params={"token": token},
        data={"_csrf_token": csrf_token(confirm.text)},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    assert (await Slot.select(Slot.booked).where(Slot.id == target).first())["booked"] == 0
    after = soup(await client.get(manage_url))
    assert not after.select_one("a[href*='slip.pdf']")  # a cancelled booking offers no slip any more


async def test_form_errors_are_shown_next_to_the_fields_and_nothing_is_booked(client):
    booth = await publish_booth()
    response = await book(client, booth, name_kana="", phone="12", email="")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#name_kana")["aria-invalid"] == "true"
    assert page.select_one("#name_kana-error") and page.select_one("#phone-error")
    assert page.select_one("#form-errors")["role"] == "alert"
    assert page.select_one("#phone")["value"] == "12"  # what was typed is kept
    assert await Booking.count() == 0


async def test_a_resubmitted_form_makes_one_booking(client):
    booth = await publish_booth()
    form_page = await client.get(f"/booths/{booth['session']}/book", params={"slot": booth["slots"][0]["id"]})
    data = {
        "_csrf_token": csrf_token(form_page.text),
        "form_token": soup(form_page).find("input", {"name": "form_token"})["value"],
        "slot": str(booth["slots"][0]["id"]),
        "name_kana": "タナカ",
        "phone": "0761234567",
        "party_size": "1",
    }
    first = await client.post(f"/booths/{booth['session']}/book", data=data, follow_redirects=False)
    second = await client.post(f"/booths/{booth['session']}/book", data=data, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]
    assert await Booking.count() == 1


async def test_a_full_slot_offers_the_next_free_times(client):
    booth = await publish_booth(capacity=1)
    await book(client, booth, phone="0761111111")
    response = await book(client, booth, phone="0762222222")
    assert response.status_code == 409
    choices = [i["value"] for i in soup(response).select("input[name=slot]")]
    assert str(booth["slots"][1]["id"]) in choices and str(booth["slots"][0]["id"]) not in choices


async def test_finding_a_booking_by_code_and_phone_reissues_its_link(client):
    """予約を探す: the code and the phone give a new manage link, shown once; the old link then answers 404 with a
    page that says what to do, and the new one opens the booking."""
    booth = await publish_booth()
    response = await book(client, booth)
    old_link = response.headers["location"].replace("&new=1", "")
    code = urlsplit(old_link).path.rsplit("/", 1)[1]
    assert (await client.get(old_link)).status_code == 200
    form = await client.get("/bookings/find", params={"code": code})
    assert soup(form).select_one("#code")["value"] == code  # the calendar entry's link fills the code in
    found = await client.post(
        "/bookings/find",
        data={"_csrf_token": csrf_token(form.text), "code": code.lower(), "contact": "09012345678"},
        follow_redirects=False,
    )
    assert found.status_code == 303
    new_link = found.headers["location"]
    assert urlsplit(new_link).path == f"/bookings/{code}" and new_link.split("?")[1] != old_link.split("?")[1]
    opened = soup(await client.get(new_link))
    assert opened.select_one("#reissued") and "カナザワ ハナコ" in opened.get_text()
    gone = await client.get(old_link)
    assert gone.status_code == 404
    page = soup(gone)
    assert "カナザワ" not in page.get_text() and "09012345678" not in page.get_text()
    assert page.select_one("#find-booking")["href"] == "/bookings/find"  # where to get a new link
    old_token = parse_qs(urlsplit(old_link).query)["token"][0]
    assert (await client.get(f"/bookings/{code}/cancel", params={"token": old_token})).status_code == 404
    wrong = await client.post(
        "/bookings/find", data={"_csrf_token": csrf_token(form.text), "code": code, "contact": "0000000000"}
    )
    assert wrong.status_code == 422
    assert (await client.get(new_link)).status_code == 200  # a wrong contact re-issues nothing
    assert (await client.get(f"/bookings/{code}", params={"token": "guess"})).status_code == 404


async def test_a_reissued_link_is_sent_to_the_bookings_email(client):
    booth = await publish_booth()
    response = await book(client, booth, email="hanako@example.jp")
    code = urlsplit(response.headers["location"]).path.rsplit("/", 1)[1]
    form = await client.get("/bookings/find")
    found = await client.post(
        "/bookings/find",
        data={"_csrf_token": csrf_token(form.text), "code": code, "contact": "Hanako@Example.jp"},
        follow_redirects=False,
    )
    token = parse_qs(urlsplit(found.headers["location"]).query)["token"][0]
    [mail] = await OutboxMessage.select().where(OutboxMessage.kind == "booking.link_reissued")
    assert mail["recipient"] == "hanako@example.jp" and f"/bookings/{code}?token={token}" in mail["body"]


async def test_every_public_form_needs_its_csrf_token(client):
    booth = await publish_booth()
    response = await client.post(
        f"/booths/{booth['session']}/book",
        data={"slot": str(booth["slots"][0]["id"]), "name_kana": "タナカ", "phone": "0761234567", "party_size": "1"},
    )
    assert response.status_code == 403
    assert await Booking.count() == 0
    assert (await client.post("/bookings/find", data={"code": "x", "contact": "y"})).status_code == 403


async def test_pages_with_personal_data_are_never_cached(client):
    booth = await publish_booth()
    response = await book(client, booth)
    manage = await client.get(response.headers["location"])
    assert manage.headers["cache-control"] == "no-store"


async def test_the_map_keeps_the_placement_code_in_its_booth_links(client):
    await publish_booth(name="地図の会場")
    drawn = (await map_of(client, await client.get("/", params={"src": "aeon-board"})))["map"]
    assert drawn["data-src"] == "aeon-board"
    assert not (await map_of(client, await client.get("/", params={"src": "bad code!"})))["map"].has_attr("data-src")


def test_the_served_portal_puts_its_start_up_objects_out_of_the_collectors_way():
    import subprocess
    import sys

    script = (
        "import asyncio, gc; from portal.app import create_served_app; app = create_served_app(); "
        "[asyncio.run(hook()) for hook in app.on_startup if hook.__name__ == 'freeze_startup_objects']; "
        "print(gc.get_freeze_count())"
    )
    frozen = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert int(frozen.stdout.split()[-1]) > 10_000  # modules, app, templates, catalogs: not walked by gen-2 sweeps


async def test_searches_the_cache_does_not_hold_are_limited_per_address():
    """Issue 17: a search not asked for since the booth list was read renders the page; one address may make 60 a
    minute. What the cache holds is still answered, and the plain home page is never counted."""
    import dataclasses

    from litestar.testing import AsyncTestClient

    from core.settings import get_settings
    from portal.app import create_app

    await publish_booth(name="検索の会場")
    app = create_app(dataclasses.replace(get_settings(), public_cache_seconds=600))  # no new read during the test
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        statuses = [(await client.get("/", params={"near": f"36.{n:03d},136.65"})).status_code for n in range(61)]
        assert statuses == [200] * 60 + [429]
        refused = await client.get("/", params={"near": "36.999,136.65"})
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert "1分ほど待って" in refused.text  # the Japanese default
        assert (await client.get("/", params={"near": "36.001,136.65"})).status_code == 200  # already rendered
        assert (await client.get("/")).status_code == 200


async def test_a_past_booth_says_it_is_over_shows_the_next_booths_nearby_and_leaves_the_list(client):
    """Issue 15 item 4: a booth that ended two days ago, and one that ended this morning."""
    past = await publish_booth(dt.date(2027, 5, 30), lat=36.561, lon=136.652, name="終わった公民館")
    this_morning = await publish_booth(dt.date(2027, 6, 1), start=dt.time(6), end=dt.time(8, 30), name="朝の会場")
    near = await publish_booth(dt.date(2027, 6, 12), lat=36.562, lon=136.653, name="近くの公民館")
    far = await publish_booth(dt.date(2027, 6, 5), lat=36.70, lon=136.80, name="遠くの公民館")
    listed = soup(await client.get("/")).get_text()
    assert "近くの公民館" in listed and "終わった公民館" not in listed and "朝の会場" not in listed
    api = (await client.get("/api/sessions")).json()
    assert {s["id"] for s in api} == {near["session"], far["session"]}
    for gone in (past, this_morning):
        page = soup(await client.get(f"/booths/{gone['session']}"))
        assert "この会場は終了しました" in page.select_one("#over-heading").get_text()
        assert not page.select("a.slot--open") and not page.select("#slots-heading")
    page = soup(await client.get(f"/booths/{past['session']}"))
    nearby = [a["href"] for a in page.select("#over-heading ~ ul a")]
    assert nearby == [f"/booths/{near['session']}", f"/booths/{far['session']}"]
    shown = (await client.get(f"/api/sessions/{past['session']}")).json()
    assert shown["over"] is True and all(s["remaining"] == 0 and s["room"] == 0 for s in shown["slots"])


async def test_a_booth_page_tells_families_a_time_nobody_has_booked_takes_them(client):
    booth = await publish_booth(capacity=4, walk_in=2)
    page = soup(await client.get(f"/booths/{booth['session']}"))
    assert "6人までのご家族1組" in page.select_one("#family-hint").get_text()
