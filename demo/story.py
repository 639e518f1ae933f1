"""The demo city in the middle of its contract: the current fiscal year planned, reviewed and published months ago,
its booths up to yesterday held (a seeded simulation, ``demo.simulation``), and the next year's plan submitted.

Staff actions go through the product's services with the clock set to when they happened (so that the audit log,
the reports and the outbox tell a consistent story); the residents' side — hundreds of bookings, check-ins and
walk-ins that no service would accept in the past — is written to the booking tables directly, in the shape the
services give them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from booking.bookings import BookingRequest, validate
from booking.codes import new_code, new_manage_token, token_hash
from booking.counter_stats import read_counter_stats
from booking.placements import PlacementInput, create_placement
from booking.report_analysis import draft_daily, draft_monthly, save_report_analysis
from booking.reports import daily_report, monthly_report
from booking.results import booth_hours, recompute_yields, save_office_counts, save_results
from booking.retention import purge_expired
from booking.schemas import Needs
from booking.tables import ACTIVE_STATES, Booking, Slot, WalkIn
from core import clock
from core.calendar import DayType, dates, day_type, fiscal_year, fiscal_year_period, is_year_end_closure, month_key
from core.clock import JST
from core.db import write_transaction
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.i18n import using_locale
from core.settings import get_settings
from core.users import Actor
from counter.offices import is_open_now
from counter.report_figures import COUNT_OF_SERVICE
from demo.counter import counter_rng, days_to_serve, open_city_hall, serve_day
from demo.simulation import BoothOutcome, BoothSpec, SlotSpec, office_day, simulate_booth, venue_factor
from demo.waitlist import wait_for_places
from planner import services as plans
from planner import workflow
from planner.invitations import answer_invitation, answer_token
from planner.model import Parameters
from planner.tables import Invitation, InvitationState, Session, SessionState
from venues.schemas import VenueUpdate
from venues.services import get_venue, update_venue

DEFAULT_SEED = 20260401
PLANNED_DAYS_BEFORE = 56  # the plan is made eight weeks before the fiscal year starts
REVIEW_COMMENT = "この日は地区の行事と重なるため、別の日に変更してください。"
RETURN_COMMENT = "1件、日程の変更をお願いします（会場へのコメント参照）。"
APPROVAL_COMMENT = "修正を確認しました。承認します。"
DECLINE_NOTE = "この日は館内の設備点検のため、お受けできません。"
PLACEMENTS = (
    ("koho-kanazawa", "広報かなざわ 出張申請のお知らせ", "newsletter"),
    ("city-web", "金沢市ホームページ お知らせ", "web"),
    ("line-kanazawa", "金沢市LINE公式アカウント 配信", "social"),
    ("poster-hall", "市役所本庁舎 掲示ポスター", "poster"),
    ("flyer-stations", "市民センター 配布チラシ", "poster"),
)


@dataclass(frozen=True)
class Cast:
    """The demo's staff, one per role."""

    staff: Actor
    lead: Actor
    reviewer: Actor


@dataclass(frozen=True)
class Story:
    """What the story did, for the demo's summary."""

    plan_id: int
    published: int
    held: int
    bookings: int
    walk_ins: int
    applications: int
    daily_reports: int
    monthly_reports: int
    purges: int
    invitations: int
    counter_days: int = 0  # City Hall's days served with simulated queue tickets (before today)
    tickets: int = 0  # the queue tickets simulated, today's included
    tickets_today: int = 0
    waiting: int = 0  # residents on the waiting list of the booth a few days ahead (the oldest holds an offer)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of a day in Japan."""
    return dt.datetime.combine(day, dt.time(hour, minute), JST)


def working_day(day: dt.date) -> bool:
    """The city's counter is open: a weekday that is no national holiday, outside the year-end closure."""
    return day_type(day) == DayType.weekday and not is_year_end_closure(day)


