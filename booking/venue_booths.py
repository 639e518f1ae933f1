"""A venue's current booths as its calendar feed shows them (会場向けカレンダー): the published and held booths from a
month ago on, the cancelled ones of the same period, each with its stable calendar identity and its booking counts
(never who booked)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count, Sum

from booking.booths import VISIBLE_STATES
from booking.tables import ACTIVE_STATES, Booking, Slot
from core import clock
from planner.booth_uid import booth_identities
from planner.tables import PlanVersion, Session, SessionState, VersionState

FEED_PAST_DAYS = 30
FEED_STATES = (*VISIBLE_STATES, SessionState.cancelled.value)


@dataclass(frozen=True)
class FeedBooth:
    """One booth of a venue's feed."""

    session_id: int
    date: dt.date
    start: dt.time
    end: dt.time
    state: str  # published | held | cancelled
    uid: str
    sequence: int
    stamp: dt.datetime  # when the booth's plan was last approved: the feed's DTSTAMP, stable between changes
    bookings: int = 0  # active bookings
    people: int = 0  # people in them
    capacity: int = 0  # bookable places
    walk_in: int = 0  # places kept for people who come without booking
    booth_id: int = 0  # the booth's public id (its page's address), the same in every version that continues it

    @property
    def cancelled(self) -> bool:
        return self.state == SessionState.cancelled.value


async def _booking_counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        await Booking.select(Booking.session, Count(alias="n"), Sum(Booking.party_size, alias="people"))
        .where(Booking.session.is_in(session_ids) & Booking.state.is_in(list(ACTIVE_STATES)))
        .group_by(Booking.session)
    )
    return {row["session"]: (int(row["n"]), int(row["people"] or 0)) for row in rows}


async def _places(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        await Slot.select(Slot.session, Sum(Slot.capacity, alias="capacity"), Sum(Slot.walk_in, alias="walk_in"))
        .where(Slot.session.is_in(session_ids))
        .group_by(Slot.session)
    )
    return {row["session"]: (int(row["capacity"] or 0), int(row["walk_in"] or 0)) for row in rows}


async def _approval_times(plan_ids: list[int]) -> dict[int, dt.datetime]:
    """The last approval of each plan (a booth's publication, change or cancellation happened then)."""
    rows = await PlanVersion.select(PlanVersion.plan, PlanVersion.decided_at, PlanVersion.created_at).where(
        PlanVersion.plan.is_in(plan_ids) & (PlanVersion.state == VersionState.approved.value)
    )
    stamps: dict[int, dt.datetime] = {}
    for row in rows:
        moment = row["decided_at"] or row["created_at"]
        if row["plan"] not in stamps or moment > stamps[row["plan"]]:
            stamps[row["plan"]] = moment
    return stamps


async def venue_feed_booths(venue_pk: int, today: dt.date | None = None) -> list[FeedBooth]:
    """The booths of a venue (by its primary key) for its feed, in date order: every published or held booth and
    every cancelled one dated from ``FEED_PAST_DAYS`` before today on. A few queries, whatever the number of booths."""
    since = (today or clock.today()) - dt.timedelta(days=FEED_PAST_DAYS)
    rows = (
        await Session.select(
            Session.id, Session.date, Session.start, Session.end, Session.state, Session.origin, Session.version.plan
        )
        .where((Session.venue == venue_pk) & Session.state.is_in(list(FEED_STATES)) & (Session.date >= since))
        .order_by(Session.date)
        .order_by(Session.start)
        .order_by(Session.id)
    )
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    identities = await booth_identities(ids, {row["id"]: row["origin"] for row in rows})
    counts = await _booking_counts(ids)
    places = await _places(ids)
    stamps = await _approval_times(sorted({row["version.plan"] for row in rows}))
    fallback = clock.now()
    booths = []
    for row in rows:
        identity = identities[row["id"]]
        bookings, people = counts.get(row["id"], (0, 0))
        capacity, walk_in = places.get(row["id"], (0, 0))
        booths.append(
            FeedBooth(
                session_id=row["id"],
                date=row["date"],
                start=row["start"],
                end=row["end"],
                state=row["state"],
                uid=identity.uid,
                sequence=identity.sequence(row["state"]),
                stamp=stamps.get(row["version.plan"], fallback),
                bookings=bookings,
                people=people,
                capacity=capacity,
                walk_in=walk_in,
                booth_id=identity.first_session_id,
            )
        )
    return booths
