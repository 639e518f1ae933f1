"""Queue tickets (整理券) at the counter: issue, call the next, recall, serve, absent, transfer, cancel; and the
check-in of a pickup reservation into the same queue.

- A ticket's number is the next of its service and day (A-001, A-002, ...). The database keeps it unique
  (``number_key``); the service's row is locked while a number is taken on PostgreSQL (``SELECT ... FOR UPDATE``), and
  on SQLite the write transaction (``BEGIN IMMEDIATE``) runs alone, so two workers never hand out the same number.
- A form's one-time ``issue_key`` (its SHA-256 is kept, unique) makes a double click issue one ticket: the second
  request gets the first one's ticket back.
- The queue order is said once, here: ``QUEUE_ORDER`` (priority first, then the time of issue, then the id). A
  window calls the first waiting ticket in that order with one conditional ``UPDATE ... RETURNING`` (on PostgreSQL its
  subquery takes the row ``FOR UPDATE SKIP LOCKED``), so two windows calling at once never get the same ticket.
- Every state change writes an audit entry with ids and the ticket's number only (a ticket carries no name).
- A call that leaves a waiting ticket ``TICKET_NOTIFY_AHEAD`` places or fewer from the front tells it, once, that its
  turn is near (counter.notify), in the call's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.custom_types import Combinable
from piccolo.query import Select

from booking.codes import key_digest, new_code, normalize_code
from core import clock
from core.audit import record_event
from core.db import MAX_ID, is_sqlite, write_transaction
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.i18n import LOCALES
from core.i18n import gettext as _
from core.settings import get_settings
from core.users import Actor
from counter import notify
from counter.offices import OfficeInfo, ServiceInfo, get_office, is_open_now, office_services, service_of
from counter.tables import CounterService, ServiceKind, Ticket, TicketState

# The queue order (C's counter.status counts "ahead" with it): priority first (a reservation within its grace
# period), then the time of issue (a transferred ticket keeps its original time), then the id.
QUEUE_ORDER: tuple[tuple[Column, bool], ...] = ((Ticket.priority, False), (Ticket.issued_at, True), (Ticket.id, True))
QUEUE_ORDER_SQL = "priority DESC, issued_at ASC, id ASC"
TICKET_COLUMNS = (
    Ticket.id,
    Ticket.code,
    Ticket.office,
    Ticket.service,
    Ticket.service.kind,
    Ticket.service.letter,
    Ticket.day,
    Ticket.number,
    Ticket.state,
    Ticket.priority,
    Ticket.window,
    Ticket.language,
    Ticket.notify_channel,
    Ticket.notified_at,
    Ticket.transferred_from,
    Ticket.reservation,
    Ticket.issued_at,
    Ticket.called_at,
    Ticket.recalls,
    Ticket.finished_at,
)
MAX_WINDOW = 99
MAX_KEY_LENGTH = 200


def ticket_label(letter: str, number: int) -> str:
    """What the ticket, the board and the window show: ``A-012``."""
    return f"{letter}-{number:03d}"


@dataclass(frozen=True)
class TicketView:
    """A ticket as staff pages, commands and the resident's page use it (no contact: whether it asked is enough)."""

    id: int
    code: str
    office_id: int
    service_id: int
    service_kind: ServiceKind
    letter: str
    number: int
    day: dt.date
    state: TicketState
    priority: int
    window: int | None
    language: str
    wants_notice: bool
    notified_at: dt.datetime | None
    transferred_from: int | None
    reservation: int | None
    issued_at: dt.datetime
    called_at: dt.datetime | None
    recalls: int
    finished_at: dt.datetime | None

    @property
    def label(self) -> str:
        return ticket_label(self.letter, self.number)


