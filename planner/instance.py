"""From a PlanInput to what the solver works on: usable candidates with their open dates, the monthly quotas,
and demand aggregated into groups of points that the same venues reach (DESIGN §4)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from core.calendar import DayType, dates, day_type, is_open_on, is_year_end_closure, month_key
from core.geo import haversine_km
from core.i18n import gettext as _
from planner.model import Candidate, DemandPoint, Parameters, PlanInput
from venues.opening_rules import Window, booth_window, open_windows

TYPES = (DayType.weekday, DayType.holiday)


@dataclass
class Venue:
    """A usable candidate: its session window and the dates it can host a booth."""

    candidate: Candidate
    start: dt.time
    end: dt.time
    dates: list[dt.date]
    draw: float
    radius: float
    windows: dict[dt.date, tuple[dt.time, dt.time]] = field(default_factory=dict)  # dates whose window differs

    def window(self, date: dt.date) -> tuple[dt.time, dt.time]:
        """The booth's hours on the date: the venue's usual window unless its rules say otherwise that day."""
        return self.windows.get(date, (self.start, self.end))

    def hours_on(self, date: dt.date) -> float:
        start, end = self.window(date)
        return (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds / 3600

    @property
    def hours(self) -> float:
        return (
            dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(dt.date.min, self.start)
        ).seconds / 3600


@dataclass
class Group:
    """Demand points reached by exactly the same venues; ``weight`` = Σ w_p · a_p."""

    venues: tuple[int, ...]
    weight: float
    points: list[int] = field(default_factory=list)


@dataclass
class Instance:
    """The prepared problem."""

    parameters: Parameters
    venues: list[Venue]
    months: list[str]
    quotas: dict[tuple[str, DayType], int]
    dates_by_slot: dict[tuple[str, DayType], list[dt.date]]  # every date of the month and type inside the period
    groups: list[Group]
    demand: list[DemandPoint]
    access_distance: list[float]  # d_p per demand point (km to the nearest permanent point)
    access_weight: list[float]
    nearest_point_name: list[str]
    reached_by: list[list[int]]  # per demand point: indices of venues reaching it
    locked: dict[int, set[dt.date]]  # venue index -> locked dates
    notes: list[str]
    offices: list[tuple[str, float, float]] = field(default_factory=list)  # permanent points: name, lat, lon
    _open_any: set[dt.date] | None = field(default=None, repr=False)

    def venue_index(self, venue_id: str) -> int | None:
        for index, venue in enumerate(self.venues):
            if venue.candidate.venue_id == venue_id:
                return index
        return None

    def open_dates(self, slot: tuple[str, DayType]) -> list[dt.date]:
        """Dates of the slot on which at least one candidate venue is open."""
        if self._open_any is None:  # computed once: the solver asks for every slot, several times
            self._open_any = {d for venue in self.venues for d in venue.dates}
        return [d for d in self.dates_by_slot.get(slot, []) if d in self._open_any]


def _time(value: str | None) -> dt.time | None:
    if not value:
        return None
    try:
        hours, minutes = value.split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        return None


def rule_windows(candidate: Candidate, parameters: Parameters, start: dt.date, end: dt.date) -> dict[dt.date, Window]:
    """The booth window on each date from ``start`` to ``end`` that the venue's opening rules allow (at least
    ``min_hours`` inside the booth hours; not on blackout dates or in the year-end closure)."""
    windows = {}
    for date, hours in open_windows(candidate.opening_hours, start, end).items():
        if is_year_end_closure(date) or date in candidate.blackout:
            continue
        window = booth_window(hours, parameters.booth_start, parameters.booth_end, parameters.min_hours)
        if window is not None:
            windows[date] = window
    return windows


def window_on(candidate: Candidate, parameters: Parameters, date: dt.date) -> Window | None:
    """The booth's hours at the venue on one date, or None when it is closed or open too briefly then."""
    if candidate.opening_hours:
        return rule_windows(candidate, parameters, date, date).get(date)
    if not is_open_on(candidate.open_days, date):
        return None
    return session_window(candidate, parameters)


