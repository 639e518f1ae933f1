"""The counter's public pages: waiting times (/offices and the home page's box), a ticket's page and its live part,
the waiting room's board; each in the resident's language and with nothing personal on it."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from core import clock
from core.i18n import markup_gettext, using_locale
from counter.status import read_snapshot, ticket_place
from counter.tables import CounterService, ServiceKind, Ticket
from tests.conftest import soup
from tests.counter.queue_rows import at, call, make_office, make_service, make_ticket, serve


@pytest.fixture(autouse=True)
def open_hours():
    with clock.frozen(at(10)):
        yield


async def counter_with_queue(waiting: int = 3) -> dict:
    office = await make_office()
    pickup = await make_service(office, minutes=10.0)
    certificate = await make_service(office, kind=ServiceKind.certificate, letter="B", minutes=15.0)
    codes = [await make_ticket(office, pickup, n, at(9, n)) for n in range(1, waiting + 1)]
    return {"office": office, "pickup": pickup, "certificate": certificate, "codes": codes}


def rows(page) -> dict[str, list[str]]:
    return {
        row["data-service"]: [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in page.select("tr[data-service]")
    }


async def test_the_offices_page_shows_waiting_and_the_estimate_with_the_colour_in_words(client):
    counter = await counter_with_queue(waiting=3)
    page = soup(await client.get("/offices"))
    office = page.find(id=f"office-{counter['office']}")
    assert office.h2.get_text() == "金沢市役所 市民課" and "受付中" in office.get_text()
    table = rows(office)
    pickup = (await read_snapshot()).status(counter["office"]).services[0]
    assert pickup.level == "amber"  # 3 people at 10 minutes, one window: between 20 and 60 minutes
    assert table["pickup"] == ["カードの交付", "3人", f"約{pickup.estimated_wait_minutes}分 （やや混雑）"]
    assert table["certificate"][1:] == ["0人", "待ち時間なし （空いています）"]
    lamp = office.select_one('tr[data-service="pickup"] .lamp')
    assert "lamp--amber" in lamp["class"] and lamp["aria-hidden"] == "true"  # the words say it; the colour repeats
    assert office.find("a", href=f"/offices/{counter['office']}/board")


async def test_the_offices_page_in_english_and_when_closed(client, app):
    await counter_with_queue(waiting=1)
    await client.get("/lang/en?next=/offices")
    app.state.counter.invalidate()  # as the second the hours take to pass would
    with clock.frozen(at(18)):
        page = soup(await client.get("/offices"))
    assert page.html["lang"] == "en" and page.h1.get_text() == "Waiting times at the city office counters"
    text = page.get_text(" ", strip=True)
    assert "Closed now" in text and "Today's hours: 09:00–17:45" in text
    assert rows(page)["pickup"][1:] == ["1 person", "Closed now"]


async def test_the_home_page_has_the_counters_beside_the_booths(client):
    response = await client.get("/")
    assert soup(response).find(id="offices-now") is None  # no office yet: no box
    await counter_with_queue(waiting=2)
    client.app.state.booths.invalidate()  # the home page is kept with the booth list until its next read
    client.app.state.counter.invalidate()
    page = soup(await client.get("/"))
    box = page.find(id="offices-now")
    assert box is not None and "金沢市役所 市民課" in box.get_text()
    assert rows(box)["pickup"][1] == "2人"
    assert box.find("a", href="/offices")


@pytest.mark.parametrize("code", ["ja", "en", "ja-easy", "zh-hans", "ko", "vi"])
async def test_offices_that_take_reservations_link_to_pickups_and_back(client, code):
    taking = await make_office(pickup_enabled=True)
    await CounterService.update({CounterService.reservable: True}).where(
        CounterService.id == await make_service(taking)
    )
    enabled_only = await make_office(code="EAST", name="東部市民センター", pickup_enabled=True)
    await make_service(enabled_only)  # pickup enabled, but no service residents can reserve: /pickups skips it
    await client.get(f"/lang/{code}?next=/")
    with using_locale(code):
        reserve, waiting_times = (
            BeautifulSoup(markup_gettext(message), "html.parser").get_text()
            for message in ("Reserve a time at the counter", "Waiting times at the city office counters")
        )
    page = soup(await client.get("/offices"))
    assert [a.get_text() for a in page.select(f"#office-{taking} a[href='/pickups?office={taking}']")] == [reserve]
    assert reserve and page.select(f"#office-{enabled_only} a[href^='/pickups']") == []
    box = soup(await client.get("/")).find(id="offices-now")
    assert [a.get_text() for a in box.select("a[href^='/pickups']")] == [reserve]
    assert box.select_one("a[href^='/pickups']")["href"] == f"/pickups?office={taking}"
    pickups = soup(await client.get(f"/pickups?office={taking}"))
    assert pickups.select_one("#office option[selected]")["value"] == str(taking)
    assert pickups.find(id="pickups-offices")["href"] == "/offices"
    assert pickups.find(id="pickups-offices").get_text() == waiting_times != ""


async def test_a_tickets_page_shows_its_number_the_people_ahead_and_the_remaining_wait(client):
    counter = await counter_with_queue(waiting=3)
    await Ticket.update({Ticket.notify_email: "taro@example.jp"}).where(Ticket.code == counter["codes"][2])
    response = await client.get(f"/tickets/{counter['codes'][2]}")
    page = soup(response)
    assert page.find(id="ticket-number").get_text() == "A-003"
    assert page.find(id="ticket-ahead").get_text() == "2人"
    place = await ticket_place(counter["codes"][2], await read_snapshot())
    assert page.find(id="ticket-wait").get_text() == f"約{place.estimated_wait_minutes}分"
    assert page.find(id="counter-live")["data-live"] == f"/tickets/{counter['codes'][2]}/live"
    assert "taro@example.jp" not in response.text and page.find("meta", attrs={"name": "robots"})
    assert page.find("script", src="/static/js/counter-live.js")


async def test_a_called_ticket_is_sent_to_its_window_and_the_live_part_follows(client, app):
    counter = await counter_with_queue(waiting=2)
    first, second = counter["codes"]
    live = soup(await client.get(f"/tickets/{first}/live"))
    assert live.find(id="ticket-state")["data-state"] == "waiting"
    await call(first, 4, at(10))
    app.state.counter.invalidate()
    live = soup(await client.get(f"/tickets/{first}/live"))
    assert live.find(id="ticket-state")["data-state"] == "called"
    assert live.find(id="ticket-state").get_text() == "番号が呼ばれています。4番窓口へお越しください。"
    assert soup(await client.get(f"/tickets/{second}/live")).find(id="ticket-ahead").get_text() == "0人"
    await serve(first, at(10, 5))
    app.state.counter.invalidate()
    assert soup(await client.get(f"/tickets/{first}/live")).find(id="ticket-state")["data-state"] == "served"


async def test_an_unknown_ticket_is_a_404_page_in_the_residents_language(client):
    await client.get("/lang/ko?next=/")
    response = await client.get("/tickets/" + "7" * 16)
    assert response.status_code == 404 and soup(response).html["lang"] == "ko"
    with using_locale("ko"):
        from core.i18n import gettext

        message = gettext("This ticket does not exist. Please check the address on your ticket, or ask at reception.")
    assert message in response.text and "This ticket" not in message
    assert (await client.get("/tickets/" + "7" * 16 + "/live")).status_code == 404


async def test_the_board_shows_the_number_each_window_calls_and_the_latest_call(client, app):
    counter = await counter_with_queue(waiting=3)
    office = counter["office"]
    page = soup(await client.get(f"/offices/{office}/board"))
    assert page.html["lang"] == "ja" and page.find(id="counter-live")["data-chime"] == "1"
    assert page.find(id="counter-announce")["aria-live"] == "assertive"
    assert "呼び出し中の番号はありません" in page.get_text()
    await call(counter["codes"][0], 1, at(9, 58))
    await call(counter["codes"][1], 2, at(9, 59))
    app.state.counter.invalidate()
    live = soup(await client.get(f"/offices/{office}/board/live"))
    calls = [
        (c.select_one(".board__number").get_text(), c.select_one(".board__window").get_text())
        for c in live.select(".board__call")
    ]
    assert calls == [("A-001", "1番窓口"), ("A-002", "2番窓口")]
    assert live.select_one("[data-last-call]")["data-last-call"].startswith("A-002@")
    assert live.select_one(".board__announce").get_text() == "A-002番の方、2番窓口へお越しください。"
    assert (await client.get("/offices/999/board")).status_code == 404


@pytest.mark.parametrize("code", ["ja", "en", "ja-easy", "zh-hans", "ko", "vi"])
async def test_the_counters_pages_speak_every_residents_language(client, code):
    counter = await counter_with_queue(waiting=2)
    await client.get(f"/lang/{code}?next=/")
    with using_locale(code):  # as a reader sees them (furigana read after their kanji)
        heading, ticket = (
            BeautifulSoup(markup_gettext(message), "html.parser").get_text()
            for message in ("Waiting times at the city office counters", "Your queue ticket")
        )
    for path, title in (("/offices", heading), (f"/tickets/{counter['codes'][1]}", ticket)):
        response = await client.get(path)
        page = soup(response)
        assert response.status_code == 200 and "&lt;ruby" not in response.text, path
        assert page.h1.get_text() == title and "<ruby>" not in page.title.get_text()
    live = soup(await client.get(f"/offices/{counter['office']}/board/live"))
    assert live.select_one(".board__empty") is not None and "&lt;" not in str(live)
