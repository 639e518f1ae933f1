"""Reminder emails the day before a booking (`outreach remind`), and the notice to residents whose booth was
cancelled; both mark each booking by a conditional update, so running them twice sends nothing twice."""

from __future__ import annotations

import datetime as dt

from booking import notices
from booking.bookings import _details, _row
from booking.tables import Booking, BookingState
from core import clock
from core.db import write_transaction


async def send_reminders(day: dt.date | None = None) -> int:
    """Queue a reminder for every confirmed booking (with an email) on ``day`` (default: tomorrow in Japan)
    that has not had one; returns how many were queued."""
    day = day or clock.today() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(0), clock.JST)
    end = start + dt.timedelta(days=1)
    due = await Booking.select(Booking.id, Booking.code).where(
        (Booking.state == BookingState.confirmed.value)
        & (Booking.email != "")
        & Booking.reminded_at.is_null()
        & (Booking.slot.start >= start)
        & (Booking.slot.start < end)
    )
    queued = 0
    for row in due:
        async with write_transaction():
            claimed = (
                await Booking.update({Booking.reminded_at: clock.now()})
                .where((Booking.id == row["id"]) & Booking.reminded_at.is_null())
                .returning(Booking.id)
            )
            if claimed:
                await notices.booking_reminder(await _details(await _row(row["code"])))
                queued += 1
    return queued


async def tell_booked_residents(session_ids: list[int]) -> int:
    """Inside the transaction that cancels booths: tell each resident booked on them (once) that the booth is
    cancelled, with their manage link to choose another time. The booking itself is kept."""
    if not session_ids:
        return 0
    rows = (
        await Booking.update({Booking.booth_cancelled_notice_at: clock.now()})
        .where(
            Booking.session.is_in(session_ids)
            & (Booking.state == BookingState.confirmed.value)
            & Booking.booth_cancelled_notice_at.is_null()
        )
        .returning(Booking.code)
    )
    for row in rows:
        await notices.booth_cancelled(await _details(await _row(row["code"])))
    return len(rows)


async def tell_residents_of_changes(session_ids: list[int]) -> int:
    """Inside the approval of a change: tell each resident booked on a booth that moved (date, time or venue) the
    new time and place, with their manage link to change or cancel. Their booking moved with the booth."""
    if not session_ids:
        return 0
    rows = await Booking.select(Booking.code).where(
        Booking.session.is_in(session_ids) & (Booking.state == BookingState.confirmed.value)
    )
    for row in rows:
        await notices.booth_changed(await _details(await _row(row["code"])))
    return len(rows)
