"""Booth results (実績) and in-office counts (窓口実績), entered per day by the contractor's staff.

A booth's results are the applications completed (in total and per hour of the booth), photos taken, inquiries
answered and notes. The hourly grid is optional: when it is filled, the total must equal its sum (an empty total
becomes the sum); when it is empty, the total is required. Blank photos and inquiries count as 0. The in-office
counts are one row per day (card handovers, e-certificates, PIN resets, card detail changes, applications, phone
calls; a blank is 0). Each save writes an audit entry with the counts before and after (never the notes' text: staff
might write a name there), and saving a booth's results recomputes the learned yields (planner.yields).

Figures are checked against the booth: results are refused before the booth has started; an applications total
that the booth could not have served (more than IMPOSSIBLE_FACTOR times its places, the bookable and walk-in places
of its slots) is refused with the reason; more applications than places, or none though parties were checked in, is
saved and shown with a warning to check (``unusual_results``).

A booth continued by a change to an approved plan (``Session.origin``) keeps its results: publishing the change moves
them (with the slots, bookings and walk-ins) to the session that continues it (booking.services.publish_version).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from booking.booths import VISIBLE_STATES
from booking.tables import (
    Booking,
    BookingState,
    BoothResult,
    OfficeCount,
    Slot,
    WalkIn,
    WalkInState,
)
from core import clock
from core.audit import diff, record_event
from core.calendar import day_type
from core.db import write_transaction
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.i18n import N_
from core.i18n import gettext as _
from core.settings import get_settings
from core.users import Actor
from planner import yields
from planner.model import Parameters
from planner.services import plan_scope, seasonality
from planner.tables import Session

MAX_COUNT = 99_999
IMPOSSIBLE_FACTOR = 2  # more applications than twice a booth's places cannot have been served there
MAX_NOTES = 4_000
RESULT_FIELDS = ("applications", "photos", "inquiries")
OFFICE_FIELDS: dict[str, str] = {
    "card_handovers": N_("Card handovers"),
    "certificates": N_("E-certificates issued or renewed"),
    "pin_resets": N_("PIN resets"),
    "card_changes": N_("Card detail changes"),
    "applications": N_("Applications received"),
    "phone_calls": N_("Phone calls answered"),
}


def office_field_label(name: str) -> str:
    """The translated name of an in-office count."""
    return _(OFFICE_FIELDS[name])


def booth_hours(start: dt.time, end: dt.time) -> list[int]:
    """The hours of the day (Japan time) a booth's window touches: 10:00–17:00 → 10, 11, ..., 16."""
    first = start.hour
    last = end.hour if end.minute or end.second else end.hour - 1
    return list(range(first, max(first, last) + 1)) if end > start else []


def hour_field(hour: int) -> str:
    """The form field of the applications in one hour (``hour_10``)."""
    return f"hour_{hour:02d}"


def _count(value: Any, name: str, errors: dict[str, str]) -> int | None:
    """A count from a form or a caller: None when blank; full-width digits are accepted; anything else that is not
    a whole number from 0 to MAX_COUNT becomes an error for ``name``."""
    if value is None:
        return None
    if isinstance(value, bool):
        errors[name] = _("Enter a whole number from 0 to {max}.").format(max=MAX_COUNT)
        return None
    if isinstance(value, int):
        number = value
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        if text == "":
            return None
        if not (text.isascii() and text.lstrip("-").isdigit()):
            errors[name] = _("Enter a whole number from 0 to {max}.").format(max=MAX_COUNT)
            return None
        number = int(text)
    if number < 0:
        errors[name] = _("A count cannot be negative.")
        return None
    if number > MAX_COUNT:
        errors[name] = _("Enter a whole number from 0 to {max}.").format(max=MAX_COUNT)
        return None
    return number


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors)


def parse_results(values: Mapping[str, Any], hours: list[int]) -> dict[str, Any]:
    """Validated results from ``values`` (``applications``, ``photos``, ``inquiries``, ``notes`` and ``hour_HH``
    for the booth's ``hours``); raises ValidationFailed with a message per field."""
    errors: dict[str, str] = {}
    allowed = {hour_field(h) for h in hours}
    by_hour: dict[str, int] = {}
    for key in sorted(k for k in values if k.startswith("hour_")):
        if key not in allowed:
            errors[key] = _("This booth was not open at that hour.")
            continue
        count = _count(values[key], key, errors)
        if count is not None:
            by_hour[str(int(key.removeprefix("hour_")))] = count
    applications = _count(values.get("applications"), "applications", errors)
    photos = _count(values.get("photos"), "photos", errors)
    inquiries = _count(values.get("inquiries"), "inquiries", errors)
    notes = str(values.get("notes") or "").strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = _("Keep the notes under {n} characters.").format(n=MAX_NOTES)
    if "applications" not in errors and not any(k.startswith("hour_") for k in errors):
        if by_hour:
            total = sum(by_hour.values())
            if applications is None:
                applications = total
            elif applications != total:
                errors["applications"] = _(
                    "The counts per hour add up to {sum}, not {total}: correct the total or the hours."
                ).format(sum=total, total=applications)
        elif applications is None:
            errors["applications"] = _(
                "Enter the number of applications completed (0 if none), or the counts per hour."
            )
    order = ["applications", *(hour_field(h) for h in hours), "photos", "inquiries", "notes"]
    _refuse({name: errors[name] for name in sorted(errors, key=lambda n: order.index(n) if n in order else -1)})
    return {
        "applications": applications,
        "applications_by_hour": by_hour,
        "photos": photos or 0,
        "inquiries": inquiries or 0,
        "notes": notes,
    }


