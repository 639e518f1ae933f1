"""Tables of booking: the time slots of a published booth (bookings arrive with the booking issue)."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from planner.tables import Session


class Slot(Table, tablename="booking_slot"):
    """A bookable time slot of a booth; ``walk_in`` places stay free for people who come without booking."""

    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True)
    start = Timestamptz()
    end = Timestamptz()
    capacity = Integer()  # bookable places
    walk_in = Integer(default=0)  # places kept for walk-ins
    booked = Integer(default=0)
