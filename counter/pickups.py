"""Pickup reservations (交付予約): a resident reserves a time at the counter to collect the cards of the people named
by their 交付通知書 numbers, looks the reservation up, changes its time or cancels it with the code and token.

Places are taken by the database exactly as a booth booking's (booking.capacity: a conditional update inside the
write transaction), so a rush on one time books exactly its places. A reservation keeps the notice numbers, one
contact and the language; nothing else (never the My Number, never a birth date)."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from booking import capacity
from booking.bookings import normalize_email, normalize_phone
from booking.codes import key_digest, new_code, new_manage_token, normalize_code, token_hash, token_matches
from booking.waitlist import places_freed
from core import clock
from core.db import is_sqlite, write_transaction
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import LOCALES
from core.i18n import gettext as _
from core.settings import get_settings
from counter import pickup_notices
from counter.pickup_slots import PickupTime, is_bookable, pickup_times
from counter.tables import Office, PickupReservation, PickupSlot, PickupState

NOTICE_NUMBER_DIGITS = 10  # 交付通知書の番号: the digits printed on the notice (hyphens and spaces are ignored)
MY_NUMBER_DIGITS = 12
MAX_TYPED = {"notice_number": 40, "phone": 30, "email": 254, "language": 16}
_SEPARATORS = re.compile(r"[\s\-‐‑–—―ー－_./]")
_DATE_LIKE = re.compile(r"^\d{2,4}[./\-年]\d{1,2}[./\-月]\d{1,2}日?$")


class PickupTimeFull(Conflict):
    """The time has fewer places than the party; ``alternatives`` are the next times with room for it, ``day`` the
    time's day (its waiting list)."""

    def __init__(self, message: str, alternatives: list[PickupTime], day: dt.date | None = None) -> None:
        super().__init__(message)
        self.alternatives = alternatives
        self.day = day


@dataclass(frozen=True)
class PickupRequest:
    """What a resident gives: the time, the notice number of each person, one contact and the language."""

    slot_id: int
    notice_numbers: tuple[str, ...]
    phone: str = ""
    email: str = ""
    language: str = "ja"


@dataclass(frozen=True)
class PickupDetails:
    """A reservation as its resident sees it (with the manage link when its token is at hand)."""

    code: str
    state: str
    office_id: int
    office_name: str
    office_name_en: str
    service_id: int
    service_kind: str
    slot_id: int
    start: dt.datetime  # Japan time
    end: dt.datetime
    notice_numbers: tuple[str, ...]
    phone: str
    email: str
    language: str
    created_at: dt.datetime
    manage_token: str = ""

    @property
    def party_size(self) -> int:
        return len(self.notice_numbers)

    @property
    def manage_url(self) -> str:
        return manage_url(self.code, self.manage_token) if self.manage_token else ""


def manage_url(code: str, token: str) -> str:
    """The resident's link to view, change or cancel the reservation."""
    return f"{get_settings().base_url}/pickups/{code}?token={token}"


# --- validation ----------------------------------------------------------------------------------------------------


