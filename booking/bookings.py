"""Residents' bookings (予約): book a slot, look it up, move it, cancel it.

Capacity is enforced by the database (DESIGN §8): a conditional ``UPDATE ... SET booked = booked + n WHERE
booked + n <= capacity RETURNING`` inside a write transaction, so no interleaving of workers can overbook. The same
Idempotency-Key sent again returns the booking it made; a move takes the new place before it releases the old one.

The four statements every booking runs (open the slot, count the contact's bookings, take the places, insert) are
fixed, parameterised SQL through Piccolo's ``raw`` — the same text on SQLite and PostgreSQL, never assembled from
input. Building them with Piccolo's query builder was a quarter of a booking's CPU; with fixed statements the
booking benchmark (bench/booking) went from 2.5 to 1.9 ms of server CPU per request and past 500 bookings/s. Every
other query here uses the query builder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace

import jaconv
from email_validator import EmailNotValidError, validate_email

from booking import capacity, notices
from booking.booths import BoothCache, booking_opens_before
from booking.codes import (
    find_url,
    key_digest,
    manage_url,
    new_code,
    new_manage_token,
    normalize_code,
    token_hash,
    token_matches,
)
from booking.schemas import BookingDetails, Booth, BoothSlot, Needs
from booking.tables import ACTIVE_STATES, Booking, BookingState, Slot
from core import clock
from core.db import is_sqlite, write_transaction
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import LOCALES
from core.i18n import gettext as _
from core.settings import get_settings
from planner.tables import SessionState

INTERPRETER_LANGUAGES = ("en", "zh", "ko", "vi", "pt", "es", "tl", "ne", "id", "th", "my", "other")
READINESS_QUESTIONS = ("photo_id", "notification_card", "not_moving", "guardian")
_KANA = re.compile(r"^[\u30A1-\u30FA\u30FC\u30FB\u3000 A-Z'\-.]+$")
# The longest text each field may have as typed, checked before any normalising (a name of megabytes is refused
# at once, not converted first). The API's schema (portal/api/schemas.py) declares the same lengths.
MAX_NAME_LENGTH = 60
MAX_TYPED = {"name_kana": 100, "phone": 30, "email": 254, "language": 16, "interpreter": 16, "source": 200}


class SlotFull(Conflict):
    """The slot has fewer free places than the party needs; ``alternatives`` are the next slots with room."""

    def __init__(self, message: str, alternatives: list[BoothSlot]) -> None:
        super().__init__(message)
        self.alternatives = alternatives


@dataclass(frozen=True)
class BookingRequest:
    """What a resident gives when booking (DESIGN §7: nothing else)."""

    slot_id: int
    name_kana: str
    phone: str = ""
    email: str = ""
    party_size: int = 1
    language: str = "ja"
    needs: Needs = field(default_factory=Needs)
    readiness: dict = field(default_factory=dict)
    source: str = ""


def normalize_kana(text: str) -> str:
    """Hiragana to katakana, half-width to full-width kana, Latin letters upper-case, spaces collapsed."""
    text = jaconv.h2z(unicodedata.normalize("NFKC", text or ""), kana=True, ascii=False, digit=False)
    text = jaconv.hira2kata(text).upper()
    return " ".join(text.replace("\u3000", " ").split())


def normalize_phone(text: str) -> str:
    """Digits only (full-width and +81 accepted): 090-1234-5678 → 09012345678."""
    digits = re.sub(r"[^\d+]", "", unicodedata.normalize("NFKC", text or ""))
    if digits.startswith("+81"):
        digits = "0" + digits[3:]
    return digits


def normalize_email(text: str) -> str | None:
    """One email address, lower-cased, its domain in ASCII (IDNA); None unless it is exactly one valid address (no
    list, no quoted part, no control character: it becomes an SMTP recipient). "" when nothing was typed."""
    typed = unicodedata.normalize("NFKC", text or "").strip()
    if not typed:
        return ""
    try:
        address = validate_email(typed, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return (address.ascii_email or address.normalized).lower()


def too_long(request: BookingRequest) -> dict[str, str]:
    """The fields typed longer than any valid value, before anything is normalised."""
    typed = {
        "name_kana": request.name_kana,
        "phone": request.phone,
        "email": request.email,
        "language": request.language,
        "interpreter": request.needs.interpreter,
        "source": request.source,
    }
    return {
        name: _("This field is too long (at most {most} characters).").format(most=MAX_TYPED[name])
        for name, value in typed.items()
        if isinstance(value, str) and len(value) > MAX_TYPED[name]
    }


def validate(request: BookingRequest) -> BookingRequest:
    """The request with normalised fields, or ValidationFailed naming every field to fix. Every rule is checked on
    the normalised value, the one that is stored and counted (a phone of "---" is no phone at all)."""
    settings = get_settings()
    errors = too_long(request)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    name = normalize_kana(request.name_kana)
    if not name:
        errors["name_kana"] = _("Enter your name in katakana (or in Latin letters as on your residence card).")
    elif len(name) > MAX_NAME_LENGTH or not _KANA.match(name):
        errors["name_kana"] = _(
            "Write your name in katakana, e.g. カナザワ タロウ (or in Latin letters as on your residence card)."
        )
    phone = normalize_phone(request.phone)
    email = normalize_email(request.email)
    if (phone or (request.phone or "").strip()) and not re.fullmatch(r"0\d{9,10}", phone):
        errors["phone"] = _("Enter a Japanese phone number of 10 or 11 digits, e.g. 090-1234-5678.")
    if email is None:
        errors["email"] = _("Enter an email address like name@example.jp.")
    if not phone and not email and not errors.keys() & {"phone", "email"}:
        errors["contact"] = _("Give a phone number or an email address (at least one) so that we can reach you.")
    if not isinstance(request.party_size, int) or not 1 <= request.party_size <= settings.max_party_size:
        errors["party_size"] = _("Party size must be between 1 and {most}.").format(most=settings.max_party_size)
    language = request.language or "ja"
    if language not in LOCALES:
        errors["language"] = _("Choose one of the languages on the list.")
    interpreter = request.needs.interpreter or ""
    if interpreter and interpreter not in INTERPRETER_LANGUAGES:
        errors["needs"] = _("Choose an interpreter language from the list.")
    source = re.sub(r"[^A-Za-z0-9_.\-]", "", request.source or "")[:64]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    readiness = {key: bool(request.readiness.get(key)) for key in READINESS_QUESTIONS if key in request.readiness}
    return BookingRequest(
        slot_id=request.slot_id,
        name_kana=name,
        phone=phone,
        email=email or "",
        party_size=request.party_size,
        language=language,
        needs=Needs(bool(request.needs.wheelchair), bool(request.needs.large_print), interpreter),
        readiness=readiness,
        source=source,
    )


def request_digest(request: BookingRequest) -> str:
    """The digest an Idempotency-Key is stored with: the request's fields as sorted JSON (the same text as
    ``json.dumps(asdict(request))``, without asdict's deep copy, a third of the time)."""
    return key_digest(json.dumps({**request.__dict__, "needs": request.needs.__dict__}, sort_keys=True, default=str))


