"""The waiting list of pickup reservations (交付予約の空き待ち): the kind "pickup" of booking.waitlist, a list per
reservable service and day in Japan. A resident whose day is full gives what a reservation needs (the notice number
of each person, one contact, the language) and the times that suit; a cancelled or moved reservation offers its
places to the oldest entry that fits, held by the capacity engine on the PickupSlot row, and accepting the offer
makes an ordinary PickupReservation (its confirmation email, slip, calendar entry), checked by the reservation's
own rules (per contact, per notice number). No name is kept: the engine's ``name_kana`` stays empty."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from booking import capacity, waitlist
from booking.codes import new_manage_token, token_hash, token_matches
from booking.tables import WaitlistEntry
from booking.waitlist import (
    OpenSlot,
    WaitEntry,
    WaitKind,
    WaitRequest,
    accept,
    decline,
    entries,
    join,
    offer_until,
    register_kind,
)
from core import clock
from core.audit import record_event
from core.db import write_transaction
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import gettext as _
from core.settings import get_settings
from core.users import Actor
from counter import pickup_notices
from counter.pickup_slots import bookable_rows
from counter.pickups import (
    PickupDetails,
    PickupRequest,
    _check_contact,
    _check_numbers,
    _details,
    _one_at_a_time,
    _read,
    _row,
    validate,
)
from counter.tables import CounterService, PickupReservation, PickupSlot, PickupState

KIND = "pickup"


PAGE = "/pickups/waitlist"  # the residents' pages of a pickup entry (portal/public/pickups.py)


def entry_url(code: str, token: str) -> str:
    """The resident's page of a pickup waiting-list entry (view, accept, decline, leave); the token is the key."""
    return waitlist.entry_url(code, token, KIND)


@dataclass(frozen=True)
class PickupWaitRequest:
    """What a resident gives to wait for a pickup time: the service, the day (or the times, which name it), the
    notice number of each person, one contact and the language."""

    service_id: int
    notice_numbers: tuple[str, ...]
    day: dt.date | None = None
    slot_ids: tuple[int, ...] = ()
    phone: str = ""
    email: str = ""
    language: str = "ja"


# --- the kind --------------------------------------------------------------------------------------------------------


async def _service(service_id: int) -> dict[str, Any] | None:
    return await CounterService.select().where(CounterService.id == service_id).first()


async def day_of(scope: int, day: dt.date | None) -> dt.date:
    """The list's day: the one asked for (a service has a list per day)."""
    service = await _service(scope)
    if service is None:
        raise NotFound(_("This time does not exist."))
    if day is None:
        raise ValidationFailed(_("Please correct the marked fields."), {"day": _("Choose a day.")})
    return day


def _open_slot(row: dict[str, Any]) -> OpenSlot:
    return OpenSlot(
        id=row["id"],
        start=row["start"].astimezone(clock.JST),
        end=row["end"].astimezone(clock.JST),
        closes_at=row["start"] - dt.timedelta(hours=get_settings().pickup_close_hours),
        room=max(0, row["capacity"] - row["booked"]),
    )


async def open_slots(scope: int, day: dt.date, now: dt.datetime) -> list[OpenSlot]:
    """The service's times of the day that still take reservations, with their free places."""
    return [_open_slot(row) for row in await bookable_rows(scope, now, day)]


async def take(slot_id: int, party_size: int) -> bool:
    return await capacity.take_places(PickupSlot, slot_id, party_size) is not None


async def release(slot_id: int, party_size: int) -> None:
    await capacity.release_places(PickupSlot, slot_id, party_size)


def check(request: WaitRequest) -> WaitRequest:
    """The notice numbers (one per person: they make the party), contact and language by the reservation's own
    rules and messages (a My Number is refused); no name."""
    numbers = request.extra.get("notice_numbers") or ()
    if isinstance(numbers, str) or not all(isinstance(n, str) for n in numbers):
        numbers = ()
    checked = validate(
        PickupRequest(
            slot_id=0,
            notice_numbers=tuple(numbers),
            phone=request.phone,
            email=request.email,
            language=request.language,
        )
    )
    return replace(
        request,
        name_kana="",
        party_size=len(checked.notice_numbers),
        phone=checked.phone,
        email=checked.email,
        language=checked.language,
        extra={"notice_numbers": list(checked.notice_numbers)},
    )


def _manage_token(code: str, key: str) -> str:
    """The reservation's manage token, derived from the key the offer was accepted with, so that accepting again
    shows the same link although only its hash is stored."""
    return new_manage_token(code, "waitlist-accept:" + key)


