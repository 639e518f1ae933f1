"""counter.tickets: numbers per service and day, one ticket per double click, the queue order, each window's steps,
transfers that keep their place in time, reservations checked in with priority inside their grace period."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from core import clock
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.settings import configure, get_settings
from core.tables import AuditEvent, Role
from counter import tickets
from counter.tables import ServiceKind, Ticket, TicketState
from tests.counter.factories import MONDAY_10, SATURDAY_10, make_office


@pytest.fixture
def at_monday_10():
    with clock.frozen(MONDAY_10):
        yield MONDAY_10


def later(minutes: float):
    return clock.frozen(MONDAY_10 + dt.timedelta(minutes=minutes))


async def test_numbers_run_per_service_and_day_and_a_double_click_issues_one(at_monday_10, make_user):
    staff = await make_user(Role.contractor_staff)
    office = await make_office()
    first, made = await tickets.issue("CITYHALL", ServiceKind.pickup, issue_key="form-1", actor=staff)
    again, made_again = await tickets.issue("CITYHALL", "pickup", issue_key="form-1", actor=staff)
    assert (first.label, made) == ("A-001", True)
    assert (again.id, made_again) == (first.id, False)
    second, _ = await tickets.issue(office, ServiceKind.pickup, issue_key="form-2")
    other, _ = await tickets.issue(office.id, ServiceKind.certificate)
    assert (second.label, other.label) == ("A-002", "B-001")
    assert len(first.code) == 16 and first.code != second.code
    with clock.frozen(MONDAY_10 + dt.timedelta(days=1)):
        tuesday, _ = await tickets.issue(office, ServiceKind.pickup)
    assert tuesday.label == "A-001"  # a new day starts at 1
    stored = await Ticket.select(Ticket.issue_key, Ticket.issued_by).where(Ticket.id == first.id).first()
    assert stored["issue_key"] != "form-1" and len(stored["issue_key"]) == 64  # only its digest is kept
    assert stored["issued_by"] == staff.id
    issued = await AuditEvent.select(AuditEvent.object_id).where(AuditEvent.action == "ticket.issued")
    assert sorted(int(row["object_id"]) for row in issued) == sorted([first.id, second.id, other.id, tuesday.id])


async def test_a_closed_office_or_a_service_it_does_not_offer_is_refused_clearly():
    office = await make_office(kinds=(ServiceKind.pickup,))
    with clock.frozen(SATURDAY_10), pytest.raises(Conflict, match="金沢市役所は現在閉庁中"):
        await tickets.issue(office, ServiceKind.pickup)
    with clock.frozen(MONDAY_10.replace(hour=18)), pytest.raises(Conflict, match="閉庁"):
        await tickets.issue(office, ServiceKind.pickup)
    with clock.frozen(MONDAY_10), pytest.raises(NotFound, match="取り扱っていません"):
        await tickets.issue(office, ServiceKind.certificate)
    with clock.frozen(MONDAY_10), pytest.raises(ValidationFailed):
        await tickets.issue(office, ServiceKind.pickup, language="xx")
    assert await Ticket.count() == 0


async def test_simultaneous_issues_get_different_numbers_and_repeats_of_one_key_get_one_ticket(at_monday_10):
    office = await make_office()
    issued = await asyncio.gather(*(tickets.issue(office, ServiceKind.pickup) for _ in range(30)))
    assert sorted(ticket.number for ticket, _ in issued) == list(range(1, 31))
    repeated = await asyncio.gather(
        *(tickets.issue(office, ServiceKind.certificate, issue_key="double-click") for _ in range(20))
    )
    assert {ticket.id for ticket, _ in repeated} == {repeated[0][0].id}
    assert sum(made for _, made in repeated) == 1
    assert await Ticket.count().where(Ticket.issue_key.is_not_null()) == 1


async def test_windows_call_by_priority_then_time_of_issue_and_per_service():
    office = await make_office()
    with later(0):
        a1, _ = await tickets.issue(office, ServiceKind.pickup)
    with later(1):
        b1, _ = await tickets.issue(office, ServiceKind.certificate)
    with later(2):
        a2, _ = await tickets.issue(office, ServiceKind.pickup)
    with later(3):
        reserved = await tickets.check_in_reservation(office, ServiceKind.pickup, MONDAY_10, reservation_id=7)
    assert reserved.priority == 1 and reserved.label == "A-003"
    with later(4):
        assert [await tickets.queue_position(t) for t in (a1, a2, reserved)] == [2, 3, 1]
        assert await tickets.tickets_ahead(b1) == 0
        order = [await tickets.call_next(office, window=1) for _ in range(4)]
        assert [t.id for t in order if t] == [reserved.id, a1.id, b1.id, a2.id]
        assert all(t.state is TicketState.called and t.window == 1 for t in order if t)
        states = [(await tickets.get_ticket(t.id)).state for t in order]
        assert states == [TicketState.served] * 3 + [TicketState.called]  # a call finishes the window's last one
        assert order[0].called_at == clock.now()
        assert await tickets.call_next(office, window=1) is None
        assert await tickets.queue_position(await tickets.get_ticket(a1.id)) is None  # it left the queue
    with later(5):
        b2, _ = await tickets.issue(office, ServiceKind.certificate)
        a4, _ = await tickets.issue(office, ServiceKind.pickup)
        only_pickup = await tickets.call_next("CITYHALL", window=3, kinds=["pickup"])
        assert only_pickup.id == a4.id and (await tickets.window_ticket(office.id, 3)).id == a4.id
        assert await tickets.call_next(office, window=3, kinds=[ServiceKind.pickup]) is None
        assert (await tickets.get_ticket(b2.id)).state is TicketState.waiting
        with pytest.raises(ValidationFailed):
            await tickets.call_next(office, window=0)


async def test_a_window_recalls_serves_or_marks_absent_and_a_finished_ticket_stays_finished(make_user):
    staff = await make_user(Role.contractor_staff)
    office = await make_office()
    with later(0):
        one, _ = await tickets.issue(office, ServiceKind.pickup)
        two, _ = await tickets.issue(office, ServiceKind.pickup)
        three, _ = await tickets.issue(office, ServiceKind.pickup)
        with pytest.raises(InvalidTransition, match="A-001 は待っています"):
            await tickets.serve(one.id, staff)
        await tickets.call_next(office, 2, actor=staff)
    with later(3):
        recalled = await tickets.recall(one.id, staff)
        assert (recalled.recalls, recalled.called_at, recalled.state) == (1, clock.now(), TicketState.called)
    with later(9):
        served = await tickets.serve(one.id, staff, office_id=office.id)
        assert served.state is TicketState.served and served.finished_at == clock.now()
        with pytest.raises(InvalidTransition, match="A-001 は対応済み"):
            await tickets.absent(one.id, staff)
        await tickets.call_next(office, 2, actor=staff)
        assert (await tickets.absent(two.id, staff)).state is TicketState.absent
        assert (await tickets.cancel(three.id, staff)).state is TicketState.cancelled
        with pytest.raises(NotFound):
            await tickets.serve(three.id, staff, office_id=office.id + 1)  # another office's window
    actions = [
        row["action"]
        for row in await AuditEvent.select(AuditEvent.action, AuditEvent.actor_id)
        .where((AuditEvent.object_type == "ticket") & (AuditEvent.object_id == str(one.id)))
        .order_by(AuditEvent.id)
    ]
    assert actions == ["ticket.issued", "ticket.called", "ticket.recalled", "ticket.served"]


async def test_a_transfer_keeps_the_place_in_time_in_the_new_service():
    office = await make_office()
    with later(0):
        first, _ = await tickets.issue(office, ServiceKind.pickup, language="en")
    with later(20):
        waiting_b, _ = await tickets.issue(office, ServiceKind.certificate)
    with later(30):
        await tickets.call_next(office, 1, kinds=["pickup"])
        moved = await tickets.transfer(first.id, ServiceKind.certificate)
    assert moved.label == "B-002" and moved.transferred_from == first.id
    assert moved.issued_at == first.issued_at and moved.language == "en" and moved.state is TicketState.waiting
    assert (await tickets.get_ticket(first.id)).state is TicketState.served  # the window's work counts
    assert await tickets.queue_position(moved) == 1  # ahead of B-001, issued 20 minutes after it
    assert (await tickets.continued_as(first)).id == moved.id
    with later(31):
        back = await tickets.transfer(waiting_b.id, ServiceKind.pickup)
    assert (await tickets.get_ticket(waiting_b.id)).state is TicketState.cancelled  # never called: withdrawn
    assert back.label == "A-002"
    with later(32), pytest.raises(InvalidTransition):
        await tickets.transfer(first.id, ServiceKind.pin_reset)
    with later(32), pytest.raises(ValidationFailed):
        await tickets.transfer(moved.id, ServiceKind.certificate)


async def test_a_reservation_goes_first_only_within_its_grace_period_and_is_checked_in_once():
    configure(dataclasses.replace(get_settings(), counter_grace_minutes=5))
    office = await make_office()
    slot = MONDAY_10 + dt.timedelta(minutes=30)
    with later(35):  # exactly the grace period after its slot started
        on_time = await tickets.check_in_reservation(office, "pickup", slot, reservation_id=1)
        assert await tickets.check_in_reservation(office, "pickup", slot, reservation_id=1) == on_time
    with later(35.5):
        late = await tickets.check_in_reservation(office, "pickup", slot, reservation_id=2)
    assert (on_time.priority, on_time.reservation, late.priority) == (1, 1, 0)
    with later(36):
        walk_in, _ = await tickets.issue(office, ServiceKind.pickup)
    with clock.frozen(SATURDAY_10), pytest.raises(Conflict):
        await tickets.check_in_reservation(office, "pickup", SATURDAY_10, reservation_id=3)
    with later(40):
        assert [(await tickets.call_next(office, 1)).id for _ in range(3)] == [on_time.id, late.id, walk_in.id]


async def test_two_windows_calling_at_once_never_get_the_same_ticket():
    office = await make_office()
    with later(0):
        for _ in range(40):
            await tickets.issue(office, ServiceKind.pickup)
    with later(10):

        async def window(n: int) -> list[int]:
            called = []
            while (ticket := await tickets.call_next(office, n)) is not None:
                called.append(ticket.id)
            return called

        per_window = await asyncio.gather(*(window(n) for n in range(1, 9)))
    everyone = [ticket for called in per_window for ticket in called]
    assert len(everyone) == 40 and len(set(everyone)) == 40
    rows = await Ticket.select(Ticket.id, Ticket.window, Ticket.state)
    assert all(row["state"] == "served" for row in rows)  # each window's next call finished the one before
    assert {row["id"]: row["window"] for row in rows} == {
        ticket: n for n, called in enumerate(per_window, start=1) for ticket in called
    }
    assert await AuditEvent.count().where(AuditEvent.action == "ticket.called") == 40
