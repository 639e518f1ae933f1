"""Waiting lists (空きが出たら知らせる): residents who found a time full wait for a freed place; when places are freed
(a cancellation, a move, more capacity, a late booking released) the oldest waiting entry that fits gets an offer,
and the places are held for it until the offer expires. Accepting the offer makes an ordinary booking.

The hold is the capacity engine's (booking.capacity): an offer takes the places from the slot's row with the same
conditional update as a booking, so that no one else can book them, on any database and with any number of workers;
declining, leaving or letting the offer expire gives them back, and the next entry that fits is offered them. Every
change of an entry's state is one conditional update on the state it expects (``WHERE state = 'offered'``), so an
offer is accepted, declined or expired once however many requests or runners race for it.

The engine knows nothing of what is booked: a kind (``WaitKind``) registers how its places are taken and given back,
which slots an entry may be offered, how an accepted offer becomes a booking and how the resident is told. Booths
register the kind "booth" (booking.booth_waitlist); the counter's pickup days register theirs (counter), as booking
may not import counter (DESIGN §2).

Offers that expire are processed by the project's one mechanism for background work (core.jobs: the periodic task
``booking.waitlist``, registered in booking.jobs); each is expired once, by the conditional update.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from booking.codes import key_digest, new_code, normalize_code, token_hash
from booking.tables import OPEN_WAIT_STATES, WaitlistEntry, WaitState
from core import clock
from core.db import write_transaction
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import LOCALES
from core.i18n import gettext as _
from core.settings import get_settings

log = logging.getLogger(__name__)

MIN_OFFER_MINUTES = 10  # an offer is held at least this long; a time closing sooner than twice this is not offered
MAX_SLOT_IDS = 50


@dataclass(frozen=True)
class OpenSlot:
    """A slot an entry may be offered: its id, times, when online booking for it closes, and the places free now for
    a party (the take itself decides; this only spares hopeless attempts)."""

    id: int
    start: dt.datetime
    end: dt.datetime
    closes_at: dt.datetime
    room: int


@dataclass(frozen=True)
class WaitRequest:
    """What a resident gives to join a list (DESIGN §7: nothing else). ``extra`` is what the kind's booking needs
    besides (the counter's notice numbers), checked by the kind."""

    scope: int
    name_kana: str
    party_size: int = 1
    day: dt.date | None = None  # the day of the list, for kinds with a list per day (a booth has one day)
    slot_ids: tuple[int, ...] = ()
    phone: str = ""
    email: str = ""
    language: str = "ja"
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WaitEntry:
    """An entry as the resident and staff see it. ``token`` only when the caller holds it (just joined)."""

    id: int
    code: str
    kind: str
    scope: int
    day: dt.date
    slot_ids: tuple[int, ...]
    party_size: int
    name_kana: str
    phone: str
    email: str
    language: str
    extra: dict
    state: str
    offered_slot: int | None
    offered_at: dt.datetime | None
    offer_expires_at: dt.datetime | None
    booking_code: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    token: str = ""

    @property
    def link(self) -> str:
        """The resident's page of the entry (view, accept, decline, leave); the token is the key."""
        return entry_url(self.code, self.token, self.kind) if self.token else ""

    @property
    def phone_only(self) -> bool:
        """Reached by phone only: staff call with the offer (no email can carry it)."""
        return not self.email


@dataclass(frozen=True)
class WaitKind:
    """What a kind of bookable place tells the engine (each a coroutine function):

    A list is (kind, scope, day): a booth's list is its public id and its date; the counter's, a service and a day.

    - ``day_of(scope, day)``: the list's day in Japan (``day`` as asked, None when the resident named none);
      NotFound when the scope does not exist, Conflict when it takes no list.
    - ``open_slots(scope, day, now)``: the list's slots that can still be booked online, in time order,
      with their free places read now (inside the engine's write transaction).
    - ``take(slot_id, party_size)`` / ``release(slot_id, party_size)``: the capacity engine's conditional updates.
    - ``check(request)``: the request normalised (name, contact, ``extra``), or ValidationFailed naming every field.
    - ``book(entry, slot_id, code, token)``: inside the acceptance's transaction, the booking made of the offer (its
      places are already held: take none), its confirmation queued; returns what the kind shows of a booking.
    - ``booked(entry, token)``: the booking an accepted entry made (a repeated acceptance returns it).
    - ``joined(entry)``: tell the resident the entry's link (by email when there is one), inside the joining's
      transaction.
    - ``offer_made(entry, slot, token)``: tell the resident (by email when there is one; phone-only entries are on
      staff's list) inside the offer's transaction.
    - ``admit(request, day)`` (optional): inside the joining's transaction, refuse (Conflict) a request the kind could
      never book, so that no offer is held for it in vain (a booth: the contact's booking limit there); asked again
      before an offer is made, an entry it refuses then is passed over and keeps waiting.
    - ``lock(scope, day)`` (optional): inside the joining's transaction, lock the list so that joins of one list
      take turns (PostgreSQL: a row of the scope FOR UPDATE; SQLite's write transactions take turns already).
      Without it, two simultaneous joins with one contact may both be written on PostgreSQL.
    """

    name: str
    day_of: Callable[[int, dt.date | None], Awaitable[dt.date]]
    open_slots: Callable[[int, dt.date, dt.datetime], Awaitable[list[OpenSlot]]]
    take: Callable[[int, int], Awaitable[bool]]
    release: Callable[[int, int], Awaitable[None]]
    check: Callable[[WaitRequest], WaitRequest]
    book: Callable[[WaitEntry, int, str, str], Awaitable[Any]]
    booked: Callable[[WaitEntry, str], Awaitable[Any]]
    joined: Callable[[WaitEntry], Awaitable[None]]
    offer_made: Callable[[WaitEntry, OpenSlot, str], Awaitable[None]]
    lock: Callable[[int, dt.date], Awaitable[None]] | None = None
    admit: Callable[[WaitRequest, dt.date], Awaitable[None]] | None = None
    page: str = "/waitlist"  # the path of the residents' entry pages: {page}/{code}?token=
    closed: Callable[[WaitEntry], Awaitable[None]] | None = None  # tell a resident their entry closed unserved


_KINDS: dict[str, WaitKind] = {}


def register_kind(kind: WaitKind) -> None:
    """Register a kind of waiting list (wiring; registering a name again replaces it)."""
    _KINDS[kind.name] = kind


def get_kind(name: str) -> WaitKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise NotFound(_("This waiting list does not exist.")) from None


def entry_path(code: str, token: str, kind_name: str = "booth") -> str:
    """The path of an entry's page (view, accept, decline, leave) among its kind's pages; the token is the key."""
    kind = _KINDS.get(kind_name)
    return f"{kind.page if kind else '/waitlist'}/{code}?token={token}"


def entry_url(code: str, token: str, kind_name: str = "booth") -> str:
    """The resident's link to an entry's page (entry_path with BASE_URL)."""
    return get_settings().base_url + entry_path(code, token, kind_name)


def offer_until(closes_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """Until when an offer made ``now`` holds a slot whose online booking closes at ``closes_at``:
    WAITLIST_OFFER_MINUTES, but at most half the time left before it closes (the next entry needs time too), and
    never less than MIN_OFFER_MINUTES (a time that closes sooner is not offered: its places stay with walk-ins)."""
    left = closes_at - now
    shortest = dt.timedelta(minutes=MIN_OFFER_MINUTES)
    if left < 2 * shortest:
        return None
    return now + min(dt.timedelta(minutes=get_settings().waitlist_offer_minutes), left / 2)


def _loaded(value: Any) -> Any:
    """A JSON column's value as Python (Piccolo returns JSON columns as text)."""
    return json.loads(value) if isinstance(value, str) else value


def _entry(row: dict, token: str = "") -> WaitEntry:
    return WaitEntry(
        id=row["id"],
        code=row["code"],
        kind=row["kind"],
        scope=row["scope"],
        day=row["day"],
        slot_ids=tuple(_loaded(row["slot_ids"]) or ()),
        party_size=row["party_size"],
        name_kana=row["name_kana"],
        phone=row["phone"],
        email=row["email"],
        language=row["language"],
        extra=dict(_loaded(row["extra"]) or {}),
        state=row["state"],
        offered_slot=row["offered_slot"],
        offered_at=row["offered_at"],
        offer_expires_at=row["offer_expires_at"],
        booking_code=row["booking_code"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        token=token,
    )


_COLUMNS = (
    WaitlistEntry.id,
    WaitlistEntry.code,
    WaitlistEntry.kind,
    WaitlistEntry.scope,
    WaitlistEntry.day,
    WaitlistEntry.slot_ids,
    WaitlistEntry.party_size,
    WaitlistEntry.name_kana,
    WaitlistEntry.phone,
    WaitlistEntry.email,
    WaitlistEntry.language,
    WaitlistEntry.extra,
    WaitlistEntry.state,
    WaitlistEntry.offered_slot,
    WaitlistEntry.offered_at,
    WaitlistEntry.offer_expires_at,
    WaitlistEntry.booking_code,
    WaitlistEntry.created_at,
    WaitlistEntry.finished_at,
    WaitlistEntry.token_hash,
    WaitlistEntry.offer_token_hash,
)


async def _read(code: str) -> dict | None:
    canonical = normalize_code(code)
    if not canonical:
        return None
    return await WaitlistEntry.select(*_COLUMNS).where(WaitlistEntry.code == canonical).first()


def _opens(row: dict, token: str | None) -> bool:
    import hmac

    if not token:
        return False
    digest = token_hash(token)
    return any(
        stored and hmac.compare_digest(digest, stored) for stored in (row["token_hash"], row["offer_token_hash"])
    )


def _not_found() -> NotFound:
    return NotFound(
        _("This waiting list entry does not exist, or its link is incomplete. Open the link from your email again.")
    )


async def get_entry(code: str, token: str | None) -> WaitEntry:
    """An entry opened with its link's token (the one given when joining or the offer's); a wrong code or token is
    "not found" (no hint which)."""
    row = await _read(code)
    if row is None or not _opens(row, token):
        raise _not_found()
    return _entry(row, token or "")


async def waiting_before(entry: WaitEntry) -> int:
    """How many entries of the entry's list have waited longer than it (its place on the list, less one; an offer
    still goes to the oldest entry that fits, so a smaller party may pass a larger one)."""
    return await WaitlistEntry.count().where(
        (WaitlistEntry.kind == entry.kind)
        & (WaitlistEntry.scope == entry.scope)
        & (WaitlistEntry.day == entry.day)
        & (WaitlistEntry.state == WaitState.waiting.value)
        & (
            (WaitlistEntry.created_at < entry.created_at)
            | ((WaitlistEntry.created_at == entry.created_at) & (WaitlistEntry.id < entry.id))
        )
    )


# --- joining ---------------------------------------------------------------------------------------------------------


def check_slot_ids(slot_ids: Sequence[int], open_ids: Sequence[int]) -> tuple[int, ...]:
    """The chosen times, each once, in time order; ValidationFailed when one is not a time of this list."""
    chosen = tuple(dict.fromkeys(slot_ids))
    if len(chosen) > MAX_SLOT_IDS or any(slot_id not in open_ids for slot_id in chosen):
        raise ValidationFailed(
            _("Please correct the marked fields."),
            {"slot_ids": _("Choose times of this day that can still be booked.")},
        )
    return tuple(slot_id for slot_id in open_ids if slot_id in chosen)


def check_language(language: str) -> str:
    language = unicodedata.normalize("NFKC", language or "ja").strip() or "ja"
    if language not in LOCALES:
        raise ValidationFailed(
            _("Please correct the marked fields."), {"language": _("Choose one of the languages on the list.")}
        )
    return language


async def join(kind_name: str, request: WaitRequest, idempotency_key: str | None = None) -> tuple[WaitEntry, bool]:
    """Put a resident on a list; returns the entry (with its link's token) and whether it was made now (False: the
    same Idempotency-Key was sent before, and this is the entry it made).

    Refused (Conflict) when a time asked for has room for the party now (book it instead), when no time of the day can
    still be booked online, or when the contact already waits on this list. When places are free for the entry by
    the time it is written (freed meanwhile), it is offered them at once."""
    kind = get_kind(kind_name)
    request = kind.check(request)
    key = key_digest(idempotency_key) if idempotency_key else None
    if key is not None:
        earlier = await WaitlistEntry.select(*_COLUMNS).where(WaitlistEntry.idempotency_key == key).first()
        if earlier is not None:
            return _replayed(earlier, request, idempotency_key or ""), False
    day = await kind.day_of(request.scope, request.day)
    now = clock.now()
    slots = await kind.open_slots(request.scope, day, now)
    open_ids = [slot.id for slot in slots if offer_until(slot.closes_at, now) is not None]
    slot_ids = check_slot_ids(request.slot_ids, open_ids) if request.slot_ids else ()
    if not open_ids:
        raise Conflict(_("No time of this day can still be booked online, so there is no waiting list for it."))
    wanted = [slot for slot in slots if slot.id in (slot_ids or open_ids)]
    if any(slot.room >= request.party_size for slot in wanted):
        raise Conflict(_("A time you chose has room for your party now: please book it instead."))
    code = new_code()
    token = _token_for_key(code, idempotency_key) if idempotency_key else _new_token()
    async with write_transaction():
        if kind.lock is not None:
            await kind.lock(request.scope, day)
        if key is not None:  # the same key sent at the same moment: the join that went first made the entry
            earlier = await WaitlistEntry.select(*_COLUMNS).where(WaitlistEntry.idempotency_key == key).first()
            if earlier is not None:
                return _replayed(earlier, request, idempotency_key or ""), False
        await _refuse_second_entry(kind_name, request, day)
        if kind.admit is not None:
            await kind.admit(request, day)
        inserted = await WaitlistEntry.insert(
            WaitlistEntry(
                code=code,
                token_hash=token_hash(token),
                kind=kind_name,
                scope=request.scope,
                day=day,
                slot_ids=list(slot_ids),
                party_size=request.party_size,
                name_kana=request.name_kana,
                phone=request.phone,
                email=request.email,
                language=request.language,
                extra=request.extra,
                state=WaitState.waiting.value,
                idempotency_key=key,
                created_at=now,
                updated_at=now,
            )
        ).returning(WaitlistEntry.id)
        row = await WaitlistEntry.select(*_COLUMNS).where(WaitlistEntry.id == inserted[0]["id"]).first()
        await kind.joined(_entry(row, token))
    log.info("waitlist %s entry %s joined (%s)", kind_name, inserted[0]["id"], request.scope)
    await fill(kind_name, request.scope, day)
    row = await WaitlistEntry.select(*_COLUMNS).where(WaitlistEntry.code == code).first()
    return _entry(row, token), True


def _replayed(earlier: dict, request: WaitRequest, idempotency_key: str) -> WaitEntry:
    """The entry a repeated Idempotency-Key made, with its link, when the request is the one it was made with (the
    same list, person, contact, party and times; the language may differ); otherwise ValidationFailed, so that a key
    sent again by someone else never hands over another resident's entry and link."""
    same = (
        earlier["scope"] == request.scope
        and (request.day is None or earlier["day"] == request.day)
        and earlier["name_kana"] == request.name_kana
        and earlier["phone"] == request.phone
        and earlier["email"] == request.email
        and earlier["party_size"] == request.party_size
        and set(_loaded(earlier["slot_ids"]) or ()) == set(request.slot_ids)
        and dict(_loaded(earlier["extra"]) or {}) == dict(request.extra)
    )
    if not same:
        raise ValidationFailed(
            _("This Idempotency-Key was already used for a different waiting list entry."),
            {"idempotency_key": _("Use a new key for a new entry.")},
        )
    return _entry(earlier, _token_for_key(earlier["code"], idempotency_key))


def _new_token() -> str:
    import secrets

    return secrets.token_urlsafe(16)


def _token_for_key(code: str, idempotency_key: str) -> str:
    """The link's token of an entry made with a client's Idempotency-Key: derived from the key (an HMAC with
    SECRET_KEY), so that a repeated request gets the same link although only its hash is stored."""
    from booking.codes import new_manage_token

    return new_manage_token(code, "waitlist:" + idempotency_key)


async def _refuse_second_entry(kind_name: str, request: WaitRequest, day: dt.date) -> None:
    """One open entry per phone number or email address on a list."""
    same = WaitlistEntry.select(WaitlistEntry.id).where(
        (WaitlistEntry.kind == kind_name)
        & (WaitlistEntry.scope == request.scope)
        & (WaitlistEntry.day == day)
        & WaitlistEntry.state.is_in(list(OPEN_WAIT_STATES))
    )
    contact = None
    if request.phone:
        contact = WaitlistEntry.phone == request.phone
    if request.email:
        by_email = WaitlistEntry.email == request.email
        contact = by_email if contact is None else (contact | by_email)
    if contact is not None and await same.where(contact).first():
        raise Conflict(
            _(
                "This phone number or email address is already on this waiting list. Open the link you were given "
                "to see your place or to leave the list."
            )
        )


# --- offers ----------------------------------------------------------------------------------------------------------


async def fill(kind_name: str, scope: int, day: dt.date, now: dt.datetime | None = None) -> int:
    """Offer the places free now to the waiting entries of a list, oldest first: each gets the earliest time it
    asked for that has room for its whole party (an entry that fits nowhere is passed over, and a later, smaller one
    may get the places). Returns how many offers were made. Safe to run from anywhere at any time: the places are
    taken by the conditional update and the entry changes state once, or the places are given back."""
    kind = get_kind(kind_name)
    now = now or clock.now()
    waiting = await (
        WaitlistEntry.select(*_COLUMNS)
        .where(
            (WaitlistEntry.kind == kind_name)
            & (WaitlistEntry.scope == scope)
            & (WaitlistEntry.day == day)
            & (WaitlistEntry.state == WaitState.waiting.value)
        )
        .order_by(WaitlistEntry.created_at)
        .order_by(WaitlistEntry.id)
    )
    if not waiting:
        return 0
    made = 0
    async with write_transaction():
        slots = await kind.open_slots(scope, day, now)
        room = {slot.id: slot.room for slot in slots}
        for row in waiting:
            entry = _entry(row)
            for slot in slots:
                if (entry.slot_ids and slot.id not in entry.slot_ids) or room[slot.id] < entry.party_size:
                    continue
                until = offer_until(slot.closes_at, now)
                if until is None:
                    continue
                if not await _admitted(kind, entry):  # e.g. its contact booked up the booth since: passed over
                    break
                if not await kind.take(slot.id, entry.party_size):
                    continue
                token = _new_token()
                offered = (
                    await WaitlistEntry.update(
                        {
                            WaitlistEntry.state: WaitState.offered.value,
                            WaitlistEntry.offered_slot: slot.id,
                            WaitlistEntry.offered_at: now,
                            WaitlistEntry.offer_expires_at: until,
                            WaitlistEntry.offers: WaitlistEntry.offers + 1,
                            WaitlistEntry.offer_token_hash: token_hash(token),
                            WaitlistEntry.updated_at: now,
                        }
                    )
                    .where((WaitlistEntry.id == entry.id) & (WaitlistEntry.state == WaitState.waiting.value))
                    .returning(WaitlistEntry.id)
                )
                if not offered:  # left, or offered by a concurrent fill: the places go back
                    await kind.release(slot.id, entry.party_size)
                    break
                room[slot.id] -= entry.party_size
                offer = _entry(
                    {
                        **row,
                        "state": WaitState.offered.value,
                        "offered_slot": slot.id,
                        "offered_at": now,
                        "offer_expires_at": until,
                    },
                    token,
                )
                await kind.offer_made(offer, slot, token)
                log.info("waitlist %s entry %s offered slot %s until %s", kind_name, entry.id, slot.id, until)
                made += 1
                break
    return made


async def _admitted(kind: WaitKind, entry: WaitEntry) -> bool:
    """Whether the kind would still take the entry now (WaitKind.admit): an offer it could never accept would hold
    the places for nobody until it expired."""
    if kind.admit is None:
        return True
    request = WaitRequest(
        scope=entry.scope,
        name_kana=entry.name_kana,
        party_size=entry.party_size,
        day=entry.day,
        slot_ids=entry.slot_ids,
        phone=entry.phone,
        email=entry.email,
        language=entry.language,
        extra=entry.extra,
    )
    try:
        await kind.admit(request, entry.day)
    except Conflict:
        return False
    return True


def _refusal(state: str) -> Conflict:
    messages = {
        WaitState.waiting.value: _("No place is offered to you yet. We will tell you when one is free."),
        WaitState.declined.value: _("You declined this offer; the places went to the next person on the list."),
        WaitState.expired.value: _(
            "This offer has expired: it was not accepted in time, and the places went to the next person on the list."
        ),
        WaitState.left.value: _("You left this waiting list."),
        WaitState.closed.value: _("This waiting list is closed: its times can no longer be booked online."),
        WaitState.booked.value: _(
            "You accepted this offer and your booking is made. If you cannot come, cancel the booking itself."
        ),
    }
    return Conflict(messages.get(state, _("This offer can no longer be accepted.")))


async def accept(code: str, token: str | None, staff_user: int | None = None) -> tuple[WaitEntry, Any, bool]:
    """Accept an entry's offer: the held places become an ordinary booking (slip, calendar entry, reminders, its
    confirmation email). Returns the entry, the booking (as the kind shows it) and whether it was made now (False:
    the offer was accepted before, and this is the booking it made). Staff accepting for a resident on the phone
    pass ``staff_user`` instead of the token. Accepted twice, it books once."""
    row = await _read(code)
    if row is None or (staff_user is None and not _opens(row, token)):
        raise _not_found()
    kind = get_kind(row["kind"])
    key = token or f"staff:{row['code']}"
    if row["state"] == WaitState.booked.value:
        return _entry(row, token or ""), await kind.booked(_entry(row), key), False
    now = clock.now()
    booking_code = new_code()
    try:
        async with write_transaction():
            accepted = (
                await WaitlistEntry.update(
                    {
                        WaitlistEntry.state: WaitState.booked.value,
                        WaitlistEntry.booking_code: booking_code,
                        WaitlistEntry.finished_at: now,
                        WaitlistEntry.updated_at: now,
                        WaitlistEntry.handled_by: staff_user,
                    }
                )
                .where(
                    (WaitlistEntry.id == row["id"])
                    & (WaitlistEntry.state == WaitState.offered.value)
                    & (WaitlistEntry.offer_expires_at > now)
                )
                .returning(WaitlistEntry.id)
            )
            if not accepted:
                raise _Lost()
            entry = _entry({**row, "state": WaitState.booked.value, "booking_code": booking_code}, token or "")
            booking = await kind.book(entry, row["offered_slot"], booking_code, key)
    except _Lost:
        current = await WaitlistEntry.select(*_COLUMNS).where(WaitlistEntry.id == row["id"]).first()
        if current["state"] == WaitState.booked.value:  # a concurrent acceptance made it
            return _entry(current, token or ""), await kind.booked(_entry(current), key), False
        if current["state"] == WaitState.offered.value:  # in time when read, not when written: expire it now
            await expire_due(now)
            current = {**current, "state": WaitState.expired.value}
        raise _refusal(current["state"]) from None
    log.info("waitlist entry %s accepted: booking made", row["id"])
    return entry, booking, True


class _Lost(Exception):
    """The acceptance's conditional update changed nothing: the entry is no longer offered (or the offer ran out)."""


async def decline(code: str, token: str | None, staff_user: int | None = None) -> WaitEntry:
    """Decline an offer (the places go to the next entry that fits); declining again is harmless."""
    return await _finish(code, token, WaitState.declined, (WaitState.offered.value,), staff_user)


async def leave(code: str, token: str | None) -> WaitEntry:
    """Leave the list (a held offer's places go to the next entry); leaving again is harmless."""
    return await _finish(code, token, WaitState.left, OPEN_WAIT_STATES, None)


async def _finish(
    code: str, token: str | None, state: WaitState, from_states: Sequence[str], staff_user: int | None
) -> WaitEntry:
    row = await _read(code)
    if row is None or (staff_user is None and not _opens(row, token)):
        raise _not_found()
    kind = get_kind(row["kind"])
    now = clock.now()
    for _attempt in range(3):
        if row["state"] == state.value:
            return _entry(row, token or "")
        if row["state"] not in from_states:
            raise _refusal(row["state"])
        try:
            async with write_transaction():
                if row["state"] == WaitState.offered.value:
                    # The held places first: the lock order of fill() (the slot's row, then the entry's), so that the
                    # two never wait for each other. Undone with the rest when the entry has changed meanwhile.
                    await kind.release(row["offered_slot"], row["party_size"])
                finished = (
                    await WaitlistEntry.update(
                        {
                            WaitlistEntry.state: state.value,
                            WaitlistEntry.finished_at: now,
                            WaitlistEntry.updated_at: now,
                            WaitlistEntry.handled_by: staff_user,
                        }
                    )
                    .where((WaitlistEntry.id == row["id"]) & (WaitlistEntry.state == row["state"]))
                    .returning(WaitlistEntry.id)
                )
                if not finished:  # offered, accepted or expired meanwhile: read it again and decide again
                    raise _Lost()
        except _Lost:
            row = await WaitlistEntry.select(*_COLUMNS).where(WaitlistEntry.id == row["id"]).first()
            continue
        log.info("waitlist entry %s %s", row["id"], state.value)
        await fill(row["kind"], row["scope"], row["day"])
        return _entry({**row, "state": state.value, "finished_at": now}, token or "")
    raise _refusal(row["state"])


async def expire_due(now: dt.datetime | None = None) -> int:
    """Expire the offers whose time has run out, give their places back and offer them to the next entries; close
    the waiting entries none of whose times can still be booked. Each offer expires once (a conditional update),
    however many runners do this at once. Returns how many offers expired."""
    now = now or clock.now()
    due = await WaitlistEntry.select(
        WaitlistEntry.id,
        WaitlistEntry.kind,
        WaitlistEntry.scope,
        WaitlistEntry.day,
        WaitlistEntry.offered_slot,
        WaitlistEntry.party_size,
    ).where((WaitlistEntry.state == WaitState.offered.value) & (WaitlistEntry.offer_expires_at <= now))
    expired = 0
    lists: set[tuple[str, int, dt.date]] = set()
    for row in due:
        try:
            async with write_transaction():
                # The places first (fill()'s lock order), undone when the entry was accepted or expired meanwhile.
                await get_kind(row["kind"]).release(row["offered_slot"], row["party_size"])
                changed = (
                    await WaitlistEntry.update(
                        {
                            WaitlistEntry.state: WaitState.expired.value,
                            WaitlistEntry.finished_at: now,
                            WaitlistEntry.updated_at: now,
                        }
                    )
                    .where((WaitlistEntry.id == row["id"]) & (WaitlistEntry.state == WaitState.offered.value))
                    .returning(WaitlistEntry.id)
                )
                if not changed:
                    raise _Lost()
        except _Lost:
            continue
        expired += 1
        lists.add((row["kind"], row["scope"], row["day"]))
    if expired:
        log.info("waitlist: %s offer(s) expired", expired)
    for kind_name, scope, day in sorted(lists):
        await fill(kind_name, scope, day, now)
    return expired


async def close_hopeless(now: dt.datetime | None = None) -> int:
    """Close the entries that can no longer be served: waiting ones none of whose times can still be offered (the day
    is over, or the booth no longer takes bookings), and offers whose time can no longer be booked (the booth was
    cancelled or moved; their places are given back). Each is closed once and its resident told; returns how many."""
    now = now or clock.now()
    rows = await WaitlistEntry.select(
        WaitlistEntry.id,
        WaitlistEntry.kind,
        WaitlistEntry.scope,
        WaitlistEntry.day,
        WaitlistEntry.slot_ids,
        WaitlistEntry.state,
        WaitlistEntry.offered_slot,
        WaitlistEntry.party_size,
    ).where(WaitlistEntry.state.is_in(list(OPEN_WAIT_STATES)))
    hopeless: list[dict] = []
    slots_of: dict[tuple[str, int, dt.date], tuple[set[int], set[int]]] = {}
    for row in rows:
        key = (row["kind"], row["scope"], row["day"])
        if key not in slots_of:
            try:
                slots = await get_kind(row["kind"]).open_slots(row["scope"], row["day"], now)
            except NotFound:
                slots = []
            offerable = {slot.id for slot in slots if offer_until(slot.closes_at, now) is not None}
            slots_of[key] = ({slot.id for slot in slots}, offerable)
        bookable, offerable = slots_of[key]
        if row["state"] == WaitState.offered.value:
            if row["offered_slot"] not in bookable:
                hopeless.append(row)
            continue
        wanted = set(_loaded(row["slot_ids"]) or ())
        if not (offerable & wanted if wanted else offerable):
            hopeless.append(row)
    closed = 0
    for row in hopeless:
        kind = _KINDS.get(row["kind"])
        try:
            async with write_transaction():  # closed once, and the resident told once, in the same transaction
                if row["state"] == WaitState.offered.value and kind is not None:
                    await kind.release(row["offered_slot"], row["party_size"])  # fill()'s lock order: places first
                changed = (
                    await WaitlistEntry.update(
                        {
                            WaitlistEntry.state: WaitState.closed.value,
                            WaitlistEntry.finished_at: now,
                            WaitlistEntry.updated_at: now,
                        }
                    )
                    .where((WaitlistEntry.id == row["id"]) & (WaitlistEntry.state == row["state"]))
                    .returning(*_COLUMNS)
                )
                if not changed:  # accepted, left or expired meanwhile: its places (if any) stay as they are now
                    raise _Lost()
                if kind is not None and kind.closed is not None:
                    await kind.closed(_entry(changed[0]))
        except _Lost:
            continue
        closed += 1
    return closed


async def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic work of the lists: expire the offers whose time ran out, offer what is free to every list that
    has waiting entries (places freed by any path, more capacity or new times included), and close the entries that
    can no longer be served."""
    now = now or clock.now()
    expired = await expire_due(now)
    lists = await WaitlistEntry.select(WaitlistEntry.kind, WaitlistEntry.scope, WaitlistEntry.day).where(
        WaitlistEntry.state == WaitState.waiting.value
    )
    offered = 0
    for kind_name, scope, day in sorted({(row["kind"], row["scope"], row["day"]) for row in lists}):
        if kind_name in _KINDS:
            offered += await fill(kind_name, scope, day, now)
    return {"expired": expired, "offered": offered, "closed": await close_hopeless(now)}


async def places_freed(kind_name: str, scope: int, day: dt.date) -> int:
    """Places of a list's day were given back (a cancellation, a move, more capacity, a late booking released):
    offer them to the waiting entries. Cheap when nobody waits (one indexed read)."""
    return await fill(kind_name, scope, day)


async def entries(kind_name: str, scope: int, day: dt.date | None = None) -> list[WaitEntry]:
    """A list's entries (of every day of the scope when ``day`` is None), oldest first (staff)."""
    where = (WaitlistEntry.kind == kind_name) & (WaitlistEntry.scope == scope)
    if day is not None:
        where = where & (WaitlistEntry.day == day)
    rows = await (
        WaitlistEntry.select(*_COLUMNS).where(where).order_by(WaitlistEntry.created_at).order_by(WaitlistEntry.id)
    )
    return [_entry(row) for row in rows]


async def filled_places(kind_name: str, scopes: Sequence[int]) -> dict[int, int]:
    """Places filled from the lists of some scopes (accepted offers), by scope: the reports' figure."""
    if not scopes:
        return {}
    rows = await WaitlistEntry.select(WaitlistEntry.scope, WaitlistEntry.party_size).where(
        (WaitlistEntry.kind == kind_name)
        & WaitlistEntry.scope.is_in(list(scopes))
        & (WaitlistEntry.state == WaitState.booked.value)
    )
    filled: dict[int, int] = {}
    for row in rows:
        filled[row["scope"]] = filled.get(row["scope"], 0) + row["party_size"]
    return filled
