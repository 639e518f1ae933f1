"""Tables of booking: the time slots of a published booth, the residents' bookings (予約) and the publicity
placements (掲示・配布場所) their QR codes come from."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from planner.tables import Session
from venues.tables import Venue


class Slot(Table, tablename="booking_slot"):
    """A bookable time slot of a booth; ``walk_in`` places stay free for people who come without booking."""

    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True)
    start = Timestamptz()
    end = Timestamptz()
    capacity = Integer()  # bookable places
    walk_in = Integer(default=0)  # places kept for walk-ins
    booked = Integer(default=0)  # places taken by active bookings: changed only by conditional updates


class BookingState(str, Enum):
    confirmed = "confirmed"
    checked_in = "checked_in"
    cancelled = "cancelled"
    no_show = "no_show"


ACTIVE_STATES = (BookingState.confirmed.value, BookingState.checked_in.value)


class Booking(Table, tablename="resident_booking"):
    """A resident's booking of places in a slot. Name and contact are personal data (DESIGN §7): nothing else
    about the person is kept, and they are erased on schedule."""

    code = Varchar(length=16, unique=True)  # 80 random bits, Crockford base32; the resident's key with the token
    slot = ForeignKey(references=Slot, on_delete=OnDelete.restrict, index=True)
    session = ForeignKey(references=Session, on_delete=OnDelete.restrict, index=True)
    party_size = Integer(default=1)
    name_kana = Varchar(length=100)
    phone = Varchar(length=32, default="")  # digits only
    email = Varchar(length=254, default="")
    language = Varchar(length=8, default="ja")
    needs = JSON(default={})  # {"wheelchair": bool, "large_print": bool, "interpreter": "vi"}
    readiness = JSON(default={})  # the answers of the readiness check
    source = Varchar(length=64, default="")  # which flyer or link the resident came from
    state = Varchar(length=16, default=BookingState.confirmed.value, choices=BookingState, index=True)
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)  # sha256 of the client's key
    request_digest = Varchar(length=64, default="")  # sha256 of the request the key was first used with
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    reminded_at = Timestamptz(null=True, default=None)
    booth_cancelled_notice_at = Timestamptz(null=True, default=None)


class Placement(Table, tablename="publicity_placement"):
    """Where publicity appears (a poster at a shop, a newsletter issue, a LINE post): its ``code`` rides in the QR
    URLs of its flyers (``?src=CODE``) and is recorded as a booking's ``source``."""

    code = Varchar(length=64, unique=True)  # [A-Za-z0-9_.-]; never changes once printed
    name = Varchar(length=200)
    kind = Varchar(length=32, default="other")  # poster | newsletter | social | web | other
    venue = ForeignKey(references=Venue, on_delete=OnDelete.set_null, null=True, default=None)  # where it hangs
    notes = Text(default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = Integer(null=True, default=None)