def _before_now(now: dt.datetime, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return min(at(day, hour, minute), now - dt.timedelta(minutes=1))


async def _plan_and_review(cast: Cast, start: dt.date, end: dt.date, rng: random.Random) -> int:
    """The year's plan as it was made: solved, submitted, returned with a comment on one booth, that booth moved,
    submitted again and approved (which publishes it and sends the partners' invitations)."""
    day = start - dt.timedelta(days=PLANNED_DAYS_BEFORE)
    title = _("Implementation plan FY{year}").format(year=start.year)
    with clock.frozen(at(day, 10)):
        version_id = await plans.create_plan(cast.lead, title, Parameters(start=start, end=end))
        await plans.run_solve(version_id, actor=cast.lead)
        plan_id = (await plans.get_version(version_id)).plan
        await _add_partners(cast.staff, version_id)
    with clock.frozen(at(day + dt.timedelta(days=1), 15)):
        await workflow.submit(cast.lead, version_id)
    sessions = await plans.sessions_of(version_id)
    with clock.frozen(at(day + dt.timedelta(days=3), 11)):
        second_month = (start.replace(day=28) + dt.timedelta(days=7)).month
        commented = rng.choice([s for s in sessions if s.date.month == second_month] or sessions)
        await workflow.comment_session(cast.reviewer, commented.id, REVIEW_COMMENT)
        version = await plans.get_version(version_id)
        revised = await workflow.return_for_changes(cast.reviewer, version_id, version.revision, RETURN_COMMENT)
    with clock.frozen(at(day + dt.timedelta(days=4), 10)):
        await _move_commented(cast.staff, revised, commented.venue_id, commented.date)
        await workflow.submit(cast.lead, revised)
    with clock.frozen(at(day + dt.timedelta(days=6), 16)):
        version = await plans.get_version(revised)
        await workflow.approve(cast.reviewer, revised, version.revision, APPROVAL_COMMENT)
    return plan_id


async def _move_commented(actor: Actor, version_id: int, venue_id: str, date: dt.date) -> None:
    """Move the commented booth (its copy in the revised version) a week or two away, to the first date the
    planner's rules allow."""
    session = next(s for s in await plans.sessions_of(version_id) if s.venue_id == venue_id and s.date == date)
    for days in (7, -7, 14, -14, 21, -21, 1, -1, 2, -2):
        try:
            await plans.move_session(actor, session.id, date + dt.timedelta(days=days))
            return
        except ValidationFailed:
            continue


async def _add_partners(actor: Actor, version_id: int) -> None:
    """Each venue the plan uses gets a partner contact at example.jp (staff keep these on the venue page)."""
    venue_ids = sorted({s.venue_id for s in await plans.sessions_of(version_id)})
    for number, venue_id in enumerate(venue_ids, start=1):
        venue = await get_venue(venue_id)
        values = {f.name: venue[f.name] for f in fields(VenueUpdate)}
        values["partner_name"] = f"{venue['name']} ご担当者"
        values["partner_email"] = f"partner{number:03d}@example.jp"
        await update_venue(actor, venue_id, VenueUpdate(**values))


async def _answer_invitations(plan_id: int, approved: dt.datetime, today: dt.date, rng: random.Random) -> int:
    """Most partners accept their booths within a week; one declines a booth still to come (the staff are told,
    and have yet to act); the rest have not answered yet."""
    rows = (
        await Invitation.select(Invitation.id, Invitation.uid, Invitation.sequence, Invitation.session.date)
        .where((Invitation.session.version.plan == plan_id) & (Invitation.state == InvitationState.sent.value))
        .order_by(Invitation.id)
    )
    ahead = [row for row in rows if row["session.date"] > today] or rows
    declined = ahead[len(ahead) // 3]["id"] if ahead else None
    for row in rows:
        answer = "decline" if row["id"] == declined else "accept"
        if answer == "accept" and rng.random() > 0.7:
            continue
        with clock.frozen(approved + dt.timedelta(days=rng.uniform(0.5, 6))):
            token = answer_token(row["id"], row["uid"], row["sequence"], answer)
            await answer_invitation(row["id"], answer, token, DECLINE_NOTE if answer == "decline" else "")
    return len(rows)


async def _placements(actor: Actor, when: dt.datetime) -> list[str]:
    codes = []
    with clock.frozen(when):
        for code, name, kind in PLACEMENTS:
            codes.append((await create_placement(actor, PlacementInput(name=name, kind=kind, code=code)))["code"])
    return codes


def _booths(rows: list[dict], slots: dict[int, list[dict]]) -> Iterator[BoothSpec]:
    for row in rows:
        yield BoothSpec(
            session_id=row["id"],
            venue_id=row["venue"],
            date=row["date"],
            expected=row["expected_applicants"],
            slots=tuple(SlotSpec(s["start"], s["end"], s["capacity"]) for s in slots[row["id"]]),
        )


class _Residents:
    """Writes simulated bookings and walk-ins; numbers the fictional residents."""

    def __init__(self, staff: Actor) -> None:
        self.staff, self.number = staff, 0
        self.bookings = self.walk_ins = 0

    async def write(self, booth: BoothSpec, slot_ids: list[int], outcome: BoothOutcome) -> None:
        self.number += len(outcome.bookings)
        rows, booked = [], defaultdict(int)
        for sim in outcome.bookings:
            request = validate(  # the product's own rules: the simulation writes only what a resident could send
                BookingRequest(
                    slot_id=slot_ids[sim.slot],
                    name_kana=sim.resident.name_kana,
                    phone=sim.resident.phone,
                    email=sim.resident.email,
                    party_size=sim.party_size,
                    language=sim.resident.language,
                    needs=Needs(wheelchair=sim.resident.wheelchair),
                    source=sim.source,
                )
            )
            if sim.state in ACTIVE_STATES:
                booked[sim.slot] += sim.party_size
            code = new_code()
            rows.append(
                Booking(
                    code=code,
                    manage_token_hash=token_hash(new_manage_token(code)),
                    slot=request.slot_id,
                    session=booth.session_id,
                    party_size=request.party_size,
                    name_kana=request.name_kana,
                    phone=request.phone,
                    email=request.email,
                    language=request.language,
                    needs=asdict(request.needs),
                    readiness={},
                    source=request.source,
                    state=sim.state,
                    created_at=sim.created_at,
                    updated_at=sim.cancelled_at or sim.checked_in_at or sim.released_at or sim.created_at,
                    checked_in_at=sim.checked_in_at,
                    released_at=sim.released_at,
                )
            )
        walk_ins = [
            WalkIn(
                session=booth.session_id,
                number=w.number,
                party_size=w.party_size,
                state=w.state,
                created_at=w.arrived_at,
                called_at=w.served_at - dt.timedelta(minutes=1) if w.served_at else None,  # called, then served
                served_at=w.served_at,
                created_by=self.staff.id,
            )
            for w in outcome.walk_ins
        ]
        async with write_transaction():
            if rows:
                await Booking.insert(*rows)
            if walk_ins:
                await WalkIn.insert(*walk_ins)
            for index, places in booked.items():
                await Slot.update({Slot.booked: Slot.booked + places}).where(Slot.id == slot_ids[index])
        self.bookings += len(rows)
        self.walk_ins += len(walk_ins)


def _results_form(outcome: BoothOutcome, hours: list[int]) -> dict[str, str]:
    """What staff type into the results page for a held booth."""
    form = {f"hour_{hour:02d}": str(outcome.applications_by_hour.get(hour, 0)) for hour in hours}
    form.update(applications=str(outcome.applications), photos=str(outcome.photos), inquiries=str(outcome.inquiries))
    return form


async def tell_story(cast: Cast, today: dt.date, now: dt.datetime, stats_file: Path, seed: int) -> Story | None:
    """Build the current fiscal year's story up to ``today`` (None when that year was planned before)."""
    start, end = fiscal_year_period(fiscal_year(today))
    if await plans.plan_for_period(start, end) is not None:
        return None
    rng = random.Random(seed)
    plan_id = await _plan_and_review(cast, start, end, rng)
    version = await plans.latest_version(plan_id)
    approved = version.decided_at or now
    invitations = await _answer_invitations(plan_id, approved, today, rng)
    placement_codes = await _placements(cast.staff, approved + dt.timedelta(minutes=1))
    sessions = (
        await Session.select(
            Session.id, Session.venue, Session.date, Session.start, Session.end, Session.expected_applicants
        )
        .where((Session.version == version.id) & (Session.state == SessionState.published.value))
        .order_by(Session.date, Session.start, Session.id)
    )
    slot_rows = await Slot.select().where(Slot.session.is_in([s["id"] for s in sessions] or [-1])).order_by(Slot.start)
    slots: dict[int, list[dict]] = defaultdict(list)
    for row in slot_rows:
        slots[row["session"]].append(row)
    factors: dict[int, float] = {}
    residents = _Residents(cast.staff)
    outcomes: dict[dt.date, list[tuple[BoothSpec, BoothOutcome, list[int]]]] = defaultdict(list)
    hours = {row["id"]: booth_hours(row["start"], row["end"]) for row in sessions}
    for booth in _booths(sessions, slots):
        if booth.venue_id not in factors:
            factors[booth.venue_id] = venue_factor(rng)
        outcome = simulate_booth(
            booth,
            rng,
            factor=factors[booth.venue_id],
            now=now,
            opened=approved,
            placements=placement_codes,
            first_resident=residents.number,
            release_after=dt.timedelta(minutes=get_settings().no_show_after_minutes),
        )
        await residents.write(booth, [s["id"] for s in slots[booth.session_id]], outcome)
        if booth.date < today:  # held: staff entered its results that evening
            outcomes[booth.date].append((booth, outcome, hours[booth.session_id]))
    month_figures = {int(month[5:]): stat for month, stat in read_counter_stats(stats_file).items()}
    working: dict[str, int] = defaultdict(int)
    for day in dates(start, end):
        working[month_key(day)] += working_day(day)
    city_hall = await open_city_hall(cast.lead, approved + dt.timedelta(hours=1), start)
    counter_days = await days_to_serve(city_hall, start, today)
    served_counts: dict[dt.date, dict[str, int]] = {}
    tickets, counter_random = 0, counter_rng(seed)
    daily = monthly = purges = applications = 0
    for day in dates(start, today):
        # The scheduled deletion runs every night; the story keeps one night a month, and last night's.
        if ((day.day == 1 and day > start) or day == today) and at(day, 3) < now:
            with clock.frozen(at(day, 3)):
                await purge_expired()
                purges += 1
        if day.day == 1 and day > start:  # last month's report
            month = month_key(day - dt.timedelta(days=1))
            with clock.frozen(_before_now(now, day, 10)), using_locale("ja"):
                report = await monthly_report(month)
                await save_report_analysis(cast.lead, report, draft_monthly(report))
                monthly += 1
        if day == today:
            break
        for booth, outcome, hours in outcomes.get(day, []):
            with clock.frozen(at(day, 17, 30)):
                await save_results(booth.session_id, _results_form(outcome, hours), cast.staff, learn=False)
            applications += outcome.applications
        if day in counter_days:  # City Hall's queue tickets, issued, called and served through the counter
            served = await serve_day(city_hall, day, stats_file, cast.staff, counter_random)
            tickets += served.issued
            served_counts[day] = {field: served.served[kind] for kind, field in COUNT_OF_SERVICE.items()}
        if working_day(day):
            counts = office_day(month_figures.get(day.month), working[month_key(day)], rng)
            counts.update(served_counts.get(day, {}))  # what the tickets counted (the reports read them too)
            with clock.frozen(at(day, 18)):
                await save_office_counts(day, {k: str(v) for k, v in counts.items()}, cast.staff)
        if day in outcomes or day in served_counts:
            with clock.frozen(at(day, 18, 30)), using_locale("ja"):
                day_report = await daily_report(day)
                await save_report_analysis(cast.staff, day_report, draft_daily(day_report))
                daily += 1
    today_tickets = 0
    if await is_open_now(city_hall, now):  # the counter is open: today's queue up to now
        today_tickets = (await serve_day(city_hall, today, stats_file, cast.staff, counter_random, until=now)).issued
    await recompute_yields()  # what the year's results teach, as after each entry
    waiting = await wait_for_places(now)
    return Story(
        plan_id=plan_id,
        published=len(sessions),
        held=sum(len(booths) for booths in outcomes.values()),
        bookings=residents.bookings,
        walk_ins=residents.walk_ins,
        applications=applications,
        daily_reports=daily,
        monthly_reports=monthly,
        purges=purges,
        invitations=invitations,
        counter_days=len(served_counts),
        tickets=tickets + today_tickets,
        tickets_today=today_tickets,
        waiting=waiting,
    )


async def submit_next_year(cast: Cast, today: dt.date, now: dt.datetime) -> int | None:
    """The next fiscal year's plan, solved with what this year taught (the learned yields) and submitted
    yesterday; None when it exists already."""
    start, end = fiscal_year_period(fiscal_year(today) + 1)
    if await plans.plan_for_period(start, end) is not None:
        return None
    yesterday = today - dt.timedelta(days=1)
    title = _("Implementation plan FY{year}").format(year=start.year)
    with clock.frozen(_before_now(now, yesterday, 10)):
        version_id = await plans.create_plan(cast.lead, title, Parameters(start=start, end=end))
        await plans.run_solve(version_id, actor=cast.lead)
    with clock.frozen(_before_now(now, yesterday, 16)):
        await workflow.submit(cast.lead, version_id)
    return (await plans.get_version(version_id)).plan
