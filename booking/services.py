"""Publishing booths: an approved plan's sessions become bookable time slots; residents booked on a booth that a
change cancels are told (their booking is kept until they choose another time)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from booking.reminders import tell_booked_residents
from booking.tables import Booking, Slot
from core.events import PlanApproved, subscribe
from core.i18n import gettext as _
from core.outbox import queue_email
from core.settings import get_settings
from planner.tables import PlanVersion, Session, SessionState

JST = ZoneInfo("Asia/Tokyo")


def slot_times(date: dt.date, start: dt.time, end: dt.time, minutes: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """The slots of a session's window, ``minutes`` long (a shorter last one is dropped)."""
    times = []
    current = dt.datetime.combine(date, start, JST)
    finish = dt.datetime.combine(date, end, JST)
    while current + dt.timedelta(minutes=minutes) <= finish:
        times.append((current, current + dt.timedelta(minutes=minutes)))
        current += dt.timedelta(minutes=minutes)
    return times


def split_capacity(capacity: int, walk_in_share: float) -> tuple[int, int]:
    """(bookable, kept for walk-ins) places of one slot."""
    walk_in = min(capacity, round(capacity * walk_in_share))
    return capacity - walk_in, walk_in


async def publish_version(event: PlanApproved) -> None:
    """Publish an approved version inside the approval's transaction: a session that continues a published booth
    (a change after approval) takes over that booth's slots and bookings; a new session gets new slots; a booth of
    the previous approved version that the new one no longer has is cancelled."""
    settings = get_settings()
    bookable, walk_in = split_capacity(settings.slot_capacity, settings.walk_in_share)
    version = await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == event.version_id).first()
    sessions = await Session.select().where((Session.version == event.version_id)
                                            & (Session.state == SessionState.planned.value))
    continued = set()
    slots = []
    for session in sessions:
        if session["origin"]:
            continued.add(session["origin"])
            await Slot.update({Slot.session: session["id"]}).where(Slot.session == session["origin"])
            await Booking.update({Booking.session: session["id"]}).where(Booking.session == session["origin"])
            await Session.update({Session.state: SessionState.superseded.value}).where(
                Session.id == session["origin"])
        else:
            slots += [Slot(session=session["id"], start=start, end=end, capacity=bookable, walk_in=walk_in)
                      for start, end in slot_times(session["date"], session["start"], session["end"],
                                                   settings.slot_minutes)]
    if slots:
        await Slot.insert(*slots)
    await Session.update({Session.state: SessionState.published.value}).where(
        (Session.version == event.version_id) & (Session.state == SessionState.planned.value))
    gone = await Session.select(Session.id).where(
        (Session.version.plan == version["plan"]) & (Session.version != event.version_id)
        & (Session.state == SessionState.published.value))
    cancelled = [row["id"] for row in gone if row["id"] not in continued]
    if cancelled:
        await Session.update({Session.state: SessionState.cancelled.value}).where(Session.id.is_in(cancelled))
        await tell_booked_residents(cancelled)
    new_ids = [s["id"] for s in sessions if not s["origin"]]
    await tell_partners(new_ids, cancelled)


async def tell_partners(published: list[int], cancelled: list[int]) -> None:
    """Tell each venue partner about the booths published and cancelled at their venue, through the outbox
    (calendar invitations replace these plain messages with the publicity issue)."""
    for session_ids, subject, body in (
        (published, _("[outreach] Booth at {venue} on {date}"),
         _("A My Number Card application booth is planned at {venue} on {date}, {start}–{end}.")),
        (cancelled, _("[outreach] Cancelled: booth at {venue} on {date}"),
         _("The My Number Card application booth at {venue} on {date}, {start}–{end}, is cancelled.")),
    ):
        if not session_ids:
            continue
        rows = await Session.select(Session.date, Session.start, Session.end, Session.venue.name,
                                    Session.venue.partner_email).where(Session.id.is_in(session_ids))
        for row in rows:
            if row["venue.partner_email"]:
                values = dict(venue=row["venue.name"], date=row["date"].isoformat(),
                              start=row["start"].strftime("%H:%M"), end=row["end"].strftime("%H:%M"))
                await queue_email(row["venue.partner_email"], subject.format(**values), body.format(**values),
                                  kind="venue.partner")


subscribe(PlanApproved, publish_version)
