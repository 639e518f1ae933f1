"""The booth day as staff use it on a tablet: today's booths, the booth's page (names, audited views), check-in by
code with clear messages, no-show and undo, walk-ins with their queue numbers; and the live status residents see on
the booth page, the home page, the map and the API — never a name."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import jobs as booking_jobs
from booking.bookings import BookingRequest, create_booking
from booking.codes import display_code
from booking.schemas import Needs
from booking.tables import Booking
from core import clock
from core.jobs import Registry, Worker
from core.settings import get_settings
from core.tables import AuditEvent, Role
from tests.booking.factories import publish_booth
from tests.conftest import csrf_token, post_form, soup
from tests.venues.factories import make_venue

DAY = dt.date(2027, 6, 5)
BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), clock.JST)


@pytest.fixture(autouse=True)
def in_english(client):
    """The pages in English (their wording is checked; the Japanese catalog is tested in tests/core)."""
    client.headers["Accept-Language"] = "en"


async def book(slot_id: int, name: str, party_size: int = 1, phone: str = "090-1234-5678", **values) -> str:
    with clock.frozen(BEFORE):
        details, _created = await create_booking(
            BookingRequest(slot_id=slot_id, name_kana=name, phone=phone, party_size=party_size, **values)
        )
    return details.code


@pytest.fixture
async def day():
    """Today's booth (10:00–12:00) with three bookings, and another booth next week."""
    booth = await publish_booth(DAY, start=dt.time(10), end=dt.time(12), venue=await make_venue(name="片町きらら"))
    later = await publish_booth(DAY + dt.timedelta(days=3), venue=await make_venue(name="森本公民館"))
    slots = [s["id"] for s in booth["slots"]]
    codes = {
        "yamada": await book(slots[0], "やまだ たろう", 2, needs=Needs(wheelchair=True, interpreter="vi")),
        "suzuki": await book(slots[0], "すずき はなこ", 1, "09000000001"),
        "tanaka": await book(slots[1], "たなか じろう", 3, "09000000002"),
    }
    return {"session": booth["session"], "later": later["session"], "codes": codes, "slots": slots}


async def test_only_booth_staff_open_the_check_in_pages(client, signed_in, day):
    assert (await client.get("/staff/checkin", follow_redirects=False)).status_code == 303  # to the sign-in
    await signed_in(Role.city_reviewer)
    assert (await client.get("/staff/checkin")).status_code == 403
    assert (await client.get(f"/staff/checkin/{day['session']}")).status_code == 403
    assert await AuditEvent.count().where(AuditEvent.action == "bookings.viewed") == 0
    for role in (Role.contractor_staff, Role.contractor_lead, Role.admin):
        await signed_in(role)
        assert (await client.get(f"/staff/checkin/{day['session']}")).status_code == 200


