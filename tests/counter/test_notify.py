""" "Your turn is near": a ticket that asked is told once, by email through the outbox or through a registered
channel, when a call leaves it TICKET_NOTIFY_AHEAD places or fewer from the front; addresses stay out of logs,
audit entries and job payloads."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging

import pytest

from core import clock
from core.jobs import Worker
from core.settings import configure, get_settings
from core.tables import AuditEvent, Job, OutboxMessage
from counter import notify, tickets
from counter.tables import ServiceKind, Ticket
from counter.tickets import NoticeRequest
from tests.counter.factories import MONDAY_10, make_office

ADDRESS = "hanako@example.jp"


@pytest.fixture
def two_ahead():
    configure(dataclasses.replace(get_settings(), ticket_notify_ahead=2))


@pytest.fixture
def sms():
    sent: list[tuple[str, notify.TurnNotice]] = []

    async def sender(address: str, notice: notify.TurnNotice) -> None:
        sent.append((address, notice))

    notify.register_channel("sms", sender)
    yield sent
    notify.unregister_channel("sms")


async def test_a_ticket_is_told_once_when_a_call_leaves_it_near_the_front(two_ahead, sms, caplog):
    office = await make_office()
    with clock.frozen(MONDAY_10):
        queue = []
        for n in range(5):
            notice = {2: NoticeRequest("email", " Hanako@Example.jp "), 4: NoticeRequest("sms", "+819012345678")}
            ticket, _ = await tickets.issue(office, ServiceKind.pickup, language="en", notice=notice.get(n))
            queue.append(ticket)
        assert queue[2].wants_notice and not queue[1].wants_notice
        with caplog.at_level(logging.DEBUG, logger="outreach"):
            await tickets.call_next(office, 1)  # leaves in front: A-003 asked by email
            mails = await OutboxMessage.select()
            assert [(m["recipient"], m["kind"]) for m in mails] == [(ADDRESS, "ticket.near")]
            assert "A-003" in mails[0]["subject"] and "Tickets ahead of yours: 1." in mails[0]["body"]
            assert f"/tickets/{queue[2].code}" in mails[0]["body"]
            await tickets.call_next(office, 2)  # A-003 is next now: told already, not again
            assert await OutboxMessage.count() == 1
            await tickets.call_next(office, 1)  # leaves: A-005 asked by SMS
    assert await OutboxMessage.count() == 1
    jobs = await Job.select(Job.kind, Job.payload)
    assert [job["kind"] for job in jobs] == [notify.JOB_KIND] and "+81" not in jobs[0]["payload"]
    assert sms == []  # sent after commit, by the job runner
    with clock.frozen(MONDAY_10):
        await Worker().run_once()
    assert [(address, notice.label, notice.ahead) for address, notice in sms] == [("+819012345678", "A-005", 1)]
    assert "Your number A-005 at 金沢市役所" in sms[0][1].text  # in the ticket's language
    told = await Ticket.select(Ticket.number).where(Ticket.notified_at.is_not_null()).order_by(Ticket.number)
    assert [row["number"] for row in told] == [3, 5]
    events = await AuditEvent.select(AuditEvent.summary, AuditEvent.changes)
    for text in [caplog.text, *(str(event) for event in events)]:
        assert "hanako" not in text.lower() and "9012345678" not in text


async def test_simultaneous_calls_tell_a_ticket_once_and_an_unknown_channel_is_refused(two_ahead):
    office = await make_office()
    with clock.frozen(MONDAY_10):
        for n in range(8):
            notice = NoticeRequest("email", f"r{n}@example.jp") if n == 5 else None
            await tickets.issue(office, ServiceKind.pickup, notice=notice)
        await asyncio.gather(*(tickets.call_next(office, window) for window in (1, 2, 3, 4)))
        await asyncio.gather(*(tickets.call_next(office, window) for window in (1, 2)))
    assert [m["recipient"] for m in await OutboxMessage.select()] == ["r5@example.jp"]
    with clock.frozen(MONDAY_10), pytest.raises(tickets.ValidationFailed):
        await tickets.issue(office, ServiceKind.pickup, notice=NoticeRequest("line", "U123"))
    with clock.frozen(MONDAY_10), pytest.raises(tickets.ValidationFailed):
        await tickets.issue(office, ServiceKind.pickup, notice=NoticeRequest("email", "not an address"))


async def test_a_ticket_issued_near_the_front_is_told_at_the_next_call_and_contacts_are_purged_after_the_day(
    two_ahead,
):
    office = await make_office()
    with clock.frozen(MONDAY_10):
        ticket, _ = await tickets.issue(office, ServiceKind.certificate, notice=NoticeRequest("email", ADDRESS))
        assert await OutboxMessage.count() == 0  # nobody was called yet
        await tickets.cancel(ticket.id)
        assert await notify.purge_notice_addresses() == 0  # its day is not over
    with clock.frozen(MONDAY_10 + dt.timedelta(days=1)):
        assert await Worker().run_once() >= 1  # the hourly erasure, as the job runner runs it
    row = await Ticket.select(Ticket.notify_address, Ticket.notify_email).first()
    assert row == {"notify_address": "", "notify_email": ""}
