"""Walk-ins: queue numbers 1, 2, 3... per booth, unique under concurrency; call, serve and left; and the live status
with its estimated wait — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from booking import checkin, walkins
from booking.bookings import BookingRequest, create_booking
from booking.tables import Booking, WalkIn
from booking.walkins import _SlotRow, estimate_wait
from core import clock
from core.errors import InvalidTransition, ValidationFailed
from core.tables import AuditEvent, Role
from tests.booking.factories import publish_booth

DAY = dt.date(2027, 6, 5)
BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), clock.JST)


@pytest.fixture
async def staff(make_user):
    return await make_user(Role.contractor_staff)


async def book(slot_id: int, party_size: int = 1, phone: str = "090-1234-5678") -> str:
    with clock.frozen(BEFORE):
        details, _created = await create_booking(
            BookingRequest(slot_id=slot_id, name_kana="やまだ たろう", phone=phone, party_size=party_size)
        )
    return details.code


async def test_twenty_walk_ins_registered_at_once_get_the_numbers_1_to_20(staff):
    booth = await publish_booth(DAY)
    other = await publish_booth(DAY)
    with clock.frozen(at(10, 30)):
        tickets = await asyncio.gather(
            *(walkins.register_walk_in(staff, booth["session"], 1 + n % 3) for n in range(20))
        )
        elsewhere = await walkins.register_walk_in(staff, other["session"], 2)
    assert sorted(t.number for t in tickets) == list(range(1, 21))
    assert elsewhere.number == 1  # every booth counts from 1
    numbers = [row["number"] for row in await WalkIn.select(WalkIn.number).where(WalkIn.session == booth["session"])]
    assert sorted(numbers) == list(range(1, 21))
    assert await AuditEvent.count().where(AuditEvent.action == "walk_in.registered") == 21


async def test_a_walk_in_needs_a_sensible_party_size_on_the_booth_day(staff):
    booth = await publish_booth(DAY)
    with clock.frozen(at(10, 30)):
        for size in (0, 7):
            with pytest.raises(ValidationFailed) as error:
                await walkins.register_walk_in(staff, booth["session"], size)
            assert "party_size" in error.value.fields
    with clock.frozen(at(10, 30, day=DAY - dt.timedelta(days=1))), pytest.raises(InvalidTransition):
        await walkins.register_walk_in(staff, booth["session"], 1)
    assert await WalkIn.count() == 0


async def test_call_serve_and_left(staff):
    booth = await publish_booth(DAY)
    session = booth["session"]
    with clock.frozen(at(10, 30)):
        first = await walkins.register_walk_in(staff, session, 2)
        second = await walkins.register_walk_in(staff, session, 1)
        third = await walkins.register_walk_in(staff, session, 1)
    with clock.frozen(at(10, 40)):
        called = await walkins.move_walk_in(staff, session, first.id, "call")
        assert called.state == "called" and called.called_at == at(10, 40)
    with clock.frozen(at(10, 50)):
        served = await walkins.move_walk_in(staff, session, first.id, "serve")
        assert served.state == "served" and served.served_at == at(10, 50) and served.called_at == at(10, 40)
        straight = await walkins.move_walk_in(staff, session, second.id, "serve")  # served without a call
        assert straight.called_at == at(10, 50)
        gone = await walkins.move_walk_in(staff, session, third.id, "left")
        assert gone.state == "left"
        with pytest.raises(InvalidTransition):
            await walkins.move_walk_in(staff, session, first.id, "left")
    assert [w.state for w in await walkins.queue(session)] == ["served", "served", "left"]
    actions = [e["action"] for e in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions[-4:] == ["walk_in.called", "walk_in.served", "walk_in.served", "walk_in.left"]


def slots(*rows: tuple[int, int, int, int]) -> list[_SlotRow]:
    """Slots of 30 minutes from 10:00: (minute offset, capacity, walk_in, booked)."""
    return [
        _SlotRow(
            at(10) + dt.timedelta(minutes=offset),
            at(10) + dt.timedelta(minutes=offset + 30),
            capacity,
            walk_in,
            booked_places,
        )
        for offset, capacity, walk_in, booked_places in rows
    ]


def test_the_estimated_wait_follows_the_documented_formula():
    day = slots((0, 4, 2, 4), (30, 4, 2, 1), (60, 4, 2, 6))
    assert estimate_wait(day, 0, at(10, 0)) == 0  # 2 places free for walk-ins now
    assert estimate_wait(day, 1, at(10, 0)) == 15  # 2 per 30 minutes: the second place is free after 15 minutes
    assert estimate_wait(day, 2, at(10, 0)) == 30  # the first slot's 2 are taken: at the next slot's start
    assert estimate_wait(day, 4, at(10, 0)) == 45  # then 2 of its 5 per 30 minutes: 30 + 12, rounded up to 5
    assert estimate_wait(day, 0, at(10, 45)) == 0
    assert estimate_wait(slots((0, 4, 2, 6), (30, 4, 2, 0)), 0, at(10, 10)) == 20  # full now: the next slot's start
    assert estimate_wait(day, 7, at(10, 0)) is None  # 2 + 5 + 0 places left today, 7 people ahead
    assert estimate_wait(day, 0, at(11, 30)) is None  # over


def test_before_opening_the_wait_is_counted_from_the_opening_not_from_now():
    """At 00:45 with nobody waiting the staff page said 555 minutes: the hours until the booth opened."""
    day = slots((0, 4, 2, 4), (30, 4, 2, 1), (60, 4, 2, 6))
    assert estimate_wait(day, 0, at(0, 45)) == 0
    assert estimate_wait(day, 0, at(9, 30)) == 0
    assert estimate_wait(day, 1, at(9, 0)) == estimate_wait(day, 1, at(10, 0)) == 15


async def test_live_status_counts_places_the_queue_and_the_wait(staff):
    booth = await publish_booth(DAY, start=dt.time(10), end=dt.time(12), capacity=4, walk_in=2)
    session = booth["session"]
    first, second, third, _fourth = (s["id"] for s in booth["slots"])
    codes = [
        await book(first, 2),
        await book(first, 2, "09000000001"),
        await book(second, 1, "09000000002"),
        await book(third, 3, "09000000003"),
    ]
    with clock.frozen(at(9, 30)):
        before = await walkins.live_status(session)
    assert before.phase == "before" and before.open_places == 16 - 8 and before.due_parties == 4
    with clock.frozen(at(10, 5)):
        await checkin.check_in_code(staff, session, codes[0])
        for size in (2, 2, 1):
            await walkins.register_walk_in(staff, session, size)
    with clock.frozen(at(10, 16)):
        assert await checkin.release_late_bookings(session) == 1  # codes[1], 2 places go to walk-ins
        line = await walkins.queue(session)
        await walkins.move_walk_in(staff, session, line[0].id, "call")
        live = await walkins.live_status(session)
    assert live.phase == "open"
    assert live.open_places == (4 - 1) + (4 - 3) + 4  # the slots from 10:30 on
    assert live.due_parties == 2 and live.released_places == 2 and live.no_show_parties == 1
    assert live.checked_in_parties == 1 and live.waiting_parties == 3 and live.waiting_people == 5
    assert live.now_serving == 1
    # 10:16, 5 people ahead: the 10:00 slot has 4 + 2 - 2 = 4 free per 30 minutes, 1.87 in its last 14 minutes;
    # the 10:30 slot 5 per 30 minutes takes the other 3.13 in 18.8 minutes: 32.8, rounded up to 35
    assert (
        live.wait_minutes
        == estimate_wait(slots((0, 4, 2, 2), (30, 4, 2, 1), (60, 4, 2, 3), (90, 4, 2, 0)), 5, at(10, 16))
        == 35
    )
    with clock.frozen(at(12, 0)):
        assert (await walkins.live_status(session)).phase == "closed"
    assert (await Booking.select(Booking.state).where(Booking.code == codes[1]).first())["state"] == "no_show"
