"""Walk-ins (当日受付) at a booth and the booth's live status (混雑状況) that residents see.

A walk-in is a party that comes without booking: staff register its party size and hand it a queue number
(整理番号) 1, 2, 3, ... per booth, then call it, serve it, or note that it left. Nothing personal is kept.

The live status of a booth on its day is computed from its slots and walk-ins:

- ``open_places``: places not booked in the slots that have not started yet;
- ``due_parties``: booked parties still expected (confirmed, their slot not over);
- ``released_places``: places of late parties given to walk-ins (booking.checkin.release_late_bookings);
- ``waiting_parties`` / ``waiting_people``: walk-ins waiting or called;
- ``now_serving``: the highest queue number staff have called;
- ``wait_minutes``: the estimated wait of a party that joins the queue now. The booth serves
  ``capacity + walk_in`` people per slot (SLOT_MINUTES): the bookable and the kept places. In each slot, what the
  booked people (``Slot.booked``: confirmed and checked-in parties) leave of that is free for walk-ins, the current
  slot only for the part still to run. Walking through the slots from now, the wait is the time until the people
  already in the queue have used up the free places, rounded up to 5 minutes; None when they use up everything
  left of the booth's day. Before the booth opens the wait is counted from its opening (``phase`` says it is not
  open yet): with nobody queued it is 0, never the hours until the opening.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count, Sum

from booking.tables import Booking, BookingState, Slot, WalkIn, WalkInState
from core import clock
from core.audit import record_event
from core.db import is_sqlite, write_transaction
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.i18n import gettext as _
from core.settings import get_settings
from core.users import Actor
from planner.tables import Session, SessionState

RUNNING_STATES = (SessionState.published.value, SessionState.held.value)
QUEUED_STATES = (WalkInState.waiting.value, WalkInState.called.value)
WAIT_ROUNDING_MINUTES = 5


@dataclass(frozen=True)
class WalkInLine:
    """One walk-in party of a booth's queue."""

    id: int
    number: int
    party_size: int
    state: str  # waiting | called | served | left
    created_at: dt.datetime
    called_at: dt.datetime | None = None
    served_at: dt.datetime | None = None


@dataclass(frozen=True)
class LiveStatus:
    """A booth's situation now (混雑状況): what residents and staff see on the booth's day."""

    as_of: dt.datetime
    phase: str  # "before" (not opened yet) | "open" | "closed" (the last slot is over)
    open_places: int
    due_parties: int
    released_places: int
    waiting_parties: int
    waiting_people: int
    wait_minutes: int | None
    now_serving: int | None
    checked_in_parties: int = 0
    no_show_parties: int = 0
    served_parties: int = 0


@dataclass(frozen=True)
class _SlotRow:
    start: dt.datetime
    end: dt.datetime
    capacity: int
    walk_in: int
    booked: int


def _line(row: dict) -> WalkInLine:
    return WalkInLine(
        id=row["id"],
        number=row["number"],
        party_size=row["party_size"],
        state=row["state"],
        created_at=row["created_at"],
        called_at=row["called_at"],
        served_at=row["served_at"],
    )


async def running_booth(session_id: int) -> dict:
    """The booth's row (id, date, start, state) if it is published or held; NotFound otherwise."""
    row = (
        await Session.select(Session.id, Session.date, Session.start, Session.state)
        .where(Session.id == session_id)
        .first()
    )
    if row is None or row["state"] not in RUNNING_STATES:
        raise NotFound(_("This booth does not exist or is not published."))
    return row


RECEPTION_LEAD_MINUTES = 60  # check-in and walk-ins open this long before the booth, when staff set it up


def reception_opens(date: dt.date, start: dt.time) -> dt.datetime:
    """When check-in and walk-ins open for a booth: RECEPTION_LEAD_MINUTES before it starts (Japan time)."""
    return dt.datetime.combine(date, start, clock.JST) - dt.timedelta(minutes=RECEPTION_LEAD_MINUTES)


def require_booth_day(booth: dict) -> None:
    """Check-in and walk-ins happen on the booth's own date only, from RECEPTION_LEAD_MINUTES before it opens
    (staff may open the page the day before); InvalidTransition with the reason otherwise."""
    if booth["date"] != clock.today():
        raise InvalidTransition(
            _("Reception is only possible on the booth's day ({date}).").format(date=booth["date"].isoformat())
        )
    opens = reception_opens(booth["date"], booth["start"])
    if clock.now() < opens:
        raise InvalidTransition(
            _(
                "Check-in and walk-ins open at {time}, {n} minutes before the booth opens at {start}; it is too "
                "early to register anyone."
            ).format(time=opens.strftime("%H:%M"), n=RECEPTION_LEAD_MINUTES, start=booth["start"].strftime("%H:%M"))
        )


