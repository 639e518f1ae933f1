"""Reminder emails the day before a booking (`outreach remind`), and the notice to residents whose booth was
cancelled; both mark each booking by a conditional update, so running them twice sends nothing twice."""

from __future__ import annotations

import datetime as dt

from booking import notices
from booking.bookings import _details, _row, with_new_manage_link
from booking.schemas import BookingDetails
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


async def _emailed_details(code: str) -> BookingDetails:
    """A booking for a notice that asks the resident to act: with a new manage link when it has an email address
    (the notice carries it), else as it is (no email is sent, and its link must keep working)."""
    row = await _row(code)
    return await with_new_manage_link(row) if row["email"] else await _details(row)


async def tell_booked_residents(session_ids: list[int]) -> int:
    """Inside the transaction that cancels booths: tell each resident booked on them (once) that the booth is
    cancelled, with a new manage link to choose another time (it replaces the old one: the email is the resident's
    own inbox, and the slip and calendar entries carry no link). The booking itself is kept."""
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
        await notices.booth_cancelled(await _emailed_details(row["code"]))
    return len(rows)


async def tell_residents_of_changes(session_ids: list[int]) -> int:
    """Inside the approval of a change: tell each resident booked on a booth that moved (date, time or venue) the
    new time and place, with a new manage link to change or cancel. Their booking moved with the booth."""
    if not session_ids:
        return 0
    rows = await Booking.select(Booking.code).where(
        Booking.session.is_in(session_ids) & (Booking.state == BookingState.confirmed.value)
    )
    for row in rows:
        await notices.booth_changed(await _emailed_details(row["code"]))
    return len(rows)
