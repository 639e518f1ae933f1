"""The counter as residents see it: open now by the business calendar, waiting counts and estimates with their
colour, a ticket's place in the order the windows call, and the board's calls."""

from __future__ import annotations

import datetime as dt

from core import clock
from counter.estimate import QueueState, estimate_wait_minutes
from counter.status import CounterCache, level_of, read_snapshot, ticket_place, whole_minutes
from counter.tables import Office, ServiceKind, TicketState
from tests.counter.queue_rows import DAY, at, call, make_office, make_office_day, make_service, make_ticket, serve


async def status_at(moment: dt.datetime, office: int):
    with clock.frozen(moment):
        snapshot = await read_snapshot()
    return snapshot.status(office)


async def test_an_office_is_open_on_weekdays_within_its_hours():
    office = await make_office()
    await make_service(office)
    assert (await status_at(at(9, 0), office)).open_now
    assert (await status_at(at(17, 44), office)).open_now
    assert not (await status_at(at(8, 59), office)).open_now
    assert not (await status_at(at(17, 45), office)).open_now


async def test_weekends_holidays_and_the_year_end_are_closed_unless_the_office_opens_that_day():
    office = await make_office()
    saturday, holiday, year_end = dt.date(2027, 6, 12), dt.date(2027, 7, 19), dt.date(2027, 12, 29)  # 海の日
    assert not (await status_at(at(10, day=saturday), office)).open_now
    assert not (await status_at(at(10, day=holiday), office)).open_now
    assert not (await status_at(at(10, day=year_end), office)).open_now
    await make_office_day(office, saturday, opens="09:00", closes="12:00")  # a designated weekend opening
    assert (await status_at(at(11, 59, day=saturday), office)).open_now
    assert not (await status_at(at(12, 0, day=saturday), office)).open_now
    await make_office_day(office, DAY, open=False)  # a weekday closure
    assert not (await status_at(at(10), office)).open_now
    await make_office_day(office, year_end)  # never between 12/29 and 1/3
    assert not (await status_at(at(10, day=year_end), office)).open_now


async def test_an_office_that_does_not_open_on_weekdays_opens_only_on_its_days():
    office = await make_office(code="SAT", opens_weekdays=False)
    assert not (await status_at(at(10), office)).open_now


async def test_waiting_counts_only_todays_waiting_tickets_and_the_estimator_is_told_the_queue():
    office = await make_office()
    pickup = await make_service(office, minutes=10.0, windows=2)
    await make_service(office, kind=ServiceKind.certificate, letter="B", minutes=15.0)
    for number in range(1, 5):
        await make_ticket(office, pickup, number, at(9, number))
    await make_ticket(office, pickup, 1, at(9, 0, day=DAY - dt.timedelta(days=1)))  # yesterday's, never called
    with clock.frozen(at(9, 10)):
        snapshot = await read_snapshot()
    service = snapshot.services[0]
    # Before any call: the service's own 2 windows, its planned minutes; the head has waited since 9:01.
    assert snapshot.queue_state(service) == QueueState(
        waiting=4, windows=2, service_minutes=[], planned_minutes=10.0, head_wait_minutes=9.0, recent_starts=0
    )
    served = await make_ticket(office, pickup, 5, at(9, 0), state=TicketState.served)
    await call(served, 1, at(9, 30))
    await serve(served, at(9, 36))  # 6 minutes at window 1: the only window serving pickups in the last 30 minutes
    with clock.frozen(at(9, 40)):
        snapshot = await read_snapshot()
    state = snapshot.queue_state(snapshot.services[0])
    assert state == QueueState(
        waiting=4, windows=1, service_minutes=[6.0], planned_minutes=10.0, head_wait_minutes=39.0, recent_starts=1
    )
    by_kind = {service.kind: service for service in snapshot.status(office).services}
    assert by_kind["pickup"].waiting == 4 and by_kind["pickup"].windows == 1
    assert by_kind["pickup"].estimated_wait_minutes == whole_minutes(estimate_wait_minutes(state)) > 0
    assert by_kind["certificate"].waiting == 0 and by_kind["certificate"].estimated_wait_minutes == 0  # no queue


def test_the_colour_of_an_estimate():
    assert [level_of(m, 20, 60) for m in (0, 19, 20, 59, 60, 200)] == ["low", "low", "amber", "amber", "red", "red"]
    assert level_of(None, 20, 60) == "closed"
    assert whole_minutes(4.2) == 5 and whole_minutes(5.0) == 5 and whole_minutes(0.0) == 0


