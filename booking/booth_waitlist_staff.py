"""The booths' waiting lists as staff see them (キャンセル待ち): a booth's entries oldest first with their offers and
outcomes, the offers to phone-only entries that staff call about, and accepting (電話で承諾) or declining an offer for
a resident on the phone. Every view of names and contacts and every action is audited (core.audit) with the entry's
code end and party size, never a name or a contact (DESIGN §7)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking import waitlist
from booking.booth_waitlist import KIND
from booking.checkin import BoothDay, booth_day
from booking.codes import display_code
from booking.tables import OPEN_WAIT_STATES, Slot, WaitlistEntry, WaitState
from core import clock
from core.audit import record_event
from core.db import write_transaction
from core.errors import NotFound
from core.i18n import gettext as _
from core.users import Actor
from planner.booth_uid import current_session


@dataclass(frozen=True)
class WaitLine:
    """One entry of a booth's list as staff see it. Contacts only while the entry is open (staff may need to call);
    a finished entry shows its outcome, not how to reach the resident."""

    id: int
    code: str
    state: str
    party_size: int
    name_kana: str
    phone: str
    email: str
    wanted: tuple[tuple[dt.datetime, dt.datetime], ...]  # the times asked for; () any time of the day
    joined_at: dt.datetime
    offered_start: dt.datetime | None
    offered_end: dt.datetime | None
    offer_expires_at: dt.datetime | None
    booking_code: str
    finished_at: dt.datetime | None
    by_staff: bool  # accepted or declined by staff on the phone

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_WAIT_STATES

    @property
    def phone_only(self) -> bool:
        return bool(self.phone) and not self.email

    @property
    def to_call(self) -> bool:
        """An offer that only a phone call can carry: staff call the resident before it expires."""
        return self.state == WaitState.offered.value and self.phone_only

    @property
    def short_code(self) -> str:
        return self.code[-4:]

    @property
    def shown_booking_code(self) -> str:
        return display_code(self.booking_code) if self.booking_code else ""


@dataclass(frozen=True)
class BoothWaitlist:
    """A booth's waiting list: the booth, its entries oldest first, and the offers to call about first."""

    booth: BoothDay
    lines: tuple[WaitLine, ...]

    @property
    def to_call(self) -> tuple[WaitLine, ...]:
        return tuple(line for line in self.lines if line.to_call)

    @property
    def waiting(self) -> int:
        return sum(1 for line in self.lines if line.state == WaitState.waiting.value)

    @property
    def offered(self) -> int:
        return sum(1 for line in self.lines if line.state == WaitState.offered.value)

    @property
    def filled_people(self) -> int:
        return sum(line.party_size for line in self.lines if line.state == WaitState.booked.value)


@dataclass(frozen=True)
class ListSummary:
    """A booth with open entries on its list (the index of the lists)."""

    booth: BoothDay
    waiting: int
    offered: int
    to_call: int


def _summary(code: str, party_size: int) -> str:
    """What an audit entry says about an entry: never the name, only the code's end and the party size."""
    return f"…{code[-4:]} ({party_size})"


async def _slot_times(slot_ids: set[int]) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    if not slot_ids:
        return {}
    rows = await Slot.select(Slot.id, Slot.start, Slot.end).where(Slot.id.is_in(sorted(slot_ids)))
    return {row["id"]: (row["start"].astimezone(clock.JST), row["end"].astimezone(clock.JST)) for row in rows}


def _line(entry: waitlist.WaitEntry, times: dict[int, tuple[dt.datetime, dt.datetime]], by_staff: bool) -> WaitLine:
    offered = times.get(entry.offered_slot) if entry.offered_slot else None
    is_open = entry.state in OPEN_WAIT_STATES
    return WaitLine(
        id=entry.id,
        code=entry.code,
        state=entry.state,
        party_size=entry.party_size,
        name_kana=entry.name_kana,
        phone=entry.phone if is_open else "",
        email=entry.email if is_open else "",
        wanted=tuple(times[slot_id] for slot_id in entry.slot_ids if slot_id in times),
        joined_at=entry.created_at.astimezone(clock.JST),
        offered_start=offered[0] if offered else None,
        offered_end=offered[1] if offered else None,
        offer_expires_at=entry.offer_expires_at.astimezone(clock.JST) if entry.offer_expires_at else None,
        booking_code=entry.booking_code,
        finished_at=entry.finished_at,
        by_staff=by_staff,
    )