def _view(row: dict[str, Any]) -> TicketView:
    return TicketView(
        id=row["id"],
        code=row["code"],
        office_id=row["office"],
        service_id=row["service"],
        service_kind=ServiceKind(row["service.kind"]),
        letter=row["service.letter"],
        number=row["number"],
        day=row["day"],
        state=TicketState(row["state"]),
        priority=row["priority"],
        window=row["window"],
        language=row["language"],
        wants_notice=bool(row["notify_channel"]),
        notified_at=row["notified_at"],
        transferred_from=row["transferred_from"],
        reservation=row["reservation"],
        issued_at=row["issued_at"],
        called_at=row["called_at"],
        recalls=row["recalls"],
        finished_at=row["finished_at"],
    )


async def get_ticket(ticket_id: int) -> TicketView:
    """A ticket by id (NotFound otherwise)."""
    row = await Ticket.select(*TICKET_COLUMNS).where(Ticket.id == ticket_id).first() if ticket_id <= MAX_ID else None
    if row is None:
        raise NotFound(_("This ticket does not exist."))
    return _view(row)


async def ticket_by_code(code: str) -> TicketView:
    """A ticket by its code as typed or scanned (NotFound for a wrong code)."""
    normal = normalize_code(code)
    row = await Ticket.select(*TICKET_COLUMNS).where(Ticket.code == normal).first() if normal else None
    if row is None:
        raise NotFound(_("This ticket does not exist."))
    return _view(row)


async def continued_as(ticket: TicketView) -> TicketView | None:
    """The ticket that continues a transferred one (its new service's ticket), if any."""
    row = await Ticket.select(*TICKET_COLUMNS).where(Ticket.transferred_from == ticket.id).first()
    return _view(row) if row is not None else None


# --- the queue -------------------------------------------------------------------------------------------------------


def in_queue_order(query: Select[Any]) -> Select[Any]:
    """``query`` ordered by QUEUE_ORDER."""
    for column, ascending in QUEUE_ORDER:
        query = query.order_by(column, ascending=ascending)
    return query


def _waiting(service_id: int, day: dt.date) -> Combinable:
    return (Ticket.service == service_id) & (Ticket.day == day) & (Ticket.state == TicketState.waiting.value)


def _before(ticket: TicketView) -> Combinable:
    """The tickets that come before ``ticket`` in QUEUE_ORDER."""
    same_priority = Ticket.priority == ticket.priority
    earlier = (Ticket.issued_at < ticket.issued_at) | ((Ticket.issued_at == ticket.issued_at) & (Ticket.id < ticket.id))
    return (Ticket.priority > ticket.priority) | (same_priority & earlier)


async def tickets_ahead(ticket: TicketView) -> int | None:
    """How many waiting tickets of its service come before a waiting ticket (None when it is not waiting)."""
    if ticket.state is not TicketState.waiting:
        return None
    return int(await Ticket.count().where(_waiting(ticket.service_id, ticket.day) & _before(ticket)))


async def queue_position(ticket: TicketView) -> int | None:
    """A waiting ticket's place in its queue, 1 for the next to be called (None when it is not waiting)."""
    ahead = await tickets_ahead(ticket)
    return None if ahead is None else ahead + 1


async def waiting_tickets(service_id: int, day: dt.date | None = None, limit: int | None = None) -> list[TicketView]:
    """A service's waiting tickets of a day (default today), in queue order."""
    query = in_queue_order(Ticket.select(*TICKET_COLUMNS).where(_waiting(service_id, day or clock.today())))
    if limit is not None:
        query = query.limit(limit)
    return [_view(row) for row in await query]


async def office_tickets(office_id: int, day: dt.date | None = None) -> list[TicketView]:
    """Every ticket of an office on a day (default today), in the order they were issued."""
    rows = (
        await Ticket.select(*TICKET_COLUMNS)
        .where((Ticket.office == office_id) & (Ticket.day == (day or clock.today())))
        .order_by(Ticket.id)
    )
    return [_view(row) for row in rows]


async def window_ticket(office_id: int, window: int, day: dt.date | None = None) -> TicketView | None:
    """The ticket a window is serving now (the last it called that is still called), if any."""
    row = (
        await Ticket.select(*TICKET_COLUMNS)
        .where(
            (Ticket.office == office_id)
            & (Ticket.day == (day or clock.today()))
            & (Ticket.window == window)
            & (Ticket.state == TicketState.called.value)
        )
        .order_by(Ticket.called_at, ascending=False)
        .first()
    )
    return _view(row) if row is not None else None


