"""The back office's home (業務ホーム): what needs each role now. The city's reviewer sees the plans awaiting their
review; the contractor's staff, leads and admins see today's booths (to check in), the past booth days whose results
or in-office counts are not entered, the reports whose analysis is not saved and the venues whose opening rules need
a person to confirm them; leads and admins also see the emails that failed. Each list is what the role can act on
(core.roles), nothing else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from piccolo.query.functions.aggregate import Count

from booking.booth_waitlist_staff import calls_waiting
from booking.booths import VISIBLE_STATES
from booking.reports import daily_key, monthly_key
from booking.results import booth_days
from booking.tables import Booking, BookingState, ReportNote
from core import clock
from core.roles import EDITORS, OUTBOX_READERS, REVIEWERS
from core.tables import OutboxMessage
from core.users import Actor
from planner.tables import PlanVersion, Session, VersionState
from venues.facility_kinds import CANDIDATE_KINDS
from venues.reading import gojuon_key
from venues.tables import Venue

LOOK_BACK_DAYS = 366
"""How far back the home looks for results and reports still to enter: a year of booths."""
MAX_LISTED = 20
"""At most this many days (or months) in one list; the count says how many there are in all."""


@dataclass(frozen=True)
class AwaitingReview:
    """A plan version submitted to the city."""

    plan_id: int
    title: str
    number: int
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class TodayBooth:
    """One of today's booths, with its bookings so far."""

    session_id: int
    venue_name: str
    start: dt.time
    end: dt.time
    bookings: int  # parties, not cancelled
    checked_in: int


@dataclass(frozen=True)
class MissingResults:
    """A past booth day whose results (of some booths) or in-office counts are not entered."""

    date: dt.date
    booths: int
    with_results: int
    office_counts: bool


@dataclass(frozen=True)
class HoursToConfirm:
    """A venue whose hours note has clauses the importer could not read: not a candidate until staff confirm its
    opening rules (planner.services)."""

    venue_id: str
    name: str
    unread: tuple[str, ...]


@dataclass(frozen=True)
class Home:
    """What one staff member's home lists; a list the role does not see is None (not the same as empty)."""

    today: dt.date
    awaiting_review: list[AwaitingReview] | None = None
    today_booths: list[TodayBooth] | None = None
    missing_results: list[MissingResults] | None = None
    missing_results_total: int = 0
    daily_reports: list[dt.date] | None = None  # days with booths held and no saved analysis
    daily_reports_total: int = 0
    monthly_reports: list[str] | None = None  # ended months with booths and no saved analysis
    hours_to_confirm: list[HoursToConfirm] | None = None
    hours_to_confirm_total: int = 0
    failed_emails: int | None = None
    calls_waiting: int = 0  # waiting-list offers to phone-only residents: staff call them


async def awaiting_review() -> list[AwaitingReview]:
    """The submitted versions, oldest submission first."""
    rows = (
        await PlanVersion.select(PlanVersion.plan, PlanVersion.plan.title, PlanVersion.number, PlanVersion.submitted_at)
        .where(PlanVersion.state == VersionState.submitted.value)
        .order_by(PlanVersion.submitted_at)
    )
    return [AwaitingReview(r["plan"], r["plan.title"], r["number"], r["submitted_at"]) for r in rows]


async def today_booths(today: dt.date) -> list[TodayBooth]:
    """Today's published booths by start time, with their bookings and check-ins so far."""
    rows = (
        await Session.select(Session.id, Session.venue.name, Session.start, Session.end)
        .where((Session.date == today) & Session.state.is_in(list(VISIBLE_STATES)))
        .order_by(Session.start)
        .order_by(Session.venue.name)
    )
    counts: dict[int, dict[str, int]] = {}
    if rows:
        for row in (
            await Booking.select(Booking.session, Booking.state, Count(alias="n"))
            .where(Booking.session.is_in([r["id"] for r in rows]))
            .group_by(Booking.session, Booking.state)
        ):
            counts.setdefault(row["session"], {})[row["state"]] = row["n"]
    booths = []
    for row in rows:
        states = counts.get(row["id"], {})
        active = sum(n for state, n in states.items() if state != BookingState.cancelled.value)
        checked = states.get(BookingState.checked_in.value, 0)
        booths.append(TodayBooth(row["id"], row["venue.name"], row["start"], row["end"], active, checked))
    return booths


async def hours_to_confirm() -> list[HoursToConfirm]:
    """The active venues of the kinds booths are held at whose opening rules wait for staff, in 50音 order."""
    rows = await Venue.select(Venue.venue_id, Venue.name, Venue.name_kana, Venue.hours_unread).where(
        (Venue.active == True)
        & Venue.kind.is_in(list(CANDIDATE_KINDS))
        & (Venue.hours_unread != "")
        & (Venue.hours_confirmed == False)
    )
    rows.sort(key=lambda row: gojuon_key(row["name_kana"], row["name"]))
    return [HoursToConfirm(r["venue_id"], r["name"], tuple(r["hours_unread"].splitlines())) for r in rows]


async def _saved_keys(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return {row["key"] for row in await ReportNote.select(ReportNote.key).where(ReportNote.key.is_in(keys))}


async def home_for(actor: Actor) -> Home:
    """The home of ``actor``: the lists their role acts on."""
    today = clock.today()
    home = Home(today=today)
    if actor.role in REVIEWERS:
        home = replace(home, awaiting_review=await awaiting_review())
    if actor.role in EDITORS:
        days = await booth_days(today - dt.timedelta(days=LOOK_BACK_DAYS), today - dt.timedelta(days=1))
        missing = [
            MissingResults(d.date, d.booths, d.with_results, d.office_counts)
            for d in days
            if not d.complete or not d.office_counts
        ]
        held = [d.date for d in days if d.with_results]
        saved = await _saved_keys([daily_key(day) for day in held])
        unwritten = [day for day in held if daily_key(day) not in saved]
        months = sorted({day.strftime("%Y-%m") for day in held if day.strftime("%Y-%m") < today.strftime("%Y-%m")})
        saved_months = await _saved_keys([monthly_key(month) for month in months])
        hours = await hours_to_confirm()
        home = replace(
            home,
            hours_to_confirm=hours[:MAX_LISTED],
            hours_to_confirm_total=len(hours),
            today_booths=await today_booths(today),
            missing_results=missing[:MAX_LISTED],
            missing_results_total=len(missing),
            daily_reports=unwritten[:MAX_LISTED],
            daily_reports_total=len(unwritten),
            monthly_reports=[m for m in reversed(months) if monthly_key(m) not in saved_months],
            calls_waiting=await calls_waiting(),
        )
    if actor.role in OUTBOX_READERS:
        home = replace(home, failed_emails=await OutboxMessage.count().where(OutboxMessage.status == "failed"))
    return home
