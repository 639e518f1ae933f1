"""Publishing booths: an approved plan's sessions become bookable time slots; residents booked on a booth that a
change cancels are told (their booking is kept until they choose another time)."""

from __future__ import annotations

import datetime as dt

from booking.reminders import tell_booked_residents, tell_residents_of_changes
from booking.tables import Booking, BoothResult, Slot, WalkIn
from core.clock import JST
from core.events import PlanApproved, subscribe
from core.settings import get_settings
from planner import invitations
from planner.tables import PlanVersion, Session, SessionState

SAME_BOOTH = ("venue", "date", "start", "end")
"""A continued session with these unchanged is the same booth (it keeps its forecast); otherwise it moved."""


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
    (a change after approval) takes over that booth's slots, bookings, walk-ins and results; a new session gets new
    slots; a booth of
    the previous approved version that the new one no longer has is cancelled."""
    settings = get_settings()
    bookable, walk_in = split_capacity(settings.slot_capacity, settings.walk_in_share)
    version = await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == event.version_id).first()
    sessions = await Session.select().where(
        (Session.version == event.version_id) & (Session.state == SessionState.planned.value)
    )
    continued = set()
    changed: list[int] = []
    slots = []
    origins = {
        row["id"]: row
        for row in await Session.select().where(Session.id.is_in([s["origin"] for s in sessions if s["origin"]] or [0]))
    }
    for session in sessions:
        if session["origin"]:
            continued.add(session["origin"])
            await Slot.update({Slot.session: session["id"]}).where(Slot.session == session["origin"])
            await Booking.update({Booking.session: session["id"]}).where(Booking.session == session["origin"])
            await WalkIn.update({WalkIn.session: session["id"]}).where(WalkIn.session == session["origin"])
            await BoothResult.update({BoothResult.session: session["id"]}).where(
                BoothResult.session == session["origin"]
            )
            await Session.update({Session.state: SessionState.superseded.value}).where(Session.id == session["origin"])
            origin = origins.get(session["origin"])
            if origin and any(origin[key] != session[key] for key in SAME_BOOTH):
                await retime_slots(session, bookable, walk_in, settings.slot_minutes)
                changed.append(session["id"])
                await _fix_forecast(session["id"], session["expected_applicants"])
            else:  # the same booth: its forecast stays the one it was published with
                fixed = _published_forecast(origin) if origin else None
                await _fix_forecast(session["id"], session["expected_applicants"] if fixed is None else fixed)
        else:
            await _fix_forecast(session["id"], session["expected_applicants"])
            slots += [
                Slot(session=session["id"], start=start, end=end, capacity=bookable, walk_in=walk_in)
                for start, end in slot_times(session["date"], session["start"], session["end"], settings.slot_minutes)
            ]
    if slots:
        await Slot.insert(*slots)
    await Session.update({Session.state: SessionState.published.value}).where(
        (Session.version == event.version_id) & (Session.state == SessionState.planned.value)
    )
    gone = await Session.select(Session.id).where(
        (Session.version.plan == version["plan"])
        & (Session.version != event.version_id)
        & (Session.state == SessionState.published.value)
    )
    cancelled = [row["id"] for row in gone if row["id"] not in continued]
    if cancelled:
        await Session.update({Session.state: SessionState.cancelled.value}).where(Session.id.is_in(cancelled))
        await tell_booked_residents(cancelled)
    await tell_residents_of_changes(changed)
    new_ids = [s["id"] for s in sessions if not s["origin"]]
    continued_pairs = [(s["origin"], s["id"]) for s in sessions if s["origin"]]
    await invitations.booths_published(new_ids, continued_pairs, cancelled)  # calendar invitations to partners


def _published_forecast(session: dict) -> int | None:
    """The forecast a published booth was published with (its own forecast for a row from before it was kept)."""
    fixed = session.get("published_forecast")
    return fixed if fixed is not None else session.get("expected_applicants")


async def _fix_forecast(session_id: int, forecast: int) -> None:
    """Fix a booth's forecast at publication: reports compare its results with this number from now on, and the
    yields learned later (from this booth's own results, too) never rewrite it."""
    await Session.update({Session.published_forecast: forecast, Session.expected_applicants: forecast}).where(
        Session.id == session_id
    )


async def retime_slots(session: dict, bookable: int, walk_in: int, minutes: int) -> None:
    """A continued booth moved to another date, time or venue: its slots (and the bookings on them) move along in
    order — the n-th slot becomes the n-th slot of the new window. New slots are added if the window grew; if it
    shrank, the surplus slots' residents are kept on the last slot (over its capacity, never refused) and the
    surplus empty slots are removed."""
    times = slot_times(session["date"], session["start"], session["end"], minutes)
    rows = await Slot.select().where(Slot.session == session["id"]).order_by(Slot.start)
    for index, row in enumerate(rows):
        if index < len(times):
            start, end = times[index]
            await Slot.update({Slot.start: start, Slot.end: end}).where(Slot.id == row["id"])
        elif row["booked"] == 0 or not times:
            await Slot.delete().where(Slot.id == row["id"])
        else:
            start, end = times[-1]
            await Slot.update({Slot.start: start, Slot.end: end, Slot.capacity: row["booked"]}).where(
                Slot.id == row["id"]
            )
    if len(times) > len(rows):
        await Slot.insert(
            *[
                Slot(session=session["id"], start=start, end=end, capacity=bookable, walk_in=walk_in)
                for start, end in times[len(rows) :]
            ]
        )


def register_handlers() -> None:
    """Booking's reactions to other apps' events (called by ``wiring.register``)."""
    subscribe(PlanApproved, publish_version)
