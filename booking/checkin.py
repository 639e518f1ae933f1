"""Check-in at the booth (当日受付): today's booths for staff, a booth's booking list (予約者一覧, every view
audited), checking a party in by its code or from the list, marking no-shows (不在), undoing a mistake, and
releasing the places of late parties to walk-ins.

A confirmed booking not checked in NO_SHOW_AFTER_MINUTES after its slot starts becomes a no-show and its places go
back to the slot (a conditional update of ``Slot.booked``), where walk-ins take them. Only booths of today are
released, and a booking that staff restored (Undo) after its release time is left for staff to decide. Names are
shown on the staff page only, and only from the day before the booth on (``names_shown_from``): audit summaries carry
the code's last four characters and the party size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from booking.bookings import _places_freed, _release_places, _take_places
from booking.codes import display_code, normalize_code
from booking.schemas import Needs
from booking.tables import Booking, BookingState, WalkIn
from booking.walkins import RUNNING_STATES, require_booth_day, running_booth
from core import clock
from core.audit import record_event
from core.db import write_transaction
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.i18n import gettext as _
from core.settings import get_settings
from core.users import Actor
from planner.booth_uid import booth_identities, current_session
from planner.tables import Session


@dataclass(frozen=True)
class BoothDay:
    """A booth on the staff's check-in list, with its booking counts."""

    id: int
    date: dt.date
    start: dt.time
    end: dt.time
    state: str
    venue_name: str
    venue_name_en: str
    address: str
    parties: int = 0  # active and no-show bookings
    people: int = 0
    checked_in: int = 0  # parties
    no_show: int = 0  # parties
    booth_id: int = 0  # its public id: the address of its check-in and public pages across plan versions

    def display_name(self, locale: str) -> str:
        return self.venue_name_en if locale == "en" and self.venue_name_en else self.venue_name

    @property
    def is_today(self) -> bool:
        return self.date == clock.today()


@dataclass(frozen=True)
class BookingLine:
    """One booking on a booth's list as staff see it at the booth."""

    id: int
    code: str
    slot_id: int
    slot_start: dt.datetime  # aware, Asia/Tokyo
    slot_end: dt.datetime
    party_size: int
    name_kana: str
    needs: Needs
    state: str
    checked_in_at: dt.datetime | None
    released_at: dt.datetime | None

    @property
    def short_code(self) -> str:
        """The last four characters of the code, as staff read them from the slip."""
        return self.code[-4:]

    @property
    def shown_code(self) -> str:
        return display_code(self.code)


_DAY_COLUMNS = (
    Session.id,
    Session.origin,
    Session.date,
    Session.start,
    Session.end,
    Session.state,
    Session.venue.name,
    Session.venue.name_en,
    Session.venue.address,
)
_LINE_COLUMNS = (
    Booking.id,
    Booking.code,
    Booking.slot,
    Booking.slot.start,
    Booking.slot.end,
    Booking.party_size,
    Booking.name_kana,
    Booking.needs,
    Booking.state,
    Booking.checked_in_at,
    Booking.released_at,
    Booking.session,
)


def _needs(value: object) -> Needs:
    needs = value if isinstance(value, dict) else json.loads(value or "{}")
    return Needs(bool(needs.get("wheelchair")), bool(needs.get("large_print")), needs.get("interpreter") or "")


def _line(row: dict) -> BookingLine:
    return BookingLine(
        id=row["id"],
        code=row["code"],
        slot_id=row["slot"],
        slot_start=row["slot.start"].astimezone(clock.JST),
        slot_end=row["slot.end"].astimezone(clock.JST),
        party_size=row["party_size"],
        name_kana=row["name_kana"],
        needs=_needs(row["needs"]),
        state=row["state"],
        checked_in_at=row["checked_in_at"],
        released_at=row["released_at"],
    )


def _summary(code: str, party_size: int) -> str:
    """What an audit entry says about a booking: never the name, only the code's end and the party size."""
    return f"…{code[-4:]} ({party_size})"


