""" "Your turn is near" (まもなく順番です): a ticket whose holder asked to be told is notified once, when a call leaves
it ``TICKET_NOTIFY_AHEAD`` places or fewer from the front of its queue.

Email is built in: the message goes to the outbox in the call's transaction (sent after commit, retried). Any other
channel (LINE, SMS...) is a sender registered by the deployment with ``register_channel(name, sender)``; no provider
is hard-wired. Such a message is a job (``counter.ticket_notice``, its payload the ticket's id only) queued in the
call's transaction; the job reads the address and calls the sender after commit, with the job runner's retries.
``notified_at`` is set by a conditional update, so a ticket is told once however many windows call at the same
time. Addresses are never logged nor put in a job's payload."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import clock, jobs
from core.db import write_transaction
from core.errors import NotFound
from core.i18n import gettext as _
from core.i18n import using_locale
from core.outbox import queue_email
from core.settings import get_settings
from counter.tables import CounterService, Office, Ticket, TicketState

if TYPE_CHECKING:
    from counter.offices import OfficeInfo

log = logging.getLogger("outreach.counter")

EMAIL = "email"
JOB_KIND = "counter.ticket_notice"


@dataclass(frozen=True)
class TurnNotice:
    """What a channel's sender gets: the text in the resident's language and the ticket's page."""

    ticket_id: int
    label: str
    office_name: str
    ahead: int  # waiting tickets before it when the notice was made
    url: str  # the ticket's page, /tickets/{code}
    language: str
    subject: str
    text: str


Sender = Callable[[str, TurnNotice], Awaitable[None]]  # (the channel's address for the ticket, the notice)
_channels: dict[str, Sender] = {}


def register_channel(name: str, sender: Sender) -> None:
    """Make a channel (e.g. "line", "sms") available for "your turn is near": ``await sender(address, notice)`` sends
    one message; raise to have it retried. Call at start-up (e.g. from wiring); "email" is built in."""
    if not name or name == EMAIL or len(name) > 32:
        raise ValueError("a channel's name has 1 to 32 characters and is not 'email'")
    _channels[name] = sender


def unregister_channel(name: str) -> None:
    """Forget a channel (tickets that chose it keep waiting for it: their jobs fail until it is back)."""
    _channels.pop(name, None)


def channels() -> tuple[str, ...]:
    """The channels a ticket may choose: "email" and every registered one."""
    return (EMAIL, *sorted(_channels))


def ticket_url(code: str) -> str:
    """The resident's page of a ticket."""
    return f"{get_settings().base_url}/tickets/{code}"


def _notice(ticket_id: int, code: str, label: str, office: str, ahead: int, language: str) -> TurnNotice:
    with using_locale(language):
        subject = _("[My Number Card] Your turn is near: {number}").format(number=label)
        lines = [
            _("Your number {number} at {office} will be called soon.").format(number=label, office=office),
            (_("You are next.") if ahead == 0 else _("Tickets ahead of yours: {n}.").format(n=ahead)),
            _("Please come back to the waiting area and watch the board."),
            _("Your ticket: {url}").format(url=ticket_url(code)),
            _("This message was sent by the My Number Card outreach service. Please do not reply to it."),
        ]
    return TurnNotice(ticket_id, label, office, ahead, ticket_url(code), language, subject, "\n\n".join(lines))


async def notify_near_front(service_id: int, day: dt.date, office: OfficeInfo) -> int:
    """Inside a call's transaction: tell every ticket of the service now within TICKET_NOTIFY_AHEAD places of the
    front, that asked and was not told yet. Returns how many were told."""
    from counter.tickets import QUEUE_ORDER, ticket_label

    places = get_settings().ticket_notify_ahead
    if places < 1:
        return 0
    query = Ticket.select(Ticket.id, Ticket.notify_channel, Ticket.notified_at).where(
        (Ticket.service == service_id) & (Ticket.day == day) & (Ticket.state == TicketState.waiting.value)
    )
    for column, ascending in QUEUE_ORDER:
        query = query.order_by(column, ascending=ascending)
    front = await query.limit(places)
    told = 0
    for ahead, row in enumerate(front):
        if not row["notify_channel"] or row["notified_at"] is not None:
            continue
        claimed = (
            await Ticket.update({Ticket.notified_at: clock.now()})
            .where((Ticket.id == row["id"]) & Ticket.notified_at.is_null())
            .returning(
                Ticket.id,
                Ticket.code,
                Ticket.number,
                Ticket.language,
                Ticket.notify_channel,
                Ticket.notify_address,
            )
        )
        if not claimed:
            continue  # another call told it just now
        ticket = claimed[0]
        letter = await CounterService.select(CounterService.letter).where(CounterService.id == service_id).first()
        label = ticket_label(letter["letter"] if letter else "", ticket["number"])
        if ticket["notify_channel"] == EMAIL:
            notice = _notice(ticket["id"], ticket["code"], label, office.name, ahead, ticket["language"])
            await queue_email(ticket["notify_address"], notice.subject, notice.text, kind="ticket.near")
        else:
            await jobs.enqueue(
                JOB_KIND, {"ticket": ticket["id"], "ahead": ahead}, unique_key=f"ticket-near:{ticket['id']}"
            )
        log.info("ticket %s told its turn is near (%s)", ticket["id"], ticket["notify_channel"])
        told += 1
    return told


async def send_notice(context: jobs.JobContext) -> None:
    """The job: send one ticket's notice through its registered channel (raises to retry when the channel fails or
    is not registered in this process)."""
    ticket_id = int(context.payload["ticket"])
    row = (
        await Ticket.select(
            Ticket.id,
            Ticket.code,
            Ticket.number,
            Ticket.language,
            Ticket.notify_channel,
            Ticket.notify_address,
            Ticket.service.letter,
            Ticket.office,
        )
        .where(Ticket.id == ticket_id)
        .first()
    )
    if row is None:
        raise NotFound("ticket gone")
    if not row["notify_address"]:
        return  # purged with its day before the channel answered
    sender = _channels.get(row["notify_channel"])
    if sender is None:
        raise RuntimeError(f"notification channel {row['notify_channel']!r} is not registered")
    office = await Office.select(Office.name).where(Office.id == row["office"]).first()
    from counter.tickets import ticket_label

    notice = _notice(
        row["id"],
        row["code"],
        ticket_label(row["service.letter"], row["number"]),
        office["name"] if office else "",
        int(context.payload.get("ahead", 0)),
        row["language"],
    )
    await sender(row["notify_address"], notice)


async def purge_notice_addresses(before: dt.date | None = None) -> int:
    """Erase the contact of every ticket of the days before ``before`` (default today): a ticket keeps a contact
    only for its day. Returns how many tickets had one."""
    async with write_transaction():
        erased = (
            await Ticket.update({Ticket.notify_email: "", Ticket.notify_address: ""})
            .where(
                (Ticket.day < (before or clock.today())) & ((Ticket.notify_address != "") | (Ticket.notify_email != ""))
            )
            .returning(Ticket.id)
        )
    return len(erased)


PURGE_SECONDS = 3600


def register() -> None:
    """Register the notice job, and the hourly erasure of the past days' contacts (wiring)."""
    jobs.register_job(JOB_KIND, send_notice, max_attempts=5)
    jobs.register_periodic("counter.purge_notice_addresses", PURGE_SECONDS, purge_notice_addresses)
