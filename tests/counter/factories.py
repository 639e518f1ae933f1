"""Test rows of the counter: an office with its services, and waiting tickets put straight into a queue."""

from __future__ import annotations

import datetime as dt
import secrets

from booking.codes import new_code
from core.clock import JST
from counter import offices
from counter.offices import OfficeInfo, OfficeInput, ServiceInput
from counter.tables import ServiceKind, Ticket, TicketState

MONDAY_10 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=JST)  # a weekday, no holiday: City Hall is open
SATURDAY_10 = dt.datetime(2026, 12, 12, 10, 0, tzinfo=JST)
LETTERS = {
    ServiceKind.pickup: "A",
    ServiceKind.certificate: "B",
    ServiceKind.pin_reset: "C",
    ServiceKind.application: "D",
    ServiceKind.other: "E",
}


async def make_office(
    code: str = "CITYHALL",
    kinds: tuple[ServiceKind, ...] = (ServiceKind.pickup, ServiceKind.certificate, ServiceKind.pin_reset),
    **fields: object,
) -> OfficeInfo:
    """An office (金沢市役所 by default, 9:00-17:45 on weekdays) with one service of each kind given."""
    office = await offices.create_office(None, OfficeInput(code=code, name=fields.pop("name", "金沢市役所"), **fields))
    for kind in kinds:
        await offices.create_service(None, office.id, ServiceInput(kind=kind.value, letter=LETTERS[kind], windows=2))
    return office


async def put_waiting(office: OfficeInfo, kind: ServiceKind, count: int, day: dt.date) -> list[int]:
    """``count`` waiting tickets of a service on ``day``, issued a second apart (without the opening-hours check)."""
    service = await offices.service_of(office, kind)
    start = dt.datetime.combine(day, dt.time(9, 0), JST)
    rows = await Ticket.insert(
        *[
            Ticket(
                code=new_code(),
                office=office.id,
                service=service.id,
                day=day,
                number=n,
                number_key=f"{service.id}:{day.isoformat()}:{n}",
                state=TicketState.waiting.value,
                issued_at=start + dt.timedelta(seconds=n),
                issue_key=secrets.token_hex(8),
            )
            for n in range(1, count + 1)
        ]
    )
    return [row["id"] for row in rows]
