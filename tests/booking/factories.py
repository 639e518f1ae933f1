"""Test rows for booking: booths published directly (without going through the planner and review)."""

from __future__ import annotations

import datetime as dt

from booking.codes import new_manage_token, token_hash
from booking.services import slot_times
from booking.tables import Booking, Slot
from planner.model import Parameters
from planner.services import parameters_to_json
from planner.tables import Plan, PlanVersion, Session, SessionState
from tests.venues.factories import make_venue


async def publish_booth(
    date: dt.date = dt.date(2027, 6, 5),
    *,
    venue: dict | None = None,
    capacity: int = 4,
    walk_in: int = 2,
    start: dt.time = dt.time(10),
    end: dt.time = dt.time(17),
    slot_minutes: int = 30,
    state: str = SessionState.published.value,
    **venue_values,
) -> dict:
    """A published session at a venue with its slots; returns {"session", "venue", "slots"}."""
    venue = venue or await make_venue(**venue_values)
    plan = (
        await Plan.insert(Plan(title="テスト計画", start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31))).returning(
            Plan.id
        )
    )[0]["id"]
    parameters = parameters_to_json(Parameters(start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31)))
    version = (
        await PlanVersion.insert(PlanVersion(plan=plan, state="approved", parameters=parameters)).returning(
            PlanVersion.id
        )
    )[0]["id"]
    day_type = "holiday" if date.weekday() >= 5 else "weekday"
    session = (
        await Session.insert(
            Session(version=version, venue=venue["id"], date=date, start=start, end=end, day_type=day_type, state=state)
        ).returning(Session.id)
    )[0]["id"]
    await Slot.insert(
        *[
            Slot(session=session, start=a, end=b, capacity=capacity, walk_in=walk_in)
            for a, b in slot_times(date, start, end, slot_minutes)
        ]
    )
    slots = await Slot.select().where(Slot.session == session).order_by(Slot.start)
    return {"session": session, "venue": venue, "slots": slots}


async def manage_token_of(code: str) -> str:
    """A working manage token for a booking whose own token the test did not keep: a new one, stored hashed as
    re-issuing does (the old one stops working)."""
    token = new_manage_token(code)
    await Booking.update({Booking.manage_token_hash: token_hash(token)}).where(Booking.code == code)
    return token