# --- reading -------------------------------------------------------------------------------------------------------


def _links(code: str, token: str) -> dict[str, str]:
    """The manage link of a booking whose token is at hand; else the page that re-issues it (予約を探す)."""
    return {"manage_token": token, "manage_url": manage_url(code, token) if token else find_url(code)}


async def _details(row: dict, booths: BoothCache | None = None, token: str = "") -> BookingDetails:
    from booking.booths import booth

    shown = await booths.booth(row["session"]) if booths is not None else await booth(row["session"])
    if shown is None:  # pragma: no cover - a booking's booth was published
        raise NotFound(_("This booking does not exist."))
    needs = row["needs"] if isinstance(row["needs"], dict) else json.loads(row["needs"] or "{}")
    return BookingDetails(
        code=row["code"],
        state=row["state"],
        party_size=row["party_size"],
        name_kana=row["name_kana"],
        phone=row["phone"],
        email=row["email"],
        language=row["language"],
        needs=Needs(bool(needs.get("wheelchair")), bool(needs.get("large_print")), needs.get("interpreter") or ""),
        source=row["source"],
        slot_id=row["slot"],
        slot_start=row["slot.start"].astimezone(clock.JST),
        slot_end=row["slot.end"].astimezone(clock.JST),
        booth=shown,
        created_at=row["created_at"],
        **_links(row["code"], token),
    )


async def _row(code: str) -> dict | None:
    """A booking with its slot's times (a fixed statement: every lookup, manage page and cancellation reads it)."""
    rows = await Booking.raw(
        "SELECT b.id, b.code, b.state, b.party_size, b.name_kana, b.phone, b.email, b.language, b.needs, b.source, "
        'b.created_at, b.manage_token_hash, b.slot, s.start AS "slot.start", s."end" AS "slot.end", b.session '
        "FROM resident_booking b LEFT JOIN booking_slot s ON s.id = b.slot WHERE b.code = {}",
        code,
    )
    return rows[0] if rows else None


async def get_booking(code: str, token: str | None, booths: BoothCache | None = None) -> BookingDetails:
    """A booking opened with its manage token; a wrong code or token is "not found" (no hint which). The booth's
    venue, times and places come from ``booths`` (the public cache) when given."""
    code = normalize_code(code)
    row = await _row(code) if code and token else None
    if row is None or not token_matches(code, token, row["manage_token_hash"]):
        raise _no_such_booking()
    return await _details(row, booths, token or "")


def _no_such_booking() -> NotFound:
    """A wrong code or token: one answer for both."""
    return NotFound(
        _(
            "This booking does not exist, or its link is incomplete or no longer valid (a new link was issued). "
            "Open the newest link from your email, or get a new one on the page 'Find your booking' with the "
            "booking code and your phone number or email address."
        )
    )


async def next_free_slots(
    party_size: int,
    near_session: int,
    exclude_slot: int | None = None,
    limit: int = 3,
    booths: BoothCache | None = None,
) -> list[BoothSlot]:
    """The next slots that can take the party: the same booth first, then the following booths. With the public
    cache, the other booths' places are those it shows (at most its ``ttl`` old): a rush of refusals on a full slot
    then costs no read of every booth each. The same booth's slots, where a rush has just taken places, are read
    again (one small query), so that a time that has just filled is never offered."""
    found, _read_again = await _next_free_slots(party_size, near_session, exclude_slot, limit, booths)
    return found


