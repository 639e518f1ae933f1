"""The figures of the daily report (日次実績報告書) and the monthly report (月次実施報告書): per booth, per hour, per
venue, venue kind, day type and publicity placement, the city's in-office counts (窓口実績), this month against the
last and against the city's counter statistics (窓口統計) of the same month of an earlier year, when a file of them is
configured (``COUNTER_STATS_FILE``).

Only booths that were published or held count (a cancelled or superseded session is not a booth that took place),
and of those only the booths that **have happened**: their results are entered, or their window is over (the
booth's date and end time in Japan are past). A booth still to come (today's before it closes, or a later day's) is
listed apart as scheduled, with its bookings so far, and counts in no figure, group, chart or analysis. A report of a
past period therefore never changes by itself; it changes only when its booths' own records do (results, check-ins).

The forecast is the one fixed when the booth was published (``Session.published_forecast``): yields learned later,
from the booth's own results too, never rewrite it.

Definitions used throughout:

- bookings: bookings that were not cancelled (confirmed, checked in or no-show), as parties and as people;
- no-show rate: no-shows over bookings;
- filled from the waiting list: bookings made by accepting a waiting list's offer (source "waitlist", booking.waitlist),
  not cancelled, as parties and as people — places that would have stayed empty or gone to walk-ins;
- walk-ins: every party registered at the booth without booking (当日受付), whatever became of it;
- walk-in share: walk-in people over the people who came (checked in plus walk-ins);
- actual/forecast: applications over the plan's expected applicants, over the booths whose results are entered;
- applications per hour: applications over the opening hours of the booths whose results are entered;
- in-office counts: on a day with queue tickets, cards handed over, certificates, PIN resets and applications are
  the tickets served for those services (booking.office_tickets); card detail changes and phone calls, and every
  count of a day without tickets, are those typed by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from piccolo.query.functions.aggregate import Count, Sum

from booking.counter_stats import CounterStat, same_month_stat
from booking.office_tickets import (
    TICKET_FIELDS,
    OfficeWaits,
    TicketFigures,
    office_waits,
    ticket_days,
    ticket_figures,
)
from booking.tables import WAITLIST_SOURCE, Booking, BookingState, BoothResult, OfficeCount, Placement, Slot, WalkIn
from core import clock
from core.errors import NotFound
from core.i18n import gettext as _
from core.settings import get_settings
from planner.tables import Session, SessionState

COUNTED_STATES = (SessionState.published.value, SessionState.held.value)
"""Session states that are booths which took place (or will): cancelled and superseded ones do not count."""
DIRECT = ""
"""The placement key of bookings made without a placement code."""
WAITLIST_PLACEMENT = "キャンセル待ち"
"""The name, in the placements' table, of the bookings made from the waiting lists (their source is no placement)."""


# --- figures ----------------------------------------------------------------------------------------------------------


