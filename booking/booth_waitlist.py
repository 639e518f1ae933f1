"""The booths' waiting list (the kind "booth" of booking.waitlist): a list per booth, keyed by the booth's public
id (its first session's id, which it keeps across plan versions), offering its slots' freed places.

``booth_places_freed(session_id)`` is what every path that gives places back calls (a cancellation, a move, a late
booking released to walk-ins, more capacity, new slots): it is one cheap read when nobody waits."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, replace

from booking import notices
from booking.bookings import (
    BookingRequest,
    _check_contact_limit,
    _details,
    _release_places,
    _row,
    _take_places,
    validate,
)
from booking.booths import booking_opens_before, party_room
from booking.codes import new_manage_token, token_hash, token_matches
from booking.schemas import BookingDetails, Booth, BoothSlot, Needs
from booking.tables import WAITLIST_SOURCE, Booking, BookingState, Slot, WaitlistEntry, WaitState
from booking.waitlist import (
    OpenSlot,
    WaitEntry,
    WaitKind,
    WaitRequest,
    _not_found,
    accept,
    decline,
    get_entry,
    join,
    leave,
    offer_until,
    places_freed,
    register_kind,
)
from core import clock
from core.db import is_sqlite
from core.errors import Conflict, NotFound
from core.i18n import gettext as _
from core.settings import get_settings
from planner.booth_uid import booth_identity, current_session
from planner.tables import Session, SessionState

KIND = "booth"


async def public_id(session_id: int) -> int:
    """The booth's public id for any id it ever had; NotFound for an id no published booth had."""
    current = await current_session(session_id)
    if current is None:
        raise NotFound(_("This booth does not exist."))
    return (await booth_identity(current)).first_session_id


async def _current(scope: int) -> dict | None:
    current = await current_session(scope)
    if current is None:
        return None
    return await Session.select(Session.id, Session.date, Session.state).where(Session.id == current).first()


async def day_of(scope: int, day: dt.date | None = None) -> dt.date:
    """The booth's date (a booth's list has its one day, whatever was asked)."""
    session = await _current(scope)
    if session is None:
        raise NotFound(_("This booth does not exist."))
    if session["state"] != SessionState.published.value:
        raise Conflict(_("This booth is not taking bookings."))
    return session["date"]


async def open_slots(scope: int, day: dt.date, now: dt.datetime) -> list[OpenSlot]:
    """The booth's slots that still take bookings online, in time order, with the room each has for a party."""
    session = await _current(scope)
    if session is None or session["state"] != SessionState.published.value or session["date"] != day:
        return []
    cutoff = dt.timedelta(minutes=get_settings().booking_cutoff_minutes)
    rows = (
        await Slot.select(Slot.id, Slot.start, Slot.end, Slot.capacity, Slot.walk_in, Slot.booked)
        .where(Slot.session == session["id"])
        .order_by(Slot.start)
    )
    return [
        OpenSlot(
            id=row["id"],
            start=row["start"].astimezone(clock.JST),
            end=row["end"].astimezone(clock.JST),
            closes_at=row["start"] - cutoff,
            room=party_room(row["capacity"], row["walk_in"], row["booked"]),
        )
        for row in rows
        if booking_opens_before(row["start"], now)
    ]


def waitable(shown: Booth, now: dt.datetime | None = None) -> list[BoothSlot]:
    """The times of a booth (as residents see it) its waiting list can still offer: the booth takes bookings, and the
    time's online booking closes late enough for an offer to be held (booking.waitlist.offer_until). Read from the
    booth as shown (no query), for its page and its waiting list's form."""
    if shown.state != SessionState.published.value or shown.over:
        return []
    now = now or clock.now()
    cutoff = dt.timedelta(minutes=get_settings().booking_cutoff_minutes)
    return [slot for slot in shown.slots if offer_until(slot.start - cutoff, now) is not None]


async def lock(scope: int, day: dt.date) -> None:
    """Joins of one booth's list take turns (PostgreSQL: its current session's row FOR UPDATE, as walk-ins do), so
    that one contact is written once however many joins arrive at the same moment."""
    if is_sqlite():  # write transactions take turns already
        return
    current = await current_session(scope)
    if current is not None:
        await Session.select(Session.id).where(Session.id == current).lock_rows("UPDATE")


async def admit(request: WaitRequest, day: dt.date) -> None:
    """A contact that already holds the booth's limit of bookings (BOOKINGS_PER_CONTACT) could never accept an offer:
    refused with the booking's own message, before any place is held for it."""
    current = await current_session(request.scope)
    if current is not None:
        await _check_contact_limit(current, request.phone, request.email)


def check(request: WaitRequest) -> WaitRequest:
    """Name, contact, party size and language by the booking's own rules (the same messages)."""
    checked = validate(
        BookingRequest(
            slot_id=0,
            name_kana=request.name_kana,
            phone=request.phone,
            email=request.email,
            party_size=request.party_size,
            language=request.language,
        )
    )
    return replace(
        request,
        name_kana=checked.name_kana,
        party_size=checked.party_size,
        phone=checked.phone,
        email=checked.email,
        language=checked.language,
        extra={},
    )


def _manage_token(booking_code: str, key: str) -> str:
    """The booking's manage token, derived from the key the offer was accepted with (the entry's token, or staff's
    marker), so that accepting again shows the same link although only its hash is stored."""
    return new_manage_token(booking_code, "waitlist-accept:" + key)