async def test_the_colour_follows_the_offices_thresholds_and_a_closed_office_has_no_estimate():
    office = await make_office(amber_minutes=20, red_minutes=60)
    service = await make_service(office, minutes=10.0)
    assert (await status_at(at(10), office)).services[0].level == "low"  # nobody waiting
    for number in range(1, 11):
        await make_ticket(office, service, number, at(9, 50 + number // 2))
    busy = (await status_at(at(10), office)).services[0]
    assert busy.estimated_wait_minutes >= 60 and busy.level == "red"
    await Office.update({Office.red_minutes: busy.estimated_wait_minutes + 1}).where(Office.id == office)
    assert (await status_at(at(10), office)).services[0].level == "amber"
    closed = await status_at(at(18), office)
    assert closed.services[0].estimated_wait_minutes is None and closed.services[0].level == "closed"
    assert closed.services[0].waiting == 10


async def test_a_tickets_place_follows_the_call_order_and_its_wait_is_only_for_those_ahead():
    office = await make_office()
    service = await make_service(office, minutes=5.0)
    first = await make_ticket(office, service, 1, at(9, 1))
    second = await make_ticket(office, service, 2, at(9, 2))
    reserved = await make_ticket(office, service, 3, at(9, 3), priority=1)  # a reservation checked in in time
    last = await make_ticket(office, service, 4, at(9, 4))
    with clock.frozen(at(9, 10)):
        snapshot = await read_snapshot()
    places = {code: await ticket_place(code, snapshot) for code in (first, second, reserved, last)}
    assert [places[c].ahead for c in (reserved, first, second, last)] == [0, 1, 2, 3]
    assert places[reserved].number == "A-003"
    state = snapshot.queue_state(snapshot.services[0])
    for code in (reserved, first, second, last):
        assert places[code].estimated_wait_minutes == whole_minutes(
            estimate_wait_minutes(state, ahead=places[code].ahead)
        )
    waits = [places[c].estimated_wait_minutes for c in (reserved, first, second, last)]
    assert waits == sorted(waits) and waits[0] < waits[-1]
    await call(reserved, 2, at(9, 11))
    with clock.frozen(at(9, 11)):
        snapshot = await read_snapshot()
    called = await ticket_place(reserved.lower(), snapshot)  # as typed: case does not matter
    assert called.state == "called" and called.window == 2 and called.ahead is None
    assert called.estimated_wait_minutes is None
    assert (await ticket_place(last, snapshot)).ahead == 2


async def test_an_unknown_code_has_no_place_and_an_old_ticket_is_over():
    office = await make_office()
    service = await make_service(office)
    old = await make_ticket(office, service, 1, at(9, day=DAY - dt.timedelta(days=1)))
    with clock.frozen(at(10)):
        snapshot = await read_snapshot()
    assert await ticket_place("0" * 16, snapshot) is None
    assert await ticket_place("not-a-code", snapshot) is None
    place = await ticket_place(old, snapshot)
    assert place is not None and not place.current and place.ahead is None


async def test_the_board_shows_each_windows_current_call_and_the_latest_calls():
    office = await make_office()
    pickup = await make_service(office)
    certificate = await make_service(office, kind=ServiceKind.certificate, letter="B")
    a1 = await make_ticket(office, pickup, 1, at(9, 1))
    a2 = await make_ticket(office, pickup, 2, at(9, 2))
    b1 = await make_ticket(office, certificate, 1, at(9, 3))
    await make_ticket(office, pickup, 3, at(9, 4))
    await call(a1, 1, at(9, 10))
    await serve(a1, at(9, 15))
    await call(a2, 1, at(9, 16))
    await call(b1, 3, at(9, 17))
    with clock.frozen(at(9, 18)):
        board = (await read_snapshot()).board(office)
    assert [(c.window, c.number) for c in board.now_calling] == [(1, "A-002"), (3, "B-001")]
    assert [c.number for c in board.recent] == ["B-001", "A-002", "A-001"]
    await serve(b1, at(9, 20))
    with clock.frozen(at(9, 21)):
        board = (await read_snapshot()).board(office)
    assert [(c.window, c.number) for c in board.now_calling] == [(1, "A-002")]


async def test_inactive_offices_are_not_shown():
    office = await make_office()
    await Office.update({Office.active: False}).where(Office.id == office)
    with clock.frozen(at(10)):
        snapshot = await read_snapshot()
    assert snapshot.statuses == [] and snapshot.board(office) is None


async def test_the_cache_reads_again_after_its_time():
    office = await make_office()
    service = await make_service(office)
    cache = CounterCache(ttl=60)
    with clock.frozen(at(10)):
        assert (await cache.snapshot()).status(office).waiting == 0
        await make_ticket(office, service, 1, at(9, 59))
        assert (await cache.snapshot()).status(office).waiting == 0  # within its time: as read
        cache.invalidate()
        assert (await cache.snapshot()).status(office).waiting == 1


async def test_requests_arriving_during_a_read_get_the_snapshot_it_replaces(monkeypatch):
    import asyncio

    from counter import status

    office = await make_office()
    service = await make_service(office)
    cache = CounterCache(ttl=1.0)
    release = asyncio.Event()
    real_read = status.read_snapshot

    async def slow_read():
        await release.wait()
        return await real_read()

    with clock.frozen(at(10)):
        first = await cache.snapshot()
        await make_ticket(office, service, 1, at(9, 59))
        await asyncio.sleep(1.05)  # older than its time, not twice as old
        monkeypatch.setattr(status, "read_snapshot", slow_read)
        reading = asyncio.ensure_future(cache.snapshot())  # finds it old: reads it again, slowly
        while not cache._reading.running:
            await asyncio.sleep(0)
        assert await cache.snapshot() is first  # meanwhile: the one before, not a second read nor a wait
        release.set()
        assert (await reading).status(office).waiting == 1
        assert (await cache.snapshot()).status(office).waiting == 1


async def test_the_people_ahead_are_those_the_windows_call_first():
    from counter.tickets import ticket_by_code, tickets_ahead

    office = await make_office()
    service = await make_service(office)
    codes = [
        await make_ticket(office, service, 1, at(9, 1)),
        await make_ticket(office, service, 2, at(9, 1)),  # the same second: the id decides
        await make_ticket(office, service, 3, at(9, 2), priority=1),
        await make_ticket(office, service, 4, at(9, 0), priority=1),
        await make_ticket(office, service, 5, at(9, 3)),
    ]
    with clock.frozen(at(10)):
        snapshot = await read_snapshot()
        for code in codes:  # counter.tickets counts them in the database, in its QUEUE_ORDER
            assert (await ticket_place(code, snapshot)).ahead == await tickets_ahead(await ticket_by_code(code))