def ratio(part: float, whole: float) -> float | None:
    """``part / whole``, or None when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    """The countable figures of one booth or of a group of booths; groups are sums (``+``)."""

    booths: int = 0
    slots: int = 0
    places: int = 0  # bookable places of the slots
    bookings: int = 0  # parties, not cancelled
    people: int = 0
    checked_in: int = 0  # parties
    checked_in_people: int = 0
    no_shows: int = 0  # parties
    no_show_people: int = 0
    cancelled: int = 0  # parties
    waitlist_bookings: int = 0  # parties booked from the waiting list, not cancelled (also in ``bookings``)
    waitlist_people: int = 0
    walk_ins: int = 0  # parties
    walk_in_people: int = 0
    applications: int = 0
    photos: int = 0
    inquiries: int = 0
    forecast: int = 0  # the plan's expected applicants, all booths
    hours: float = 0.0  # opening hours, all booths
    reported: int = 0  # booths whose results are entered
    reported_forecast: int = 0  # expected applicants of those booths
    reported_hours: float = 0.0

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @classmethod
    def total(cls, items: Iterable[Figures]) -> Figures:
        """The sum of several figures."""
        result = cls()
        for item in items:
            result = result + item
        return result

    @property
    def no_show_rate(self) -> float | None:
        return ratio(self.no_shows, self.bookings)

    @property
    def walk_in_share(self) -> float | None:
        return ratio(self.walk_in_people, self.checked_in_people + self.walk_in_people)

    @property
    def visitors(self) -> int:
        """People who came: checked in plus walk-ins."""
        return self.checked_in_people + self.walk_in_people

    @property
    def actual_vs_forecast(self) -> float | None:
        return ratio(self.applications, self.reported_forecast)

    @property
    def applications_per_hour(self) -> float | None:
        return ratio(self.applications, self.reported_hours)

    @property
    def occupancy(self) -> float | None:
        """Booked people over bookable places."""
        return ratio(self.people, self.places)


@dataclass(frozen=True)
class BoothRow:
    """One booth (a published or held session) with its figures and its result's details."""

    session_id: int
    date: dt.date
    start: dt.time
    end: dt.time
    day_type: str  # weekday | holiday
    venue_id: int
    venue_name: str
    venue_kind: str
    figures: Figures
    has_result: bool = False
    applications_by_hour: dict[int, int] = field(default_factory=dict)
    notes: str = ""

    def has_happened(self, now: dt.datetime) -> bool:
        """Results entered, or the booth's window over at ``now`` (Japan time)."""
        return self.has_result or dt.datetime.combine(self.date, self.end, clock.JST) <= now

    @property
    def hours(self) -> float:
        return self.figures.hours


@dataclass(frozen=True)
class GroupRow:
    """Booths grouped by a key (a venue, a venue kind, a day type), with their summed figures."""

    key: str
    label: str
    figures: Figures
    kind: str = ""  # a venue's kind (the per-venue table)


@dataclass(frozen=True)
class PlacementRow:
    """Bookings of the period's booths by the publicity placement they came from (``code`` "" is direct)."""

    code: str
    name: str
    kind: str
    bookings: int = 0  # not cancelled
    people: int = 0
    checked_in: int = 0
    checked_in_people: int = 0
    no_shows: int = 0

    @property
    def is_direct(self) -> bool:
        return self.code == DIRECT


@dataclass(frozen=True)
class OfficeFigures:
    """The in-office counts (窓口実績) of one day or the sum over a month; ``days`` is how many days were entered
    (typed by hand or counted from queue tickets), ``ticket_days`` how many of them were counted from tickets."""

    days: int = 0
    ticket_days: int = 0
    card_handovers: int = 0  # カード交付
    certificates: int = 0  # 電子証明書の発行・更新
    pin_resets: int = 0  # 暗証番号の再設定
    card_changes: int = 0  # 券面事項の変更
    applications: int = 0  # 申請受付
    phone_calls: int = 0  # 電話対応

    def __add__(self, other: OfficeFigures) -> OfficeFigures:
        return OfficeFigures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass(frozen=True)
class DayRow:
    """One day of a month: its booths' figures and the in-office counts."""

    date: dt.date
    figures: Figures
    office: OfficeFigures


@dataclass(frozen=True)
class DailyReport:
    """The 日次実績報告書 of one day."""

    date: dt.date
    booths: tuple[BoothRow, ...]
    totals: Figures
    hours: tuple[tuple[int, int], ...]  # (hour of the day, applications) over every booth, hours with booths only
    office: OfficeFigures | None  # None: not entered
    by_placement: tuple[PlacementRow, ...] = ()  # the placements that brought bookings for the day's booths
    scheduled: tuple[BoothRow, ...] = ()  # the day's booths still to come: listed, never counted
    waits: tuple[OfficeWaits, ...] = ()  # the counters' waiting times per hour, per office with queue tickets

    @property
    def key(self) -> str:
        return daily_key(self.date)

    @property
    def has_results(self) -> bool:
        return self.totals.reported > 0


