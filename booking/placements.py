"""Publicity placements (掲示・配布場所): where each flyer variant hangs or is sent, the code its QR URLs carry
(``?src=CODE``), and which placements brought bookings (広報効果).

A booking records the code it came with as ``source``; the report counts bookings by that code, so a code that
is not (or no longer) a placement is still counted under its own name, and a booking without one is "direct".
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from piccolo.query.functions.aggregate import Count, Max, Min, Sum

from booking.tables import ACTIVE_STATES, Booking, BookingState, Placement
from core import clock
from core.audit import diff, record_event
from core.db import write_transaction
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.i18n import gettext as _
from core.users import Actor
from planner.tables import Session
from venues.tables import Venue

PLACEMENT_KINDS: dict[str, str] = {
    "poster": N_("Poster or notice board"),
    "newsletter": N_("Newsletter or leaflet"),
    "social": N_("Social media"),
    "web": N_("Website"),
    "other": N_("Other"),
}
CODE_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
"""A placement code: what a booking's ``source`` may hold (booking.bookings.validate keeps only these characters)."""
DIRECT = ""
"""The report's key for bookings made without a placement code (typed address, search, word of mouth)."""
REPORT_BASES = ("booked", "booth")
"""What a report's dates filter on: the day the booking was made, or the day of its booth."""
_SLUG_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes are read aloud and typed from paper


def kind_label(kind: str) -> str:
    """The translated name of a placement kind (an unknown code as written)."""
    label = PLACEMENT_KINDS.get(kind)
    return _(label) if label else kind


def clean_code(value: str | None) -> str:
    """``value`` if it is a well-formed placement code, else "" (for codes read from a URL)."""
    value = (value or "").strip()
    return value if CODE_PATTERN.fullmatch(value) else ""


def new_code() -> str:
    """A short random code for a placement whose staff left the code empty, e.g. ``p-k3m9xa``."""
    return "p-" + "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(6))


def placement_url(base_url: str, code: str, session_id: int | None = None) -> str:
    """The URL a placement's QR code carries: a booth's page, or the home page (the list of every booth)."""
    base = base_url.rstrip("/")
    src = quote(code, safe="")
    if session_id is not None:
        return f"{base}/booths/{session_id}?src={src}"
    return f"{base}/?src={src}"


# --- the register of placements ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementInput:
    """What staff enter for a placement; ``code`` only counts when creating (it is printed on QR codes)."""

    name: str
    kind: str = "other"
    code: str = ""
    venue: int | None = None  # the Venue row's id (a poster's place)
    notes: str = ""


_COLUMNS = (
    Placement.id,
    Placement.code,
    Placement.name,
    Placement.kind,
    Placement.venue,
    Placement.venue.name,
    Placement.venue.venue_id,
    Placement.notes,
    Placement.active,
    Placement.created_at,
    Placement.created_by,
)


async def list_placements(active: bool | None = None) -> list[dict[str, Any]]:
    """Placements by name (active ones only, inactive ones only, or all), each with its venue's name."""
    query = Placement.select(*_COLUMNS).order_by(Placement.name).order_by(Placement.id)
    if active is not None:
        query = query.where(Placement.active == active)
    return await query


async def get_placement(placement_id: int) -> dict[str, Any]:
    """One placement with its venue's name."""
    row = await Placement.select(*_COLUMNS).where(Placement.id == placement_id).first()
    if row is None:
        raise NotFound(_("This placement does not exist."))
    return row


async def _validate(data: PlacementInput, *, creating: bool, except_id: int | None = None) -> PlacementInput:
    """The input normalised, or ValidationFailed naming every field to fix (call inside the write transaction)."""
    errors: dict[str, str] = {}
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = _("Enter a name for the placement.")
    elif len(name) > 200:
        errors["name"] = _("Keep the name to 200 characters or fewer.")
    if data.kind not in PLACEMENT_KINDS:
        errors["kind"] = _("Choose a kind from the list.")
    if data.venue is not None and not await Venue.exists().where(Venue.id == data.venue):
        errors["venue"] = _("Choose a venue from the list.")
    code = (data.code or "").strip()
    if creating:
        if code and not CODE_PATTERN.fullmatch(code):
            errors["code"] = _("Use only the letters A–Z and a–z, digits and the marks _ . - (at most 64 characters).")
        elif code and await _code_taken(code, except_id):
            errors["code"] = _("Another placement already uses the code {code}.").format(code=code)
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors)
    return PlacementInput(name=name, kind=data.kind, code=code, venue=data.venue, notes=(data.notes or "").strip())


