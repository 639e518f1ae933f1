"""Retention of pickup reservations' personal data (DESIGN §7): the notice numbers, the contact and the
Idempotency-Key digests are blanked on the booths' schedule (RETENTION_DAYS after the reserved day), and the
reservation emails written before the same horizon deleted; the counts (office, service, time, party size, state)
stay. Runs inside booking's purge (booking.retention) as a step that ``wiring.register`` registers. The pickup waiting
lists' entries are booking's table and booking's purge blanks them, as every kind's."""

from __future__ import annotations

import datetime as dt

from piccolo.columns.combination import And, Where

from core.i18n import N_
from core.tables import OutboxMessage
from counter.pickup_notices import KIND
from counter.tables import PickupReservation, PickupSlot

ANONYMISED = "pickup_reservations_anonymised"


async def purge_pickups(cutoff: dt.date | None, cutoff_at: dt.datetime | None, now: dt.datetime) -> dict[str, int]:
    """Blank the reservations of days before ``cutoff`` (all of them when None) and delete their emails written
    before ``cutoff_at`` (all when None)."""
    due: Where | And = PickupReservation.anonymised_at.is_null()
    if cutoff is not None:
        days = PickupSlot.select(PickupSlot.id).where(PickupSlot.day < cutoff)
        due = due & PickupReservation.slot.is_in(days)
    anonymised = (
        await PickupReservation.update(
            {
                PickupReservation.notice_numbers: "",
                PickupReservation.phone: "",
                PickupReservation.email: "",
                PickupReservation.idempotency_key: None,
                PickupReservation.request_digest: "",
                PickupReservation.anonymised_at: now,
            }
        )
        .where(due)
        .returning(PickupReservation.id)
    )
    mail: Where | And = OutboxMessage.kind.like(KIND + "%")
    if cutoff_at is not None:
        mail = mail & (OutboxMessage.created_at < cutoff_at)
    deleted = await OutboxMessage.delete().where(mail).returning(OutboxMessage.id)
    return {
        ANONYMISED: len(anonymised),
        "resident_messages_deleted": len(deleted),
    }


LABELS = {
    ANONYMISED: N_("Pickup reservations anonymised (notice numbers, phone, email)"),
}
TABLES = ("counter_pickup_reservation",)
