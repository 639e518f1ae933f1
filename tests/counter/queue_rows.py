"""Test rows for the counter's read model: an office with its services, and queue tickets inserted directly (as the
actions would leave them), so that the read model is tested apart from the workflow that writes them."""

from __future__ import annotations

import datetime as dt

from booking.codes import new_code
from core import clock
from counter.tables import CounterService, Office, OfficeDay, ServiceKind, Ticket, TicketState

# A Wednesday that is no national holiday: the counter opens 9:00–17:45.
DAY = dt.date(2027, 6, 9)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """A moment of ``day`` in Japan."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.JST)


async def make_office(code: str = "CITYHALL", name: str = "金沢市役所 市民課", **values) -> int:
    row = Office(code=code, name=name, name_en=values.pop("name_en", "Kanazawa City Hall"), **values)
    return (await Office.insert(row).returning(Office.id))[0]["id"]


async def make_service(
    office: int, kind: ServiceKind = ServiceKind.pickup, letter: str = "A", minutes: float = 10.0, windows: int = 1
) -> int:
    row = CounterService(office=office, kind=kind.value, letter=letter, minutes_per_person=minutes, windows=windows)
    return (await CounterService.insert(row).returning(CounterService.id))[0]["id"]


async def make_office_day(office: int, date: dt.date, open: bool = True, opens: str = "", closes: str = "") -> None:
    await OfficeDay.insert(OfficeDay(office=office, date=date, open=open, opens=opens, closes=closes))


async def make_ticket(
    office: int,
    service: int,
    number: int,
    issued_at: dt.datetime,
    *,
    state: TicketState = TicketState.waiting,
    priority: int = 0,
    window: int | None = None,
    called_at: dt.datetime | None = None,
    finished_at: dt.datetime | None = None,
    day: dt.date | None = None,
) -> str:
    """A ticket of ``service``; returns its code."""
    day = day or issued_at.astimezone(clock.JST).date()
    code = new_code()
    await Ticket.insert(
        Ticket(
            code=code,
            office=office,
            service=service,
            day=day,
            number=number,
            number_key=f"{service}:{day.isoformat()}:{number}",
            state=state.value,
            priority=priority,
            window=window,
            issued_at=issued_at,
            called_at=called_at,
            finished_at=finished_at,
        )
    )
    return code


async def call(code: str, window: int, at_: dt.datetime) -> None:
    """A window calls the ticket (what the windows' page does, written to the table)."""
    await Ticket.update({Ticket.state: TicketState.called.value, Ticket.window: window, Ticket.called_at: at_}).where(
        Ticket.code == code
    )


async def serve(code: str, at_: dt.datetime) -> None:
    await Ticket.update({Ticket.state: TicketState.served.value, Ticket.finished_at: at_}).where(Ticket.code == code)
