"""Published booths as residents see them: venue, times, slots and remaining places (the public read path)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from booking.schemas import Booth, BoothSlot
from booking.tables import Slot
from booking.walkins import LiveStatus, live_statuses
from core import clock
from core.geo import haversine_km
from core.settings import get_settings
from core.shared_read import SharedRead
from planner.booth_uid import booth_identities, current_session
from planner.tables import Session, SessionState
from venues.english import english_name

VISIBLE_STATES = (SessionState.published.value, SessionState.held.value)

_SESSION_COLUMNS = (
    Session.id,
    Session.origin,
    Session.date,
    Session.start,
    Session.end,
    Session.day_type,
    Session.state,
    Session.venue.venue_id,
    Session.venue.name,
    Session.venue.name_en,
    Session.venue.name_kana,
    Session.venue.address,
    Session.venue.lat,
    Session.venue.lon,
    Session.venue.wheelchair,
    Session.venue.barrier_free_toilet,
    Session.venue.accessible_route,
    Session.venue.priority_parking,
    Session.venue.phone,
    Session.venue.url,
)

logger = logging.getLogger(__name__)


def booking_opens_before(slot_start: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Whether a slot starting at ``slot_start`` still takes bookings (the cut-off has not passed)."""
    return booking_open_after(now or clock.now()) < slot_start


def booking_open_after(now: dt.datetime) -> dt.datetime:
    """The slots that start after this moment still take bookings at ``now`` (for many slots at once)."""
    return now + dt.timedelta(minutes=get_settings().booking_cutoff_minutes)


def party_room(capacity: int, walk_in: int, booked: int) -> int:
    """The largest party a slot can take: its free bookable places; or, while nobody has booked it, all its places,
    walk-in ones included, so that a family larger than the bookable share comes together. The conditional updates
    of booking.bookings (``_TAKE_CONDITION``) enforce exactly this."""
    return capacity + walk_in if booked == 0 else max(0, capacity - booked)


def booth_over(date: dt.date, end: dt.time, now: dt.datetime) -> bool:
    """Whether a booth held on ``date`` until ``end`` (Japan time) has ended by ``now``."""
    return dt.datetime.combine(date, end, tzinfo=clock.JST) <= now


def _booth(row: dict, slots: list[dict], now: dt.datetime, public_id: int) -> Booth:
    open_slots = []
    for slot in slots:
        opens = booking_opens_before(slot["start"], now)
        open_slots.append(
            BoothSlot(
                id=slot["id"],
                start=slot["start"].astimezone(clock.JST),
                end=slot["end"].astimezone(clock.JST),
                capacity=slot["capacity"],
                remaining=max(0, slot["capacity"] - slot["booked"]) if opens else 0,
                room=party_room(slot["capacity"], slot["walk_in"], slot["booked"]) if opens else 0,
            )
        )
    over = booth_over(row["date"], row["end"], now)
    bookable = row["state"] == SessionState.published.value and not over
    return Booth(
        id=public_id,
        session_id=row["id"],
        date=row["date"],
        start=row["start"],
        end=row["end"],
        day_type=row["day_type"],
        state=row["state"],
        venue_id=row["venue.venue_id"],
        venue_name=row["venue.name"],
        venue_name_en=row["venue.name_en"] or english_name(row["venue.name"], row["venue.name_kana"]),
        address=row["venue.address"],
        lat=row["venue.lat"],
        lon=row["venue.lon"],
        wheelchair=row["venue.wheelchair"],
        barrier_free_toilet=row["venue.barrier_free_toilet"],
        accessible_route=row["venue.accessible_route"],
        priority_parking=row["venue.priority_parking"],
        phone=row["venue.phone"],
        url=row["venue.url"],
        remaining=sum(slot.remaining for slot in open_slots) if bookable else 0,
        slots=tuple(open_slots)
        if bookable
        else tuple(BoothSlot(id=s.id, start=s.start, end=s.end, capacity=s.capacity, remaining=0) for s in open_slots),
        over=over,
    )


async def _slots_by_session(session_ids: list[int]) -> dict[int, list[dict]]:
    by_session: dict[int, list[dict]] = {sid: [] for sid in session_ids}
    if not session_ids:
        return by_session
    rows = (
        await Slot.select(Slot.id, Slot.session, Slot.start, Slot.end, Slot.capacity, Slot.walk_in, Slot.booked)
        .where(Slot.session.is_in(session_ids))
        .order_by(Slot.start)
    )
    for row in rows:
        by_session[row["session"]].append(row)
    return by_session


