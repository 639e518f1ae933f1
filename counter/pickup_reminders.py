"""Reminder emails the day before a pickup reservation, as booth bookings get them (booking.reminders): each
reservation is marked by a conditional update, so running the job twice sends nothing twice."""

from __future__ import annotations

import datetime as dt

from core import clock
from core.db import write_transaction
from counter import pickup_notices
from counter.pickups import _details, _read
from counter.tables import PickupReservation, PickupState


async def send_pickup_reminders(day: dt.date | None = None) -> int:
    """Queue a reminder for every confirmed reservation with an email on ``day`` (default: tomorrow in Japan) that
    has not had one; returns how many were queued. The reminder carries no manage link: only the hash of the token
    is kept (the confirmation email has the link)."""
    day = day or clock.today() + dt.timedelta(days=1)
    due = await PickupReservation.select(PickupReservation.id, PickupReservation.code).where(
        (PickupReservation.state == PickupState.confirmed.value)
        & (PickupReservation.email != "")
        & PickupReservation.reminded_at.is_null()
        & (PickupReservation.slot.day == day)
    )
    queued = 0
    for row in due:
        async with write_transaction():
            claimed = (
                await PickupReservation.update({PickupReservation.reminded_at: clock.now()})
                .where((PickupReservation.id == row["id"]) & PickupReservation.reminded_at.is_null())
                .returning(PickupReservation.id)
            )
            if claimed:
                await pickup_notices.reservation_reminder(_details(await _read(row["code"])))
                queued += 1
    return queued
