"""GET /api/offices (DESIGN §5), a ticket's place and an office's board as JSON: live from the counter's tickets."""

from __future__ import annotations

import pytest

from core import clock
from counter.status import read_snapshot, ticket_place
from counter.tables import ServiceKind
from tests.counter.queue_rows import at, call, make_office, make_service, make_ticket


@pytest.fixture(autouse=True)
def open_hours():
    with clock.frozen(at(10)):
        yield


async def test_every_office_with_its_waiting_and_estimate_per_service(client):
    office = await make_office()
    pickup = await make_service(office, minutes=10.0)
    await make_service(office, kind=ServiceKind.certificate, letter="B", minutes=15.0)
    for number in (1, 2, 3):
        await make_ticket(office, pickup, number, at(9, number))
    response = await client.get("/api/offices")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    [shown] = response.json()
    assert {"id", "name", "open_now", "services", "updated_at"} <= set(shown)
    assert shown["id"] == office and shown["name"] == "金沢市役所 市民課" and shown["open_now"] is True
    assert shown["updated_at"].startswith("2027-06-09T01:00:00")  # 10:00 in Japan
    expected = (await read_snapshot()).status(office)  # counter.status's figures, as tested there
    assert [(s["service"], s["waiting"], s["estimated_wait_minutes"], s["level"]) for s in shown["services"]] == [
        (s.kind, s.waiting, s.estimated_wait_minutes, s.level) for s in expected.services
    ]
    assert [s["waiting"] for s in shown["services"]] == [3, 0]
    assert shown["services"][0]["estimated_wait_minutes"] > 0 and shown["services"][1]["estimated_wait_minutes"] == 0
    assert {"service", "waiting", "estimated_wait_minutes"} <= set(shown["services"][0])


async def test_a_closed_office_says_so_and_gives_no_estimate(client):
    office = await make_office()
    await make_service(office)
    with clock.frozen(at(18)):
        [shown] = (await client.get("/api/offices")).json()
    assert shown["open_now"] is False and shown["services"][0]["estimated_wait_minutes"] is None


async def test_the_answer_follows_the_tickets_within_the_cache_time(client, app):
    office = await make_office()
    service = await make_service(office)
    assert (await client.get("/api/offices")).json()[0]["services"][0]["waiting"] == 0
    await make_ticket(office, service, 1, at(9, 59))
    app.state.counter.invalidate()  # as a second passing would
    assert (await client.get("/api/offices")).json()[0]["services"][0]["waiting"] == 1


async def test_a_tickets_place_and_its_window_once_called(client, app):
    office = await make_office()
    service = await make_service(office, minutes=5.0)
    first = await make_ticket(office, service, 1, at(9, 1))
    second = await make_ticket(office, service, 2, at(9, 2))
    body = (await client.get(f"/api/tickets/{second}")).json()
    expected = await ticket_place(second, await read_snapshot())
    assert (body["number"], body["state"], body["ahead"]) == ("A-002", "waiting", 1)
    assert body["estimated_wait_minutes"] == expected.estimated_wait_minutes > 0
    await call(first, 3, at(10))
    app.state.counter.invalidate()
    body = (await client.get(f"/api/tickets/{first}")).json()
    assert (body["state"], body["window"], body["ahead"]) == ("called", 3, None)
    assert (await client.get(f"/api/tickets/{second}")).json()["ahead"] == 0
    missing = await client.get("/api/tickets/" + "0" * 16)
    assert missing.status_code == 404 and missing.json()["detail"]


async def test_the_board_as_json(client):
    office = await make_office()
    service = await make_service(office)
    ticket = await make_ticket(office, service, 7, at(9, 1))
    await call(ticket, 2, at(9, 58))
    body = (await client.get(f"/api/offices/{office}/board")).json()
    assert [(c["number"], c["window"]) for c in body["now_calling"]] == [("A-007", 2)]
    assert (await client.get("/api/offices/999/board")).status_code == 404


async def test_the_counters_api_is_documented(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/api/offices", "/api/tickets/{code}", "/api/offices/{office_id}/board"} <= set(paths)


async def test_the_list_asked_again_is_the_same_bytes_and_headers_until_the_next_read(client, app):
    office = await make_office()
    service = await make_service(office)
    first = await client.get("/api/offices")  # the handler encodes and keeps it
    again = await client.get("/api/offices")  # answered from the snapshot, before the handler
    assert again.content == first.content
    for header in ("content-type", "content-length", "cache-control", "content-security-policy"):
        assert again.headers.get(header) == first.headers.get(header), header
    await make_ticket(office, service, 1, at(9, 59))
    assert (await client.get("/api/offices")).content == first.content  # the same snapshot: the same answer
    app.state.counter.invalidate()
    assert (await client.get("/api/offices")).json()[0]["services"][0]["waiting"] == 1