async def book(entry: WaitEntry, slot_id: int, code: str, key: str) -> PickupDetails:
    """The reservation of an accepted offer (its places are held already: none taken), in the acceptance's
    transaction, with the reservation's rules per contact and per notice number and its confirmation email."""
    slot = (
        await PickupSlot.select(PickupSlot.id, PickupSlot.office, PickupSlot.service)
        .where(PickupSlot.id == slot_id)
        .first()
    )
    if slot is None:  # pragma: no cover - times with reservations or holds are never deleted
        raise NotFound(_("This time does not exist."))
    now = clock.now()
    numbers = tuple(entry.extra.get("notice_numbers") or ())
    await _one_at_a_time(slot["office"])
    await _check_contact(slot["office"], entry.phone, entry.email, now)
    await _check_numbers(slot["office"], numbers, now)
    token = _manage_token(code, key)
    await PickupReservation.insert(
        PickupReservation(
            code=code,
            manage_token_hash=token_hash(token),
            office=slot["office"],
            service=slot["service"],
            slot=slot_id,
            notice_numbers=" ".join(numbers),
            party_size=entry.party_size,
            phone=entry.phone,
            email=entry.email,
            language=entry.language,
            state=PickupState.confirmed.value,
            created_at=now,
            updated_at=now,
        )
    )
    details = _details(await _read(code), token)
    await pickup_notices.reservation_confirmed(details)
    return details


async def booked(entry: WaitEntry, key: str) -> PickupDetails:
    """The reservation an accepted entry made, with its manage link when ``key`` is the one it was accepted with."""
    row = await _row(entry.booking_code)
    if row is None:  # pragma: no cover - reservations are never deleted
        raise NotFound(_("This time does not exist."))
    token = _manage_token(row["code"], key)
    return _details(row, token if token_matches(row["code"], token, row["manage_token_hash"]) else "")


async def _place(service_id: int) -> tuple[str, str, str]:
    """The office's names and the service's kind of a list."""
    place = await list_place(service_id)
    return (place.office_name, place.office_name_en, place.service_kind) if place else ("", "", "")


async def joined(entry: WaitEntry) -> None:
    await pickup_notices.waitlist_joined(entry, *await _place(entry.scope), entry_url(entry.code, entry.token))


async def offer_made(entry: WaitEntry, slot: OpenSlot, token: str) -> None:
    await pickup_notices.waitlist_offer(entry, slot, *await _place(entry.scope), entry_url(entry.code, token))


def register() -> None:
    """The pickup reservations' kind of waiting list (called by ``wiring.register``)."""
    register_kind(
        WaitKind(
            name=KIND,
            day_of=day_of,
            open_slots=open_slots,
            take=take,
            release=release,
            check=check,
            book=book,
            booked=booked,
            joined=joined,
            offer_made=offer_made,
            page=PAGE,
        )
    )


# --- what residents use ----------------------------------------------------------------------------------------------


async def join_waitlist(request: PickupWaitRequest, idempotency_key: str | None = None) -> tuple[WaitEntry, bool]:
    """Put a resident on a service-day's list (the day of the times chosen when no day is named); returns the entry
    with its token and whether it was made now. Conflict when a time asked for has room (reserve it instead), and
    when a notice number already has a reservation to come at the office (an offer could not be accepted: the
    resident changes that reservation instead)."""
    place = await list_place(request.service_id)
    day = request.day
    if day is None and request.slot_ids:
        first = (
            await PickupSlot.select(PickupSlot.day, PickupSlot.service)
            .where(PickupSlot.id == request.slot_ids[0])
            .first()
        )
        if first is not None and first["service"] == request.service_id:
            day = first["day"]
    if place is not None:
        now = clock.now()
        numbers = validate(
            PickupRequest(0, request.notice_numbers, request.phone, request.email, request.language)
        ).notice_numbers
        await _check_numbers(place.office_id, numbers, now)
        rows = await bookable_rows(request.service_id, now, day) if day else []
        wanted = [row for row in rows if not request.slot_ids or row["id"] in request.slot_ids]
        if wanted and not any(row["capacity"] >= len(numbers) for row in wanted):
            raise Conflict(
                _(
                    "No time you chose takes {n} people at once, even when nobody else has reserved it. Please "
                    "reserve for fewer people at a time."
                ).format(n=len(numbers))
            )
    return await join(
        KIND,
        WaitRequest(
            scope=request.service_id,
            name_kana="",
            party_size=max(1, len(request.notice_numbers)),
            day=day,
            slot_ids=request.slot_ids,
            phone=request.phone,
            email=request.email,
            language=request.language,
            extra={"notice_numbers": list(request.notice_numbers)},
        ),
        idempotency_key,
    )


async def full_days(service_id: int, party_size: int, now: dt.datetime | None = None) -> list[dt.date]:
    """The days whose times still take reservations but none has room for the party: the days residents may wait
    for."""
    now = now or clock.now()
    by_day: dict[dt.date, list[OpenSlot]] = defaultdict(list)
    room: dict[dt.date, bool] = defaultdict(bool)
    for row in await bookable_rows(service_id, now):
        slot = _open_slot(row)
        room[row["day"]] |= slot.room >= party_size
        if row["capacity"] >= party_size and offer_until(slot.closes_at, now):
            by_day[row["day"]].append(slot)
    return sorted(day for day, slots in by_day.items() if slots and not room[day])


async def waitable_times(
    service_id: int, day: dt.date, party_size: int = 1, now: dt.datetime | None = None
) -> list[OpenSlot]:
    """The times of a day a party may wait for (an offer can still be made for them, and they take the party when
    nobody else has reserved them), full or not."""
    now = now or clock.now()
    return [
        _open_slot(row)
        for row in await bookable_rows(service_id, now, day)
        if row["capacity"] >= party_size and offer_until(_open_slot(row).closes_at, now)
    ]


