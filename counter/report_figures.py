"""The counter's tickets as the daily and monthly reports read them (booking.office_tickets): served tickets per day
and service, mapped onto the in-office counts, and each visit's wait. ``register`` hands the provider to booking
(called by ``wiring.register``): booking does not import counter."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from booking import office_tickets
from booking.office_tickets import OfficeInfo, TicketFigures, Visit
from core import clock
from counter.tables import ServiceKind, Ticket, TicketState

COUNT_OF_SERVICE = {
    ServiceKind.pickup.value: "card_handovers",
    ServiceKind.certificate.value: "certificates",
    ServiceKind.pin_reset.value: "pin_resets",
    ServiceKind.application.value: "applications",
}
"""Which in-office count a served ticket of a service adds to (other services count in none)."""


def register() -> None:
    """Let the reports read the counter's tickets."""
    office_tickets.register_office_figures(ticket_figures, ticket_days)


async def ticket_days(until: dt.date) -> list[dt.date]:
    """The days with queue tickets up to ``until`` (for the reports' index)."""
    rows = await Ticket.select(Ticket.day).where(Ticket.day <= until).distinct()
    return [row["day"] for row in rows]


async def ticket_figures(first: dt.date, last: dt.date) -> TicketFigures:
    """The tickets of every office from ``first`` to ``last``: served counts per day and service, and the visits.

    One query: the period's tickets with their service's kind and their office (a transfer stays on its day)."""
    rows = await Ticket.select(
        Ticket._meta.primary_key,
        Ticket.day,
        Ticket.state,
        Ticket.issued_at,
        Ticket.called_at,
        Ticket.finished_at,
        Ticket.transferred_from,
        Ticket.service.kind.as_alias("kind"),
        Ticket.office.id.as_alias("office_id"),
        Ticket.office.name.as_alias("office_name"),
        Ticket.office.amber_minutes.as_alias("amber_minutes"),
        Ticket.office.red_minutes.as_alias("red_minutes"),
    ).where((Ticket.day >= first) & (Ticket.day <= last))
    served: dict[dt.date, dict[str, int]] = {}
    offices: dict[int, OfficeInfo] = {}
    for row in rows:
        counts = served.setdefault(row["day"], dict.fromkeys(COUNT_OF_SERVICE.values(), 0))
        name = COUNT_OF_SERVICE.get(row["kind"])
        if name is not None and row["state"] == TicketState.served.value:
            counts[name] += 1
        offices.setdefault(
            row["office_id"],
            OfficeInfo(row["office_id"], row["office_name"], row["amber_minutes"], row["red_minutes"]),
        )
    return TicketFigures(served=served, visits=visits(rows), offices=offices)


def _minutes(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def visits(rows: list[dict[str, Any]]) -> list[Visit]:
    """The visits of the tickets: each first ticket with the tickets transferred from it, in the order they were
    taken. The wait of a transferred ticket runs from the transfer (the previous ticket's end, or its call), never
    from before it, so that a transfer that keeps the first ticket's issue time is not counted twice."""
    by_id = {row["id"]: row for row in rows}
    chains: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["issued_at"], r["id"])):
        first = row
        seen = {row["id"]}
        while first["transferred_from"] in by_id and first["transferred_from"] not in seen:
            first = by_id[first["transferred_from"]]
            seen.add(first["id"])
        chains[first["id"]].append(row)
    result = []
    for first_id, chain in chains.items():
        first = by_id[first_id]
        chain.sort(key=lambda r: (r["id"] != first_id, r["issued_at"], r["id"]))
        wait: float | None = None
        previous_end: dt.datetime | None = None
        for ticket in chain:
            if ticket["called_at"] is not None:
                start = ticket["issued_at"] if previous_end is None else max(ticket["issued_at"], previous_end)
                wait = (wait or 0.0) + _minutes(start, ticket["called_at"])
            previous_end = ticket["finished_at"] or ticket["called_at"] or previous_end
        if first["called_at"] is None:
            wait = None  # never called: no wait to measure (left, or cancelled before its turn)
        result.append(
            Visit(
                office=first["office_id"],
                day=first["day"],
                hour=first["issued_at"].astimezone(clock.JST).hour,
                wait_minutes=wait,
                served=any(t["state"] == TicketState.served.value for t in chain),
            )
        )
    return result