async def slot_counts(session_ids: list[int]) -> dict[int, int]:
    """How many bookable slots each of these sessions has (published booths have them; others none)."""
    if not session_ids:
        return {}
    counts: dict[int, int] = {}
    for row in await Slot.select(Slot.session).where(Slot.session.is_in(session_ids)):
        counts[row["session"]] = counts.get(row["session"], 0) + 1
    return counts


async def upcoming_booths() -> list[Booth]:
    """Every published booth that has not ended (today's until its closing time), in date order, with its slots
    (two queries). A past booth is on no list, map or feed of residents; its own page says it is over."""
    now = clock.now()
    rows = (
        await Session.select(*_SESSION_COLUMNS)
        .where(Session.state.is_in(list(VISIBLE_STATES)) & (Session.date >= now.astimezone(clock.JST).date()))
        .order_by(Session.date)
        .order_by(Session.start)
        .order_by(Session.id)
    )
    rows = [row for row in rows if not booth_over(row["date"], row["end"], now)]
    slots = await _slots_by_session([row["id"] for row in rows])
    public = await booth_identities([row["id"] for row in rows], {row["id"]: row["origin"] for row in rows})
    return [_booth(row, slots[row["id"]], now, public[row["id"]].first_session_id) for row in rows]


async def booth(session_id: int) -> Booth | None:
    """One booth as residents see it, in any state residents may follow a link to (cancelled ones included), by any
    id it ever had (its public id, or that of any version's session): the booth as the latest approved version has
    it. None for an id that no published booth had."""
    current = await current_session(session_id)
    if current is None:
        return None
    row = (
        await Session.select(*_SESSION_COLUMNS)
        .where((Session.id == current) & Session.state.is_in([*VISIBLE_STATES, SessionState.cancelled.value]))
        .first()
    )
    if row is None:
        return None
    slots = await _slots_by_session([current])
    public = (await booth_identities([current], {current: row["origin"]}))[current].first_session_id
    return _booth(row, slots[current], clock.now(), public)


async def booth_without_slots(session_id: int) -> Booth:
    """A booth's venue and times (its slots are not read)."""
    row = await Session.select(*_SESSION_COLUMNS).where(Session.id == session_id).first()
    public = (await booth_identities([session_id], {session_id: row["origin"]}))[session_id].first_session_id
    return _booth(row, [], clock.now(), public)


@dataclass(frozen=True)
class FirstAnnounced:
    """Where and when a booth was first published, shown on its page when a change has moved it since (the date
    printed on its first flyers)."""

    date: dt.date
    start: dt.time
    end: dt.time
    venue_name: str
    venue_name_en: str

    def display_name(self, locale: str) -> str:
        return self.venue_name_en if locale == "en" and self.venue_name_en else self.venue_name


async def first_announced(shown: Booth) -> FirstAnnounced | None:
    """The booth as first published, when a change after approval has moved it (date, time or venue) since; None
    for a booth that is where and when it was first announced."""
    if shown.id == shown.session_id:
        return None
    row = (
        await Session.select(Session.date, Session.start, Session.end, Session.venue.name, Session.venue.name_en)
        .where(Session.id == shown.id)
        .first()
    )
    if row is None:
        return None
    first = FirstAnnounced(row["date"], row["start"], row["end"], row["venue.name"], row["venue.name_en"])
    same = (first.date, first.start, first.end, first.venue_name) == (
        shown.date,
        shown.start,
        shown.end,
        shown.venue_name,
    )
    return None if same else first


async def todays_live(booths: list[Booth]) -> dict[int, LiveStatus]:
    """The live status (walk-in wait, places) of the booths held today, by session id, in a few queries whatever
    their number."""
    today = clock.today()
    ids = [b.session_id for b in booths if b.date == today and b.state in VISIBLE_STATES]
    return await live_statuses(ids) if ids else {}


def with_distance(booths: list[Booth], lat: float, lon: float) -> list[Booth]:
    """The booths nearest first, each with its straight-line distance in km."""
    from dataclasses import replace

    measured = [replace(b, distance_km=round(haversine_km((lat, lon), (b.lat, b.lon)), 2)) for b in booths]
    return sorted(measured, key=lambda b: (b.distance_km, b.date, b.start))


