"""Tables of booking: the time slots of a published booth, the residents' bookings (予約), the publicity
placements (掲示・配布場所) their QR codes come from, and the booth day: walk-ins (当日受付), results (実績),
in-office counts (窓口実績), report notes and retention purges."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
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
    state = Varchar(length=16, default=BookingState.confirmed.value, choices=BookingState)
    # sha256 of the manage link's token; "" for bookings made before it was stored (their legacy link opens them)
    manage_token_hash = Varchar(length=64, default="")
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)  # sha256 of the client's key
    request_digest = Varchar(length=64, default="")  # sha256 of the request the key was first used with
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    reminded_at = Timestamptz(null=True, default=None)
    booth_cancelled_notice_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)  # when staff checked the party in at the booth
    released_at = Timestamptz(null=True, default=None)  # when a late party's places went to walk-ins (no_show)
    anonymised_at = Timestamptz(null=True, default=None)  # when the retention purge erased name and contact


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


class WalkInState(str, Enum):
    waiting = "waiting"
    called = "called"
    served = "served"
    left = "left"


class WalkIn(Table, tablename="booth_walk_in"):
    """A party that came to a booth without booking (当日受付): a queue number and a party size, nothing personal."""

    session = ForeignKey(references=Session, on_delete=OnDelete.restrict, index=True)
    number = Integer()  # the queue number handed to the party, 1, 2, ... per booth
    party_size = Integer(default=1)
    state = Varchar(length=16, default=WalkInState.waiting.value, choices=WalkInState)
    created_at = Timestamptz(default=TimestamptzNow())
    called_at = Timestamptz(null=True, default=None)
    served_at = Timestamptz(null=True, default=None)
    created_by = Integer(null=True, default=None)


class BoothResult(Table, tablename="booth_result"):
    """What a booth achieved (実績), entered by staff: applications completed (per hour as well), photos taken,
    inquiries answered and notes."""

    session = ForeignKey(references=Session, on_delete=OnDelete.restrict, unique=True)
    applications = Integer(default=0)
    applications_by_hour = JSON(default={})  # {"10": 3, "11": 5, ...}: hour of the day (Japan time) -> count
    photos = Integer(default=0)
    inquiries = Integer(default=0)
    notes = Text(default="")
    entered_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class OfficeCount(Table, tablename="office_daily_count"):
    """One day's counts at the city's own counters (窓口), reported daily beside the booths' results."""

    date = Date(unique=True)
    card_handovers = Integer(default=0)  # カード交付
    certificates = Integer(default=0)  # 電子証明書の発行・更新
    pin_resets = Integer(default=0)  # 暗証番号の再設定
    card_changes = Integer(default=0)  # 券面事項の変更
    applications = Integer(default=0)  # 申請受付
    phone_calls = Integer(default=0)  # 電話対応
    entered_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class ReportNote(Table, tablename="report_note"):
    """The analysis and improvement section of a daily or monthly report as staff edited it before export."""

    key = Varchar(length=32, unique=True)  # "daily:2027-04-12" | "monthly:2027-04"
    analysis = Text(default="")
    edited_by = Integer(null=True, default=None)
    # The figures the text was saved against (booking.report_analysis.fingerprint): "" when saved before they were
    # recorded; a different fingerprint now means the tables changed after the text was saved.
    figures_hash = Varchar(length=64, default="")
    figures = JSON(default={})  # the totals at saving, to show what changed
    updated_at = Timestamptz(default=TimestamptzNow())


class PurgeRun(Table, tablename="retention_purge_run"):
    """One run of the retention purge (`outreach purge`): what it erased, how many records, when, by whom."""

    kind = Varchar(length=32)  # "scheduled" | "end_of_contract"
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    actor = Varchar(length=200, default="")
    counts = JSON(default={})  # {"bookings_anonymised": 12, "outbox_messages_deleted": 30, ...}
    report_file = Varchar(length=500, default="")


class WaitState(str, Enum):
    waiting = "waiting"  # on the list: offered the first freed places that fit
    offered = "offered"  # places are held for it (taken from the slot's row) until ``offer_expires_at``
    booked = "booked"  # the offer was accepted: ``booking_code`` is the booking it made
    declined = "declined"  # the resident declined the offer (its places went to the next entry)
    expired = "expired"  # the offer was not taken in time (its places went to the next entry)
    left = "left"  # the resident left the list
    closed = "closed"  # the booth (or day) ended, was cancelled, or no time it asked for can still be booked


OPEN_WAIT_STATES = (WaitState.waiting.value, WaitState.offered.value)
WAITLIST_SOURCE = "waitlist"
"""``Booking.source`` of a booking made by accepting a waiting list's offer: the reports count the places filled
from the lists by it."""


class WaitlistEntry(Table, tablename="waitlist_entry"):
    """A resident waiting for a freed place (空きが出たら知らせる) at a booth (``kind`` "booth", ``scope`` the
    booth's session id) or at another kind of bookable day that registers itself with booking.waitlist (the
    counter's pickup days: ``kind`` "pickup", ``scope`` the service id). ``slot_ids`` are the times that suit
    ([]: any time of the day). An offer holds places by taking them from the slot's row with the same conditional
    update as a booking, so nobody else can book them; accepting turns the hold into an ordinary booking. Name,
    contact and ``extra`` (what the kind's booking needs besides, e.g. notice numbers) are personal data, purged on
    the bookings' schedule."""

    id: Serial

    code = Varchar(length=16, unique=True)  # 80 random bits, like a booking's
    token_hash = Varchar(length=64)  # sha256 of the secret in the resident's link (view, accept, decline, leave)
    offer_token_hash = Varchar(length=64, default="")  # sha256 of the secret in the offer's email (opens it too)
    kind = Varchar(length=16, default="booth")
    scope = Integer(index=True)  # booth: the session id; pickup: the service id
    day = Date(index=True)  # the day in Japan (a booth's date), for staff lists, reports and purges
    slot_ids = JSON(default=[])
    party_size = Integer(default=1)
    name_kana = Varchar(length=100, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    language = Varchar(length=8, default="ja")
    extra = JSON(default={})
    state = Varchar(length=16, default=WaitState.waiting.value, choices=WaitState, index=True)
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)  # sha256 of the client's key
    offered_slot = Integer(null=True, default=None)  # the slot (of the kind's table) whose places are held
    offered_at = Timestamptz(null=True, default=None)
    offer_expires_at = Timestamptz(null=True, default=None, index=True)
    offers = Integer(default=0)  # offers made to it (one unless the kind re-offers)
    booking_code = Varchar(length=16, default="")  # the booking an accepted offer made
    handled_by = Integer(null=True, default=None)  # the staff user who accepted or declined it on the phone
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)  # booked, declined, expired, left or closed
    anonymised_at = Timestamptz(null=True, default=None)