@dataclass(frozen=True)
class MonthlyReport:
    """The 月次実施報告書 of one month, with the previous month and the counter statistic of the same calendar month of
    the latest earlier year (``counter_stat``, None when there is none to compare with)."""

    month: str  # "2027-06"
    first: dt.date
    last: dt.date
    booths: tuple[BoothRow, ...]
    totals: Figures
    hours: tuple[tuple[int, int], ...]
    by_venue: tuple[GroupRow, ...]
    by_kind: tuple[GroupRow, ...]
    by_day_type: tuple[GroupRow, ...]
    by_placement: tuple[PlacementRow, ...]
    days: tuple[DayRow, ...]  # the days with booths or in-office counts
    office: OfficeFigures
    previous_month: str
    previous_totals: Figures
    previous_office: OfficeFigures
    counter_stat: CounterStat | None  # the same calendar month of an earlier year (not this year's figures)
    scheduled: tuple[BoothRow, ...] = ()  # the month's booths still to come: listed, never counted
    waits: tuple[OfficeWaits, ...] = ()  # per office: per hour of the day over the month, and per day

    @property
    def key(self) -> str:
        return monthly_key(self.month)

    @property
    def has_results(self) -> bool:
        return self.totals.reported > 0


# --- keys and periods -------------------------------------------------------------------------------------------------


def daily_key(date: dt.date) -> str:
    """The ReportNote key of a day's report: ``daily:2027-06-05``."""
    return f"daily:{date.isoformat()}"


def monthly_key(month: str) -> str:
    """The ReportNote key of a month's report: ``monthly:2027-06``."""
    return f"monthly:{month}"


