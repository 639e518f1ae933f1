"""The demo's waiting list: the nearest booth a few days ahead has a time that filled up, three residents wait for
it (the oldest gave a phone number only), a booking was cancelled, and the oldest is offered the place — what staff
see on that booth's waiting list (a resident to phone) and what the residents' pages show. Everything goes through
the product's own services (booking, waiting list, cancellation), as a resident's requests would."""

from __future__ import annotations

import datetime as dt

from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.booth_waitlist import KIND, public_id
from booking.booths import booking_opens_before
from booking.tables import Slot
from booking.waitlist import WaitRequest, join
from core import clock
from demo.simulation import FICTIONAL_EMAIL_DOMAIN, FICTIONAL_PHONE_PREFIX
from planner.tables import Session, SessionState

DAYS_AHEAD = 3  # the booth with a waiting list: the first one at least this many days after today
MAX_BOOKINGS = 30  # the bookings the scene makes at most to fill the time
# Fictional residents, as the simulation's (demo.simulation: テスト names, 090-0000 phones, example.jp addresses), with
# numbers of their own (99xx) so that no simulated resident at the booth shares their contact.
BOOKERS = ("テスト タロウ", "テスト ハナコ", "テスト ケンタ", "テスト サクラ", "テスト ユイ", "テスト ヒロシ")
WAITING = (
    ("テスト トメ", f"{FICTIONAL_PHONE_PREFIX}9901", ""),  # a phone number only: staff phone her with the offer
    ("テスト ジロウ", "", f"test99902@{FICTIONAL_EMAIL_DOMAIN}"),
    ("テスト ミキ", f"{FICTIONAL_PHONE_PREFIX}9903", f"test99903@{FICTIONAL_EMAIL_DOMAIN}"),
)


async def wait_for_places(now: dt.datetime) -> int:
    """Fill the first time of the nearest booth ``DAYS_AHEAD`` days ahead, put three residents on its waiting list
    and cancel one booking, so that the oldest entry holds an offer. Returns the entries made (0 without such a
    booth)."""
    first_day = now.astimezone(clock.JST).date() + dt.timedelta(days=DAYS_AHEAD)
    session = await (
        Session.select(Session.id)
        .where((Session.state == SessionState.published.value) & (Session.date >= first_day))
        .order_by(Session.date)
        .order_by(Session.start)
        .first()
    )
    if session is None:
        return 0
    slot = await (
        Slot.select(Slot.id, Slot.start, Slot.capacity, Slot.walk_in, Slot.booked)
        .where(Slot.session == session["id"])
        .order_by(Slot.start)
        .first()
    )
    free = slot["capacity"] - slot["booked"] if slot else 0
    if slot is None or not booking_opens_before(slot["start"], now) or free > MAX_BOOKINGS:
        return 0  # (a deployment with very large slots, e.g. the booking benchmark's, gets no scene)
    with clock.frozen(now - dt.timedelta(hours=2)):
        made = []
        for number in range(free):
            request = BookingRequest(
                slot_id=slot["id"],
                name_kana=BOOKERS[number % len(BOOKERS)],
                phone=f"{FICTIONAL_PHONE_PREFIX}99{10 + number:02d}",
            )
            made.append((await create_booking(request))[0])
        scope = await public_id(session["id"])
        for name, phone, email in WAITING:
            await join(KIND, WaitRequest(scope=scope, name_kana=name, phone=phone, email=email, slot_ids=(slot["id"],)))
    if made:
        with clock.frozen(now - dt.timedelta(minutes=30)):
            await cancel_booking(made[0].code, made[0].manage_token)
    return len(WAITING)