async def _next_free_slots(
    party_size: int,
    near_session: int,
    exclude_slot: int | None,
    limit: int,
    booths: BoothCache | None,
    current: list[dict] | None = None,
) -> tuple[list[BoothSlot], dict[int, BoothSlot]]:
    """next_free_slots(), and the same booth's slots as read again, by id (none without the cache). ``current``: the
    booth's slot rows as the refused booking's own statement read them (then they are not read again)."""
    from booking.booths import upcoming_booths

    upcoming = await booths.booths() if booths is not None else await upcoming_booths()
    near = booths.cached(near_session) if booths is not None else None  # by either of its ids, without a scan
    same = [near] if near is not None else [b for b in upcoming if near_session in (b.id, b.session_id)]
    same_slots = [slot for b in same for slot in b.slots]
    read_again: dict[int, BoothSlot] = {}
    if booths is not None:
        same_slots = [slot for b in same for slot in await _with_current_places(b, current)]
        read_again = {slot.id: slot for slot in same_slots}
    found: list[BoothSlot] = []
    others = (slot for b in upcoming if near_session not in (b.id, b.session_id) for slot in b.slots)
    for slot in itertools.chain(same_slots, others):  # the other booths looked at until enough are found
        if slot.fits(party_size) and slot.id != exclude_slot:
            found.append(slot)
            if len(found) == limit:
                break
    return found, read_again


async def _with_current_places(shown: Booth, rows: list[dict] | None = None) -> list[BoothSlot]:
    """A booth's slots as the cache holds them, with their places read again from the database (or as given in
    ``rows``, read by the caller a moment ago)."""
    from booking.booths import booking_open_after, party_room

    if rows is None:
        rows = await Slot.select(Slot.id, Slot.capacity, Slot.walk_in, Slot.booked).where(
            Slot.session == shown.session_id
        )
    current = {row["id"]: row for row in rows}
    open_after = booking_open_after(clock.now())
    slots = []
    for slot in shown.slots:
        row = current.get(slot.id)
        if row is None:
            continue
        opens = slot.start > open_after
        remaining = max(0, row["capacity"] - row["booked"]) if opens else 0
        room = party_room(row["capacity"], row["walk_in"], row["booked"]) if opens else 0
        # a copy only of the slots whose places changed since the cache read them (a rush refuses hundreds a second)
        unchanged = (slot.remaining, slot.room) == (remaining, room)
        slots.append(slot if unchanged else replace(slot, remaining=remaining, room=room))
    return slots


# --- writing -------------------------------------------------------------------------------------------------------


async def _open_slot(slot_id: int) -> dict:
    """The slot (with its booth's state) if it takes bookings now (one fixed statement: it runs for every booking)."""
    rows = await Slot.raw(
        'SELECT s.id, s.start, s."end", s.session, p.state AS session_state FROM booking_slot s '
        "JOIN plan_session p ON p.id = s.session WHERE s.id = {}",
        slot_id,
    )
    slot = rows[0] if rows else None
    if slot is None:
        raise NotFound(_("This time slot does not exist."))
    _refuse_unless_open(slot, clock.now())
    return slot


def _refuse_unless_open(slot: dict, now: dt.datetime) -> None:
    """Conflict when the slot's booth does not take bookings or the slot's cut-off has passed."""
    if slot["end"] <= now:
        raise Conflict(_("This time is over: it takes no bookings. The booth's page shows the next booths."))
    if slot["session_state"] != SessionState.published.value:
        raise Conflict(_("This booth is not taking bookings."))
    if not booking_opens_before(slot["start"], now):
        raise Conflict(_("Online booking for this time has closed. You can still come to the booth without a booking."))


async def _booth_of(session_id: int, booths: BoothCache | None) -> Booth:
    """The booth's venue and times for a booking's confirmation: from the public cache as last read (a published
    session's venue and times never change: a change publishes a new session), else one query.

    This runs inside the booking's transaction, so it never refreshes the cache: a refresh needs a connection of its
    own, and with every pooled connection held by a booking waiting for that refresh, the worker would wait
    forever. ``create_booking`` refreshes the cache before it opens the transaction."""
    from booking.booths import booth_without_slots

    cached = booths.cached(session_id) if booths is not None else None
    return cached if cached is not None else await booth_without_slots(session_id)


def _details_from(
    slot: dict, booth: Booth, code: str, token: str, request: BookingRequest, state: str
) -> BookingDetails:
    """A booking's details from its slot row (as read by _open_slot), without reading it back."""
    return BookingDetails(
        code=code,
        state=state,
        party_size=request.party_size,
        name_kana=request.name_kana,
        phone=request.phone,
        email=request.email,
        language=request.language,
        needs=request.needs,
        source=request.source,
        slot_id=slot["id"],
        slot_start=slot["start"].astimezone(clock.JST),
        slot_end=slot["end"].astimezone(clock.JST),
        booth=booth,
        created_at=clock.now(),
        **_links(code, token),
    )