async def booth_waitlist(actor: Actor, session_id: int) -> BoothWaitlist:
    """A published (or held) booth's waiting list, oldest entry first; a view that shows entries is written to the
    audit log (``waitlist.viewed``, the number of entries shown, never a name)."""
    booth = await booth_day(session_id)
    entries = await waitlist.entries(KIND, booth.booth_id)
    times = await _slot_times({s for e in entries for s in (*e.slot_ids, e.offered_slot) if s})
    handled = {
        row["id"]
        for row in await WaitlistEntry.select(WaitlistEntry.id).where(
            WaitlistEntry.id.is_in([e.id for e in entries] or [0]) & WaitlistEntry.handled_by.is_not_null()
        )
    }
    lines = tuple(_line(entry, times, entry.id in handled) for entry in entries)
    if lines:
        async with write_transaction():
            await record_event(
                actor,
                "waitlist.viewed",
                "session",
                session_id,
                f"{len(lines)} entries",
                scope=f"session:{session_id}",
            )
    return BoothWaitlist(booth=booth, lines=lines)


async def _entry_of(session_id: int, entry_id: int) -> dict:
    """An entry of this booth's list (by its id, as staff pages address it); NotFound for any other."""
    booth = await booth_day(session_id)
    row = (
        await WaitlistEntry.select(
            WaitlistEntry.id, WaitlistEntry.code, WaitlistEntry.kind, WaitlistEntry.scope, WaitlistEntry.party_size
        )
        .where(WaitlistEntry.id == entry_id)
        .first()
    )
    if row is None or row["kind"] != KIND or row["scope"] != booth.booth_id:
        raise NotFound(_("This entry is not on this booth's waiting list."))
    return row


async def accept_for_resident(actor: Actor, session_id: int, entry_id: int) -> str:
    """Accept an offer for a resident who said yes on the phone (電話で承諾): the held places become their booking,
    as if they had accepted it themselves. Returns the booking's code. Accepted twice, it books once (and the audit
    entry is written once)."""
    row = await _entry_of(session_id, entry_id)
    entry, booking, created = await waitlist.accept(row["code"], None, staff_user=actor.id)
    if created:
        async with write_transaction():
            await record_event(
                actor,
                "waitlist.accepted",
                "waitlist_entry",
                entry_id,
                _summary(row["code"], row["party_size"]) + f" → …{booking.code[-4:]}",
                {"state": {"before": WaitState.offered.value, "after": WaitState.booked.value}},
                scope=f"session:{session_id}",
            )
    return booking.code


async def decline_for_resident(actor: Actor, session_id: int, entry_id: int) -> None:
    """Decline an offer for a resident who said no on the phone (or could not take it): the places go to the next
    entry that fits. Declining again changes nothing (and writes no second audit entry)."""
    row = await _entry_of(session_id, entry_id)
    before = (await WaitlistEntry.select(WaitlistEntry.state).where(WaitlistEntry.id == entry_id).first())["state"]
    entry = await waitlist.decline(row["code"], None, staff_user=actor.id)
    if before != entry.state:
        async with write_transaction():
            await record_event(
                actor,
                "waitlist.declined",
                "waitlist_entry",
                entry_id,
                _summary(row["code"], row["party_size"]),
                {"state": {"before": before, "after": entry.state}},
                scope=f"session:{session_id}",
            )


async def open_lists() -> list[ListSummary]:
    """The booths whose lists have open entries (waiting or offered), by date: the offers to call first counted."""
    rows = await WaitlistEntry.select(
        WaitlistEntry.scope, WaitlistEntry.state, WaitlistEntry.email, WaitlistEntry.phone
    ).where((WaitlistEntry.kind == KIND) & WaitlistEntry.state.is_in(list(OPEN_WAIT_STATES)))
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        count = counts.setdefault(row["scope"], {"waiting": 0, "offered": 0, "to_call": 0})
        count[row["state"]] += 1
        count["to_call"] += row["state"] == WaitState.offered.value and bool(row["phone"]) and not row["email"]
    summaries = []
    for scope, count in counts.items():
        current = await current_session(scope)
        if current is None:
            continue
        try:
            booth = await booth_day(current)
        except NotFound:  # cancelled since: its entries are closed by the periodic task
            continue
        summaries.append(ListSummary(booth=booth, **count))
    summaries.sort(key=lambda s: (s.booth.date, s.booth.start, s.booth.id))
    return summaries


async def calls_waiting() -> int:
    """How many offers to phone-only entries wait for a call (the staff home's count)."""
    return await WaitlistEntry.count().where(
        (WaitlistEntry.kind == KIND)
        & (WaitlistEntry.state == WaitState.offered.value)
        & (WaitlistEntry.email == "")
        & (WaitlistEntry.phone != "")
    )


__all__ = [
    "BoothWaitlist",
    "ListSummary",
    "WaitLine",
    "accept_for_resident",
    "booth_waitlist",
    "calls_waiting",
    "decline_for_resident",
    "open_lists",
]