async def queue(session_id: int) -> list[WalkInLine]:
    """Every walk-in of a booth, in queue-number order."""
    rows = await WalkIn.select().where(WalkIn.session == session_id).order_by(WalkIn.number)
    return [_line(row) for row in rows]


async def register_walk_in(actor: Actor, session_id: int, party_size: int) -> WalkInLine:
    """Register a walk-in party and give it the booth's next queue number.

    The number is unique per booth under concurrency: the booth's row is locked for the transaction on PostgreSQL
    (``SELECT ... FOR UPDATE``); on SQLite the write transaction (``BEGIN IMMEDIATE``) already runs alone."""
    most = get_settings().max_party_size
    if not isinstance(party_size, int) or not 1 <= party_size <= most:
        message = _("Party size must be between 1 and {most}.").format(most=most)
        raise ValidationFailed(message, {"party_size": message})
    require_booth_day(await running_booth(session_id))
    async with write_transaction():
        if not is_sqlite():
            await Session.select(Session.id).where(Session.id == session_id).lock_rows("UPDATE")
        last = (
            await WalkIn.select(WalkIn.number)
            .where(WalkIn.session == session_id)
            .order_by(WalkIn.number, ascending=False)
            .first()
        )
        number = (last["number"] if last else 0) + 1
        row = (
            await WalkIn.insert(
                WalkIn(
                    session=session_id,
                    number=number,
                    party_size=party_size,
                    created_at=clock.now(),
                    created_by=actor.id,
                )
            ).returning(*WalkIn.all_columns())
        )[0]
        await record_event(
            actor,
            "walk_in.registered",
            "walk_in",
            row["id"],
            f"No. {number} ({party_size})",
            {"state": {"before": None, "after": "waiting"}},
            scope=f"session:{session_id}",
        )
    return _line(row)


_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "call": (QUEUED_STATES, WalkInState.called.value),
    "serve": (QUEUED_STATES, WalkInState.served.value),
    "left": (QUEUED_STATES, WalkInState.left.value),
}
WALK_IN_ACTIONS = tuple(_TRANSITIONS)


async def move_walk_in(actor: Actor, session_id: int, walk_in_id: int, action: str) -> WalkInLine:
    """Call a waiting party (呼出), mark it served (対応済) or gone (離脱); a party already served or gone stays so."""
    if action not in _TRANSITIONS:
        raise NotFound(_("The page you asked for does not exist."))
    allowed, target = _TRANSITIONS[action]
    require_booth_day(await running_booth(session_id))
    now = clock.now()
    async with write_transaction():
        row = await WalkIn.select().where((WalkIn.id == walk_in_id) & (WalkIn.session == session_id)).first()
        if row is None:
            raise NotFound(_("This walk-in is not in this booth's queue."))
        values: dict = {WalkIn.state: target}
        if target == WalkInState.called.value or (target == WalkInState.served.value and row["called_at"] is None):
            values[WalkIn.called_at] = now
        if target == WalkInState.served.value:
            values[WalkIn.served_at] = now
        moved = (
            await WalkIn.update(values)
            .where((WalkIn.id == walk_in_id) & WalkIn.state.is_in(list(allowed)))
            .returning(*WalkIn.all_columns())
        )
        if not moved:
            raise InvalidTransition(_("No. {number} is no longer in the queue.").format(number=row["number"]))
        await record_event(
            actor,
            f"walk_in.{target}",
            "walk_in",
            walk_in_id,
            f"No. {row['number']}",
            {"state": {"before": row["state"], "after": target}},
            scope=f"session:{session_id}",
        )
    return _line(moved[0])


# --- live status -----------------------------------------------------------------------------------------------