# A contact's active bookings at a booth (one with the same phone number or the same email address), counted as
# those with the phone number plus those with the email address and another phone number: each half is an equality
# on a (session, phone) or (session, email) index, so that PostgreSQL's plan reads those indexes whatever the size of
# the table when it was made (written with OR, a plan made on a nearly empty table reads every booking of the booth,
# and keeps doing so while the table grows). ``{session}`` is the booth's expression; the arguments come from
# ``_contact_args``.
_CONTACT_COUNT = (
    "(SELECT COUNT(*) FROM resident_booking b WHERE b.session = {session} AND b.state IN ({{}}, {{}}) "
    "AND b.id <> {{}} AND b.phone <> '' AND b.phone = {{}})"
    " + (SELECT COUNT(*) FROM resident_booking b WHERE b.session = {session} AND b.state IN ({{}}, {{}}) "
    "AND b.id <> {{}} AND b.email <> '' AND b.email = {{}} AND NOT (b.phone <> '' AND b.phone = {{}}))"
)


def _contact_args(phone: str, email: str, except_id: int | None, session_id: int | None = None) -> list:
    """The arguments of ``_CONTACT_COUNT`` (with ``session_id`` first in each half when the booth is a parameter)."""
    before = [] if session_id is None else [session_id]
    return [*before, *ACTIVE_STATES, except_id or 0, phone, *before, *ACTIVE_STATES, except_id or 0, email, phone]


async def _check_contact_limit(session_id: int, phone: str, email: str, except_id: int | None = None) -> None:
    limit = get_settings().bookings_per_contact
    rows = await Booking.raw(
        "SELECT " + _CONTACT_COUNT.format(session="{}") + " AS n", *_contact_args(phone, email, except_id, session_id)
    )
    if rows[0]["n"] >= limit:
        raise _contact_limit_reached(limit)


def _contact_limit_reached(limit: int) -> Conflict:
    return Conflict(
        _(
            "This phone number or email address already has {n} bookings at this booth. Change or "
            "cancel one of them instead."
        ).format(n=limit)
    )


# Whether a slot has room for a party of ``n`` (the two placeholders): its free bookable places, or, while nobody has
# booked it, all its places, walk-in ones included, so that a family larger than the bookable share can book
# (booking.booths.party_room says the same for display). Part of a conditional update, so the database decides.
_TAKE_CONDITION = (
    "(booking_slot.booked + CAST({} AS INTEGER) <= booking_slot.capacity"
    " OR (booking_slot.booked = 0 AND CAST({} AS INTEGER) <= booking_slot.capacity + booking_slot.walk_in))"
)


async def _take_places(slot_id: int, party_size: int) -> bool:
    """Take ``party_size`` places of a slot if it has room (one conditional update; the database decides)."""
    return await capacity.take_places(Slot, slot_id, party_size, _TAKE_CONDITION, (party_size, party_size)) is not None


async def _release_places(slot_id: int, party_size: int) -> None:
    await capacity.release_places(Slot, slot_id, party_size)


class _Replay(Exception):
    """The Idempotency-Key was already used: the transaction is undone and the earlier booking returned."""


class _NoRoom(Exception):
    """Raised inside the transaction when the conditional update finds no room (the alternatives are read after
    the rollback, so that a rush of refusals holds no lock while it looks for other slots). On PostgreSQL the
    booking's statement has read what the refusal needs already: the booth's slots (``slots``) and the booking an
    earlier use of the Idempotency-Key made (``earlier``, when ``key_checked``)."""

    def __init__(
        self,
        slot_id: int,
        session_id: int | None,
        party_size: int,
        slots: list[dict] | None = None,
        earlier: dict | None = None,
        key_checked: bool = False,
    ) -> None:
        super().__init__(slot_id)
        self.slot_id, self.session_id, self.party_size = slot_id, session_id, party_size
        self.slots, self.earlier, self.key_checked = slots, earlier, key_checked


async def _full(no_room: _NoRoom, booths: BoothCache | None = None) -> SlotFull:
    """The refusal with its true reason (the time is full, or has room for a smaller party only) and the next times
    that have room for the whole party. Without the booth (SQLite's conditional update took nothing) the slot is read
    first: a slot that does not exist or no longer takes bookings is refused for that reason."""
    from booking.booths import party_room

    session_id = no_room.session_id
    if session_id is None:
        session_id = (await _open_slot(no_room.slot_id))["session"]
    alternatives, read_again = await _next_free_slots(
        no_room.party_size, session_id, no_room.slot_id, 3, booths, no_room.slots
    )
    refused = read_again.get(no_room.slot_id)
    if refused is not None and no_room.slots is not None and refused.room >= no_room.party_size:
        # Read at the start of the booking's statement, before it waited for a concurrent booking of the slot that
        # took the places: a party of one was refused, so nothing is left; for a larger party, read it again.
        refused = replace(refused, room=0) if no_room.party_size == 1 else None
    if refused is not None:  # read with its booth's other slots: no query of its own (a refusal's trips are its cost)
        room = refused.room
    else:
        slot = await Slot.select(Slot.capacity, Slot.walk_in, Slot.booked).where(Slot.id == no_room.slot_id).first()
        room = party_room(slot["capacity"], slot["walk_in"], slot["booked"]) if slot else 0
    if room > 0:
        message = _(
            "This time has room for at most {room} people, and your party is {party}. "
            "Please choose a time that has room for everyone."
        ).format(room=room, party=no_room.party_size)
    else:
        message = _("This time is full. Please choose another time.")
    if not alternatives:
        message += " " + _("No other time has room for {party} people now.").format(party=no_room.party_size)
    return SlotFull(message, alternatives)