def parse_office_counts(values: Mapping[str, Any]) -> dict[str, int]:
    """Validated in-office counts (a blank is 0); raises ValidationFailed with a message per field."""
    errors: dict[str, str] = {}
    counts = {name: _count(values.get(name), name, errors) or 0 for name in OFFICE_FIELDS}
    _refuse(errors)
    return counts


def impossible_results(applications: int, places: int, hours: int) -> dict[str, str]:
    """The error of an applications total the booth could not have served (IMPOSSIBLE_FACTOR × its ``places``);
    empty when it is possible or the booth has no slots to judge by."""
    limit = IMPOSSIBLE_FACTOR * places
    if places <= 0 or applications <= limit:
        return {}
    return {
        "applications": _(
            "{n} applications cannot be right: this booth had {places} places over {hours} hours, so at most about "
            "{limit} people could have applied. Check the figure (a digit too many?)."
        ).format(n=applications, places=places, hours=hours, limit=limit)
    }


def unusual_results(applications: int, places: int, checked_in: int) -> list[str]:
    """Warnings on figures that are possible but unusual, for staff to check: more applications than the booth's
    places, or none though parties were checked in."""
    warnings = []
    if places > 0 and applications > places:
        warnings.append(
            _("{n} applications is more than the booth's {places} places: check that the figure is right.").format(
                n=applications, places=places
            )
        )
    if applications == 0 and checked_in > 0:
        warnings.append(
            _("No applications, though {n} booked parties were checked in: check that the figure is right.").format(
                n=checked_in
            )
        )
    return warnings


async def booth_places(session_ids: Iterable[int]) -> dict[int, int]:
    """Each booth's places: the bookable and the walk-in places of its slots (0 for a booth without slots)."""
    ids = list(session_ids)
    places = dict.fromkeys(ids, 0)
    if ids:
        for slot in await Slot.select(Slot.session, Slot.capacity, Slot.walk_in).where(Slot.session.is_in(ids)):
            places[slot["session"]] += slot["capacity"] + slot["walk_in"]
    return places


# --- reading -------------------------------------------------------------------------------------------------------