@dataclass(frozen=True)
class WaitPlace:
    """Where a list's times are: the office and the service, as the pages show them."""

    office_id: int
    office_name: str
    office_name_en: str
    service_id: int
    service_kind: str

    def display_name(self, locale: str) -> str:
        return self.office_name_en if locale not in ("ja", "ja-easy") and self.office_name_en else self.office_name


async def list_place(service_id: int) -> WaitPlace | None:
    """The office and service of a list (None when the service does not exist)."""
    rows = await CounterService.select(
        CounterService.office,
        CounterService.kind,
        CounterService.office.name.as_alias("name"),
        CounterService.office.name_en.as_alias("en"),
    ).where(CounterService.id == service_id)
    if not rows:
        return None
    return WaitPlace(rows[0]["office"], rows[0]["name"], rows[0]["en"], service_id, rows[0]["kind"])


async def slot_times(slot_ids: Sequence[int]) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """The start and end (Japan time) of some times, by id (an entry's chosen times and its offer)."""
    if not slot_ids:
        return {}
    rows = await PickupSlot.select(PickupSlot.id, PickupSlot.start, PickupSlot.end).where(
        PickupSlot.id.is_in(list(slot_ids))
    )
    return {row["id"]: (row["start"].astimezone(clock.JST), row["end"].astimezone(clock.JST)) for row in rows}


async def entry_reservation(entry: WaitEntry, token: str) -> PickupDetails | None:
    """The reservation an accepted entry made (its manage link when ``token`` accepted it), else None."""
    if entry.state != "booked" or not entry.booking_code:
        return None
    return await booked(entry, token)


# --- what staff use --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffEntry:
    """An entry as the counter's staff see it: enough to call a resident who gave a phone number only (no notice
    numbers)."""

    entry: WaitEntry
    service_kind: str
    times: tuple[tuple[dt.datetime, dt.datetime], ...]
    offered: tuple[dt.datetime, dt.datetime] | None

    @property
    def to_call(self) -> bool:
        """An offer nobody can email: staff call with it."""
        return self.entry.state == "offered" and self.entry.phone_only


async def office_waitlist(actor: Actor, office_id: int, today: dt.date | None = None) -> list[StaffEntry]:
    """The pickup waiting lists of an office from ``today`` on (every service, oldest first by day), for staff: the
    view is written to the audit log (``pickup_waitlist.viewed``, the number of entries shown, never a contact)."""
    today = today or clock.today()
    services = await CounterService.select(CounterService.id, CounterService.kind).where(
        CounterService.office == office_id
    )
    kinds = {row["id"]: row["kind"] for row in services}
    shown: list[WaitEntry] = []
    for service_id in kinds:
        shown += [e for e in await entries(KIND, service_id) if e.day >= today]
    shown.sort(key=lambda e: (e.day, e.created_at, e.id))
    times = await slot_times(sorted({i for e in shown for i in (*e.slot_ids, e.offered_slot or 0) if i}))
    async with write_transaction():
        await record_event(
            actor, "pickup_waitlist.viewed", "office", office_id, f"{len(shown)} entries", scope=f"office:{office_id}"
        )
    return [
        StaffEntry(
            entry=e,
            service_kind=kinds[e.scope],
            times=tuple(times[i] for i in e.slot_ids if i in times),
            offered=times.get(e.offered_slot) if e.offered_slot else None,
        )
        for e in shown
    ]


async def _staff_entry(office_id: int, code: str) -> WaitEntry:
    """A pickup entry of one of the office's services (NotFound otherwise)."""
    row = await WaitlistEntry.select(WaitlistEntry.kind, WaitlistEntry.scope).where(WaitlistEntry.code == code).first()
    place = None
    if row is not None and row["kind"] == KIND:
        place = await list_place(row["scope"])
    if row is None or place is None or place.office_id != office_id:
        raise NotFound(_("This waiting list entry does not exist."))
    return next(e for e in await entries(KIND, row["scope"]) if e.code == code)


async def staff_accept(actor: Actor, office_id: int, code: str) -> PickupDetails:
    """Accept an offer for a resident on the phone: the ordinary reservation is made (its code is read out to
    them); audited."""
    entry = await _staff_entry(office_id, code)
    details: PickupDetails = (await accept(entry.code, None, staff_user=actor.id))[1]
    async with write_transaction():
        await record_event(
            actor, "pickup_waitlist.accepted", "waitlist_entry", entry.id, details.code, scope=f"office:{office_id}"
        )
    return details


async def staff_decline(actor: Actor, office_id: int, code: str) -> WaitEntry:
    """Decline an offer for a resident on the phone (the places go to the next entry); audited."""
    entry = await _staff_entry(office_id, code)
    declined = await decline(entry.code, None, staff_user=actor.id)
    async with write_transaction():
        await record_event(actor, "pickup_waitlist.declined", "waitlist_entry", entry.id, scope=f"office:{office_id}")
    return declined
