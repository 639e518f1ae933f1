"""The waiting list API's request and response types (hand-written msgspec Structs) and how an entry becomes one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from booking.waitlist import MAX_SLOT_IDS, WaitEntry
from core.db import MAX_ID
from portal.api.schemas import typed
from portal.web.ids import Id


class WaitlistIn(msgspec.Struct):
    """A request to wait for a freed place at a full booth (or full times of it): one contact at least, nothing else
    about the person. Types are strict, as for a booking: ``"party_size": "2"`` is a 422."""

    session_id: Annotated[int, Meta(ge=1, le=MAX_ID, description="the booth: its public id or its session's id")]
    name_kana: Annotated[str, typed("name_kana", "the name in katakana (or Latin letters as on the residence card)")]
    party_size: Annotated[int, Meta(ge=1, le=MAX_ID, description="people (at most the city's party size)")] = 1
    slot_ids: (
        Annotated[list[Id], Meta(max_length=MAX_SLOT_IDS, description="the times that suit; none: any time")] | None
    ) = None
    phone: Annotated[str, typed("phone", "a Japanese phone number of 10 or 11 digits")] | None = None
    email: Annotated[str, typed("email", "one email address (the offer comes by email)")] | None = None
    language: Annotated[str, typed("language", "ja, en, ja-easy, zh-hans, ko or vi")] | None = None


class WaitlistOut(msgspec.Struct):
    """An entry as its holder sees it. ``manage_url`` (= ``leave_url``) is the resident's page of the entry, with the
    token; ``offer_*`` describe the offer when one was made, ``booking_code`` the booking an accepted offer made."""

    code: str
    token: str
    manage_url: str
    leave_url: str
    state: str  # waiting | offered | booked | declined | expired | left | closed
    session_id: int  # the booth's public id
    day: dt.date
    slot_ids: list[int]  # []: any time of the day
    party_size: int
    name_kana: str
    phone: str
    email: str
    language: str
    created_at: dt.datetime
    offer_slot_id: int | None
    offer_start: dt.datetime | None
    offer_end: dt.datetime | None
    offer_expires_at: dt.datetime | None
    booking_code: str


def waitlist_out(entry: WaitEntry, offered: tuple[dt.datetime, dt.datetime] | None) -> WaitlistOut:
    start, end = offered or (None, None)
    return WaitlistOut(
        code=entry.code,
        token=entry.token,
        manage_url=entry.link,
        leave_url=entry.link,
        state=entry.state,
        session_id=entry.scope,
        day=entry.day,
        slot_ids=list(entry.slot_ids),
        party_size=entry.party_size,
        name_kana=entry.name_kana,
        phone=entry.phone,
        email=entry.email,
        language=entry.language,
        created_at=entry.created_at,
        offer_slot_id=entry.offered_slot,
        offer_start=start,
        offer_end=end,
        offer_expires_at=entry.offer_expires_at,
        booking_code=entry.booking_code,
    )