async def booth_days(first: dt.date, last: dt.date) -> list[BoothDay]:
    """The published (or held) booths from ``first`` to ``last``, by date and time, with their booking counts."""
    rows = (
        await Session.select(*_DAY_COLUMNS)
        .where((Session.date >= first) & (Session.date <= last) & Session.state.is_in(list(RUNNING_STATES)))
        .order_by(Session.date)
        .order_by(Session.start)
        .order_by(Session.id)
    )
    counts: dict[int, dict[str, int]] = {
        row["id"]: {"parties": 0, "people": 0, "checked_in": 0, "no_show": 0} for row in rows
    }
    if rows:
        for booking in await Booking.select(Booking.session, Booking.state, Booking.party_size).where(
            Booking.session.is_in(list(counts)) & (Booking.state != BookingState.cancelled.value)
        ):
            count = counts[booking["session"]]
            count["parties"] += 1
            count["people"] += booking["party_size"]
            count["checked_in"] += booking["state"] == BookingState.checked_in.value
            count["no_show"] += booking["state"] == BookingState.no_show.value
    public = await booth_identities(list(counts), {row["id"]: row["origin"] for row in rows})
    return [_day(row, public[row["id"]].first_session_id, **counts[row["id"]]) for row in rows]


def _day(row: dict, booth_id: int, **counts: int) -> BoothDay:
    return BoothDay(
        id=row["id"],
        booth_id=booth_id,
        date=row["date"],
        start=row["start"],
        end=row["end"],
        state=row["state"],
        venue_name=row["venue.name"],
        venue_name_en=row["venue.name_en"] or "",
        address=row["venue.address"] or "",
        **counts,
    )


async def current_booth(session_id: int) -> int:
    """The session a check-in address stands for now: any id the booth had (its first, public one included) leads
    to the session of the latest approved version, so that a tablet left open on the booth day survives a change;
    NotFound for an id no published booth had."""
    current = await current_session(session_id)
    if current is None:
        raise NotFound(_("This booth does not exist or is not published."))
    return current


async def booth_day(session_id: int) -> BoothDay:
    """One published (or held) booth; NotFound for any other session."""
    row = await Session.select(*_DAY_COLUMNS).where(Session.id == session_id).first()
    if row is None or row["state"] not in RUNNING_STATES:
        raise NotFound(_("This booth does not exist or is not published."))
    public = await booth_identities([session_id], {session_id: row["origin"]})
    return _day(row, public[session_id].first_session_id)


NAMES_DAYS_BEFORE = 1  # residents' names appear on the check-in page this many days before the booth (Japan)


def names_shown_from(booth_date: dt.date) -> dt.date:
    """The first day (Japan) on which staff see a booth's booking list with names: the day before the booth, when
    they prepare it. Until then nobody at the booth needs them; the counts are on the check-in list."""
    return booth_date - dt.timedelta(days=NAMES_DAYS_BEFORE)


def names_shown(booth: BoothDay) -> bool:
    """Whether a booth's booking list with names may be shown today (``names_shown_from``)."""
    return clock.today() >= names_shown_from(booth.date)


async def booking_counts(session_id: int) -> BoothDay:
    """A published (or held) booth with its booking counts (parties, people, checked in, no-shows); no names."""
    booth = await booth_day(session_id)
    return next(day for day in await booth_days(booth.date, booth.date) if day.id == session_id)


async def booking_list(actor: Actor, session_id: int) -> list[BookingLine]:
    """The bookings of a booth (cancelled ones left out) by slot, with names: each view is written to the audit
    log (``bookings.viewed``) with the number of bookings shown, never a name. InvalidTransition before the day
    the names are shown from (``names_shown_from``)."""
    booth = await booth_day(session_id)
    if not names_shown(booth):
        raise InvalidTransition(
            _("Residents' names are shown from {date}, the day before the booth.").format(
                date=names_shown_from(booth.date).isoformat()
            )
        )
    rows = (
        await Booking.select(*_LINE_COLUMNS)
        .where((Booking.session == session_id) & (Booking.state != BookingState.cancelled.value))
        .order_by(Booking.slot.start)
        .order_by(Booking.id)
    )
    async with write_transaction():
        await record_event(
            actor, "bookings.viewed", "session", session_id, f"{len(rows)} bookings", scope=f"session:{session_id}"
        )
    return [_line(row) for row in rows]