async def _code_taken(code: str, except_id: int | None = None) -> bool:
    """Whether another placement has this code, ignoring case (``AEON`` and ``aeon`` on two posters confuse)."""
    rows = await Placement.select(Placement.id, Placement.code)
    return any(row["code"].lower() == code.lower() and row["id"] != except_id for row in rows)


async def create_placement(actor: Actor | None, data: PlacementInput) -> dict[str, Any]:
    """Register a placement; an empty code becomes a short random one."""
    async with write_transaction():
        data = await _validate(data, creating=True)
        code = data.code
        while not code or await _code_taken(code):
            code = new_code()
        try:
            inserted = await Placement.insert(
                Placement(
                    code=code,
                    name=data.name,
                    kind=data.kind,
                    venue=data.venue,
                    notes=data.notes,
                    created_at=clock.now(),
                    created_by=actor.id if actor else None,
                )
            ).returning(Placement.id)
        except Exception as error:  # the same code raced in from another worker (PostgreSQL)
            if "unique" in str(error).lower() or "duplicate key" in str(error).lower():
                raise ValidationFailed(
                    _("Please correct the highlighted fields."),
                    {"code": _("Another placement already uses the code {code}.").format(code=code)},
                ) from None
            raise
        placement_id = inserted[0]["id"]
        await record_event(
            actor,
            "placement.created",
            "placement",
            placement_id,
            data.name,
            {
                "code": {"before": None, "after": code},
                "name": {"before": None, "after": data.name},
                "kind": {"before": None, "after": data.kind},
            },
        )
        return await get_placement(placement_id)


async def update_placement(actor: Actor | None, placement_id: int, data: PlacementInput) -> dict[str, Any]:
    """Change a placement's name, kind, venue or notes (its code stays: it is printed on the QR codes)."""
    async with write_transaction():
        before = await get_placement(placement_id)
        data = await _validate(data, creating=False, except_id=placement_id)
        values = {"name": data.name, "kind": data.kind, "venue": data.venue, "notes": data.notes}
        changes = diff(before, values)
        if changes:
            await Placement.update({getattr(Placement, key): value for key, value in values.items()}).where(
                Placement.id == placement_id
            )
            await record_event(actor, "placement.updated", "placement", placement_id, data.name, changes)
        return await get_placement(placement_id)


async def set_active(actor: Actor | None, placement_id: int, active: bool) -> dict[str, Any]:
    """Deactivate a placement (its bookings still count under it) or reactivate it."""
    async with write_transaction():
        before = await get_placement(placement_id)
        if before["active"] != active:
            await Placement.update({Placement.active: active}).where(Placement.id == placement_id)
            await record_event(
                actor,
                "placement.reactivated" if active else "placement.deactivated",
                "placement",
                placement_id,
                before["name"],
                {"active": {"before": not active, "after": active}},
            )
        return await get_placement(placement_id)


# --- results -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementResult:
    """What one code brought: a placement, a code that is no placement (``known`` False), or direct (code "")."""

    code: str
    name: str = ""
    kind: str = ""
    placement_id: int | None = None
    known: bool = False
    active: bool = True
    bookings: int = 0  # active bookings (confirmed or checked in)
    cancelled: int = 0
    no_show: int = 0
    people: int = 0  # party sizes of the active bookings
    first_booking: dt.datetime | None = None  # when the first and last booking of any state was made
    last_booking: dt.datetime | None = None

    @property
    def is_direct(self) -> bool:
        return self.code == DIRECT


@dataclass(frozen=True)
class BoothResult:
    """One booth's active bookings by code (the per-booth × placement table)."""

    session_id: int
    date: dt.date
    start: dt.time
    venue_name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PlacementReport:
    """Bookings per placement and per booth × placement for a period (either end open)."""

    date_from: dt.date | None
    date_to: dt.date | None
    basis: str  # "booked" | "booth"
    placements: list[PlacementResult]  # by active bookings, most first; direct last
    booths: list[BoothResult]  # by date
    columns: list[str]  # the codes of the booth table, in the order of ``placements`` (only those with bookings)

    @property
    def bookings(self) -> int:
        return sum(row.bookings for row in self.placements)

    @property
    def people(self) -> int:
        return sum(row.people for row in self.placements)

    @property
    def most(self) -> int:
        """The largest number of active bookings of one row (the chart's scale)."""
        return max((row.bookings for row in self.placements), default=0)

    def result(self, code: str) -> PlacementResult | None:
        return next((row for row in self.placements if row.code == code), None)


