"""A pickup reservation arriving at the counter (受付): reception scans the QR code of its page or slip (or types the
code) on the reserved day; the reservation gets a queue ticket through counter.tickets.check_in_reservation (first
within its time when it comes no later than the grace period) and is marked checked in, in one transaction."""

from __future__ import annotations

from booking.codes import normalize_code
from core import clock
from core.db import write_transaction
from core.errors import Conflict, NotFound
from core.i18n import gettext as _
from core.users import Actor
from counter.tables import PickupReservation, PickupState
from counter.tickets import TicketView, check_in_reservation


async def check_in_pickup(code: str, actor: Actor | None = None, office_id: int | None = None) -> TicketView:
    """The queue ticket of a confirmed reservation of today (checking in again returns the same ticket); NotFound for
    an unknown code, Conflict for a cancelled one, another day's or (with ``office_id``) another office's."""
    canonical = normalize_code(code)
    row = (
        await PickupReservation.select(
            PickupReservation.id,
            PickupReservation.office,
            PickupReservation.state,
            PickupReservation.language,
            PickupReservation.service.kind.as_alias("kind"),
            PickupReservation.slot.day.as_alias("day"),
            PickupReservation.slot.start.as_alias("start"),
        )
        .where(PickupReservation.code == canonical)
        .first()
        if canonical
        else None
    )
    if row is None:
        raise NotFound(_("No reservation has this code."))
    if row["state"] not in (PickupState.confirmed.value, PickupState.checked_in.value):
        raise Conflict(_("This reservation was cancelled."))
    if office_id is not None and row["office"] != office_id:
        raise Conflict(_("This reservation is for another office."))
    if row["day"] != clock.today():
        raise Conflict(_("This reservation is for another day ({day}).").format(day=row["day"].isoformat()))
    async with write_transaction():
        ticket = await check_in_reservation(
            row["office"], row["kind"], row["start"], row["id"], language=row["language"], actor=actor
        )
        await PickupReservation.update(
            {PickupReservation.state: PickupState.checked_in.value, PickupReservation.updated_at: clock.now()}
        ).where((PickupReservation.id == row["id"]) & (PickupReservation.state == PickupState.confirmed.value))
    return ticket