async def _results_of(session_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The results of each booth that has them (a booth continued by a change takes its results along:
    booking.services.publish_version)."""
    ids = list(session_ids)
    if not ids:
        return {}
    found = {}
    for row in await BoothResult.select().where(BoothResult.session.is_in(ids)):
        if isinstance(row["applications_by_hour"], str):
            row["applications_by_hour"] = json.loads(row["applications_by_hour"] or "{}")
        found[row["session"]] = row
    return found


# --- saving --------------------------------------------------------------------------------------------------------


async def _booth(session_id: int) -> dict[str, Any]:
    row = (
        await Session.select(
            Session.id,
            Session.date,
            Session.start,
            Session.end,
            Session.state,
            Session.venue.name,
            Session.version.plan,
        )
        .where(Session.id == session_id)
        .first()
    )
    if row is None:
        raise NotFound(_("That booth was not found."))
    if row["state"] not in VISIBLE_STATES:
        raise InvalidTransition(
            _(
                "Results are entered for published booths only; this one is not (it was "
                "cancelled or replaced by a change)."
            )
        )
    if row["date"] > clock.today():
        raise InvalidTransition(_("Results can be entered from the day of the booth on."))
    if clock.now() < booth_start(row["date"], row["start"]):
        raise InvalidTransition(
            _("The booth has not started yet (it opens at {time}): enter its results once it has run.").format(
                time=row["start"].strftime("%H:%M")
            )
        )
    return row


def booth_start(date: dt.date, start: dt.time) -> dt.datetime:
    """When a booth starts (Japan time)."""
    return dt.datetime.combine(date, start, clock.JST)


def _counts_of(row: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the audit log keeps of a booth's results: the counts and the notes' length, never their text."""
    if row is None:
        return {}
    by_hour = row.get("applications_by_hour") or {}
    return {
        **{name: row[name] for name in RESULT_FIELDS},
        "applications_by_hour": dict(sorted(by_hour.items(), key=lambda item: int(item[0]))),
        "notes_length": len(row.get("notes") or ""),
    }


async def save_results(
    session_id: int, values: Mapping[str, Any], actor: Actor, *, learn: bool = True
) -> dict[str, Any]:
    """Record (or correct) a booth's results (実績入力) and recompute the learned yields (unless ``learn`` is
    False: a caller saving many booths recomputes once at the end); returns the saved values."""
    booth = await _booth(session_id)
    hours = booth_hours(booth["start"], booth["end"])
    parsed = parse_results(values, hours)
    places = (await booth_places([session_id]))[session_id]
    _refuse(impossible_results(parsed["applications"], places, len(hours)))
    async with write_transaction():
        existing = (await _results_of([session_id])).get(session_id)
        stamp = {BoothResult.entered_by: actor.id, BoothResult.updated_at: clock.now()}
        if existing is not None:
            await BoothResult.update(
                {
                    BoothResult.applications: parsed["applications"],
                    BoothResult.applications_by_hour: parsed["applications_by_hour"],
                    BoothResult.photos: parsed["photos"],
                    BoothResult.inquiries: parsed["inquiries"],
                    BoothResult.notes: parsed["notes"],
                    **stamp,
                }
            ).where(BoothResult.id == existing["id"])
        else:
            await BoothResult.insert(
                BoothResult(session=session_id, entered_by=actor.id, updated_at=clock.now(), **parsed)
            ).on_conflict(
                target=BoothResult.session,
                action="DO UPDATE",
                values=[
                    BoothResult.applications,
                    BoothResult.applications_by_hour,
                    BoothResult.photos,
                    BoothResult.inquiries,
                    BoothResult.notes,
                    BoothResult.entered_by,
                    BoothResult.updated_at,
                ],
            )
        await record_event(
            actor,
            "booth.results_saved",
            "session",
            session_id,
            f"{booth['venue.name']} {booth['date'].isoformat()}",
            diff(_counts_of(existing), _counts_of(parsed)),
            scope=plan_scope(booth["version.plan"]),
        )
    if learn:
        await recompute_yields()
    return parsed


async def save_office_counts(date: dt.date, values: Mapping[str, Any], actor: Actor) -> dict[str, int]:
    """Record (or correct) one day's in-office counts (窓口実績); returns the saved counts."""
    if date > clock.today():
        raise InvalidTransition(_("Counts can be entered from that day on."))
    counts = parse_office_counts(values)
    async with write_transaction():
        before = (
            await OfficeCount.select(*[getattr(OfficeCount, n) for n in OFFICE_FIELDS])
            .where(OfficeCount.date == date)
            .first()
        )
        await OfficeCount.insert(
            OfficeCount(date=date, entered_by=actor.id, updated_at=clock.now(), **counts)
        ).on_conflict(
            target=OfficeCount.date,
            action="DO UPDATE",
            values=[*[getattr(OfficeCount, n) for n in OFFICE_FIELDS], OfficeCount.entered_by, OfficeCount.updated_at],
        )
        await record_event(
            actor, "office.counts_saved", "office_day", date.isoformat(), date.isoformat(), diff(before or {}, counts)
        )
    return counts


# --- the learned yields --------------------------------------------------------------------------------------------


def _stored_parameters(value: Any) -> dict[str, Any]:
    return (json.loads(value) if isinstance(value, str) else value) or {}


async def observations() -> list[yields.Observation]:
    """Every booth with results, with its forecast before learning (the planner's formula from the booth's venue
    kind, hours and month, and its plan's base rate), never the stored expected applicants (they may include
    learning already)."""
    rows = await BoothResult.select(
        BoothResult.applications,
        BoothResult.session.venue.id,
        BoothResult.session.venue.kind,
        BoothResult.session.date,
        BoothResult.session.start,
        BoothResult.session.end,
        BoothResult.session.version.parameters,
    )
    season = await seasonality()
    default_rate = Parameters(start=dt.date.min, end=dt.date.min).base_rate_per_hour
    found = []
    for row in rows:
        date = row["session.date"]
        rate = _stored_parameters(row["session.version.parameters"]).get("base_rate_per_hour", default_rate)
        parameters = Parameters(start=date, end=date, base_rate_per_hour=float(rate), seasonality=season)
        forecast = yields.base_forecast(
            parameters,
            row["session.venue.kind"],
            yields.hours_between(row["session.start"], row["session.end"]),
            date.month,
        )
        found.append(
            yields.Observation(
                venue=row["session.venue.id"],
                kind=row["session.venue.kind"],
                day_type=day_type(date).value,
                forecast=forecast,
                observed=row["applications"],
            )
        )
    return found


async def recompute_yields() -> list[yields.Factor]:
    """Learn the yield factors from every booth's results and store them (the same results give the same rows)."""
    factors = yields.learn(await observations(), get_settings().yield_prior_strength)
    await yields.store(factors)
    return factors


# --- reading -------------------------------------------------------------------------------------------------------


@dataclass
class BoothDay:
    """One booth of a day as the results page shows it."""

    session_id: int
    venue_name: str
    venue_kind: str
    start: dt.time
    end: dt.time
    state: str
    expected: int
    hours: list[int]
    bookings: int = 0  # active or attended bookings (parties)
    booked_people: int = 0
    checked_in: int = 0  # parties
    no_show: int = 0  # parties
    cancelled: int = 0  # parties
    walk_ins: int = 0  # parties registered at the booth
    walk_ins_served: int = 0
    result: dict[str, Any] | None = None
    date: dt.date | None = None
    places: int = 0  # bookable and walk-in places of its slots

    @property
    def started(self) -> bool:
        """Whether the booth has started (its results can be entered)."""
        return self.date is not None and clock.now() >= booth_start(self.date, self.start)

    @property
    def warnings(self) -> list[str]:
        """What staff should check in the saved results (``unusual_results``)."""
        if not self.result:
            return []
        return unusual_results(self.result["applications"], self.places, self.checked_in)


@dataclass
class DayOverview:
    """A booth day (実施日): its booths with bookings, check-ins, walk-ins and results, and the in-office counts."""

    date: dt.date
    booths: list[BoothDay] = field(default_factory=list)
    office: dict[str, Any] | None = None

    @property
    def can_enter(self) -> bool:
        """Results and counts are entered from the day itself on."""
        return self.date <= clock.today()


@dataclass(frozen=True)
class DaySummary:
    """A day with booths, for the list of days."""

    date: dt.date
    booths: int
    with_results: int
    office_counts: bool

    @property
    def complete(self) -> bool:
        return self.with_results == self.booths


async def day_overview(date: dt.date) -> DayOverview:
    """The booths of a date (published or held) with their bookings, check-ins, no-shows, walk-ins and results, and
    the day's in-office counts."""
    rows = (
        await Session.select(
            Session.id,
            Session.start,
            Session.end,
            Session.state,
            Session.expected_applicants,
            Session.venue.name,
            Session.venue.kind,
        )
        .where((Session.date == date) & Session.state.is_in(list(VISIBLE_STATES)))
        .order_by(Session.start)
        .order_by(Session.venue.name)
        .order_by(Session.id)
    )
    results = await _results_of(row["id"] for row in rows)
    places = await booth_places(row["id"] for row in rows)
    booths = {
        row["id"]: BoothDay(
            session_id=row["id"],
            date=date,
            places=places[row["id"]],
            venue_name=row["venue.name"],
            venue_kind=row["venue.kind"],
            start=row["start"],
            end=row["end"],
            state=row["state"],
            expected=row["expected_applicants"],
            hours=booth_hours(row["start"], row["end"]),
            result=results.get(row["id"]),
        )
        for row in rows
    }
    if booths:
        for booking in await Booking.select(Booking.session, Booking.state, Booking.party_size).where(
            Booking.session.is_in(list(booths))
        ):
            booth = booths[booking["session"]]
            state = booking["state"]
            if state in (BookingState.confirmed.value, BookingState.checked_in.value):
                booth.bookings += 1
                booth.booked_people += booking["party_size"]
            booth.checked_in += int(state == BookingState.checked_in.value)
            booth.no_show += int(state == BookingState.no_show.value)
            booth.cancelled += int(state == BookingState.cancelled.value)
        for walk_in in await WalkIn.select(WalkIn.session, WalkIn.state).where(WalkIn.session.is_in(list(booths))):
            booth = booths[walk_in["session"]]
            booth.walk_ins += 1
            booth.walk_ins_served += int(walk_in["state"] == WalkInState.served.value)
    office = await OfficeCount.select().where(OfficeCount.date == date).first()
    return DayOverview(date=date, booths=list(booths.values()), office=office)


async def booth_days(start: dt.date, end: dt.date) -> list[DaySummary]:
    """The days from ``start`` to ``end`` with published or held booths, newest first, with how many booths have
    results and whether the in-office counts are in."""
    rows = await Session.select(Session.id, Session.date).where(
        (Session.date >= start) & (Session.date <= end) & Session.state.is_in(list(VISIBLE_STATES))
    )
    results = await _results_of(row["id"] for row in rows)
    offices = {
        row["date"]
        for row in await OfficeCount.select(OfficeCount.date).where(
            (OfficeCount.date >= start) & (OfficeCount.date <= end)
        )
    }
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        per_day[row["date"]][0] += 1
        per_day[row["date"]][1] += int(row["id"] in results)
    return [
        DaySummary(date, booths, done, date in offices)
        for date, (booths, done) in sorted(per_day.items(), reverse=True)
    ]