def estimate_wait(slots: Iterable[_SlotRow], ahead: int, now: dt.datetime) -> int | None:
    """Minutes until a party joining now is served (the formula of the module docstring); None when the people
    ``ahead`` use up every free place left of the day. Before the first slot, counted from its start."""
    needed = float(ahead)
    ordered = sorted(slots, key=lambda s: s.start)
    if ordered and now < ordered[0].start:
        now = ordered[0].start  # not open yet: the wait once it opens, not the hours until then
    for slot in ordered:
        if slot.end <= now:
            continue
        begin = max(slot.start, now)
        length = (slot.end - slot.start).total_seconds() / 60
        span = (slot.end - begin).total_seconds() / 60
        free = max(0, slot.capacity + slot.walk_in - slot.booked) * span / length if length > 0 else 0
        if free <= 0:
            continue
        if needed < free:
            minutes = (begin - now).total_seconds() / 60 + needed / free * span
            return WAIT_ROUNDING_MINUTES * math.ceil(round(minutes, 6) / WAIT_ROUNDING_MINUTES)
        needed -= free
    return None


def _phase(slots: list[_SlotRow], now: dt.datetime) -> str:
    if not slots or now < min(s.start for s in slots):
        return "before"
    return "closed" if now >= max(s.end for s in slots) else "open"


async def live_statuses(session_ids: list[int], now: dt.datetime | None = None) -> dict[int, LiveStatus]:
    """The live status of several booths, in five queries whatever their number and their bookings."""
    now = now or clock.now()
    if not session_ids:
        return {}
    slots: dict[int, list[_SlotRow]] = {sid: [] for sid in session_ids}
    slot_times: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    for row in await Slot.select(
        Slot.id, Slot.session, Slot.start, Slot.end, Slot.capacity, Slot.walk_in, Slot.booked
    ).where(Slot.session.is_in(session_ids)):
        slots[row["session"]].append(_SlotRow(row["start"], row["end"], row["capacity"], row["walk_in"], row["booked"]))
        slot_times[row["id"]] = (row["start"], row["end"])
    # The bookings counted by slot and state in the database: a booth's cache reads this every few seconds, and a
    # busy booth has thousands of bookings (read one by one, they held the event loop ~30 ms per read in a rush).
    counted = (
        await Booking.select(Booking.session, Booking.slot, Booking.state, Count().as_alias("parties"))
        .where(
            Booking.session.is_in(session_ids)
            & Booking.state.is_in([BookingState.confirmed.value, BookingState.checked_in.value])
        )
        .group_by(Booking.session, Booking.slot, Booking.state)
    )
    no_shows = (
        await Booking.select(Booking.session, Count().as_alias("parties"))
        .where(Booking.session.is_in(session_ids) & (Booking.state == BookingState.no_show.value))
        .group_by(Booking.session)
    )
    released_rows = (
        await Booking.select(Booking.session, Sum(Booking.party_size).as_alias("released"))
        .where(
            Booking.session.is_in(session_ids)
            & (Booking.state == BookingState.no_show.value)
            & Booking.released_at.is_not_null()
        )
        .group_by(Booking.session)
    )
    walk_ins = await WalkIn.select(
        WalkIn.session, WalkIn.number, WalkIn.party_size, WalkIn.state, WalkIn.called_at
    ).where(WalkIn.session.is_in(session_ids))
    result = {}
    no_show_parties = {row["session"]: row["parties"] for row in no_shows}
    released = {row["session"]: row["released"] or 0 for row in released_rows}
    for sid in session_ids:
        mine = [row for row in counted if row["session"] == sid]
        queue_rows = [w for w in walk_ins if w["session"] == sid]
        waiting = [w for w in queue_rows if w["state"] in QUEUED_STATES]
        called = [w["number"] for w in queue_rows if w["called_at"] is not None]
        result[sid] = LiveStatus(
            as_of=now,
            phase=_phase(slots[sid], now),
            open_places=sum(max(0, s.capacity - s.booked) for s in slots[sid] if s.start > now),
            due_parties=sum(
                row["parties"]
                for row in mine
                if row["state"] == BookingState.confirmed.value and slot_times.get(row["slot"], (now, now))[1] > now
            ),
            released_places=released.get(sid, 0),
            waiting_parties=len(waiting),
            waiting_people=sum(w["party_size"] for w in waiting),
            wait_minutes=estimate_wait(slots[sid], sum(w["party_size"] for w in waiting), now),
            now_serving=max(called) if called else None,
            checked_in_parties=sum(row["parties"] for row in mine if row["state"] == BookingState.checked_in.value),
            no_show_parties=no_show_parties.get(sid, 0),
            served_parties=sum(1 for w in queue_rows if w["state"] == WalkInState.served.value),
        )
    return result


async def live_status(session_id: int, now: dt.datetime | None = None) -> LiveStatus:
    """One booth's live status."""
    return (await live_statuses([session_id], now))[session_id]