async def create_booking(
    request: BookingRequest, idempotency_key: str | None = None, booths: BoothCache | None = None
) -> tuple[BookingDetails, bool]:
    """Book places in a slot; returns the booking and whether it was made now (False: the same Idempotency-Key
    was sent before with the same request, and this is the booking it made)."""
    request = validate(request)
    key = key_digest(idempotency_key) if idempotency_key else None
    digest = request_digest(request)
    if booths is not None:
        await booths.booths()  # read again when stale, before the transaction holds a connection (see _booth_of)
    book = _book_in_transaction if is_sqlite() else _book_in_one_statement
    try:
        details = await book(request, idempotency_key, key, digest, booths)
    except (_Replay, _NoRoom, Conflict, NotFound) as refusal:
        # A repeated Idempotency-Key gets its booking even when the slot has filled up or closed since.
        if isinstance(refusal, _NoRoom) and refusal.key_checked:
            earlier = refusal.earlier
        elif key is not None:
            earlier = (
                await Booking.select(Booking.code, Booking.request_digest).where(Booking.idempotency_key == key).first()
            )
        else:
            earlier = None
        if earlier is not None:
            return await _replayed(earlier, digest, idempotency_key or ""), False
        if isinstance(refusal, _NoRoom):
            raise await _full(refusal, booths) from None
        raise
    return details, True


# SQLite: the places are taken first, by one conditional update that also returns what the booking's other checks
# need (the booth's state and the contact's active bookings there, with ``_CONTACT_COUNT``'s arguments), so that a
# booking is four trips to the database while the other writers wait for their turn (BEGIN, this, the insert, COMMIT)
# and a refusal three. A check that fails after the update raises, and the rollback gives the places back.
_TAKE = (
    "UPDATE booking_slot SET booked = booked + {} WHERE id = {} AND "
    + _TAKE_CONDITION
    + ' RETURNING id, start, "end", session, '
    "(SELECT p.state FROM plan_session p WHERE p.id = booking_slot.session) AS session_state, "
    + _CONTACT_COUNT.format(session="booking_slot.session")
    + " AS n"
)


async def _book_in_transaction(
    request: BookingRequest, idempotency_key: str | None, key: str | None, digest: str, booths: BoothCache | None
) -> BookingDetails:
    """SQLite: the booking's statements one by one in a write transaction (``BEGIN IMMEDIATE``: one writer)."""
    party, limit = request.party_size, get_settings().bookings_per_contact
    async with write_transaction():
        taken = await Slot.raw(
            _TAKE, party, request.slot_id, party, party, *_contact_args(request.phone, request.email, None)
        )
        if not taken:  # full, closed or no such slot: read why, with what the refusal shows, in this transaction
            raise await _no_room_in_transaction(request.slot_id, party, key)
        slot = taken[0]
        _refuse_unless_open(slot, clock.now())
        if slot["n"] >= limit:
            raise _contact_limit_reached(limit)
        code = new_code()
        token = new_manage_token(code, idempotency_key)
        inserted = await Booking.raw(
            "INSERT INTO resident_booking (code, slot, session, party_size, name_kana, phone, email, language, "
            "needs, readiness, source, state, idempotency_key, request_digest, created_at, updated_at, "
            "manage_token_hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            code,
            slot["id"],
            slot["session"],
            request.party_size,
            request.name_kana,
            request.phone,
            request.email,
            request.language,
            json.dumps(asdict(request.needs)),
            json.dumps(request.readiness),
            request.source,
            BookingState.confirmed.value,
            key,
            digest,
            clock.now(),
            clock.now(),
            token_hash(token),
        )
        if not inserted:  # the key was used before (or by a request committed meanwhile): undo, answer that
            raise _Replay()
        details = _details_from(
            slot, await _booth_of(slot["session"], booths), code, token, request, BookingState.confirmed.value
        )
        await notices.booking_confirmed(details)
    return details


# PostgreSQL: the whole booking as one statement — read the slot and its booth's state, count the contact's active
# bookings at the booth, take the places with the conditional update, insert the booking — so that it costs one
# round trip and the slot's row stays locked only while the statement runs. Every part sees the same snapshot; the
# conditional update re-checks ``_TAKE_CONDITION`` on the row as committed by a concurrent booking it waited
# for (PostgreSQL re-evaluates an UPDATE's condition on the newest row version), so the capacity rule is exactly the
# one of the transaction. A second use of an Idempotency-Key violates the unique index: the statement, update
# included, is undone as a whole.
_BOOK = (
    """
WITH slot AS (
    SELECT s.id, s.start, s."end", s.session, p.state AS session_state
    FROM booking_slot s JOIN plan_session p ON p.id = s.session WHERE s.id = {}
), contact AS (
    SELECT """
    + _CONTACT_COUNT.format(session="slot.session")
    + """ AS n FROM slot
), taken AS (
    UPDATE booking_slot SET booked = booking_slot.booked + {}::integer FROM slot, contact
    WHERE booking_slot.id = slot.id AND slot.session_state = {} AND slot.start > {} AND contact.n < {}
      AND """
    + _TAKE_CONDITION
    + """
    RETURNING booking_slot.id
), inserted AS (
    INSERT INTO resident_booking (code, slot, session, party_size, name_kana, phone, email, language, needs,
                                  readiness, source, state, idempotency_key, request_digest, created_at, updated_at,
                                  manage_token_hash)
    SELECT {}::varchar, taken.id, slot.session, {}::integer, {}::varchar, {}::varchar, {}::varchar, {}::varchar,
           {}::json, {}::json, {}::varchar, {}::varchar, {}::varchar, {}::varchar, {}::timestamptz, {}::timestamptz,
           {}::varchar
    FROM taken, slot
    RETURNING id
)
SELECT slot.id, slot.start, slot."end", slot.session, slot.session_state, contact.n,
       (SELECT id FROM inserted) AS booking,
       (SELECT json_agg(json_build_array(s.id, s.capacity, s.walk_in, s.booked)) FROM booking_slot s
        WHERE s.session = slot.session AND NOT EXISTS (SELECT 1 FROM taken)) AS refused_slots,
       (SELECT json_build_array(e.code, e.request_digest) FROM resident_booking e
        WHERE e.idempotency_key = {}::varchar AND NOT EXISTS (SELECT 1 FROM taken)) AS earlier
FROM slot, contact
"""
)


