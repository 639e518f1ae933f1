"""Publishing booths: an approved plan's sessions become bookable time slots."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from booking.tables import Slot
from core.events import PlanApproved, subscribe
from core.settings import get_settings
from planner.tables import Session, SessionState

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
    """Create the slots of every planned session of the approved version and mark the sessions published
    (inside the approval's transaction)."""
    settings = get_settings()
    bookable, walk_in = split_capacity(settings.slot_capacity, settings.walk_in_share)
    sessions = await Session.select().where((Session.version == event.version_id)
                                            & (Session.state == SessionState.planned.value))
    slots = [
        Slot(session=session["id"], start=start, end=end, capacity=bookable, walk_in=walk_in)
        for session in sessions
        for start, end in slot_times(session["date"], session["start"], session["end"], settings.slot_minutes)
    ]
    if slots:
        await Slot.insert(*slots)
    await Session.update({Session.state: SessionState.published.value}).where(
        (Session.version == event.version_id) & (Session.state == SessionState.planned.value))


subscribe(PlanApproved, publish_version)
