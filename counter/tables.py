"""Tables of counter: the permanent offices that serve residents (City Hall, civic centres), the services each
offers with their minutes per person and windows, the days they open beyond weekdays, and the queue tickets (整理券)
of each day. A ticket carries no name: a number, a service and, only when the resident asks to be told their turn
is near, one contact (purged with the day)."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import Boolean, Date, Float, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from venues.tables import Venue


class ServiceKind(str, Enum):
    """What a resident comes to the counter for."""

    pickup = "pickup"  # カードの交付 (受取)
    certificate = "certificate"  # 電子証明書の発行・更新
    pin_reset = "pin_reset"  # 暗証番号の再設定
    application = "application"  # 申請受付
    other = "other"  # 住所変更に伴う券面記載など、その他の手続き


class Office(Table, tablename="counter_office"):
    """A permanent application point that serves residents at windows (City Hall by default). ``code`` names it in
    the CLI (``outreach tickets issue CITYHALL``); ``id`` in its public pages (``/offices/{id}/board``)."""

    id: Serial

    code = Varchar(length=32, unique=True)  # [A-Za-z0-9_-]
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    venue = ForeignKey(references=Venue, on_delete=OnDelete.set_null, null=True, default=None)  # its venue row
    opens = Varchar(length=5, default="09:00")  # HH:MM, Japan time, on the days it opens
    closes = Varchar(length=5, default="17:45")
    opens_weekdays = Boolean(default=True)  # open on every weekday that is not a national holiday or 12/29-1/3
    pickup_enabled = Boolean(default=False)  # takes pickup reservations (交付予約)
    amber_minutes = Integer(default=20)  # the waiting-time colour turns amber at this estimate (混雑ランプ)
    red_minutes = Integer(default=60)  # and red at this one
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class OfficeDay(Table, tablename="counter_office_day"):
    """A day that differs from the office's rule: a designated weekend opening (e.g. one Saturday and one Sunday a
    month from October to March) when ``open``, or a closure of a weekday when not."""

    id: Serial

    office = ForeignKey(references=Office, on_delete=OnDelete.cascade, index=True)
    date = Date(index=True)
    open = Boolean(default=True)
    opens = Varchar(length=5, default="")  # "" = the office's own hours
    closes = Varchar(length=5, default="")
    note = Varchar(length=200, default="")


class CounterService(Table, tablename="counter_service"):
    """A service of an office: its ticket letter (A-001), minutes per person and the windows that serve it."""

    id: Serial

    office = ForeignKey(references=Office, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16, choices=ServiceKind)
    letter = Varchar(length=2)  # the prefix of its ticket numbers: "A" for A-001
    minutes_per_person = Float(default=10.0)  # the planning figure; the estimator learns from served tickets
    windows = Integer(default=1)  # windows that serve it when fully staffed
    reservable = Boolean(default=False)  # pickup reservations may be made for it
    active = Boolean(default=True)


class TicketState(str, Enum):
    waiting = "waiting"  # issued, in the queue
    called = "called"  # called to a window (and recalled while nobody came)
    served = "served"  # the window finished with the visitor
    absent = "absent"  # called and did not come
    cancelled = "cancelled"  # withdrawn (by the resident or reception)


OPEN_TICKET_STATES = (TicketState.waiting.value, TicketState.called.value)


class Ticket(Table, tablename="counter_ticket"):
    """A queue ticket (整理券) for one visit and one service on one day. Its number (``letter``-``number``) is unique
    per service and day, by the database: ``number_key`` is ``"{service id}:{YYYY-MM-DD}:{number}"``."""

    id: Serial

    code = Varchar(length=16, unique=True)  # 80 random bits, Crockford base32: the key of /tickets/{code}
    office = ForeignKey(references=Office, on_delete=OnDelete.restrict, index=True)
    service = ForeignKey(references=CounterService, on_delete=OnDelete.restrict, index=True)
    day = Date(index=True)  # the day in Japan it was issued for
    number = Integer()
    number_key = Varchar(length=48, unique=True)
    state = Varchar(length=16, default=TicketState.waiting.value, choices=TicketState, index=True)
    priority = Integer(default=0)  # 1: a reservation checked in within its grace period goes first inside its slot
    window = Integer(null=True, default=None)  # the window that called it
    language = Varchar(length=8, default="ja")
    notify_email = Varchar(length=254, default="")  # only when the resident asked to be told; purged with the day
    notify_channel = Varchar(length=32, default="")  # "" | "email" | a registered channel (LINE, SMS...)
    notify_address = Varchar(length=254, default="")  # the channel's address for this ticket; purged with the day
    notified_at = Timestamptz(null=True, default=None)  # when "your turn is near" was sent
    issue_key = Varchar(length=64, null=True, default=None, unique=True)  # sha256 of the form's one-time key
    transferred_from = Integer(null=True, default=None)  # the ticket id this one continues (another service)
    reservation = Integer(null=True, default=None)  # the pickup reservation checked in with it, if any
    issued_at = Timestamptz(default=TimestamptzNow())
    called_at = Timestamptz(null=True, default=None)  # the last call
    recalls = Integer(default=0)
    finished_at = Timestamptz(null=True, default=None)  # served, absent or cancelled
    issued_by = Integer(null=True, default=None)
    note = Text(default="")