@dataclass(frozen=True)
class BoothFilter:
    """What residents narrow the booth list by."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    day_type: str | None = None  # "weekday" | "holiday"
    wheelchair: bool = False
    parking: bool = False
    bookable_only: bool = False


def filter_booths(booths: list[Booth], wanted: BoothFilter) -> list[Booth]:
    """The booths that match every condition of ``wanted``."""
    return [
        b
        for b in booths
        if (wanted.date_from is None or b.date >= wanted.date_from)
        and (wanted.date_to is None or b.date <= wanted.date_to)
        and (not wanted.day_type or b.day_type == wanted.day_type)
        and (not wanted.wheelchair or b.wheelchair)
        and (not wanted.parking or b.priority_parking)
        and (not wanted.bookable_only or b.remaining > 0)
    ]


KEPT_KEYS = 64  # BoothCache.keep: at most this many keys between two reads


class BoothCache:
    """The upcoming booths, read at most every ``ttl`` seconds per process (the public read path). A booking is
    always checked against the database; only the displayed numbers may lag, by ``ttl`` and one read. Today's booths
    come with their live status (read with the booths, so that a page rendered from the cache shows both as of one
    moment).

    While requests keep coming the list is never waited for: when it is older than ``ttl`` the request that notices
    starts one read in the background and every request meanwhile gets the list as it was. (Waiting made every
    booking and page of the worker stand still for the read, about 30 ms, every ``ttl`` seconds: the slowest percent
    of a rush.) The first read, the first after ``invalidate()`` and the first after a quiet spell (the list older
    than twice ``ttl``) are waited for, so that no one is shown a list older than that."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._booths: list[Booth] | None = None
        self._by_id: dict[int, Booth] = {}
        self._live: dict[int, LiveStatus] = {}
        self._read_at = 0.0
        self._reading = SharedRead()  # a read in the background and requests that must wait share one read
        self._memo: dict[tuple, Any] = {}
        self._kept: dict[tuple, Any] = {}
        self._background: asyncio.Task | None = None

    async def booths(self) -> list[Booth]:
        age = time.monotonic() - self._read_at
        if self._booths is not None and age < 2 * self.ttl:
            if age >= self.ttl and not self._reading.running:
                self._background = asyncio.create_task(self._read_in_background())
            return self._booths
        await self._reading.run(self._read)
        assert self._booths is not None
        return self._booths

    async def _read(self) -> None:
        booths = await upcoming_booths()
        live = await todays_live(booths)
        # By public id and by the current session's id: both name the same booth (a public id is the first session
        # of its booth, never a later session of another), so a link and a booking's session both find it.
        by_id = {b.session_id: b for b in booths} | {b.id: b for b in booths}
        self._live, self._by_id = live, by_id
        self._booths, self._read_at, self._memo, self._kept = booths, time.monotonic(), {}, {}

    async def _read_in_background(self) -> None:
        try:
            await self._reading.run(self._read)
        except Exception:  # the list as it was stays; the next request after ``ttl`` tries again
            logger.exception("reading the public booth list failed")
            self._read_at = time.monotonic()

    def memo(self, key: tuple, build: Callable[[], Any]) -> Any:
        """What ``build()`` made of the current booths for ``key`` (e.g. an encoded response), kept until the next
        read; at most 512 keys."""
        if key not in self._memo:
            if len(self._memo) >= 512:
                self._memo.clear()
            self._memo[key] = build()
        return self._memo[key]

    async def booth(self, session_id: int) -> Booth | None:
        await self.booths()
        return self._by_id.get(session_id) or await booth(session_id)

    def keep(self, key: tuple, value: Any) -> None:
        """Keep ``value`` for ``key`` until the next read, unless ``KEPT_KEYS`` keys are kept already: the first ones
        asked for since the read stay, whatever else comes (a flood of distinct keys cannot push them out)."""
        if key in self._kept or len(self._kept) < KEPT_KEYS:
            self._kept[key] = value

    def kept(self, key: tuple) -> Any:
        """What keep() holds for ``key`` for the current booths, or None."""
        return self._kept.get(key)

    def peek(self, key: tuple) -> Any:
        """What memo() holds for ``key`` for the current booths, or None."""
        return self._memo.get(key)

    def cached(self, session_id: int) -> Booth | None:
        """The booth as last read (without reading again), or None."""
        return self._by_id.get(session_id)

    def live(self) -> dict[int, LiveStatus]:
        """The live status of today's booths as last read (call ``booths()`` first), by session id."""
        return self._live

    def invalidate(self) -> None:
        """The next request waits for a fresh read (staff changed what the list shows, e.g. a walk-in)."""
        self._booths, self._read_at = None, 0.0


def group_by_venue(booths: list[Booth]) -> list[tuple[Booth, ...]]:
    """The booths grouped by venue, each group in date order, the groups in the order their venue first comes
    (nearest first in a list sorted by distance): a venue is one entry with its next dates, not four entries."""
    groups: dict[str, list[Booth]] = {}
    for booth in booths:
        groups.setdefault(booth.venue_id, []).append(booth)
    return [tuple(sorted(group, key=lambda b: (b.date, b.start))) for group in groups.values()]