async def board_version(session_id: int) -> str:
    """A short fingerprint of a booth's bookings and walk-ins: it changes whenever one of them changes state, so
    that an open check-in page knows to reload."""
    bookings = await Booking.select(Booking.id, Booking.state).where(Booking.session == session_id).order_by(Booking.id)
    walk_ins = await WalkIn.select(WalkIn.id, WalkIn.state).where(WalkIn.session == session_id).order_by(WalkIn.id)
    text = (
        ";".join(f"{r['id']}:{r['state']}" for r in bookings)
        + "|"
        + ";".join(f"{r['id']}:{r['state']}" for r in walk_ins)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- checking in -----------------------------------------------------------------------------------------------


async def check_in_code(actor: Actor, session_id: int, code: str) -> BookingLine:
    """Check a party in by the code on its slip or QR code (grouping, lower case and look-alike letters accepted)."""
    canonical = normalize_code(code)
    if not canonical:
        message = _("Enter the 16-character booking code from the slip (e.g. 7KQ2-M9XD-4TRB-W8HN).")
        raise ValidationFailed(message, {"code": message})
    row = (
        await Booking.select(Booking.id, Booking.session, Booking.session.date, Booking.session.venue.name)
        .where(Booking.code == canonical)
        .first()
    )
    if row is None:
        raise NotFound(_("No booking has this code. Check the code on the slip again."))
    if row["session"] != session_id:
        raise Conflict(
            _("This booking is for another booth: {venue} on {date}.").format(
                venue=row["session.venue.name"], date=row["session.date"].isoformat()
            )
        )
    return await check_in_booking(actor, session_id, row["id"])


async def check_in_booking(actor: Actor, session_id: int, booking_id: int) -> BookingLine:
    """Check a booked party in (受付済): only on the booth's day, only a confirmed booking, only once."""
    require_booth_day(await running_booth(session_id))
    now = clock.now()
    async with write_transaction():
        row = await _booking(session_id, booking_id)
        if row["state"] != BookingState.confirmed.value:
            raise _refusal(row)
        done = (
            await Booking.update(
                {Booking.state: BookingState.checked_in.value, Booking.checked_in_at: now, Booking.updated_at: now}
            )
            .where(
                (Booking.id == booking_id)
                & (Booking.state == BookingState.confirmed.value)
                & (Booking.slot == row["slot"])
            )
            .returning(Booking.id)
        )
        if not done:  # another device checked it in (or the resident moved it) meanwhile (PostgreSQL)
            raise _refusal(await _booking(session_id, booking_id))
        await record_event(
            actor,
            "booking.checked_in",
            "booking",
            booking_id,
            _summary(row["code"], row["party_size"]),
            {"state": {"before": row["state"], "after": BookingState.checked_in.value}},
            scope=f"session:{session_id}",
        )
    return _line({**row, "state": BookingState.checked_in.value, "checked_in_at": now})


def _refusal(row: dict) -> Conflict:
    """Why a booking cannot be checked in, in words staff can act on."""
    state = row["state"]
    if state == BookingState.checked_in.value:
        at = row["checked_in_at"].astimezone(clock.JST).strftime("%H:%M") if row["checked_in_at"] else ""
        return Conflict(_("This party was already checked in at {time}.").format(time=at))
    if state == BookingState.cancelled.value:
        return Conflict(_("This booking was cancelled. The party can join as a walk-in."))
    if state == BookingState.no_show.value:
        return Conflict(
            _(
                "This booking was marked as a no-show and its places went to walk-ins. Use Undo to "
                "restore it, or register the party as a walk-in."
            )
        )
    return InvalidTransition(_("This booking cannot be checked in."))


async def _booking(session_id: int, booking_id: int) -> dict:
    row = await Booking.select(*_LINE_COLUMNS).where(Booking.id == booking_id).first()
    if row is None or row["session"] != session_id:
        raise NotFound(_("This booking is not on this booth's list."))
    return row


async def mark_no_show(actor: Actor, session_id: int, booking_id: int) -> BookingLine:
    """Mark a confirmed booking as a no-show (不在) and give its places to walk-ins (once, however often asked)."""
    require_booth_day(await running_booth(session_id))
    now = clock.now()
    async with write_transaction():
        row = await _booking(session_id, booking_id)
        marked = (
            await Booking.update(
                {Booking.state: BookingState.no_show.value, Booking.released_at: now, Booking.updated_at: now}
            )
            .where(
                (Booking.id == booking_id)
                & (Booking.state == BookingState.confirmed.value)
                & (Booking.slot == row["slot"])
            )
            .returning(Booking.id)
        )  # not moved meanwhile: free the places it holds
        if not marked:
            raise InvalidTransition(_("Only a booking that is still expected can be marked as a no-show."))
        await _release_places(row["slot"], row["party_size"])
        await record_event(
            actor,
            "booking.no_show",
            "booking",
            booking_id,
            _summary(row["code"], row["party_size"]),
            {"state": {"before": row["state"], "after": BookingState.no_show.value}},
            scope=f"session:{session_id}",
        )
    return _line({**row, "state": BookingState.no_show.value, "released_at": now})


async def undo(actor: Actor, session_id: int, booking_id: int) -> BookingLine:
    """Put a mistaken check-in or no-show back to confirmed; a no-show only if its slot still has room for the
    party (its places may have been booked again)."""
    require_booth_day(await running_booth(session_id))
    now = clock.now()
    async with write_transaction():
        row = await _booking(session_id, booking_id)
        state = row["state"]
        if state not in (BookingState.checked_in.value, BookingState.no_show.value):
            raise InvalidTransition(_("Only a check-in or a no-show can be undone."))
        if state == BookingState.no_show.value and not await _take_places(row["slot"], row["party_size"]):
            raise Conflict(
                _(
                    "The places of this booking are taken now, so it cannot be restored. Register the "
                    "party as a walk-in."
                )
            )
        restored = (
            await Booking.update(
                {
                    Booking.state: BookingState.confirmed.value,
                    Booking.checked_in_at: None,
                    Booking.released_at: None,
                    Booking.updated_at: now,
                }
            )
            .where((Booking.id == booking_id) & (Booking.state == state) & (Booking.slot == row["slot"]))
            .returning(Booking.id)
        )
        if not restored:  # another device changed it meanwhile (PostgreSQL): the places taken above roll back
            raise InvalidTransition(_("Only a check-in or a no-show can be undone."))
        await record_event(
            actor,
            "booking.restored",
            "booking",
            booking_id,
            _summary(row["code"], row["party_size"]),
            {"state": {"before": state, "after": BookingState.confirmed.value}},
            scope=f"session:{session_id}",
        )
    return _line({**row, "state": BookingState.confirmed.value, "checked_in_at": None, "released_at": None})


# --- releasing late bookings -----------------------------------------------------------------------------------


async def release_late_bookings(session_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Mark as no-shows the confirmed bookings of today's booths (one booth, or all of them) whose slot started
    more than NO_SHOW_AFTER_MINUTES ago, and give their places back to the slot for walk-ins; returns how many.

    A booking staff touched after its release time (an Undo) is not released again. Safe to run from several
    processes at once: each booking changes state once (a conditional update), and only then are places freed."""
    now = now or clock.now()
    after = dt.timedelta(minutes=get_settings().no_show_after_minutes)
    query = Booking.select(
        Booking.id,
        Booking.code,
        Booking.slot,
        Booking.slot.start,
        Booking.party_size,
        Booking.session,
        Booking.updated_at,
    ).where(
        (Booking.state == BookingState.confirmed.value)
        & (Booking.slot.start < now - after)
        & (Booking.session.date == now.astimezone(clock.JST).date())
        & Booking.session.state.is_in(list(RUNNING_STATES))
    )
    if session_id is not None:
        query = query.where(Booking.session == session_id)
    late = [row for row in await query if row["updated_at"] < row["slot.start"] + after]
    if not late:
        return 0
    released = 0
    async with write_transaction():
        for row in late:
            due = row["slot.start"] + after
            marked = (
                await Booking.update(
                    {Booking.state: BookingState.no_show.value, Booking.released_at: now, Booking.updated_at: now}
                )
                .where(
                    (Booking.id == row["id"])
                    & (Booking.state == BookingState.confirmed.value)
                    & (Booking.slot == row["slot"])
                    & (Booking.updated_at < due)
                )
                .returning(Booking.id)
            )
            if not marked:
                continue
            await _release_places(row["slot"], row["party_size"])
            await record_event(
                None,
                "booking.released",
                "booking",
                row["id"],
                _summary(row["code"], row["party_size"]),
                {"state": {"before": BookingState.confirmed.value, "after": BookingState.no_show.value}},
                scope=f"session:{row['session']}",
            )
            released += 1
    for freed in sorted({row["session"] for row in late}):
        await _places_freed(freed)
    return released
