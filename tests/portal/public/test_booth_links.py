"""A booth's links outlive a change after approval (DESIGN §5 "stable booth ids", issue 15 item 1): approve and
publish a plan, start a change, move one booth, approve again; the unchanged booths' page, flyer, check-in page
and venue-feed UID answer at the same addresses as before, and the moved booth's address says it moved."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core import clock
from core.errors import ValidationFailed
from core.tables import Role
from planner import services, workflow
from planner.tables import Session
from tests.conftest import soup
from tests.planner.test_services import solved_version
from venues.feeds import feed_token

BEFORE = dt.datetime(2027, 5, 20, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


async def approve(people, version_id: int) -> None:
    await workflow.submit(people[Role.contractor_staff], version_id)
    version = await services.get_version(version_id)
    await workflow.approve(people[Role.city_reviewer], version_id, version.revision)


async def move_somewhere(staff, session_id: int, date: dt.date) -> dt.date:
    """Move the session to the first later date in June the plan's rules allow."""
    for day in range(1, 31):
        new_date = date + dt.timedelta(days=day)
        if new_date.month != 6:
            break
        try:
            await services.move_session(staff, session_id, new_date)
            return new_date
        except ValidationFailed:
            continue
    raise AssertionError("no date to move the booth to")


async def feed_uids(client, venue_id: str) -> dict[str, str]:
    """UID → DTSTART of the venue feed's events."""
    response = await client.get(f"/venues/{venue_id}/calendar.ics?token={await feed_token(venue_id)}")
    assert response.status_code == 200
    text = response.text.replace("\r\n ", "")
    events = text.split("BEGIN:VEVENT")[1:]
    return {re.search(r"UID:(\S+)", e).group(1): re.search(r"DTSTART[^:]*:(\S+)", e).group(1) for e in events}


async def published_plan(people) -> tuple[int, list]:
    version = await solved_version(people[Role.contractor_staff])
    await approve(people, version.id)
    return version.plan, await services.sessions_of(version.id)


async def test_links_of_unchanged_booths_outlive_a_change_and_the_moved_booth_says_so(
    city, people, app, client, signed_in
):
    staff = people[Role.contractor_staff]
    plan_id, first = await published_plan(people)
    await signed_in(Role.contractor_staff)
    before = {}
    for booth in first:
        page = soup(await client.get(f"/booths/{booth.id}"))
        before[booth.id] = page.select_one("dl.facts").get_text(" ", strip=True)
        assert (await client.get(f"/sessions/{booth.id}/flyer.pdf")).status_code == 200
        assert (await client.get(f"/staff/checkin/{booth.id}")).status_code == 200
    uids_before = {b.venue_id: await feed_uids(client, b.venue_id) for b in first}

    change_id = await workflow.start_change(staff, plan_id)
    draft = await services.sessions_of(change_id)
    moving = draft[0]
    new_date = await move_somewhere(staff, moving.id, moving.date)
    await approve(people, change_id)
    app.state.booths.invalidate()  # the public list is read again (as it is after its few seconds of cache)
    for booth in first:  # and so are the venue feeds (built at most PUBLIC_CACHE_SECONDS ago, as above)
        app.state.feeds.forget(booth.venue_id)
    current = {s.origin: s for s in await services.sessions_of(change_id)}
    assert set(current) == {b.id for b in first} and all(s.id != s.origin for s in current.values())

    moved = moving.origin
    for booth in first:
        response = await client.get(f"/booths/{booth.id}", follow_redirects=False)
        assert response.status_code == 200, booth.id
        page = soup(response)
        slot_links = [a["href"] for a in page.select("a.slot--open")]
        assert slot_links and all(href.startswith(f"/booths/{booth.id}/book?slot=") for href in slot_links)
        flyer = await client.get(f"/sessions/{booth.id}/flyer.pdf")
        assert flyer.status_code == 200 and flyer.content.startswith(b"%PDF")
        checkin = await client.get(f"/staff/checkin/{booth.id}")
        assert checkin.status_code == 200 and booth.venue_name in checkin.text
        # the tablet's forms and refresh keep to the booth's one address too
        assert soup(checkin).select_one("#code-form")["action"] == f"/staff/checkin/{booth.id}/check-in"
        api = (await client.get(f"/api/sessions/{booth.id}")).json()
        assert api["id"] == booth.id and api["url"].endswith(f"/booths/{booth.id}") and api["slots"]
        if booth.id == moved:
            continue
        assert page.select_one("dl.facts").get_text(" ", strip=True) == before[booth.id]
        assert page.select_one("#booth-moved") is None
        # the continuing booth's session of the new version leads to the same address
        again = await client.get(f"/booths/{current[booth.id].id}", follow_redirects=False)
        assert again.status_code == 301 and again.headers["location"] == f"/booths/{booth.id}"
    for booth in first:
        if booth.id != moved:
            assert await feed_uids(client, booth.venue_id) == uids_before[booth.venue_id] or booth.venue_id == (
                moving.venue_id
            )

    page = soup(await client.get(f"/booths/{moved}"))
    notice = page.select_one("#booth-moved")
    assert notice is not None and notice.select_one("h2").get_text(strip=True) == "この会場は日程が変わりました"
    text = notice.get_text(" ", strip=True)
    assert f"{moving.date.month}月{moving.date.day}日" in text and f"{new_date.month}月{new_date.day}日" in text
    assert notice.select_one("a")["href"] == f"/booths/{moved}#slots-heading"
    assert f"{new_date.month}月{new_date.day}日" in page.select_one("dl.facts").get_text()
    for booth in first:  # every event links to its booth's one address
        response = await client.get(f"/venues/{booth.venue_id}/calendar.ics?token={await feed_token(booth.venue_id)}")
        urls = re.findall(r"^URL[^:]*:(\S+)", response.text.replace("\r\n ", ""), re.MULTILINE)
        assert any(url.endswith(f"/booths/{booth.id}") for url in urls)
        assert not any(url.endswith(f"/booths/{current[booth.id].id}") for url in urls)
    # the moved booth keeps its feed UID too; its event now starts on the new date
    uids_after = await feed_uids(client, moving.venue_id)
    assert set(uids_after) == set(uids_before[moving.venue_id])
    assert new_date.strftime("%Y%m%d") in "".join(uids_after.values())


async def test_a_cancelled_booth_says_so_and_offers_the_nearest_booths(city, people, app, client):
    staff = people[Role.contractor_staff]
    plan_id, first = await published_plan(people)
    change_id = await workflow.start_change(staff, plan_id)
    dropped = (await services.sessions_of(change_id))[0]
    await services.remove_session(staff, dropped.id)
    await approve(people, change_id)
    app.state.booths.invalidate()
    assert (await Session.select(Session.state).where(Session.id == dropped.origin).first())["state"] == "cancelled"

    page = soup(await client.get(f"/booths/{dropped.origin}"))
    alert = page.select_one("[role=alert]")
    assert "中止" in alert.get_text()
    offered = [a["href"] for a in alert.select("ul.replacements a")]
    others = {f"/booths/{b.id}" for b in first if b.id != dropped.origin}
    assert offered and set(offered) <= others
    assert not page.select("a.slot--open")


async def test_an_id_no_booth_ever_had_is_still_404(city, client):
    assert (await client.get("/booths/999999")).status_code == 404