async def _book_in_one_statement(
    request: BookingRequest, idempotency_key: str | None, key: str | None, digest: str, booths: BoothCache | None
) -> BookingDetails:
    """PostgreSQL: the booking in one statement (``_BOOK``), then the reason when it took nothing. With an email
    address the statement and the confirmation email join one transaction, so that neither exists without the
    other."""
    from asyncpg.exceptions import UniqueViolationError

    now, code, limit = clock.now(), new_code(), get_settings().bookings_per_contact
    token = new_manage_token(code, idempotency_key)
    cutoff = now + dt.timedelta(minutes=get_settings().booking_cutoff_minutes)
    party = request.party_size
    async with write_transaction() if request.email else contextlib.nullcontext():
        try:
            rows = await Booking.raw(
                _BOOK,
                request.slot_id,
                *_contact_args(request.phone, request.email, None),
                party,
                SessionState.published.value,
                cutoff,
                limit,
                party,
                party,
                code,
                party,
                request.name_kana,
                request.phone,
                request.email,
                request.language,
                json.dumps(asdict(request.needs)),
                json.dumps(request.readiness),
                request.source,
                BookingState.confirmed.value,
                key,
                digest,
                now,
                now,
                token_hash(token),
                key,
            )
        except UniqueViolationError as error:
            if key is not None and "idempotency_key" in (error.constraint_name or ""):
                raise _Replay() from None
            raise
        slot = rows[0] if rows else None
        if slot is None:
            raise NotFound(_("This time slot does not exist."))
        if slot["booking"] is None:
            _refusal_of(slot, party, now, limit)
            raise _no_room_of(slot, party, key)
        details = _details_from(
            slot, await _booth_of(slot["session"], booths), code, token, request, BookingState.confirmed.value
        )
        await notices.booking_confirmed(details)
    return details


def _refusal_of(slot: dict, party_size: int, now: dt.datetime, limit: int) -> None:
    """Why ``_BOOK`` took no places when the slot is closed or the contact has too many bookings, as the error the
    transaction would have raised (in the same order); else the slot had no room (``_no_room_of``)."""
    _refuse_unless_open(slot, now)
    if slot["n"] >= limit:
        raise _contact_limit_reached(limit)


# SQLite: what a refusal needs, read in the refused booking's write transaction (one statement: the booth's slots with
# its state, and the booking an earlier use of the Idempotency-Key made), so that the refusal reads nothing afterwards.
_REFUSED = (
    'SELECT s.id, s.start, s."end", s.session, s.capacity, s.walk_in, s.booked, p.state AS session_state, '
    "(SELECT e.code FROM resident_booking e WHERE e.idempotency_key = {}) AS earlier_code, "
    "(SELECT e.request_digest FROM resident_booking e WHERE e.idempotency_key = {}) AS earlier_digest "
    "FROM booking_slot s JOIN plan_session p ON p.id = s.session "
    "WHERE s.session = (SELECT r.session FROM booking_slot r WHERE r.id = {})"
)


async def _no_room_in_transaction(slot_id: int, party_size: int, key: str | None) -> Exception:
    """SQLite: why the conditional update took nothing — the slot does not exist (NotFound), no longer takes bookings
    (Conflict), or has no room (``_NoRoom`` with the booth's slots and an earlier use of the key)."""
    rows = await Slot.raw(_REFUSED, key, key, slot_id)
    refused = next((row for row in rows if row["id"] == slot_id), None)
    if refused is None:
        return NotFound(_("This time slot does not exist."))
    try:
        _refuse_unless_open(refused, clock.now())
    except Conflict as closed:
        return closed
    earlier = refused["earlier_code"]
    return _NoRoom(
        slot_id,
        refused["session"],
        party_size,
        slots=rows,
        earlier={"code": earlier, "request_digest": refused["earlier_digest"]} if earlier else None,
        key_checked=True,
    )


def _no_room_of(slot: dict, party_size: int, key: str | None) -> _NoRoom:
    """The refusal of a full slot with what ``_BOOK`` read for it: the booth's slots and an earlier use of the key."""
    rows = json.loads(slot["refused_slots"]) if slot["refused_slots"] else []
    earlier = json.loads(slot["earlier"]) if slot["earlier"] else None
    return _NoRoom(
        slot["id"],
        slot["session"],
        party_size,
        slots=[{"id": r[0], "capacity": r[1], "walk_in": r[2], "booked": r[3]} for r in rows],
        earlier={"code": earlier[0], "request_digest": earlier[1]} if earlier else None,
        key_checked=True,
    )