# --- issuing ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRequest:
    """Where a resident asked to be told their turn is near: ``channel`` "email" or a registered one, and its
    address (an email address, a LINE user id...); empty: not asked."""

    channel: str = ""
    address: str = ""


def _checked_notice(notice: NoticeRequest | None) -> NoticeRequest:
    if notice is None or not (notice.channel or notice.address.strip()):
        return NoticeRequest()
    channel = notice.channel or notify.EMAIL
    address = notice.address.strip()
    if channel not in notify.channels():
        message = _("This way of notifying is not available.")
        raise ValidationFailed(message, {"notify_channel": message})
    if channel == notify.EMAIL:
        from booking.bookings import normalize_email

        email = normalize_email(address)
        if not email:
            message = _("Enter an email address like name@example.jp.")
            raise ValidationFailed(message, {"notify_address": message})
        return NoticeRequest(channel, email)
    if not address or len(address) > 254:
        message = _("Give the address to notify (at most 254 characters).")
        raise ValidationFailed(message, {"notify_address": message})
    return NoticeRequest(channel, address)


def _closed(office: OfficeInfo) -> Conflict:
    return Conflict(
        _("{office} is closed now, so no ticket can be issued. Please come back during its opening hours.").format(
            office=office.name
        )
    )


async def _lock_service(service_id: int) -> None:
    """On PostgreSQL, hold the service's row for the transaction: numbers are taken one at a time per service."""
    if not is_sqlite():
        await CounterService.select(CounterService.id).where(CounterService.id == service_id).lock_rows("UPDATE")


async def _by_issue_key(key: str) -> TicketView | None:
    row = await Ticket.select(*TICKET_COLUMNS).where(Ticket.issue_key == key).first()
    return _view(row) if row is not None else None


async def _insert_ticket(
    service: ServiceInfo,
    day: dt.date,
    *,
    issue_key: str | None,
    language: str,
    notice: NoticeRequest,
    priority: int = 0,
    issued_at: dt.datetime | None = None,
    transferred_from: int | None = None,
    reservation: int | None = None,
    actor: Actor | None = None,
) -> tuple[TicketView, bool]:
    """Inside a write transaction: the next number of the service and day, or the ticket of ``issue_key``."""
    await _lock_service(service.id)
    if issue_key is not None and (earlier := await _by_issue_key(issue_key)) is not None:
        return earlier, False
    last = (
        await Ticket.select(Ticket.number)
        .where((Ticket.service == service.id) & (Ticket.day == day))
        .order_by(Ticket.number, ascending=False)
        .first()
    )
    number = (last["number"] if last else 0) + 1
    insert = Ticket.insert(
        Ticket(
            code=new_code(),
            office=service.office_id,
            service=service.id,
            day=day,
            number=number,
            number_key=f"{service.id}:{day.isoformat()}:{number}",
            state=TicketState.waiting.value,
            priority=priority,
            language=language,
            notify_email=notice.address if notice.channel == notify.EMAIL else "",
            notify_channel=notice.channel,
            notify_address=notice.address,
            issue_key=issue_key,
            transferred_from=transferred_from,
            reservation=reservation,
            issued_at=issued_at or clock.now(),
            issued_by=actor.id if actor is not None else None,
        )
    )
    if issue_key is not None:  # a repeat racing with the first (another service's lock): the first one wins
        insert = insert.on_conflict(target=Ticket.issue_key, action="DO NOTHING")
    inserted = await insert.returning(Ticket.id)
    if not inserted and issue_key is not None and (earlier := await _by_issue_key(issue_key)) is not None:
        return earlier, False
    ticket = await get_ticket(int(inserted[0]["id"]))
    await record_event(
        actor,
        "ticket.issued",
        "ticket",
        ticket.id,
        ticket.label,
        {"state": {"before": None, "after": ticket.state.value}, "priority": {"before": None, "after": priority}},
        scope=f"office:{service.office_id}",
    )
    return ticket, True