def session_window(candidate: Candidate, parameters: Parameters) -> tuple[dt.time, dt.time] | None:
    """The overlap of the venue's usual hours with the booth window, if it is at least ``min_hours`` long."""
    if candidate.opening_hours:
        windows = rule_windows(candidate, parameters, parameters.start, parameters.end)
        return Counter(windows.values()).most_common(1)[0][0] if windows else None
    opens, closes = _time(candidate.open_from), _time(candidate.open_until)
    if opens is None or closes is None:
        return None
    start, end = max(opens, parameters.booth_start), min(closes, parameters.booth_end)
    if end <= start:
        return None
    hours = (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds / 3600
    return (start, end) if hours + 1e-9 >= parameters.min_hours else None


def monthly_quotas(
    parameters: Parameters,
) -> tuple[list[str], dict[tuple[str, DayType], int], dict[tuple[str, DayType], list[dt.date]]]:
    """Quotas per month and day type; a month partly inside the period gets them scaled by the share of its days
    of that type inside the period (rounded to the nearest integer); overrides replace any quota."""
    inside: dict[tuple[str, DayType], list[dt.date]] = defaultdict(list)
    for date in dates(parameters.start, parameters.end):
        inside[(month_key(date), day_type(date))].append(date)
    months = sorted({month for month, _type in inside})
    quotas: dict[tuple[str, DayType], int] = {}
    for month in months:
        year, number = map(int, month.split("-"))
        first = dt.date(year, number, 1)
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        for kind in TYPES:
            total = sum(1 for date in dates(first, last) if day_type(date) == kind)
            share = len(inside.get((month, kind), [])) / total if total else 0.0
            base = parameters.weekday_per_month if kind == DayType.weekday else parameters.holiday_per_month
            quota = math.floor(base * share + 0.5)
            override = parameters.month_overrides.get(month, {})
            if kind.value in override:
                quota = int(override[kind.value])
            quotas[(month, kind)] = quota
    return months, quotas, {k: [d for d in v if not is_year_end_closure(d)] for k, v in inside.items()}


def prepare(plan_input: PlanInput) -> Instance:
    """Check every candidate, compute open dates, quotas, access weights and demand groups."""
    parameters = plan_input.parameters
    notes: list[str] = []
    venues: list[Venue] = []
    for candidate in plan_input.candidates:
        if candidate.hours_unread:
            notes.append(
                _(
                    "{name}: the note on opening hours 「{clause}」 has not been confirmed; not a candidate until "
                    "staff confirm its opening rules."
                ).format(name=candidate.name, clause=candidate.hours_unread.replace("\n", "、"))
            )
            continue
        if candidate.opening_hours:
            by_date = rule_windows(candidate, parameters, parameters.start, parameters.end)
            if not by_date:
                notes.append(
                    _("{name}: its opening rules leave no day with {hours:g} hours inside the booth window.").format(
                        name=candidate.name, hours=parameters.min_hours
                    )
                )
                continue
            usual = Counter(by_date.values()).most_common(1)[0][0]
            venues.append(
                Venue(
                    candidate,
                    usual[0],
                    usual[1],
                    sorted(by_date),
                    parameters.draw_of(candidate.kind),
                    parameters.radius(candidate.kind),
                    {date: window for date, window in by_date.items() if window != usual},
                )
            )
            continue
        if not candidate.open_days:
            notes.append(
                _("{name}: no opening days known; not a candidate until staff fill them in.").format(
                    name=candidate.name
                )
            )
            continue
        window = session_window(candidate, parameters)
        if window is None:
            if not (candidate.open_from and candidate.open_until):
                notes.append(
                    _("{name}: no opening hours known; not a candidate until staff fill them in.").format(
                        name=candidate.name
                    )
                )
            else:
                notes.append(
                    _("{name}: open {opens}–{closes}, less than {hours:g} hours inside the booth window.").format(
                        name=candidate.name,
                        opens=candidate.open_from,
                        closes=candidate.open_until,
                        hours=parameters.min_hours,
                    )
                )
            continue
        open_dates = [
            d
            for d in dates(parameters.start, parameters.end)
            if not is_year_end_closure(d) and d not in candidate.blackout and is_open_on(candidate.open_days, d)
        ]
        venues.append(
            Venue(
                candidate,
                window[0],
                window[1],
                open_dates,
                parameters.draw_of(candidate.kind),
                parameters.radius(candidate.kind),
            )
        )

    months, quotas, dates_by_slot = monthly_quotas(parameters)

    demand = list(plan_input.demand)
    permanent = [(p.lat, p.lon, p.name) for p in plan_input.application_points]
    access_distance, access_weight, nearest_name = [], [], []
    for point in demand:
        if permanent:
            distance, name = min(
                (haversine_km((point.lat, point.lon), (lat, lon)), name) for lat, lon, name in permanent
            )
        else:
            distance, name = math.inf, ""
        access_distance.append(distance)
        access_weight.append(
            parameters.access_weight(distance) if math.isfinite(distance) else parameters.max_access_weight
        )
        nearest_name.append(name)

    reached_by = reach_lists(venues, demand)
    grouped: dict[tuple[int, ...], Group] = {}
    for index, reached in enumerate(reached_by):
        if not reached:
            continue
        key = tuple(reached)
        group = grouped.setdefault(key, Group(key, 0.0))
        group.weight += demand[index].weight * access_weight[index]
        group.points.append(index)

    locked = _usable_locks(plan_input, venues, notes)
    return Instance(
        parameters,
        venues,
        months,
        quotas,
        dates_by_slot,
        list(grouped.values()),
        demand,
        access_distance,
        access_weight,
        nearest_name,
        reached_by,
        dict(locked),
        notes,
        offices=[(name, lat, lon) for lat, lon, name in permanent],
    )


def _usable_locks(plan_input: PlanInput, venues: list[Venue], notes: list[str]) -> dict[int, set[dt.date]]:
    """The locked sessions the rules allow; each one dropped is named in the notes (never silently)."""
    parameters = plan_input.parameters
    ids = {venue.candidate.venue_id: index for index, venue in enumerate(venues)}
    locked: dict[int, set[dt.date]] = defaultdict(set)
    per_date: dict[dt.date, int] = defaultdict(int)
    for session in sorted(plan_input.locked, key=lambda s: (s.date, s.venue_id)):
        where = dict(venue=session.venue_id, date=session.date.isoformat())
        index = ids.get(session.venue_id)
        if index is None:
            notes.append(
                _(
                    "The locked session at {venue} on {date} is at a venue that cannot host booths; it was dropped."
                ).format(**where)
            )
        elif not parameters.start <= session.date <= parameters.end:
            notes.append(
                _("The locked session at {venue} on {date} is outside the period; it was dropped.").format(**where)
            )
        elif session.date not in set(venues[index].dates):
            notes.append(
                _(
                    "The locked session at {venue} on {date} falls on a day the venue cannot host (closed, "
                    "blackout date or year-end closure); it was dropped."
                ).format(**where)
            )
        elif per_date[session.date] >= parameters.teams:
            notes.append(
                _("The locked session at {venue} on {date} would exceed the teams of that day; it was dropped.").format(
                    **where
                )
            )
        elif any(abs((other - session.date).days) < parameters.min_gap_days for other in locked[index]):
            notes.append(
                _(
                    "The locked session at {venue} on {date} is closer than {gap} days to another locked "
                    "session there; it was dropped."
                ).format(gap=parameters.min_gap_days, **where)
            )
        else:
            locked[index].add(session.date)
            per_date[session.date] += 1
    return {index: dates for index, dates in locked.items() if dates}


def reach_lists(venues: list[Venue], demand: list[DemandPoint]) -> list[list[int]]:
    """For each demand point, the venues whose radius covers it (a coarse grid keeps this near-linear)."""
    cell = 0.05  # degrees (about 5 km): every radius here is smaller, so the 3x3 block holds every reachable venue
    max_radius = max((v.radius for v in venues), default=0.0)
    span = max(1, math.ceil(max_radius / 3.5))  # a cell is at least 3.8 km wide anywhere in Japan
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, venue in enumerate(venues):
        grid[(int(venue.candidate.lat // cell), int(venue.candidate.lon // cell))].append(index)
    result = []
    for point in demand:
        row, col = int(point.lat // cell), int(point.lon // cell)
        reached = sorted(
            index
            for dr in range(-span, span + 1)
            for dc in range(-span, span + 1)
            for index in grid.get((row + dr, col + dc), ())
            if haversine_km((point.lat, point.lon), (venues[index].candidate.lat, venues[index].candidate.lon))
            <= venues[index].radius
        )
        result.append(reached)
    return result