async def _replayed(earlier: dict, digest: str, idempotency_key: str) -> BookingDetails:
    """The booking a repeated Idempotency-Key made, with the manage link it was given (derived again from the key),
    unless that link was re-issued since: then the page that re-issues it."""
    if earlier["request_digest"] != digest:
        raise ValidationFailed(
            _("This Idempotency-Key was already used for a different booking."),
            {"idempotency_key": _("Use a new key for a new booking.")},
        )
    row = await _row(earlier["code"])
    token = new_manage_token(row["code"], idempotency_key)
    return await _details(row, token=token if token_matches(row["code"], token, row["manage_token_hash"]) else "")


async def cancel_booking(code: str, token: str | None, booths: BoothCache | None = None) -> BookingDetails:
    """Cancel a booking and give its places back (cancelling twice is harmless)."""
    if not is_sqlite():
        return await _cancel_on_postgres(code, token, booths)
    shown = await get_booking(code, token, booths)
    # With an email address the cancellation and its email join one transaction (neither exists without the other).
    async with write_transaction():
        cancelled = await _cancel(shown)
        if cancelled:
            await notices.booking_cancelled(replace(shown, state=BookingState.cancelled.value))
    return await _after_cancelling(shown, cancelled)


async def _after_cancelling(
    shown: BookingDetails, cancelled: bool, anyone_waiting: bool | None = None
) -> BookingDetails:
    """The answer to a cancellation of ``shown`` (as read before it): the freed places go to the waiting list."""
    if cancelled:
        await _places_freed(shown.booth.session_id, anyone_waiting)
        return replace(shown, state=BookingState.cancelled.value)
    if shown.state == BookingState.cancelled.value:
        return shown
    raise Conflict(_("This booking can no longer be cancelled (it was already used at the booth)."))


async def _cancel(shown: BookingDetails) -> bool:
    """SQLite (in the caller's write transaction): cancel a confirmed booking and give its places back."""
    cancelled = (
        await Booking.update({Booking.state: BookingState.cancelled.value, Booking.updated_at: clock.now()})
        .where((Booking.code == shown.code) & (Booking.state == BookingState.confirmed.value))
        .returning(Booking.id)
    )
    if cancelled:
        await _release_places(shown.slot_id, shown.party_size)
    return bool(cancelled)


# PostgreSQL: a cancellation in one statement — read the booking (``_row``'s columns), cancel it when the token's hash
# is the stored one, give its places back, and say whether anyone waits for places at a booth — so that it costs one
# round trip and the slot's row is locked only while the statement runs. The places given back are those of the row
# the update changed, so a cancellation racing a move or a check-in frees exactly what the booking held, once. A
# booking with an email address is not cancelled by the statement outside a transaction (``with_email`` false): its
# cancellation email must join the same transaction, and the statement is sent again inside one.
_CANCEL = """
WITH target AS (
    SELECT b.id, b.code, b.state, b.party_size, b.name_kana, b.phone, b.email, b.language, b.needs, b.source,
           b.created_at, b.manage_token_hash, b.slot, s.start AS "slot.start", s."end" AS "slot.end", b.session
    FROM resident_booking b LEFT JOIN booking_slot s ON s.id = b.slot WHERE b.code = {}::varchar
), cancelled AS (
    UPDATE resident_booking SET state = {}::varchar, updated_at = {}::timestamptz
    WHERE code = {}::varchar AND state = {}::varchar AND manage_token_hash = {}::varchar
      AND ({}::boolean OR COALESCE(email, '') = '')
    RETURNING slot, session, party_size
), released AS (
    UPDATE booking_slot SET booked = booking_slot.booked - cancelled.party_size FROM cancelled
    WHERE booking_slot.id = cancelled.slot AND booking_slot.booked >= cancelled.party_size
    RETURNING booking_slot.id
)
SELECT target.*, cancelled.slot AS cancelled_slot, cancelled.session AS cancelled_session,
       EXISTS (SELECT 1 FROM waitlist_entry w WHERE w.kind = {}::varchar AND w.state = {}::varchar) AS anyone_waiting
FROM target LEFT JOIN cancelled ON TRUE
"""


async def _cancel_on_postgres(code: str, token: str | None, booths: BoothCache | None) -> BookingDetails:
    """PostgreSQL: one statement (``_CANCEL``) opens the booking with its token and cancels it; a booking with an
    email address (or an old link's token, which has no stored hash) is cancelled again by the same statement in a
    transaction with its email. Every answer is the one ``get_booking`` and the SQLite path give."""
    code = normalize_code(code)
    if not code or not token:
        raise _no_such_booking()
    row = await _cancel_statement(code, token_hash(token), with_email=False)
    if row is None or not token_matches(code, token, row["manage_token_hash"]):
        raise _no_such_booking()
    if row["cancelled_slot"] is None and row["state"] == BookingState.confirmed.value:
        async with write_transaction():  # an email address (or an old link): the cancellation with its email
            row = await _cancel_statement(code, row["manage_token_hash"], with_email=True)
            if row is not None and row["cancelled_slot"] is not None:
                await notices.booking_cancelled(
                    replace(await _details(row, booths, token), state=BookingState.cancelled.value)
                )
    if row is None:  # pragma: no cover - bookings are never deleted while their links work (purge blanks them)
        raise _no_such_booking()
    if row["cancelled_slot"] is not None and row["cancelled_slot"] != row["slot"]:  # moved meanwhile: as cancelled
        row = {**row, **(await _row(code) or {})}
    cancelled = row["cancelled_slot"] is not None
    return await _after_cancelling(await _details(row, booths, token), cancelled, row["anyone_waiting"])