async def test_the_list_shows_todays_booths_and_the_coming_ones(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    with clock.frozen(at(8, 30)):
        page = soup(await client.get("/staff/checkin"))
    today = page.select("ul[aria-labelledby=today-heading] li")
    assert [li["id"] for li in today] == [f"booth-{day['session']}"]
    assert "片町きらら" in today[0].get_text() and "6 people" in today[0].get_text()
    assert today[0].select_one("a")["href"] == f"/staff/checkin/{day['session']}"
    coming = page.select("ul[aria-labelledby=upcoming-heading] li")
    assert [li["id"] for li in coming] == [f"booth-{day['later']}"]
    with clock.frozen(at(8, 30, DAY + dt.timedelta(days=1))):
        assert soup(await client.get("/staff/checkin")).select_one("#no-booth-today") is not None


async def test_the_booth_page_lists_bookings_by_slot_with_names_and_audits_every_view(client, signed_in, day):
    actor = await signed_in(Role.contractor_staff)
    with clock.frozen(at(9, 50)):
        response = await client.get(f"/staff/checkin/{day['session']}")
        await client.get(f"/staff/checkin/{day['session']}")
    page = soup(response)
    assert [h.get_text() for h in page.select("h3.slot-heading")] == ["10:00–10:30", "10:30–11:00"]
    rows = page.select("tr.checkin-row")
    assert [r.select_one(".checkin-row__name").get_text() for r in rows] == [
        "ヤマダ タロウ",
        "スズキ ハナコ",
        "タナカ ジロウ",
    ]
    yamada = rows[0]
    assert yamada["data-code"] == day["codes"]["yamada"][-4:] and yamada["data-state"] == "confirmed"
    assert "Wheelchair" in yamada.get_text() and "Vietnamese" in yamada.get_text()
    assert [b["data-action"] for b in yamada.select("button")] == ["check-in", "no-show"]
    assert page.select_one("#not-today") is None and page.select_one("#code")["name"] == "code"
    assert page.select_one("label[for=code]") is not None and page.select_one("label[for=party_size]") is not None
    assert page.select_one("#live [data-live=due_parties]").get_text() == "3"
    events = await AuditEvent.select().where(AuditEvent.action == "bookings.viewed")
    assert len(events) == 2 and events[0]["object_type"] == "session"
    assert events[0]["object_id"] == str(day["session"]) and events[0]["actor_name"] == actor.username
    assert all("ヤマダ" not in e["summary"] for e in events)


async def test_check_in_by_code_redirects_with_the_name_and_party_size(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    code = day["codes"]["yamada"]
    with clock.frozen(at(10, 2)):
        response = await post_form(
            client, url, f"{url}/check-in", {"code": display_code(code).lower()}, follow_redirects=False
        )
        assert response.status_code == 303 and response.headers["location"].startswith(url + "?done=checked_in")
        page = soup(await client.get(response.headers["location"]))
    assert page.select_one("#done-message").get_text() == "Checked in: ヤマダ タロウ (party of 2)."
    row = page.select_one(f"tr[data-code='{code[-4:]}']")
    assert row["data-state"] == "checked_in" and [b["data-action"] for b in row.select("button")] == ["undo"]
    assert (await Booking.select(Booking.state).where(Booking.code == code).first())["state"] == "checked_in"
    assert page.select_one("#live [data-live=checked_in_parties]").get_text() == "1"


@pytest.mark.parametrize("case", ["unknown", "twice", "other_booth", "malformed"])
async def test_a_refused_code_is_explained_next_to_the_field(client, signed_in, day, case):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    other = await publish_booth(DAY + dt.timedelta(days=3), venue=await make_venue(name="森本公民館"))
    elsewhere = await book(other["slots"][0]["id"], "さとう いちろう", phone="09000000009")
    codes = {
        "unknown": "0000-0000-0000-0000",
        "twice": day["codes"]["suzuki"],
        "other_booth": elsewhere,
        "malformed": "ABC",
    }
    expected = {
        "unknown": (404, "No booking has this code"),
        "twice": (409, "already checked in at 10:01"),
        "other_booth": (409, "another booth: 森本公民館"),
        "malformed": (422, "16-character"),
    }
    with clock.frozen(at(10, 1)):
        if case == "twice":
            await post_form(client, url, f"{url}/check-in", {"code": codes[case]})
        response = await post_form(client, url, f"{url}/check-in", {"code": codes[case]}, follow_redirects=False)
    status, words = expected[case]
    assert response.status_code == status
    page = soup(response)
    field = page.select_one("#code")
    assert field["aria-invalid"] == "true" and "code-error" in field["aria-describedby"]
    assert words in page.select_one("#code-error").get_text()


async def test_no_show_and_undo_from_the_list(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    booking_id = (await Booking.select(Booking.id).where(Booking.code == day["codes"]["tanaka"]).first())["id"]
    with clock.frozen(at(10, 12)):  # the party phoned to say it cannot come
        response = await post_form(client, url, f"{url}/bookings/{booking_id}/no-show", {}, follow_redirects=False)
        assert response.status_code == 303
        page = soup(await client.get(response.headers["location"]))
        assert "タナカ ジロウ (party of 3) marked as a no-show" in page.select_one("#done-message").get_text()
        assert page.select_one(f"#booking-{booking_id}")["data-state"] == "no_show"
        assert page.select_one("#live [data-live=released_places]").get_text() == "3"
        response = await post_form(client, url, f"{url}/bookings/{booking_id}/undo", {}, follow_redirects=False)
        page = soup(await client.get(response.headers["location"]))
        assert page.select_one(f"#booking-{booking_id}")["data-state"] == "confirmed"
        again = await post_form(client, url, f"{url}/bookings/{booking_id}/undo", {}, follow_redirects=False)
    assert again.status_code == 409 and soup(again).select_one("#action-error") is not None


async def test_late_bookings_show_as_no_shows_after_the_background_release(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    with clock.frozen(at(10, 16)):
        before = soup(await client.get(url))  # a GET changes nothing
        assert {r["data-state"] for r in before.select("tr.checkin-row")} == {"confirmed"}
        registry = Registry()
        booking_jobs.register(get_settings(), registry)
        await Worker(registry).run_once()  # the minute's background release (booking.jobs)
        page = soup(await client.get(url))
    states = {r["data-code"]: r["data-state"] for r in page.select("tr.checkin-row")}
    assert states == {
        day["codes"]["yamada"][-4:]: "no_show",
        day["codes"]["suzuki"][-4:]: "no_show",
        day["codes"]["tanaka"][-4:]: "confirmed",
    }
    assert page.select_one("#live [data-live=released_places]").get_text() == "3"


async def test_walk_ins_get_a_big_queue_number_and_move_through_the_queue(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    with clock.frozen(at(10, 5)):
        response = await post_form(client, url, f"{url}/walk-ins", {"party_size": "2"}, follow_redirects=False)
        assert response.status_code == 303
        page = soup(await client.get(response.headers["location"]))
        assert page.select_one("#ticket-number").get_text() == "1"
        assert "Party of 2" in page.select_one("#new-walk-in").get_text()
        response = await post_form(client, url, f"{url}/walk-ins", {"party_size": "1"}, follow_redirects=False)
        page = soup(await client.get(response.headers["location"]))
        assert page.select_one("#ticket-number").get_text() == "2"
        assert [li["data-number"] for li in page.select(".queue-list li")] == ["1", "2"]
        first = page.select_one(".queue-list li[data-number='1']")["id"].removeprefix("walk-in-")
        response = await post_form(client, url, f"{url}/walk-ins/{first}/call", {}, follow_redirects=False)
        page = soup(await client.get(response.headers["location"]))
        assert page.select_one("#done-message").get_text() == "No. 1 called."
        assert page.select_one("#live [data-live=now_serving]").get_text() == "1"
        bad = await post_form(client, url, f"{url}/walk-ins", {"party_size": "0"}, follow_redirects=False)
    assert bad.status_code == 422 and soup(bad).select_one("#party_size")["aria-invalid"] == "true"


async def test_nothing_changes_on_another_day_but_the_page_opens(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    with clock.frozen(at(15, 0, DAY - dt.timedelta(days=1))):
        page = soup(await client.get(url))
        assert page.select_one("#not-today") is not None and not page.select("tr.checkin-row button")
        response = await post_form(client, url, f"{url}/check-in", {"code": day["codes"]["suzuki"]})
    assert response.status_code == 409 and "booth's day" in soup(response).select_one("#code-error").get_text()


async def test_names_are_shown_only_from_the_day_before_the_booth(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    with clock.frozen(dt.datetime(2027, 2, 5, 10, 0, tzinfo=clock.JST)):  # four months ahead
        early = await client.get(url)
    assert early.status_code == 200
    page = soup(early)
    assert not page.select("tr.checkin-row") and "ヤマダ" not in early.text and "スズキ" not in early.text
    notice = page.select_one("#names-later").get_text()
    assert "6 people in 3 bookings" in notice and "the day before the booth" in notice
    assert await AuditEvent.count().where(AuditEvent.action == "bookings.viewed") == 0
    with clock.frozen(at(8, 0, DAY - dt.timedelta(days=1))):
        before = soup(await client.get(url))
    assert len(before.select("tr.checkin-row")) == 3 and before.select_one("#names-later") is None


async def test_the_status_feed_changes_its_version_when_the_list_changes(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    with clock.frozen(at(10, 5)):
        first = (await client.get(f"{url}/status.json")).json()
        assert first["live"]["due_parties"] == 3 and "ヤマダ" not in str(first)
        await post_form(client, url, f"{url}/walk-ins", {"party_size": "1"})
        second = (await client.get(f"{url}/status.json")).json()
    assert second["version"] != first["version"] and second["live"]["waiting_parties"] == 1


async def test_residents_see_the_live_status_of_todays_booth_but_never_a_name(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    with clock.frozen(at(10, 16)):  # the 10:00 parties are late: their 3 places go to walk-ins
        for size in ("2", "2"):
            await post_form(client, url, f"{url}/walk-ins", {"party_size": size})
        await client.post("/staff/logout", data={"_csrf_token": csrf_token((await client.get(url)).text)})
        page = soup(await client.get(f"/booths/{day['session']}"))
        api = (await client.get(f"/api/sessions/{day['session']}")).json()
        later = (await client.get(f"/api/sessions/{day['later']}")).json()
        home = soup(await client.get("/"))
        listed = (await client.get("/api/sessions")).json()  # what the home page's map draws
    panel = page.select_one("#booth-live")
    assert panel is not None and panel["data-api"] == f"/api/sessions/{day['session']}"
    assert panel.select_one("[data-live=waiting_parties]").get_text() == "2 parties"
    # 10:16, 4 people ahead; the 10:00 slot: 4 + 2 - 0 booked = 6 per 30 minutes, 14 minutes left (2.8), then the
    # 10:30 slot: 4 + 2 - 3 = 3 per 30 minutes for the other 1.2: 14 + 12 = 26, rounded up to 30
    assert panel.select_one("[data-live=wait_minutes]").get_text() == "About 30 min"
    assert page.select_one("script[src='/static/js/booth-live.js']") is not None
    assert api["live"]["wait_minutes"] == 30 and api["live"]["waiting_people"] == 4
    assert api["live"]["released_places"] == 3 and api["live"]["phase"] == "open"
    assert {"id", "start", "end", "capacity", "remaining"} <= set(api["slots"][0])
    assert "live" not in later
    card = next(c for c in home.select(".booth-card") if "片町きらら" in c.get_text())
    assert card.select_one(".booth-card__live").get_text() == "Walk-in wait now: about 30 min"
    on_map = {booth["id"]: booth.get("live") for booth in listed}
    assert on_map[day["session"]]["wait_minutes"] == 30 and on_map[day["later"]] is None
    for text in (page.get_text(), str(api), home.get_text(), str(listed)):
        assert "ヤマダ" not in text and "スズキ" not in text and "タナカ" not in text


async def test_before_opening_the_page_says_not_open_yet_instead_of_hours_of_wait(client, signed_in, day):
    await signed_in(Role.contractor_staff)
    url = f"/staff/checkin/{day['session']}"
    with clock.frozen(at(0, 45)):
        page = soup(await client.get(url))
        refused = await post_form(client, url, f"{url}/walk-ins", {"party_size": "1"})
    assert page.select_one("[data-live=wait_minutes]").get_text(strip=True) == "Not open yet (opens at 10:00)"
    assert "555" not in page.get_text()
    assert "open at 09:00, 60 minutes before the booth opens" in page.select_one("#not-yet").get_text()
    assert refused.status_code == 409
    assert "open at 09:00" in soup(refused).get_text()
    with clock.frozen(at(9, 30)):
        page = soup(await client.get(url))
    assert page.select_one("#not-yet") is None