async def book(entry: WaitEntry, slot_id: int, code: str, key: str) -> BookingDetails:
    """The booking of an accepted offer (its places are held already), in the acceptance's transaction."""
    slot = await Slot.select(Slot.id, Slot.session).where(Slot.id == slot_id).first()
    if slot is None:  # pragma: no cover - slots with bookings or holds are never deleted
        raise NotFound(_("This time slot does not exist."))
    session = await Session.select(Session.state).where(Session.id == slot["session"]).first()
    if session is None or session["state"] != SessionState.published.value:  # cancelled while the offer was held
        raise Conflict(_("This booth is not taking bookings."))
    await _check_contact_limit(slot["session"], entry.phone, entry.email)
    token = _manage_token(code, key)
    now = clock.now()
    await Booking.insert(
        Booking(
            code=code,
            slot=slot_id,
            session=slot["session"],
            party_size=entry.party_size,
            name_kana=entry.name_kana,
            phone=entry.phone,
            email=entry.email,
            language=entry.language,
            needs=json.dumps(asdict(Needs())),
            readiness=json.dumps({}),
            source=WAITLIST_SOURCE,
            state=BookingState.confirmed.value,
            manage_token_hash=token_hash(token),
            created_at=now,
            updated_at=now,
        )
    )
    details = await _details(await _row(code), token=token)
    await notices.booking_confirmed(details)
    return details


async def booked(entry: WaitEntry, key: str) -> BookingDetails:
    """The booking an accepted entry made, with its manage link when ``key`` is the one it was accepted with."""
    row = await _row(entry.booking_code)
    if row is None:  # pragma: no cover - bookings are never deleted
        raise NotFound(_("This booking does not exist."))
    token = _manage_token(row["code"], key)
    return await _details(row, token=token if token_matches(row["code"], token, row["manage_token_hash"]) else "")


async def joined(entry: WaitEntry) -> None:
    from booking.booths import booth

    shown = await booth(entry.scope)
    if shown is not None:
        await notices.waitlist_joined(entry, shown)


async def closed(entry: WaitEntry) -> None:
    from booking.booths import booth

    shown = await booth(entry.scope)
    if shown is not None:
        await notices.waitlist_closed(entry, shown)


async def offer_made(entry: WaitEntry, slot: OpenSlot, token: str) -> None:
    await notices.waitlist_offer(entry, slot, token)


async def booth_places_freed(session_id: int, anyone_waiting: bool | None = None) -> int:
    """Places of a booth were given back: offer them to its waiting list (one read when nobody waits anywhere, none
    when the caller read ``anyone_waiting`` in its own statement, as a cancellation on PostgreSQL does)."""
    if anyone_waiting is None:
        anyone_waiting = await WaitlistEntry.exists().where(
            (WaitlistEntry.kind == KIND) & (WaitlistEntry.state == WaitState.waiting.value)
        )
    if not anyone_waiting:
        return 0
    session = await Session.select(Session.date).where(Session.id == session_id).first()
    try:
        scope = await public_id(session_id)
    except NotFound:
        return 0
    return await places_freed(KIND, scope, session["date"])


# --- what the residents' API and pages call: a booth's entry by code and token ----------------------------------------


async def join_booth(
    session_id: int, request: WaitRequest, idempotency_key: str | None = None
) -> tuple[WaitEntry, bool]:
    """Join the list of the booth that ``session_id`` names (its public id or any of its sessions' ids); NotFound
    for an id no published booth had. Returns the entry and whether it was made now (booking.waitlist.join)."""
    return await join(KIND, replace(request, scope=await public_id(session_id)), idempotency_key)


async def booth_entry(code: str, token: str | None) -> WaitEntry:
    """A booth's entry opened with its link's token; NotFound for a wrong code or token, or another kind's entry."""
    entry = await get_entry(code, token)
    if entry.kind != KIND:
        raise _not_found()
    return entry


async def accept_booth_offer(code: str, token: str | None) -> tuple[BookingDetails, bool]:
    """Accept a booth entry's offer with its token: the booking, and whether it was made now (False: accepted
    before, the same booking)."""
    await booth_entry(code, token)
    _entry, details, created = await accept(code, token)
    return details, created


async def decline_booth_offer(code: str, token: str | None) -> WaitEntry:
    await booth_entry(code, token)
    return await decline(code, token)


async def leave_booth_list(code: str, token: str | None) -> WaitEntry:
    await booth_entry(code, token)
    return await leave(code, token)


async def offered_times(entry: WaitEntry) -> tuple[dt.datetime, dt.datetime] | None:
    """The start and end (Japan's time) of the slot an entry was offered, if it was."""
    if entry.offered_slot is None:
        return None
    row = await Slot.select(Slot.start, Slot.end).where(Slot.id == entry.offered_slot).first()
    if row is None:  # pragma: no cover - slots with bookings or holds are never deleted
        return None
    return row["start"].astimezone(clock.JST), row["end"].astimezone(clock.JST)


def register() -> None:
    """The booths' kind of waiting list (called by ``wiring.register``)."""
    register_kind(
        WaitKind(
            name=KIND,
            day_of=day_of,
            open_slots=open_slots,
            take=_take_places,
            release=_release_places,
            check=check,
            book=book,
            booked=booked,
            joined=joined,
            offer_made=offer_made,
            closed=closed,
            lock=lock,
            admit=admit,
        )
    )
