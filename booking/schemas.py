"""What booking's services return: published booths as residents see them, their slots, and bookings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Needs:
    """What a resident asks the booth staff to prepare."""

    wheelchair: bool = False
    large_print: bool = False
    interpreter: str = ""  # a language code (e.g. "en", "zh", "vi") or "" for none

    def any(self) -> bool:
        return self.wheelchair or self.large_print or bool(self.interpreter)


@dataclass(frozen=True)
class BoothSlot:
    """A bookable time slot of a booth; ``remaining`` is what can still be booked now (0 once past the cut-off) and
    ``room`` the largest party that can still book it: a slot nobody has booked takes a family larger than its
    bookable places, walk-in places included (booking.bookings.fits)."""

    id: int
    start: dt.datetime  # aware, Asia/Tokyo
    end: dt.datetime
    capacity: int
    remaining: int
    room: int = 0

    def fits(self, party_size: int) -> bool:
        """Whether a party of this size can book the slot now."""
        return 0 < party_size <= self.room


@dataclass(frozen=True)
class Booth:
    """A published session (出張申請サポート会場) with its venue, as residents see it. ``id`` is the booth's public id
    (the first session that published it: every URL and QR code uses it, across plan versions); ``session_id`` is the
    session of the current version, which slots, bookings and live figures belong to."""

    id: int
    date: dt.date
    start: dt.time
    end: dt.time
    day_type: str  # "weekday" | "holiday"
    state: str  # "published" | "held" | "cancelled"
    venue_id: str  # the facility-list ID
    venue_name: str
    venue_name_en: str
    address: str
    lat: float
    lon: float
    wheelchair: bool
    barrier_free_toilet: bool
    accessible_route: bool
    priority_parking: bool
    phone: str
    url: str
    remaining: int  # bookable places left over all slots still open
    distance_km: float | None = None
    slots: tuple[BoothSlot, ...] = field(default_factory=tuple)
    session_id: int = 0
    over: bool = False  # the booth's closing time has passed: it takes no bookings

    @property
    def largest_party(self) -> int:
        """The largest party that can book one of its slots now (0: none)."""
        return max((slot.room for slot in self.slots), default=0)

    def display_name(self, locale: str) -> str:
        return self.venue_name_en if locale == "en" and self.venue_name_en else self.venue_name


@dataclass(frozen=True)
class BookingDetails:
    """One booking with its slot and booth: what the confirmation, slip, calendar entry and emails show."""

    code: str
    state: str  # "confirmed" | "checked_in" | "cancelled" | "no_show"
    party_size: int
    name_kana: str
    phone: str
    email: str
    language: str
    needs: Needs
    source: str
    slot_id: int
    slot_start: dt.datetime  # aware, Asia/Tokyo
    slot_end: dt.datetime
    booth: Booth
    manage_url: str  # the manage link when ``manage_token`` is known, else the page that re-issues it (予約を探す)
    created_at: dt.datetime | None = None
    manage_token: str = ""  # the raw token, only when the caller holds it (just made, given, or re-issued)