def _as_datetime(value: Any) -> dt.datetime | None:
    """An aggregate's timestamp (SQLite returns MIN/MAX of a timestamp as text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _in_period(date_from: dt.date | None, date_to: dt.date | None, basis: str) -> Any:
    """The where-clause of a report's period, or None for all time."""
    clauses = []
    if basis == "booth":
        if date_from:
            clauses.append(Booking.session.date >= date_from)
        if date_to:
            clauses.append(Booking.session.date <= date_to)
    else:  # Japan days of the booking's creation
        if date_from:
            clauses.append(Booking.created_at >= dt.datetime.combine(date_from, dt.time(), clock.JST))
        if date_to:
            clauses.append(
                Booking.created_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), clock.JST)
            )
    where = None
    for clause in clauses:
        where = clause if where is None else (where & clause)
    return where


async def placement_report(
    date_from: dt.date | None = None, date_to: dt.date | None = None, basis: str = "booked"
) -> PlacementReport:
    """Bookings per placement code (active, cancelled, no-show, people, first and last) and per booth × code,
    for bookings made in the period (``basis="booked"``) or on booths held in it (``basis="booth"``).

    Four queries whatever the number of bookings: two GROUP BYs over bookings, the placements, the booths.
    """
    basis = basis if basis in REPORT_BASES else "booked"
    period = _in_period(date_from, date_to, basis)

    by_state = Booking.select(
        Booking.source,
        Booking.state,
        Count(alias="n"),
        Sum(Booking.party_size, alias="people"),
        Min(Booking.created_at, alias="first"),
        Max(Booking.created_at, alias="last"),
    ).group_by(Booking.source, Booking.state)
    by_booth = (
        Booking.select(Booking.session, Booking.source, Count(alias="n"))
        .where(Booking.state.is_in(list(ACTIVE_STATES)))
        .group_by(Booking.session, Booking.source)
    )
    if period is not None:
        by_state, by_booth = by_state.where(period), by_booth.where(period)

    totals: dict[str, dict[str, Any]] = {}
    for row in await by_state:
        code = row["source"] or DIRECT
        entry = totals.setdefault(
            code, {"bookings": 0, "cancelled": 0, "no_show": 0, "people": 0, "first": None, "last": None}
        )
        if row["state"] in ACTIVE_STATES:
            entry["bookings"] += row["n"]
            entry["people"] += row["people"] or 0
        elif row["state"] == BookingState.cancelled.value:
            entry["cancelled"] += row["n"]
        elif row["state"] == BookingState.no_show.value:
            entry["no_show"] += row["n"]
        first, last = _as_datetime(row["first"]), _as_datetime(row["last"])
        if first and (entry["first"] is None or first < entry["first"]):
            entry["first"] = first
        if last and (entry["last"] is None or last > entry["last"]):
            entry["last"] = last

    known = {
        row["code"]: row
        for row in await Placement.select(
            Placement.id, Placement.code, Placement.name, Placement.kind, Placement.active
        )
    }
    results = []
    for code, placement in known.items():
        entry = totals.pop(code, None)
        if entry is None and not placement["active"]:
            continue  # a retired placement with nothing in the period
        results.append(_result(code, entry, placement))
    direct = totals.pop(DIRECT, None)
    results += [_result(code, entry, None) for code, entry in totals.items()]  # codes that are no placement
    results.sort(key=lambda r: (-r.bookings, -r.people, not r.known, r.name or r.code, r.code))
    if direct is not None:
        results.append(_result(DIRECT, direct, None))

    cells: dict[int, dict[str, int]] = {}
    for row in await by_booth:
        counts = cells.setdefault(row["session"], {})
        code = row["source"] or DIRECT
        counts[code] = counts.get(code, 0) + row["n"]
    sessions = (
        await Session.select(Session.id, Session.date, Session.start, Session.venue.name)
        .where(Session.id.is_in(list(cells)))
        .order_by(Session.date)
        .order_by(Session.start)
        if cells
        else []
    )
    booths = [
        BoothResult(
            session_id=s["id"], date=s["date"], start=s["start"], venue_name=s["venue.name"], counts=cells[s["id"]]
        )
        for s in sessions
    ]
    columns = [r.code for r in results if r.bookings]
    return PlacementReport(
        date_from=date_from, date_to=date_to, basis=basis, placements=results, booths=booths, columns=columns
    )


def _result(code: str, entry: dict[str, Any] | None, placement: dict[str, Any] | None) -> PlacementResult:
    entry = entry or {}
    return PlacementResult(
        code=code,
        name=placement["name"] if placement else "",
        kind=placement["kind"] if placement else "",
        placement_id=placement["id"] if placement else None,
        known=placement is not None,
        active=placement["active"] if placement else True,
        bookings=entry.get("bookings", 0),
        cancelled=entry.get("cancelled", 0),
        no_show=entry.get("no_show", 0),
        people=entry.get("people", 0),
        first_booking=entry.get("first"),
        last_booking=entry.get("last"),
    )