def normalize_notice_number(text: str) -> str:
    """The digits of a typed notice number: full-width digits, hyphens and spaces accepted (０１２-３４ → 01234)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "").strip())


def _looks_like_a_date(typed: str, digits: str) -> bool:
    """A birth date typed by mistake: 1985/03/12, 1985年3月12日, S60.3.12 or eight digits that are a date."""
    folded = unicodedata.normalize("NFKC", typed or "").strip().upper().lstrip("MTSHR")
    if _DATE_LIKE.match(folded):
        return True
    if len(digits) == 8 and digits.isdigit():
        try:
            return 1900 <= dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).year <= clock.today().year
        except ValueError:
            return False
    return False


def notice_number_error(typed: str) -> str | None:
    """Why a typed notice number is refused, or None when it is one."""
    digits = normalize_notice_number(typed)
    if not digits:
        return _("Enter the number printed on the notice (交付通知書).")
    if len(digits) == MY_NUMBER_DIGITS and digits.isdigit():
        return _(
            "This looks like a My Number (12 digits). Never enter your My Number here: enter the {n}-digit number "
            "printed on the notice (交付通知書)."
        ).format(n=NOTICE_NUMBER_DIGITS)
    if _looks_like_a_date(typed, digits):
        return _(
            "This looks like a date. Do not enter a date of birth: enter the {n}-digit number printed on the notice "
            "(交付通知書)."
        ).format(n=NOTICE_NUMBER_DIGITS)
    if not digits.isdigit() or len(digits) != NOTICE_NUMBER_DIGITS:
        return _(
            "A notice number has {n} digits (e.g. 0123-456-789). Check the number on the notice (交付通知書)."
        ).format(n=NOTICE_NUMBER_DIGITS)
    return None


def validate(request: PickupRequest) -> PickupRequest:
    """The request with normalised fields, or ValidationFailed naming every field to fix (``notice_numbers.N`` for
    the Nth number, counted from 0)."""
    settings = get_settings()
    errors: dict[str, str] = {}
    typed = {"phone": request.phone, "email": request.email, "language": request.language}
    for name, value in typed.items():
        if isinstance(value, str) and len(value) > MAX_TYPED[name]:
            errors[name] = _("This field is too long (at most {most} characters).").format(most=MAX_TYPED[name])
    numbers: list[str] = []
    given = [n for n in request.notice_numbers if (n or "").strip()]
    if not given:
        errors["notice_numbers"] = _("Enter the notice number (交付通知書) of each person who comes.")
    elif len(given) > settings.max_party_size:
        errors["notice_numbers"] = _("One reservation is for at most {most} people.").format(
            most=settings.max_party_size
        )
    for index, number in enumerate(request.notice_numbers):
        if not (number or "").strip():
            continue
        if len(number) > MAX_TYPED["notice_number"]:
            errors[f"notice_numbers.{index}"] = _("This field is too long (at most {most} characters).").format(
                most=MAX_TYPED["notice_number"]
            )
            continue
        problem = notice_number_error(number)
        if problem:
            errors[f"notice_numbers.{index}"] = problem
        elif normalize_notice_number(number) in numbers:
            errors[f"notice_numbers.{index}"] = _("This notice number is given twice.")
        else:
            numbers.append(normalize_notice_number(number))
    if errors.keys() & {"phone", "email"}:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    phone = normalize_phone(request.phone)
    email = normalize_email(request.email)
    if (phone or (request.phone or "").strip()) and not re.fullmatch(r"0\d{9,10}", phone):
        errors["phone"] = _("Enter a Japanese phone number of 10 or 11 digits, e.g. 090-1234-5678.")
    if email is None:
        errors["email"] = _("Enter an email address like name@example.jp.")
    if not phone and not email and not errors.keys() & {"phone", "email"}:
        errors["contact"] = _("Give a phone number or an email address (at least one) so that we can reach you.")
    language = request.language or "ja"
    if language not in LOCALES:
        errors["language"] = _("Choose one of the languages on the list.")
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return PickupRequest(request.slot_id, tuple(numbers), phone, email or "", language)


def request_digest(request: PickupRequest) -> str:
    return key_digest(json.dumps(request.__dict__, sort_keys=True, default=list))


# --- reading -------------------------------------------------------------------------------------------------------

_COLUMNS = (
    "r.id, r.code, r.state, r.office, r.service, r.slot, r.notice_numbers, r.phone, r.email, r.language, "
    'r.created_at, r.manage_token_hash, s.start AS "slot_start", s."end" AS "slot_end", o.name AS "office_name", '
    'o.name_en AS "office_name_en", c.kind AS "service_kind"'
)


async def _row(code: str) -> dict[str, Any] | None:
    rows = await PickupReservation.raw(
        f"SELECT {_COLUMNS} FROM counter_pickup_reservation r JOIN counter_pickup_slot s ON s.id = r.slot "
        "JOIN counter_office o ON o.id = r.office JOIN counter_service c ON c.id = r.service WHERE r.code = {}",
        code,
    )
    return rows[0] if rows else None


async def _read(code: str) -> dict[str, Any]:
    """A reservation known to exist (just written in this transaction)."""
    row = await _row(code)
    if row is None:  # pragma: no cover - written by the caller
        raise _not_found()
    return row


def _details(row: dict[str, Any], token: str = "") -> PickupDetails:
    return PickupDetails(
        code=row["code"],
        state=row["state"],
        office_id=row["office"],
        office_name=row["office_name"],
        office_name_en=row["office_name_en"],
        service_id=row["service"],
        service_kind=row["service_kind"],
        slot_id=row["slot"],
        start=row["slot_start"].astimezone(clock.JST),
        end=row["slot_end"].astimezone(clock.JST),
        notice_numbers=tuple((row["notice_numbers"] or "").split()),
        phone=row["phone"],
        email=row["email"],
        language=row["language"],
        created_at=row["created_at"],
        manage_token=token,
    )


def _not_found() -> NotFound:
    return NotFound(
        _(
            "This reservation does not exist, or its link is incomplete. Open the link from your email or slip "
            "again, or call the counter with your reservation code."
        )
    )


async def get_reservation(code: str, token: str | None) -> PickupDetails:
    """A reservation opened with its manage token; a wrong code or token is "not found" (no hint which)."""
    code = normalize_code(code)
    row = await _row(code) if code and token else None
    if row is None or not token_matches(code, token, row["manage_token_hash"]):
        raise _not_found()
    return _details(row, token or "")


# --- writing -------------------------------------------------------------------------------------------------------


class _Replay(Exception):
    """The Idempotency-Key was used before: the transaction is undone and the earlier reservation returned."""


class _NoRoom(Exception):
    """The conditional update took nothing (full, or no such time); the reason is read after the rollback."""


_SLOT_COLUMNS = 'id, office, service, day, start, "end"'


async def _refuse_unless_bookable(slot: dict[str, Any], now: dt.datetime) -> None:
    if not await is_bookable(slot, now):
        settings = get_settings()
        raise Conflict(
            _(
                "This time cannot be reserved: reservations open {days} days ahead and close {hours} hours before "
                "the time, on the days the counter is open. Please choose another time."
            ).format(days=settings.pickup_open_days, hours=settings.pickup_close_hours)
        )


async def _one_at_a_time(office_id: int) -> None:
    """PostgreSQL: lock the office's row until the transaction ends, so that the rules that read other reservations
    (per contact, per notice number) see every one committed before; SQLite's write transaction already lets one
    writer in. Taken after the places, so a full time is refused without waiting."""
    if not is_sqlite():
        await Office.select(Office.id).where(Office.id == office_id).lock_rows("UPDATE")


async def _check_contact(office_id: int, phone: str, email: str, now: dt.datetime, except_id: int = 0) -> None:
    """At most BOOKINGS_PER_CONTACT reservations to come per phone or email at one office."""
    limit = get_settings().bookings_per_contact
    rows = await PickupReservation.raw(
        "SELECT COUNT(*) AS n FROM counter_pickup_reservation r JOIN counter_pickup_slot s ON s.id = r.slot "
        "WHERE r.office = {} AND r.state = {} AND r.id <> {} AND s.start >= {} "
        "AND ((r.phone <> '' AND r.phone = {}) OR (r.email <> '' AND r.email = {}))",
        office_id,
        PickupState.confirmed.value,
        except_id,
        now,
        phone,
        email,
    )
    if rows[0]["n"] >= limit:
        raise Conflict(
            _(
                "This phone number or email address already has {n} reservations at this office. Change or cancel "
                "one of them instead."
            ).format(n=limit)
        )


async def _check_numbers(office_id: int, numbers: tuple[str, ...], now: dt.datetime, except_id: int = 0) -> None:
    """A notice number is in at most one reservation to come at an office."""
    rows = await PickupReservation.raw(
        "SELECT r.notice_numbers FROM counter_pickup_reservation r JOIN counter_pickup_slot s ON s.id = r.slot "
        "WHERE r.office = {} AND r.state = {} AND r.id <> {} AND s.start >= {}",
        office_id,
        PickupState.confirmed.value,
        except_id,
        now,
    )
    taken = {number for row in rows for number in (row["notice_numbers"] or "").split()}
    if taken & set(numbers):
        raise Conflict(
            _(
                "A notice number you gave already has a reservation at this office. Use the link of that "
                "reservation to change or cancel it."
            )
        )


async def _full(slot_id: int, party_size: int) -> Exception:
    """Why the conditional update took nothing: no such time, or not enough places (with the next times that have
    room for the party)."""
    slot = await PickupSlot.select().where(PickupSlot.id == slot_id).first()
    if slot is None:
        return NotFound(_("This time does not exist."))
    if not await is_bookable(slot, clock.now()):
        try:
            await _refuse_unless_bookable(slot, clock.now())
        except Conflict as closed:
            return closed
    times = await pickup_times(slot["office"], slot["service"], party_size)
    alternatives = [t for t in times if t.id != slot_id][:3]
    remaining = max(0, slot["capacity"] - slot["booked"])
    if remaining > 0:
        message = _(
            "This time has room for at most {room} people, and your party is {party}. "
            "Please choose a time that has room for everyone."
        ).format(room=remaining, party=party_size)
    else:
        message = _("This time is full. Please choose another time.")
    if not alternatives:
        message += " " + _("No other time has room for {party} people now.").format(party=party_size)
    return PickupTimeFull(message, alternatives, slot["day"])


async def reserve(request: PickupRequest, idempotency_key: str | None = None) -> tuple[PickupDetails, bool]:
    """Reserve a time for the people of ``request``; returns the reservation and whether it was made now (False:
    the same Idempotency-Key came before with the same request, and this is the reservation it made)."""
    request = validate(request)
    key = key_digest(idempotency_key) if idempotency_key else None
    digest = request_digest(request)
    party = len(request.notice_numbers)
    try:
        async with write_transaction():
            slot = await capacity.take_places(PickupSlot, request.slot_id, party, returning=_SLOT_COLUMNS)
            if slot is None:
                raise _NoRoom()
            now = clock.now()
            await _refuse_unless_bookable(slot, now)
            await _one_at_a_time(slot["office"])
            await _check_contact(slot["office"], request.phone, request.email, now)
            await _check_numbers(slot["office"], request.notice_numbers, now)
            code = new_code()
            token = new_manage_token(code, idempotency_key)
            inserted = (
                await PickupReservation.insert(
                    PickupReservation(
                        code=code,
                        manage_token_hash=token_hash(token),
                        office=slot["office"],
                        service=slot["service"],
                        slot=slot["id"],
                        notice_numbers=" ".join(request.notice_numbers),
                        party_size=party,
                        phone=request.phone,
                        email=request.email,
                        language=request.language,
                        state=PickupState.confirmed.value,
                        idempotency_key=key,
                        request_digest=digest,
                        created_at=now,
                        updated_at=now,
                    )
                )
                .on_conflict(target=PickupReservation.idempotency_key, action="DO NOTHING")
                .returning(PickupReservation.id)
            )
            if not inserted:
                raise _Replay()
            details = _details(await _read(code), token)
            await pickup_notices.reservation_confirmed(details)
    except (_Replay, _NoRoom, Conflict, NotFound) as refusal:
        earlier = (
            await PickupReservation.select(PickupReservation.code, PickupReservation.request_digest)
            .where(PickupReservation.idempotency_key == key)
            .first()
            if key is not None
            else None
        )
        if earlier is not None:
            return await _replayed(earlier, digest, idempotency_key or ""), False
        if isinstance(refusal, _NoRoom):
            raise await _full(request.slot_id, party) from None
        raise
    return details, True


async def _replayed(earlier: dict[str, Any], digest: str, idempotency_key: str) -> PickupDetails:
    if earlier["request_digest"] != digest:
        raise ValidationFailed(
            _("This Idempotency-Key was already used for a different reservation."),
            {"idempotency_key": _("Use a new key for a new reservation.")},
        )
    row = await _read(earlier["code"])
    token = new_manage_token(row["code"], idempotency_key)
    return _details(row, token if token_matches(row["code"], token, row["manage_token_hash"]) else "")


async def cancel_reservation(code: str, token: str | None) -> PickupDetails:
    """Cancel a reservation and give its places back (cancelling twice is harmless)."""
    shown = await get_reservation(code, token)
    async with write_transaction():
        cancelled = (
            await PickupReservation.update(
                {PickupReservation.state: PickupState.cancelled.value, PickupReservation.updated_at: clock.now()}
            )
            .where((PickupReservation.code == shown.code) & (PickupReservation.state == PickupState.confirmed.value))
            .returning(PickupReservation.slot, PickupReservation.party_size)
        )
        if cancelled:
            await capacity.release_places(PickupSlot, cancelled[0]["slot"], cancelled[0]["party_size"])
            details = replace(shown, state=PickupState.cancelled.value)
            await pickup_notices.reservation_cancelled(details)
    if cancelled:
        await _places_freed(shown)
        return details
    if shown.state == PickupState.cancelled.value:
        return shown
    raise Conflict(_("This reservation can no longer be cancelled (it was already used at the counter)."))


async def change_reservation(code: str, token: str | None, slot_id: int) -> PickupDetails:
    """Move a reservation to another time of the same office and service: the new places are taken before the old
    ones are given back, so the resident never ends up with neither."""
    shown = await get_reservation(code, token)
    if shown.state != PickupState.confirmed.value:
        raise Conflict(_("Only a confirmed reservation can be changed."))
    if slot_id == shown.slot_id:
        return shown
    party = shown.party_size
    try:
        async with write_transaction():
            slot = await capacity.take_places(PickupSlot, slot_id, party, returning=_SLOT_COLUMNS)
            if slot is None:
                raise _NoRoom()
            if slot["office"] != shown.office_id or slot["service"] != shown.service_id:
                raise Conflict(_("Choose a time of the same office and service, or make a new reservation."))
            await _refuse_unless_bookable(slot, clock.now())
            moved = (
                await PickupReservation.update(
                    {
                        PickupReservation.slot: slot_id,
                        PickupReservation.reminded_at: None,
                        PickupReservation.updated_at: clock.now(),
                    }
                )
                .where(
                    (PickupReservation.code == shown.code)
                    & (PickupReservation.state == PickupState.confirmed.value)
                    & (PickupReservation.slot == shown.slot_id)
                )
                .returning(PickupReservation.id)
            )
            if not moved:  # cancelled, checked in or moved by another request meanwhile
                raise Conflict(_("Only a confirmed reservation can be changed."))
            await capacity.release_places(PickupSlot, shown.slot_id, party)
            details = _details(await _read(shown.code), shown.manage_token)
            await pickup_notices.reservation_changed(details)
    except _NoRoom:
        raise await _full(slot_id, party) from None
    await _places_freed(shown)
    return details


async def _places_freed(old: PickupDetails) -> None:
    """The places of a cancelled or moved reservation are offered to its service-day's waiting list (after the
    commit: the offer takes them with its own conditional update)."""
    await places_freed("pickup", old.service_id, old.start.date())
