"""The API's request and response types (hand-written msgspec Structs) and how domain objects become them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from booking.bookings import MAX_TYPED
from booking.schemas import BookingDetails, Booth, BoothSlot
from booking.walkins import LiveStatus
from core.db import MAX_ID
from portal.web.ids import Id


def typed(field: str, description: str) -> Meta:
    """A text field's constraints as the booking service checks them (booking.bookings.MAX_TYPED)."""
    return Meta(max_length=MAX_TYPED[field], description=description)


class VenueOut(msgspec.Struct):
    id: str
    name: str
    name_en: str
    address: str
    lat: float
    lon: float
    wheelchair: bool
    barrier_free_toilet: bool
    accessible_route: bool
    priority_parking: bool


class SlotOut(msgspec.Struct):
    id: int
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int
    room: int  # the largest party that can book this slot now (a family may have a slot nobody has booked)


class LiveOut(msgspec.Struct):
    """A booth's situation on its day (booking.walkins.LiveStatus): places, walk-in queue and estimated wait."""

    as_of: dt.datetime
    phase: str  # before | open | closed
    open_places: int  # places not booked in the slots that have not started
    due_parties: int  # booked parties still expected
    released_places: int  # places of late parties given to walk-ins
    waiting_parties: int  # walk-in parties waiting or called
    waiting_people: int
    # estimated wait of a party joining the queue now (before opening: counted from the opening); null: longer than
    # the rest of the day
    wait_minutes: int | None
    now_serving: int | None  # the last queue number called


class SessionOut(msgspec.Struct, omit_defaults=True):
    id: int
    date: dt.date
    start: str
    end: str
    day_type: str
    state: str
    venue_id: str
    venue_name: str
    lat: float
    lon: float
    venue: VenueOut
    capacity: int
    remaining: int
    url: str
    distance_km: float | None = None
    slots: list[SlotOut] | None = None
    live: LiveOut | None = None  # only for a booth held today (the booth map shows it too)
    largest_party: int = 0  # the largest party that can book one of its slots now
    over: bool = False  # the booth has ended: it takes no bookings (only a booth's own address shows one)


class NeedsIn(msgspec.Struct):
    wheelchair: bool = False
    large_print: bool = False
    interpreter: Annotated[str, typed("interpreter", "an interpreter language: en, zh, ko, vi, pt, ..., other")] = ""


class BookingIn(msgspec.Struct):
    """A booking request: a phone or an email (at least one), never anything else about the person. Types are
    strict: ``"party_size": "2"`` is a 422, as is a phone or email that is not one valid number or address."""

    slot_id: Id
    name_kana: Annotated[str, typed("name_kana", "the name in katakana (or Latin letters as on the residence card)")]
    party_size: Annotated[int, Meta(ge=1, le=MAX_ID, description="people (at most the city's party size)")] = 1
    phone: Annotated[str, typed("phone", "a Japanese phone number of 10 or 11 digits")] | None = None
    email: Annotated[str, typed("email", "one email address")] | None = None
    language: Annotated[str, typed("language", "ja, en, ja-easy, zh-hans, ko or vi")] | None = None
    needs: NeedsIn | None = None
    readiness: Annotated[dict[str, bool], Meta(max_length=16)] | None = None
    source: Annotated[str, typed("source", "which flyer or link (letters, digits, _ . -)")] | None = None


class MoveIn(msgspec.Struct):
    slot_id: Id


class ErrorOut(msgspec.Struct, omit_defaults=True):
    """Every error of the API: its status, a message in the caller's language and, for 422, one per field."""

    status_code: int
    detail: str
    errors: dict[str, str] | None = None


class AlternativeOut(msgspec.Struct):
    """A slot that has room for the whole party (at this booth or a following one)."""

    id: int
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int
    room: int


class ConflictOut(msgspec.Struct, omit_defaults=True):
    """A 409: the slot is full (with the next slots that have room), the booth takes no bookings, or the contact
    already holds its bookings at this booth."""

    status_code: int
    detail: str
    alternatives: list[AlternativeOut] | None = None


class BookingOut(msgspec.Struct):
    code: str
    token: str
    manage_url: str
    state: str
    slot_id: int
    session_id: int
    start: dt.datetime
    end: dt.datetime
    party_size: int
    name_kana: str
    phone: str
    email: str
    language: str
    needs: NeedsIn
    venue_name: str
    address: str


def slot_out(slot: BoothSlot) -> SlotOut:
    return SlotOut(
        id=slot.id, start=slot.start, end=slot.end, capacity=slot.capacity, remaining=slot.remaining, room=slot.room
    )


def session_out(booth: Booth, base_url: str, with_slots: bool = False, live: LiveStatus | None = None) -> SessionOut:
    return SessionOut(
        id=booth.id,
        date=booth.date,
        start=booth.start.strftime("%H:%M"),
        end=booth.end.strftime("%H:%M"),
        day_type=booth.day_type,
        state=booth.state,
        venue_id=booth.venue_id,
        venue_name=booth.venue_name,
        lat=booth.lat,
        lon=booth.lon,
        venue=VenueOut(
            id=booth.venue_id,
            name=booth.venue_name,
            name_en=booth.venue_name_en,
            address=booth.address,
            lat=booth.lat,
            lon=booth.lon,
            wheelchair=booth.wheelchair,
            barrier_free_toilet=booth.barrier_free_toilet,
            accessible_route=booth.accessible_route,
            priority_parking=booth.priority_parking,
        ),
        capacity=sum(slot.capacity for slot in booth.slots),
        remaining=booth.remaining,
        url=f"{base_url}/booths/{booth.id}",
        distance_km=booth.distance_km,
        slots=[slot_out(slot) for slot in booth.slots] if with_slots else None,
        live=live_out(live) if live is not None else None,
        largest_party=booth.largest_party,
        over=booth.over,
    )


def live_out(live: LiveStatus) -> LiveOut:
    return LiveOut(
        as_of=live.as_of,
        phase=live.phase,
        open_places=live.open_places,
        due_parties=live.due_parties,
        released_places=live.released_places,
        waiting_parties=live.waiting_parties,
        waiting_people=live.waiting_people,
        wait_minutes=live.wait_minutes,
        now_serving=live.now_serving,
    )


def booking_out(details: BookingDetails) -> BookingOut:
    return BookingOut(
        code=details.code,
        token=details.manage_token,
        manage_url=details.manage_url,
        state=details.state,
        slot_id=details.slot_id,
        session_id=details.booth.id,
        start=details.slot_start,
        end=details.slot_end,
        party_size=details.party_size,
        name_kana=details.name_kana,
        phone=details.phone,
        email=details.email,
        language=details.language,
        needs=NeedsIn(details.needs.wheelchair, details.needs.large_print, details.needs.interpreter),
        venue_name=details.booth.venue_name,
        address=details.booth.address,
    )