async def issue(
    office: OfficeInfo | str | int,
    kind: ServiceKind | str,
    *,
    issue_key: str | None = None,
    language: str = "ja",
    notice: NoticeRequest | None = None,
    actor: Actor | None = None,
) -> tuple[TicketView, bool]:
    """Issue a ticket for a visit to one service of an office (整理券発行); returns it and whether it was issued now
    (False: ``issue_key`` was used before, and this is the ticket it issued). The office must be open now and offer
    the service."""
    if issue_key is not None and not 0 < len(issue_key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(_("This form has expired. Please reload the page and try again."))
    if language not in LOCALES:
        message = _("Choose one of the languages on the list.")
        raise ValidationFailed(message, {"language": message})
    checked = _checked_notice(notice)
    key = key_digest("issue:" + issue_key) if issue_key else None
    if key is not None and (earlier := await _by_issue_key(key)) is not None:
        return earlier, False  # a double click on a form that issued before: the same ticket, even after closing time
    found = office if isinstance(office, OfficeInfo) else await get_office(office)
    service = await service_of(found, kind)
    if not await is_open_now(found):
        raise _closed(found)
    async with write_transaction():
        return await _insert_ticket(
            service, clock.today(), issue_key=key, language=language, notice=checked, actor=actor
        )


def priority_until(slot_start: dt.datetime) -> dt.datetime:
    """Until when a reservation of the slot starting at ``slot_start`` goes first on arrival (COUNTER_GRACE_MINUTES
    after the start; residents are told this time), after which it queues in the order of arrival."""
    return slot_start + dt.timedelta(minutes=get_settings().counter_grace_minutes)


async def check_in_reservation(
    office: OfficeInfo | str | int,
    kind: ServiceKind | str,
    slot_start: dt.datetime,
    reservation_id: int,
    *,
    language: str = "ja",
    notice: NoticeRequest | None = None,
    actor: Actor | None = None,
) -> TicketView:
    """A reservation (e.g. a pickup reservation, 交付予約) arriving at the counter gets a ticket in its service's
    queue: with priority when it arrives no later than COUNTER_GRACE_MINUTES after its slot starts, else like
    everyone else. Checking the same reservation in again returns its ticket."""
    if slot_start.tzinfo is None:
        raise ValueError("slot_start must be an aware datetime")
    priority = 1 if clock.now() <= priority_until(slot_start) else 0
    key = key_digest(f"reservation:{reservation_id}")
    if (earlier := await _by_issue_key(key)) is not None:
        return earlier
    found = office if isinstance(office, OfficeInfo) else await get_office(office)
    service = await service_of(found, kind)
    if not await is_open_now(found):
        raise _closed(found)
    async with write_transaction():
        ticket, _issued = await _insert_ticket(
            service,
            clock.today(),
            issue_key=key,
            language=language if language in LOCALES else "ja",
            notice=_checked_notice(notice),
            priority=priority,
            reservation=reservation_id,
            actor=actor,
        )
    return ticket


# --- calling ---------------------------------------------------------------------------------------------------------


def _call_statement(services: int) -> str:
    """Mark the first waiting ticket of the services (``services`` placeholders) called at a window, atomically."""
    marks = ", ".join(["{}"] * services)
    pick = (
        f"SELECT id FROM counter_ticket WHERE day = {{}} AND state = 'waiting' AND service IN ({marks}) "
        f"ORDER BY {QUEUE_ORDER_SQL} LIMIT 1"
    )
    if not is_sqlite():
        pick += " FOR UPDATE SKIP LOCKED"  # another window's call holds its row: take the next one
    return (
        "UPDATE counter_ticket SET state = 'called', \"window\" = {}, called_at = {} "
        f"WHERE id = ({pick}) AND state = 'waiting' RETURNING id"
    )


def _check_window(window: int) -> None:
    if not isinstance(window, int) or not 1 <= window <= MAX_WINDOW:
        message = _("Give a window number from 1 to {most}.").format(most=MAX_WINDOW)
        raise ValidationFailed(message, {"window": message})


async def _finish_window(office_id: int, window: int, day: dt.date, now: dt.datetime, actor: Actor | None) -> None:
    """Mark the tickets a window still has called (today) served, each audited."""
    finished = (
        await Ticket.update({Ticket.state: TicketState.served.value, Ticket.finished_at: now})
        .where(
            (Ticket.office == office_id)
            & (Ticket.day == day)
            & (Ticket.window == window)
            & (Ticket.state == TicketState.called.value)
        )
        .returning(Ticket.id, Ticket.number, Ticket.service)
    )
    letters = {
        row["id"]: row["letter"]
        for row in await CounterService.select(CounterService.id, CounterService.letter).where(
            CounterService.office == office_id
        )
    }
    for row in finished:
        await record_event(
            actor,
            "ticket.served",
            "ticket",
            row["id"],
            ticket_label(letters.get(row["service"], ""), row["number"]),
            {"state": {"before": "called", "after": "served"}, "by": {"after": "next call"}},
            scope=f"office:{office_id}",
        )


async def call_next(
    office: OfficeInfo | str | int,
    window: int,
    kinds: Sequence[ServiceKind | str] | None = None,
    actor: Actor | None = None,
) -> TicketView | None:
    """Call the next waiting ticket of the office's services (``kinds``; default all) to a window (呼出); None when
    nobody waits. Two windows calling at once get two different tickets.

    A ticket the window still has at it is finished first, as served: calling the next visitor means the window is
    done with the last one (a visitor who did not come is marked absent before, with 不在)."""
    _check_window(window)
    found = office if isinstance(office, OfficeInfo) else await get_office(office)
    services = await office_services(found.id)
    if kinds:
        wanted = {kind.value if isinstance(kind, ServiceKind) else kind for kind in kinds}
        services = [service for service in services if service.kind.value in wanted]
        if not services:
            raise NotFound(_("{office} does not offer this service.").format(office=found.name))
    if not services:
        return None
    day, now = clock.today(), clock.now()
    async with write_transaction():
        await _finish_window(found.id, window, day, now, actor)
        called = await Ticket.raw(
            _call_statement(len(services)), window, now, day, *[service.id for service in services]
        )
        if not called:
            return None
        ticket = await get_ticket(int(called[0]["id"]))
        await record_event(
            actor,
            "ticket.called",
            "ticket",
            ticket.id,
            ticket.label,
            {"state": {"before": "waiting", "after": "called"}, "window": {"before": None, "after": window}},
            scope=f"office:{found.id}",
        )
        await notify.notify_near_front(ticket.service_id, day, found)
    return ticket


# --- the other steps -------------------------------------------------------------------------------------------------

_STEPS: dict[str, tuple[tuple[TicketState, ...], TicketState, str]] = {
    "recall": ((TicketState.called,), TicketState.called, "ticket.recalled"),
    "serve": ((TicketState.called,), TicketState.served, "ticket.served"),
    "absent": ((TicketState.called,), TicketState.absent, "ticket.absent"),
    "cancel": ((TicketState.waiting, TicketState.called), TicketState.cancelled, "ticket.cancelled"),
}
TICKET_STEPS = tuple(_STEPS)


def _not_now(ticket: TicketView) -> InvalidTransition:
    states = {
        TicketState.waiting: _("{label} is waiting: call it first."),
        TicketState.called: _("{label} is at a window."),
        TicketState.served: _("{label} has been served."),
        TicketState.absent: _("{label} was marked absent."),
        TicketState.cancelled: _("{label} was cancelled."),
    }
    return InvalidTransition(states[ticket.state].format(label=ticket.label))


def _in_office(ticket: TicketView, office_id: int | None) -> None:
    if office_id is not None and ticket.office_id != office_id:
        raise NotFound(_("This ticket does not exist."))


async def step(
    ticket_id: int, action: str, actor: Actor | None = None, office_id: int | None = None, window: int | None = None
) -> TicketView:
    """Recall (再呼出: the number is called again), serve (完了), mark absent (不在) or cancel (取消) a ticket; a step
    the ticket's state does not allow is refused (a ticket two windows finish at once is finished once)."""
    if action not in _STEPS:
        raise NotFound(_("The page you asked for does not exist."))
    allowed, target, event = _STEPS[action]
    now = clock.now()
    async with write_transaction():
        ticket = await get_ticket(ticket_id)
        _in_office(ticket, office_id)
        values: dict[Column | str, Any] = {Ticket.state: target.value}
        if action == "recall":
            values.update({Ticket.recalls: Ticket.recalls + 1, Ticket.called_at: now})
            if window is not None:
                values[Ticket.window] = window
        else:
            values[Ticket.finished_at] = now
        moved = (
            await Ticket.update(values)
            .where((Ticket.id == ticket_id) & Ticket.state.is_in([state.value for state in allowed]))
            .returning(Ticket.id)
        )
        if not moved:
            raise _not_now(ticket)
        await record_event(
            actor,
            event,
            "ticket",
            ticket_id,
            ticket.label,
            {"state": {"before": ticket.state.value, "after": target.value}},
            scope=f"office:{ticket.office_id}",
        )
        if action == "cancel" and ticket.state is TicketState.waiting:
            await notify.notify_near_front(ticket.service_id, ticket.day, await get_office(ticket.office_id))
    return await get_ticket(ticket_id)


async def recall(ticket_id: int, actor: Actor | None = None, office_id: int | None = None) -> TicketView:
    """Call the ticket's number again (再呼出)."""
    return await step(ticket_id, "recall", actor, office_id)


async def serve(ticket_id: int, actor: Actor | None = None, office_id: int | None = None) -> TicketView:
    """The window has finished with the visitor (完了)."""
    return await step(ticket_id, "serve", actor, office_id)


async def absent(ticket_id: int, actor: Actor | None = None, office_id: int | None = None) -> TicketView:
    """Called and did not come (不在)."""
    return await step(ticket_id, "absent", actor, office_id)


async def cancel(ticket_id: int, actor: Actor | None = None, office_id: int | None = None) -> TicketView:
    """Withdraw a ticket (取消)."""
    return await step(ticket_id, "cancel", actor, office_id)


async def transfer(
    ticket_id: int, kind: ServiceKind | str, actor: Actor | None = None, office_id: int | None = None
) -> TicketView:
    """Move a ticket to another service of its office (移動): a new waiting ticket there keeps the original time of
    issue (so its place in time) and priority, language and notice; the old ticket ends, ``served`` when a window
    had called it (its work counts), ``cancelled`` when it was still waiting."""
    async with write_transaction():
        ticket = await get_ticket(ticket_id)
        _in_office(ticket, office_id)
        office = await get_office(ticket.office_id)
        target = await service_of(office, kind)
        if target.id == ticket.service_id:
            raise ValidationFailed(_("The ticket is already for this service."))
        end = TicketState.served if ticket.state is TicketState.called else TicketState.cancelled
        moved = (
            await Ticket.update({Ticket.state: end.value, Ticket.finished_at: clock.now()})
            .where((Ticket.id == ticket_id) & Ticket.state.is_in([TicketState.waiting.value, TicketState.called.value]))
            .returning(Ticket.notify_channel, Ticket.notify_address)
        )
        if not moved:
            raise _not_now(ticket)
        new, _issued = await _insert_ticket(
            target,
            ticket.day,
            issue_key=None,
            language=ticket.language,
            notice=NoticeRequest(moved[0]["notify_channel"], moved[0]["notify_address"]),
            priority=ticket.priority,
            issued_at=ticket.issued_at,
            transferred_from=ticket.id,
            reservation=ticket.reservation,
            actor=actor,
        )
        await record_event(
            actor,
            "ticket.transferred",
            "ticket",
            ticket_id,
            f"{ticket.label} → {new.label}",
            {"state": {"before": ticket.state.value, "after": end.value}, "continued_by": {"after": new.id}},
            scope=f"office:{office.id}",
        )
    return new