async def _cancel_statement(code: str, stored_hash: str, *, with_email: bool) -> dict | None:
    from booking.booth_waitlist import KIND
    from booking.tables import WaitState

    rows = await Booking.raw(
        _CANCEL,
        code,
        BookingState.cancelled.value,
        clock.now(),
        code,
        BookingState.confirmed.value,
        stored_hash,
        with_email,
        KIND,
        WaitState.waiting.value,
    )
    return rows[0] if rows else None


async def move_booking(code: str, token: str | None, slot_id: int) -> BookingDetails:
    """Move a booking to another slot (any open booth): the new place is taken before the old one is released,
    so the resident never ends up with neither."""
    shown = await get_booking(code, token)
    if shown.state != BookingState.confirmed.value:
        raise Conflict(_("Only a confirmed booking can be moved."))
    if slot_id == shown.slot_id:
        return shown
    try:
        async with write_transaction():
            current = (
                await Booking.select(Booking.id, Booking.slot, Booking.party_size, Booking.state)
                .where(Booking.code == shown.code)
                .first()
            )
            if current["state"] != BookingState.confirmed.value:
                raise Conflict(_("Only a confirmed booking can be moved."))
            slot = await _open_slot(slot_id)
            await _check_contact_limit(slot["session"], shown.phone, shown.email, except_id=current["id"])
            if not await _take_places(slot_id, current["party_size"]):
                raise _NoRoom(slot_id, slot["session"], current["party_size"])
            moved = (
                await Booking.update(
                    {
                        Booking.slot: slot_id,
                        Booking.session: slot["session"],
                        Booking.reminded_at: None,
                        Booking.booth_cancelled_notice_at: None,
                        Booking.updated_at: clock.now(),
                    }
                )
                .where(
                    (Booking.id == current["id"])
                    & (Booking.state == BookingState.confirmed.value)
                    & (Booking.slot == current["slot"])
                )
                .returning(Booking.id)
            )
            if not moved:  # checked in, marked absent or moved by another request meanwhile: nothing is changed
                raise Conflict(_("Only a confirmed booking can be moved."))
            await _release_places(current["slot"], current["party_size"])
            details = await _details(await _row(shown.code), token=shown.manage_token)
            await notices.booking_moved(details)
    except _NoRoom as no_room:
        raise await _full(no_room) from None
    await _places_freed(shown.booth.session_id)
    return details


async def _places_freed(session_id: int, anyone_waiting: bool | None = None) -> None:
    """Offer a booth's freed places to its waiting list (booking.booth_waitlist; one read when nobody waits, none
    when the caller's statement read ``anyone_waiting`` already)."""
    from booking.booth_waitlist import booth_places_freed

    await booth_places_freed(session_id, anyone_waiting)


async def bookings_on_booths(session_ids: list[int]) -> list[dict]:
    """The active bookings of some booths (id, code, language, email) — for notices, never for display."""
    if not session_ids:
        return []
    return await Booking.select(Booking.id, Booking.code, Booking.language, Booking.email, Booking.session).where(
        Booking.session.is_in(session_ids) & (Booking.state == BookingState.confirmed.value)
    )


def slot_label(start: dt.datetime, end: dt.datetime) -> str:
    return f"{start.astimezone(clock.JST):%H:%M}–{end.astimezone(clock.JST):%H:%M}"


__all__ = [
    "BookingRequest",
    "Booth",
    "SlotFull",
    "cancel_booking",
    "create_booking",
    "get_booking",
    "move_booking",
    "next_free_slots",
    "validate",
]


async def with_new_manage_link(row: dict) -> BookingDetails:
    """Inside the caller's write transaction: give a booking (as read by ``_row``) a new manage token, which
    replaces the old one, and return it with the new link."""
    token = new_manage_token(row["code"])
    await Booking.update({Booking.manage_token_hash: token_hash(token)}).where(Booking.id == row["id"])
    return await _details(row, token=token)


async def reissue_manage_link(code: str, contact: str) -> BookingDetails:
    """予約を探す: a resident who kept the code (slip, calendar) proves the booking is theirs with the phone or email
    it was made with, and gets a new manage link; the old one stops working at once. With an email address the new
    link is also sent there, in the same transaction. Any mismatch is one and the same answer."""
    canonical = normalize_code(code)
    phone, email = normalize_phone(contact), unicodedata.normalize("NFKC", contact or "").strip().lower()
    if canonical and (phone or email):
        async with write_transaction():
            row = await _row(canonical)
            if row is not None and ((phone and row["phone"] == phone) or (email and row["email"] == email)):
                details = await with_new_manage_link(row)
                await notices.manage_link_reissued(details)
                return details
    raise ValidationFailed(
        _("No booking matches this code and phone number or email address."),
        {"code": _("Check the code on your booking slip and the phone or email you gave.")},
    )
