"""A booth's bookable places (予約枠の定員), changed by a lead: raised when more staff come, or lowered, never below
what is booked or held for an offer. More places are offered to the booth's waiting list at once.

Each slot's change is one conditional update (``WHERE booked <= new capacity``): the database decides, so a booking
made at the same moment is never left over capacity, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.booth_waitlist import booth_places_freed
from booking.tables import Slot
from core import clock
from core.audit import record_event
from core.db import write_transaction
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.i18n import gettext as _
from core.users import Actor
from planner.tables import Session, SessionState

MAX_SLOT_CAPACITY = 200
"""The most bookable places one slot may have (a typing error guard)."""


@dataclass(frozen=True)
class SlotPlaces:
    """A slot's places as a lead sees them when changing them."""

    id: int
    start: dt.datetime  # aware, Asia/Tokyo
    end: dt.datetime
    capacity: int  # bookable places
    walk_in: int  # kept for walk-ins
    booked: int  # booked or held for an offer: the least the capacity may be lowered to


@dataclass(frozen=True)
class CapacityChange:
    """What a change did: how many slots changed, and how many offers the freed places made at once."""

    changed: int
    raised: bool
    offers: int


async def slot_places(session_id: int) -> list[SlotPlaces]:
    """A booth's slots with their places, in time order."""
    rows = (
        await Slot.select(Slot.id, Slot.start, Slot.end, Slot.capacity, Slot.walk_in, Slot.booked)
        .where(Slot.session == session_id)
        .order_by(Slot.start)
    )
    return [
        SlotPlaces(
            id=row["id"],
            start=row["start"].astimezone(clock.JST),
            end=row["end"].astimezone(clock.JST),
            capacity=row["capacity"],
            walk_in=row["walk_in"],
            booked=row["booked"],
        )
        for row in rows
    ]


def _check(capacity: int | None) -> int:
    if capacity is None or not 1 <= capacity <= MAX_SLOT_CAPACITY:
        message = _("Enter a number of places from 1 to {most}.").format(most=MAX_SLOT_CAPACITY)
        raise ValidationFailed(message, {"capacity": message})
    return capacity


async def set_capacity(
    actor: Actor, session_id: int, capacity: int | None, slot_id: int | None = None
) -> CapacityChange:
    """Set the bookable places of a published booth's slots (all of them, or the one ``slot_id``) to ``capacity``,
    in one transaction: Conflict, and nothing changed, when a slot has more places booked or held than that. Audited
    (``session.capacity``, each changed slot's time before and after); places added are offered to the booth's
    waiting list after the commit."""
    capacity = _check(capacity)
    session = await Session.select(Session.id, Session.state).where(Session.id == session_id).first()
    if session is None:
        raise NotFound(_("This booth does not exist or is not published."))
    if session["state"] != SessionState.published.value:
        raise InvalidTransition(_("Only the places of a booth that still takes bookings can be changed."))
    changes: dict[str, dict[str, int]] = {}
    raised = False
    async with write_transaction():
        slots = await slot_places(session_id)
        if slot_id is not None:
            slots = [slot for slot in slots if slot.id == slot_id]
            if not slots:
                raise NotFound(_("This time slot does not exist."))
        for slot in slots:
            if slot.capacity == capacity:
                continue
            done = (
                await Slot.update({Slot.capacity: capacity})
                .where((Slot.id == slot.id) & (Slot.booked <= capacity))
                .returning(Slot.id)
            )
            if not done:  # booked meanwhile, or already more than that: the whole change is undone
                now_booked = (await Slot.select(Slot.booked).where(Slot.id == slot.id).first())["booked"]
                raise Conflict(
                    _(
                        "The time {time} has {n} places booked or held for the waiting list: its places cannot be "
                        "fewer than that."
                    ).format(time=slot.start.strftime("%H:%M"), n=now_booked)
                )
            changes[slot.start.strftime("%H:%M")] = {"before": slot.capacity, "after": capacity}
            raised = raised or capacity > slot.capacity
        if changes:
            await record_event(
                actor,
                "session.capacity",
                "session",
                session_id,
                f"capacity {capacity} ({len(changes)} slots)",
                changes,
                scope=f"session:{session_id}",
            )
    offers = await booth_places_freed(session_id) if raised else 0
    return CapacityChange(changed=len(changes), raised=raised, offers=offers)