def parse_month(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a ``YYYY-MM`` month; NotFound when it is not one."""
    try:
        first = dt.date.fromisoformat(f"{month}-01") if len(month) == 7 else None
    except ValueError:
        first = None
    if first is None or not 1900 < first.year < 9999:  # the previous and the following month must exist too
        raise NotFound(_("There is no such month."))
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def previous_month(month: str) -> str:
    """``2027-06`` → ``2027-05``."""
    first, _last = parse_month(month)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def _hours_between(start: dt.time, end: dt.time) -> float:
    return (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).total_seconds() / 3600


# --- loading ----------------------------------------------------------------------------------------------------------


def _counted(column_date, column_state, first: dt.date, last: dt.date):
    return (column_date >= first) & (column_date <= last) & column_state.is_in(list(COUNTED_STATES))


def _by_hour(value: object) -> dict[int, int]:
    """A result's ``applications_by_hour`` ({"10": 3}) as {10: 3}, unreadable entries left out."""
    hours: dict[int, int] = {}
    if isinstance(value, dict):
        for hour, count in value.items():
            try:
                hours[int(hour)] = hours.get(int(hour), 0) + int(count)
            except (TypeError, ValueError):
                continue
    return dict(sorted(hours.items()))


async def booth_rows(first: dt.date, last: dt.date) -> list[BoothRow]:
    """Every counted booth from ``first`` to ``last`` with its figures, by date, start and venue.

    Six queries whatever the number of booths: sessions, slot sums, booking and walk-in GROUP BYs, results.
    """

    sessions = await Session.select(
        Session.id,
        Session.date,
        Session.start,
        Session.end,
        Session.day_type,
        Session.expected_applicants,
        Session.published_forecast,
        Session.venue.id.as_alias("venue_id"),
        Session.venue.name.as_alias("venue_name"),
        Session.venue.kind.as_alias("venue_kind"),
    ).where(_counted(Session.date, Session.state, first, last))
    if not sessions:
        return []
    slots = {
        row["session"]: row
        for row in await Slot.select(
            Slot.session,
            Count(alias="n"),
            Sum(Slot.capacity, alias="places"),
        )
        .where(_counted(Slot.session.date, Slot.session.state, first, last))
        .group_by(Slot.session)
    }
    bookings: dict[int, dict[str, tuple[int, int]]] = {}
    from_list: dict[int, tuple[int, int]] = {}  # (parties, people) booked from the waiting list, not cancelled
    for row in (
        await Booking.select(
            Booking.session,
            Booking.state,
            Booking.source,
            Count(alias="n"),
            Sum(Booking.party_size, alias="people"),
        )
        .where(_counted(Booking.session.date, Booking.session.state, first, last))
        .group_by(Booking.session, Booking.state, Booking.source)
    ):
        states = bookings.setdefault(row["session"], {})
        n, people = states.get(row["state"], (0, 0))
        states[row["state"]] = (n + row["n"], people + (row["people"] or 0))
        if row["source"] == WAITLIST_SOURCE and row["state"] != BookingState.cancelled.value:
            parties, listed = from_list.get(row["session"], (0, 0))
            from_list[row["session"]] = (parties + row["n"], listed + (row["people"] or 0))
    walk_ins: dict[int, tuple[int, int]] = {}
    for row in (
        await WalkIn.select(
            WalkIn.session,
            Count(alias="n"),
            Sum(WalkIn.party_size, alias="people"),
        )
        .where(_counted(WalkIn.session.date, WalkIn.session.state, first, last))
        .group_by(WalkIn.session)
    ):
        walk_ins[row["session"]] = (row["n"], row["people"] or 0)
    results = {
        row["session"]: row
        for row in await BoothResult.select(
            BoothResult.session,
            BoothResult.applications,
            BoothResult.applications_by_hour,
            BoothResult.photos,
            BoothResult.inquiries,
            BoothResult.notes,
        )
        .where(_counted(BoothResult.session.date, BoothResult.session.state, first, last))
        .output(load_json=True)
    }

    rows = []
    for session in sessions:
        sid = session["id"]
        states = bookings.get(sid, {})
        confirmed = states.get(BookingState.confirmed.value, (0, 0))
        checked = states.get(BookingState.checked_in.value, (0, 0))
        no_show = states.get(BookingState.no_show.value, (0, 0))
        cancelled = states.get(BookingState.cancelled.value, (0, 0))
        walk = walk_ins.get(sid, (0, 0))
        result = results.get(sid)
        hours = _hours_between(session["start"], session["end"])
        fixed = session["published_forecast"]
        forecast = (session["expected_applicants"] if fixed is None else fixed) or 0
        figures = Figures(
            booths=1,
            slots=slots.get(sid, {}).get("n", 0) or 0,
            places=slots.get(sid, {}).get("places", 0) or 0,
            bookings=confirmed[0] + checked[0] + no_show[0],
            people=confirmed[1] + checked[1] + no_show[1],
            checked_in=checked[0],
            checked_in_people=checked[1],
            no_shows=no_show[0],
            no_show_people=no_show[1],
            cancelled=cancelled[0],
            waitlist_bookings=from_list.get(sid, (0, 0))[0],
            waitlist_people=from_list.get(sid, (0, 0))[1],
            walk_ins=walk[0],
            walk_in_people=walk[1],
            applications=result["applications"] if result else 0,
            photos=result["photos"] if result else 0,
            inquiries=result["inquiries"] if result else 0,
            forecast=forecast,
            hours=hours,
            reported=1 if result else 0,
            reported_forecast=forecast if result else 0,
            reported_hours=hours if result else 0.0,
        )
        rows.append(
            BoothRow(
                session_id=sid,
                date=session["date"],
                start=session["start"],
                end=session["end"],
                day_type=session["day_type"],
                venue_id=session["venue_id"],
                venue_name=session["venue_name"],
                venue_kind=session["venue_kind"] or "",
                figures=figures,
                has_result=result is not None,
                applications_by_hour=_by_hour(result["applications_by_hour"]) if result else {},
                notes=(result["notes"] or "") if result else "",
            )
        )
    rows.sort(key=lambda r: (r.date, r.start, r.venue_name, r.session_id))
    return rows


def split_happened(rows: Iterable[BoothRow]) -> tuple[list[BoothRow], list[BoothRow]]:
    """The booths that have happened (counted) and those still to come (listed apart), as of now."""
    now = clock.now()
    happened, scheduled = [], []
    for row in rows:
        (happened if row.has_happened(now) else scheduled).append(row)
    return happened, scheduled


def hour_totals(rows: Iterable[BoothRow]) -> tuple[tuple[int, int], ...]:
    """Applications per hour of the day over the booths: every hour a booth was open, and any hour with a count."""
    totals: dict[int, int] = {}
    for row in rows:
        last_hour = row.end.hour if row.end.minute == 0 else row.end.hour + 1
        for hour in range(row.start.hour, last_hour):
            totals.setdefault(hour, 0)
        for hour, count in row.applications_by_hour.items():
            totals[hour] = totals.get(hour, 0) + count
    return tuple(sorted(totals.items()))


async def office_counts(
    first: dt.date, last: dt.date, tickets: TicketFigures | None = None
) -> dict[dt.date, OfficeFigures]:
    """The in-office counts from ``first`` to ``last``, by day: those typed by hand, and on the days with served
    queue tickets (``tickets``, read from the counter when not given) the tickets' counts in TICKET_FIELDS."""
    if tickets is None:
        tickets = await ticket_figures(first, last)
    rows = await OfficeCount.select().where((OfficeCount.date >= first) & (OfficeCount.date <= last))
    counts = {
        row["date"]: OfficeFigures(
            days=1,
            card_handovers=row["card_handovers"],
            certificates=row["certificates"],
            pin_resets=row["pin_resets"],
            card_changes=row["card_changes"],
            applications=row["applications"],
            phone_calls=row["phone_calls"],
        )
        for row in rows
    }
    for day, served in tickets.served.items():  # every day with tickets, whether or not any was served yet
        if first <= day <= last:
            counted = {name: served.get(name, 0) for name in TICKET_FIELDS}
            counts[day] = dataclasses.replace(counts.get(day, OfficeFigures()), days=1, ticket_days=1, **counted)
    return dict(sorted(counts.items()))


async def placement_rows(
    first: dt.date, last: dt.date, *, include_idle: bool = True, sessions: Iterable[int] | None = None
) -> list[PlacementRow]:
    """Bookings of the period's booths (only ``sessions`` when given: the booths that have happened) per placement
    code: placements with bookings, the active placements without any (``include_idle``: so that a placement that
    brought nothing shows), codes that are no placement; most bookings first, direct last."""
    counts: dict[str, dict[str, int]] = {}
    condition = _counted(Booking.session.date, Booking.session.state, first, last) & (
        Booking.state != BookingState.cancelled.value
    )
    if sessions is not None:
        condition &= Booking.session.is_in(list(sessions) or [0])
    for row in (
        await Booking.select(
            Booking.source,
            Booking.state,
            Count(alias="n"),
            Sum(Booking.party_size, alias="people"),
        )
        .where(condition)
        .group_by(Booking.source, Booking.state)
    ):
        entry = counts.setdefault(
            row["source"] or DIRECT,
            {"bookings": 0, "people": 0, "checked_in": 0, "checked_in_people": 0, "no_shows": 0},
        )
        entry["bookings"] += row["n"]
        entry["people"] += row["people"] or 0
        if row["state"] == BookingState.checked_in.value:
            entry["checked_in"] += row["n"]
            entry["checked_in_people"] += row["people"] or 0
        elif row["state"] == BookingState.no_show.value:
            entry["no_shows"] += row["n"]
    placements = {
        row["code"]: row
        for row in await Placement.select(Placement.code, Placement.name, Placement.kind, Placement.active)
    }
    rows = []
    for code, placement in placements.items():
        if code in counts or (include_idle and placement["active"]):
            rows.append(PlacementRow(code=code, name=placement["name"], kind=placement["kind"], **counts.pop(code, {})))
    direct = counts.pop(DIRECT, None)
    rows += [
        PlacementRow(code=code, name=WAITLIST_PLACEMENT if code == WAITLIST_SOURCE else "", kind="", **entry)
        for code, entry in counts.items()
    ]
    rows.sort(key=lambda r: (-r.bookings, -r.people, r.name or r.code, r.code))
    if direct is not None:
        rows.append(PlacementRow(code=DIRECT, name="", kind="", **direct))
    return rows


def _grouped(rows: Iterable[BoothRow], key, label, kind=lambda row: "") -> tuple[GroupRow, ...]:
    groups: dict[str, list[BoothRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    result = [
        GroupRow(
            key=k, label=label(members[0]), kind=kind(members[0]), figures=Figures.total(m.figures for m in members)
        )
        for k, members in groups.items()
    ]
    result.sort(key=lambda g: (-g.figures.applications, -g.figures.bookings, g.label, g.key))
    return tuple(result)


# --- the reports ------------------------------------------------------------------------------------------------------


async def daily_report(date: dt.date) -> DailyReport:
    """The 日次実績報告書 of ``date``: its booths, applications per hour, totals and the day's in-office counts."""
    rows, scheduled = split_happened(await booth_rows(date, date))
    tickets = await ticket_figures(date, date)
    office = (await office_counts(date, date, tickets)).get(date)
    placements = (
        await placement_rows(date, date, include_idle=False, sessions=[r.session_id for r in rows]) if rows else []
    )
    return DailyReport(
        date=date,
        booths=tuple(rows),
        totals=Figures.total(r.figures for r in rows),
        hours=hour_totals(rows),
        office=office,
        by_placement=tuple(placements),
        scheduled=tuple(scheduled),
        waits=office_waits(tickets, by_day=False),
    )


async def monthly_report(month: str) -> MonthlyReport:
    """The 月次実施報告書 of a ``YYYY-MM`` month: booths, groups, placements, days, in-office counts, the previous
    month's totals and the counter statistic of the same calendar month of the latest earlier year (the
    ``COUNTER_STATS_FILE`` setting)."""
    first, last = parse_month(month)
    rows, scheduled = split_happened(await booth_rows(first, last))
    tickets = await ticket_figures(first, last)
    office_by_day = await office_counts(first, last, tickets)
    before = previous_month(month)
    before_first, before_last = parse_month(before)
    previous_rows, _still_to_come = split_happened(await booth_rows(before_first, before_last))
    previous_office = sum((await office_counts(before_first, before_last)).values(), OfficeFigures())
    days = []
    for day in sorted({r.date for r in rows} | set(office_by_day)):
        days.append(
            DayRow(
                date=day,
                figures=Figures.total(r.figures for r in rows if r.date == day),
                office=office_by_day.get(day, OfficeFigures()),
            )
        )
    return MonthlyReport(
        month=month,
        first=first,
        last=last,
        booths=tuple(rows),
        totals=Figures.total(r.figures for r in rows),
        hours=hour_totals(rows),
        by_venue=_grouped(
            rows, key=lambda r: str(r.venue_id), label=lambda r: r.venue_name, kind=lambda r: r.venue_kind
        ),
        by_kind=_grouped(rows, key=lambda r: r.venue_kind, label=lambda r: r.venue_kind),
        by_day_type=_grouped(rows, key=lambda r: r.day_type, label=lambda r: r.day_type),
        by_placement=tuple(await placement_rows(first, last, sessions=[r.session_id for r in rows])),
        days=tuple(days),
        office=sum(office_by_day.values(), OfficeFigures()),
        previous_month=before,
        previous_totals=Figures.total(r.figures for r in previous_rows),
        previous_office=previous_office,
        counter_stat=same_month_stat(month, get_settings().counter_stats_file),
        scheduled=tuple(scheduled),
        waits=office_waits(tickets, by_day=True),
    )


async def months_and_days() -> list[tuple[str, list[dt.date]]]:
    """The months that have counted booths or queue tickets up to today, newest first, each with its days that have
    booths or tickets (for the index: a day still to come has nothing to report yet)."""
    today = clock.today()
    held = Session.state.is_in(list(COUNTED_STATES)) & (Session.date <= today)
    booth_days = {row["date"] for row in await Session.select(Session.date).where(held)}
    dates = sorted(booth_days | set(await ticket_days(today)), reverse=True)
    months: dict[str, list[dt.date]] = {}
    for day in dates:
        months.setdefault(day.strftime("%Y-%m"), []).append(day)
    return list(months.items())


def parse_day(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` day from a URL; NotFound when it is not one."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NotFound(_("There is no such day.")) from None
