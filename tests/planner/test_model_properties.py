"""Property suite: planner.model and planner.solve checked against an independent evaluation of the reach model.

The reach model (DESIGN §4) checked from outside: every plan the solver returns on small random instances keeps
every constraint, its reported objective equals an evaluation of the formula written here from scratch, its bound
and gap are honest; on tiny instances the optimum equals exhaustive search; infeasible quotas give a named shortage
and the best plan that relaxes only that.

Nothing here uses the planner's own helpers (instance preparation, reach evaluation, packing): the calendar facts
come from data/jp_holidays_2024_2030.csv, the distances from a haversine written below.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from planner.model import ApplicationPoint, Candidate, DemandPoint, LockedSession, Parameters, PlanInput, PlanResult
from planner.solve import solve

HOLIDAYS_CSV = Path(__file__).resolve().parents[2] / "data" / "jp_holidays_2024_2030.csv"
with HOLIDAYS_CSV.open(encoding="utf-8-sig", newline="") as _handle:
    HOLIDAYS = frozenset(dt.date.fromisoformat(row["date"]) for row in csv.DictReader(_handle))

LETTERS = "月火水木金土日"
KINDS = ("commercial", "community_hall", "library", "welfare", "rental_hall")
EARTH_KM = 6371.0
REL = 1e-6

# --------------------------------------------------------------------------------------------------------------
# The rules of DESIGN §4, written independently of the planner
# --------------------------------------------------------------------------------------------------------------


def is_holiday(date: dt.date) -> bool:
    """休日: Saturday, Sunday or a national holiday (from the reference file)."""
    return date.weekday() >= 5 or date in HOLIDAYS


def type_of(date: dt.date) -> str:
    return "holiday" if is_holiday(date) else "weekday"


def month_of(date: dt.date) -> str:
    return f"{date.year:04d}-{date.month:02d}"


def closed_for_year_end(date: dt.date) -> bool:
    return (date.month, date.day) >= (12, 29) or (date.month, date.day) <= (1, 3)


def opens_on(open_days: str, date: dt.date) -> bool:
    if date in HOLIDAYS:
        return "祝" in open_days
    return LETTERS[date.weekday()] in open_days


def period(p: Parameters) -> list[dt.date]:
    return [p.start + dt.timedelta(days=i) for i in range((p.end - p.start).days + 1)]


def minutes(text: str | None) -> int | None:
    if not text:
        return None
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def booth_window(c: Candidate, p: Parameters) -> tuple[int, int] | None:
    """The overlap (in minutes of the day) of the venue's hours with the booth window, if ≥ min_hours."""
    opens, closes = minutes(c.open_from), minutes(c.open_until)
    if opens is None or closes is None or not c.open_days:
        return None
    start = max(opens, p.booth_start.hour * 60 + p.booth_start.minute)
    end = min(closes, p.booth_end.hour * 60 + p.booth_end.minute)
    return (start, end) if end - start >= p.min_hours * 60 - 1e-9 else None


def usable_dates(c: Candidate, p: Parameters) -> list[dt.date]:
    """Dates on which the candidate may host a booth (empty when it is no candidate at all)."""
    if booth_window(c, p) is None:
        return []
    return [d for d in period(p) if not closed_for_year_end(d) and d not in c.blackout and opens_on(c.open_days, d)]


def expected_quotas(p: Parameters) -> dict[tuple[str, str], set[int]]:
    """Per month and day type, the quota (a set of two values only when the scaled quota is exactly k + 0.5)."""
    inside = Counter((month_of(d), type_of(d)) for d in period(p))
    result: dict[tuple[str, str], set[int]] = {}
    for month in sorted({m for m, _t in inside}):
        year, number = map(int, month.split("-"))
        first = dt.date(year, number, 1)
        days = [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == number]
        for kind in ("weekday", "holiday"):
            total = sum(1 for d in days if type_of(d) == kind)
            base = p.weekday_per_month if kind == "weekday" else p.holiday_per_month
            exact = base * inside[(month, kind)] / total if total else 0.0
            values = {math.floor(exact + 0.5)}
            if abs(exact - math.floor(exact) - 0.5) < 1e-9:
                values = {math.floor(exact), math.ceil(exact)}
            if kind in p.month_overrides.get(month, {}):
                values = {int(p.month_overrides[month][kind])}
            result[(month, kind)] = values
    return result


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(min(1.0, a)))


def phi(c: float) -> float:
    """Φ(c) = Σ_{k=1..8} 0.7^(k−1) · min(1, max(0, c − (k − 1)))."""
    return sum(0.7 ** (k - 1) * min(1.0, max(0.0, c - (k - 1))) for k in range(1, 9))


def radius_km(kind: str) -> float:
    return 3.0 if kind == "commercial" else 1.5


def draw_of(kind: str) -> float:
    return 1.5 if kind == "commercial" else 1.0


def reach(plan_input: PlanInput, sessions_per_venue: dict[str, int]) -> float:
    """reach = Σ_p w_p · a_p · Φ(c_p) with the default radii and draws of DESIGN §4."""
    by_id = {c.venue_id: c for c in plan_input.candidates}
    total = 0.0
    for point in plan_input.demand:
        d_p = min(haversine(point.lat, point.lon, a.lat, a.lon) for a in plan_input.application_points)
        a_p = min(5.0, 1.0 + d_p / 2.0)
        c_p = sum(
            draw_of(by_id[v].kind) * n
            for v, n in sessions_per_venue.items()
            if n and haversine(point.lat, point.lon, by_id[v].lat, by_id[v].lon) <= radius_km(by_id[v].kind)
        )
        total += point.weight * a_p * phi(c_p)
    return total


def close(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------------------------------------------
# The plan checker: (a)–(h) of the brief
# --------------------------------------------------------------------------------------------------------------


def check_plan(plan_input: PlanInput, result: PlanResult) -> None:
    p = plan_input.parameters
    by_id = {c.venue_id: c for c in plan_input.candidates}
    assert result.status in ("optimal", "feasible")

    # quotas as asked
    asked_sets = expected_quotas(p)
    assert set(result.quotas) == {m for m, _t in asked_sets}
    asked = {}
    for (month, kind), values in asked_sets.items():
        assert result.quotas[month][kind] in values, (month, kind, result.quotas[month], values)
        asked[(month, kind)] = result.quotas[month][kind]

    # (a) every quota met exactly, or exactly the reported possible number with possible < asked
    counts = Counter((month_of(s.date), type_of(s.date)) for s in result.sessions)
    shortages = {}
    for shortage in result.shortages:
        key = (shortage.month, shortage.day_type.value)
        assert key not in shortages, f"two shortages for {key}: {result.shortages}"
        shortages[key] = shortage
        assert shortage.asked == asked[key], (shortage, asked[key])
        assert 0 <= shortage.possible < shortage.asked, shortage
        assert shortage.month in shortage.message
    for key, quota in asked.items():
        expected = shortages[key].possible if key in shortages else quota
        assert counts.get(key, 0) == expected, (key, counts.get(key, 0), expected, result.shortages)
    assert set(counts) <= set(asked)

    # (b) open days, blackouts, the closure, hours; the session runs in the overlap
    for s in result.sessions:
        assert s.venue_id in by_id, s
        c = by_id[s.venue_id]
        assert p.start <= s.date <= p.end, s
        assert not closed_for_year_end(s.date), s
        assert s.date not in c.blackout, s
        assert opens_on(c.open_days, s.date), (s.date, c.open_days)
        window = booth_window(c, p)
        assert window is not None, (c.open_from, c.open_until)
        assert (s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute) == window, (s, c)
        assert s.day_type.value == type_of(s.date)
        hours = (window[1] - window[0]) / 60
        assert abs(s.expected_applicants - p.base_rate_per_hour * hours * draw_of(c.kind)) <= 0.5 + 1e-9
        assert s.reason

    # (c) teams per day
    per_day = Counter(s.date for s in result.sessions)
    assert max(per_day.values(), default=0) <= p.teams, per_day.most_common(1)

    # (d) the gap at each venue (and one session per venue and day)
    per_venue: dict[str, list[dt.date]] = defaultdict(list)
    for s in result.sessions:
        per_venue[s.venue_id].append(s.date)
    for venue_id, days in per_venue.items():
        days.sort()
        for first, second in zip(days, days[1:]):
            assert (second - first).days >= p.min_gap_days, (venue_id, first, second, p.min_gap_days)

    # (e) caps
    for venue_id, days in per_venue.items():
        cap = by_id[venue_id].cap
        if cap is not None:
            assert len(days) <= cap, (venue_id, len(days), cap)

    # (f) locks stay
    planned = {(s.venue_id, s.date): s for s in result.sessions}
    for lock in plan_input.locked:
        assert (lock.venue_id, lock.date) in planned, lock
        assert planned[(lock.venue_id, lock.date)].locked
    assert sum(s.locked for s in result.sessions) == len(set(plan_input.locked))

    # (g) the objective is the formula's value for this plan
    mine = reach(plan_input, {v: len(d) for v, d in per_venue.items()})
    assert close(result.objective, mine), (result.objective, mine)

    # (h) an honest bound and gap
    assert result.bound >= result.objective - 1e-6
    if result.status == "optimal":
        assert result.gap <= 1e-6, (result.objective, result.bound, result.gap)


# --------------------------------------------------------------------------------------------------------------
# Random instances
# --------------------------------------------------------------------------------------------------------------

BASE_LAT, BASE_LON = 36.56, 136.65
OPEN_FROM = (None, "07:00", "09:00", "10:00", "11:00", "12:00", "13:00", "13:30", "15:00")
OPEN_UNTIL = (None, "12:00", "15:00", "16:00", "17:00", "17:30", "20:00", "22:00")
FULL_WEEK = "月火水木金土日祝"


@st.composite
def opening_days(draw) -> str:
    return draw(
        st.one_of(
            st.sampled_from(["月火水木金土日祝", "月火水木金", "土日祝", "日", "月火水木金土日", "火水木金土日祝"]),
            st.sets(st.sampled_from(FULL_WEEK), max_size=8).map(lambda s: "".join(ch for ch in FULL_WEEK if ch in s)),
        )
    )


@st.composite
def candidate(draw, index: int, days: list[dt.date], centre: tuple[float, float], hours_ok: bool) -> Candidate:
    if hours_ok:
        open_from = draw(st.sampled_from(("08:30", "09:00", "10:00", "11:00", "13:00")))
        open_until = draw(st.sampled_from(("17:00", "18:00", "20:00")))
    else:
        open_from, open_until = draw(st.sampled_from(OPEN_FROM)), draw(st.sampled_from(OPEN_UNTIL))
    return Candidate(
        venue_id=f"V{index:02d}",
        name=f"会場{index}",
        kind=draw(st.sampled_from(KINDS)),
        lat=centre[0] + draw(st.floats(-0.03, 0.03)),
        lon=centre[1] + draw(st.floats(-0.03, 0.03)),
        open_days=draw(opening_days()),
        open_from=open_from,
        open_until=open_until,
        blackout=frozenset(draw(st.lists(st.sampled_from(days), max_size=4))),
        cap=draw(st.one_of(st.none(), st.integers(0, 3))),
    )


@st.composite
def plan_inputs(
    draw,
    *,
    min_days: int,
    max_days: int,
    venues: tuple[int, int],
    with_locks: bool = True,
    quota: int = 3,
    gap: tuple[int, int] = (1, 14),
) -> PlanInput:
    start = draw(
        st.one_of(
            st.dates(dt.date(2024, 1, 1), dt.date(2030, 9, 30)),
            st.sampled_from(
                [
                    dt.date(2026, 12, 20),
                    dt.date(2027, 12, 1),
                    dt.date(2029, 12, 25),
                    dt.date(2026, 9, 1),
                    dt.date(2027, 4, 26),
                    dt.date(2025, 4, 28),
                ]
            ),
        )
    )
    length = draw(st.integers(min_days, max_days))
    end = start + dt.timedelta(days=length - 1)
    days = [start + dt.timedelta(days=i) for i in range(length)]
    months = sorted({month_of(d) for d in days})
    overrides = {}
    if draw(st.booleans()):
        month = draw(st.sampled_from(months))
        overrides[month] = draw(
            st.fixed_dictionaries({}, optional={"weekday": st.integers(0, quota), "holiday": st.integers(0, quota)})
        )
    parameters = Parameters(
        start=start,
        end=end,
        weekday_per_month=draw(st.integers(0, quota)),
        holiday_per_month=draw(st.integers(0, quota)),
        month_overrides=overrides,
        teams=draw(st.integers(1, 2)),
        min_gap_days=draw(st.integers(*gap)),
        time_limit_seconds=30.0,
    )
    centre = (BASE_LAT + draw(st.floats(-0.05, 0.05)), BASE_LON + draw(st.floats(-0.05, 0.05)))
    count = draw(st.integers(*venues))
    candidates = tuple(draw(candidate(i, days, centre, hours_ok=draw(st.integers(0, 3)) > 0)) for i in range(count))
    points = tuple(
        ApplicationPoint(
            f"A{i}", f"窓口{i}", centre[0] + draw(st.floats(-0.08, 0.08)), centre[1] + draw(st.floats(-0.08, 0.08))
        )
        for i in range(draw(st.integers(1, 3)))
    )
    demand = []
    for i in range(draw(st.integers(5, 30))):
        near = draw(st.sampled_from(candidates))
        demand.append(
            DemandPoint(
                near.lat + draw(st.floats(-0.035, 0.035)),
                near.lon + draw(st.floats(-0.04, 0.04)),
                draw(st.sampled_from((1.0, 1.0, 0.5, 2.0, 3.7))),
                f"町{i}",
            )
        )
    locked: list[LockedSession] = []
    if with_locks and draw(st.booleans()):
        locked = consistent_locks(candidates, parameters, draw(st.lists(st.integers(0, 10_000), max_size=3)))
    return PlanInput(candidates, points, tuple(demand), parameters, tuple(locked))


def can_place_any(plan_input: PlanInput) -> bool:
    """Whether some (venue, date) is usable in a (month, day type) whose quota asks for a session."""
    p = plan_input.parameters
    asking = {key for key, values in expected_quotas(p).items() if max(values) > 0}
    return any(
        (month_of(d), type_of(d)) in asking for c in plan_input.candidates if c.cap != 0 for d in usable_dates(c, p)
    )


def consistent_locks(candidates: Iterable[Candidate], p: Parameters, picks: list[int]) -> list[LockedSession]:
    """Locks that one plan can hold together: usable dates, teams, gap, caps, and no more than a quota asks."""
    pairs = sorted((c.venue_id, d) for c in candidates for d in usable_dates(c, p))
    caps = {c.venue_id: c.cap for c in candidates}
    quotas = {key: min(values) for key, values in expected_quotas(p).items()}
    chosen: list[LockedSession] = []
    for pick in picks:
        if not pairs:
            break
        venue_id, date = pairs[pick % len(pairs)]
        same_day = [lock for lock in chosen if lock.date == date]
        same_venue = [lock for lock in chosen if lock.venue_id == venue_id]
        same_slot = [
            lock for lock in chosen if (month_of(lock.date), type_of(lock.date)) == (month_of(date), type_of(date))
        ]
        if (
            len(same_day) >= p.teams
            or any(abs((lock.date - date).days) < p.min_gap_days for lock in same_venue)
            or (caps[venue_id] is not None and len(same_venue) >= caps[venue_id])
            or len(same_slot) >= quotas[(month_of(date), type_of(date))]
        ):
            continue
        chosen.append(LockedSession(venue_id, date))
    return chosen


# Found by the search below (kept so that every run tries it): a shortage that the first relaxation underestimates.
LATE_SHORTAGE = PlanInput(
    candidates=(
        Candidate(
            "V00",
            "会場0",
            "commercial",
            36.56,
            136.65,
            open_days="月火水木金土日祝",
            open_from="08:30",
            open_until="17:00",
        ),
    ),
    application_points=(ApplicationPoint("A0", "窓口0", 36.56, 136.65),),
    demand=tuple(DemandPoint(36.56, 136.65, 1.0, f"町{i}") for i in range(5)),
    parameters=Parameters(
        start=dt.date(2026, 12, 20),
        end=dt.date(2027, 2, 13),
        weekday_per_month=2,
        holiday_per_month=2,
        min_gap_days=10,
        time_limit_seconds=30.0,
    ),
)

# Found by the search below: HiGHS, started from a seed plan, reported an objective (and bound) 1.3 % above what the
# values it returned reach, so an optimal plan showed a gap; the objective is now computed from the values.
HIGHS_OBJECTIVE = PlanInput(
    candidates=(
        Candidate(
            "V00",
            "会場0",
            "community_hall",
            36.5678125,
            136.665625,
            open_days="月火水木",
            open_from="08:30",
            open_until="17:00",
        ),
        Candidate(
            "V01",
            "会場1",
            "commercial",
            36.56,
            136.65,
            open_days="土日祝",
            open_from="08:30",
            open_until="17:00",
            blackout=frozenset({dt.date(2030, 4, 27)}),
        ),
        Candidate(
            "V02",
            "会場2",
            "community_hall",
            36.56,
            136.665625,
            open_days="月火水木金",
            open_from="07:00",
            open_until="15:00",
        ),
        Candidate(
            "V03",
            "会場3",
            "community_hall",
            36.56,
            136.65,
            open_days="月火水金土",
            open_from="08:30",
            open_until="17:00",
            blackout=frozenset({dt.date(2030, 4, 26)}),
            cap=2,
        ),
        Candidate(
            "V04",
            "会場4",
            "commercial",
            36.56,
            136.65,
            open_days="土日祝",
            open_from="08:30",
            open_until="17:00",
            blackout=frozenset({dt.date(2030, 4, 27)}),
        ),
    ),
    application_points=(ApplicationPoint("A0", "窓口0", 36.56, 136.65),),
    demand=(
        *(DemandPoint(36.5678125, 136.665625, 1.0, f"町{i}") for i in range(27)),
        DemandPoint(36.5678125, 136.6421875, 1.0, "町27"),
    ),
    parameters=Parameters(
        start=dt.date(2030, 4, 26),
        end=dt.date(2030, 5, 15),
        weekday_per_month=0,
        holiday_per_month=2,
        month_overrides={"2030-05": {"weekday": 2, "holiday": 0}},
        min_gap_days=1,
        time_limit_seconds=30.0,
    ),
    locked=(LockedSession("V03", dt.date(2030, 4, 27)),),
)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@SETTINGS
@given(plan_inputs(min_days=20, max_days=92, venues=(1, 6)))
@example(LATE_SHORTAGE)
@example(HIGHS_OBJECTIVE)
def test_every_plan_keeps_every_rule_and_reports_its_true_reach(plan_input: PlanInput) -> None:
    assume(can_place_any(plan_input))  # an empty plan is test_an_empty_plan_is_an_answer_not_a_crash
    result = solve(plan_input)
    check_plan(plan_input, result)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(plan_inputs(min_days=28, max_days=70, venues=(6, 10), with_locks=True, quota=3, gap=(7, 14)))
def test_plans_with_more_venues_keep_every_rule(plan_input: PlanInput) -> None:
    assume(can_place_any(plan_input))
    result = solve(plan_input)
    check_plan(plan_input, result)


# --------------------------------------------------------------------------------------------------------------
# Exhaustive search on tiny instances
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One set of plans that agree on what matters: sessions per venue and sessions per (month, day type)."""

    per_venue: tuple[int, ...]
    per_slot: tuple[int, ...]


def exhaustive(plan_input: PlanInput, quotas: dict[tuple[str, str], int]) -> set[Outcome]:
    """Every feasible plan with at most the quota per (month, day type), walked date by date.

    Plans are merged only when they agree on everything later dates can see (sessions left per slot, days since the
    last session at each venue, sessions per venue), so the outcome set is exactly that of all feasible plans.
    """
    p = plan_input.parameters
    venues = list(plan_input.candidates)
    open_on = [set(usable_dates(c, p)) for c in venues]
    slots = sorted(quotas)
    slot_index = {slot: i for i, slot in enumerate(slots)}
    locks: dict[dt.date, set[int]] = defaultdict(set)
    ids = {c.venue_id: i for i, c in enumerate(venues)}
    for lock in plan_input.locked:
        locks[lock.date].add(ids[lock.venue_id])
    gap = p.min_gap_days
    caps = [c.cap if c.cap is not None else 10**6 for c in venues]
    start = (tuple(quotas[s] for s in slots), tuple(gap for _ in venues), tuple(0 for _ in venues))
    states = {start}
    for date in period(p):
        slot = slot_index[(month_of(date), type_of(date))]
        options = [v for v in range(len(venues)) if date in open_on[v]]
        subsets = [()]
        for v in options:
            subsets += [s + (v,) for s in subsets if len(s) < p.teams]
        subsets = [s for s in subsets if locks[date] <= set(s)]
        following = set()
        for remaining, since, counts in states:
            for subset in subsets:
                if len(subset) > remaining[slot]:
                    continue
                if any(since[v] < gap or counts[v] >= caps[v] for v in subset):
                    continue
                new_remaining = list(remaining)
                new_remaining[slot] -= len(subset)
                new_since = tuple(min(gap, (0 if v in subset else since[v]) + 1) for v in range(len(venues)))
                new_counts = tuple(counts[v] + (v in subset) for v in range(len(venues)))
                following.add((tuple(new_remaining), new_since, new_counts))
        states = following
    return {Outcome(counts, tuple(quotas[s] - r for s, r in zip(slots, remaining))) for remaining, _s, counts in states}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(plan_inputs(min_days=7, max_days=21, venues=(2, 3), quota=4, gap=(1, 10)))
def test_the_optimum_equals_exhaustive_search_on_tiny_instances(plan_input: PlanInput) -> None:
    assume(can_place_any(plan_input))
    result = solve(plan_input)
    check_plan(plan_input, result)
    assert result.status == "optimal"
    quotas = {(m, k): result.quotas[m][k] for m in result.quotas for k in ("weekday", "holiday")}
    outcomes = exhaustive(plan_input, quotas)
    ids = [c.venue_id for c in plan_input.candidates]

    def value(outcome: Outcome) -> float:
        return reach(plan_input, dict(zip(ids, outcome.per_venue)))

    full = [o for o in outcomes if o.per_slot == tuple(quotas[s] for s in sorted(quotas))]
    if full:
        assert not result.shortages, (result.shortages, full[:3])
        best = max(value(o) for o in full)
        assert close(result.objective, best), (result.objective, best)
        return
    # no plan meets every quota: the solver must say so, place as many sessions as any plan can, and be the best
    # plan with that relaxation
    assert result.shortages
    most = max(sum(o.per_slot) for o in outcomes)
    assert len(result.sessions) == most, (len(result.sessions), most)
    placed = Counter((month_of(s.date), type_of(s.date)) for s in result.sessions)
    same_relaxation = [o for o in outcomes if o.per_slot == tuple(placed.get(s, 0) for s in sorted(quotas))]
    best = max(value(o) for o in same_relaxation)
    assert close(result.objective, best), (result.objective, best)
    # and no other relaxation of the same size reaches more
    best_relaxed = max(value(o) for o in outcomes if sum(o.per_slot) == most)
    assert close(result.objective, best_relaxed), (result.objective, best_relaxed)


# --------------------------------------------------------------------------------------------------------------
# Infeasible requests are answers
# --------------------------------------------------------------------------------------------------------------

CENTRE = (36.56, 136.65)
CITY_HALL = ApplicationPoint("HALL", "市役所", 36.5614, 136.6562)


def _demand_around(lat: float, lon: float, n: int = 10) -> tuple[DemandPoint, ...]:
    return tuple(DemandPoint(lat + 0.002 * (i % 5), lon + 0.002 * (i // 5), 1.0, f"町{i}") for i in range(n))


def test_a_sunday_only_venue_cannot_meet_six_holiday_sessions_and_says_so() -> None:
    sunday_venue = Candidate(
        "SUN", "日曜だけの会場", "community_hall", 36.60, 136.70, open_days="日", open_from="09:00", open_until="17:00"
    )
    parameters = Parameters(
        start=dt.date(2027, 8, 1), end=dt.date(2027, 8, 31), weekday_per_month=0, holiday_per_month=6, min_gap_days=1
    )
    plan_input = PlanInput((sunday_venue,), (CITY_HALL,), _demand_around(36.60, 136.70), parameters)
    result = solve(plan_input)
    check_plan(plan_input, result)
    sundays = [d for d in period(parameters) if d.weekday() == 6 and d not in HOLIDAYS]
    assert len(sundays) == 5  # August 2027: 1, 8, 15, 22, 29 (8/11 山の日 is a Wednesday)
    assert len(result.shortages) == 1
    shortage = result.shortages[0]
    assert (shortage.month, shortage.day_type.value, shortage.asked, shortage.possible) == ("2027-08", "holiday", 6, 5)
    assert "2027-08" in shortage.message
    assert "holiday" in shortage.message or "休日" in shortage.message
    assert "6" in shortage.message and "5" in shortage.message
    assert sorted(s.date for s in result.sessions) == sundays  # the relaxed quota, met


def test_a_shortage_caused_by_the_gap_is_named_with_the_possible_number() -> None:
    # open every day, so dates are plentiful; but a 14-day gap at the only venue allows 3 sessions in July
    venue = Candidate(
        "ONE", "ただ一つの会場", "library", 36.60, 136.70, open_days=FULL_WEEK, open_from="09:00", open_until="19:00"
    )
    parameters = Parameters(
        start=dt.date(2027, 7, 1), end=dt.date(2027, 7, 31), weekday_per_month=6, holiday_per_month=0, min_gap_days=14
    )
    plan_input = PlanInput((venue,), (CITY_HALL,), _demand_around(36.60, 136.70), parameters)
    result = solve(plan_input)
    check_plan(plan_input, result)
    assert len(result.shortages) == 1
    shortage = result.shortages[0]
    assert (shortage.month, shortage.day_type.value, shortage.asked, shortage.possible) == ("2027-07", "weekday", 6, 3)
    assert shortage.open_dates * parameters.teams >= shortage.asked  # not a lack of dates
    assert "2027-07" in shortage.message and "6" in shortage.message and "3" in shortage.message
    assert "gap" in shortage.message or "間隔" in shortage.message
    assert len(result.sessions) == 3


def test_a_shortage_from_teams_per_day_names_the_dates_and_teams() -> None:
    # two venues open only on the one national holiday of the month that falls on a weekday: 1 team, 1 date
    venues = tuple(
        Candidate(
            f"H{i}",
            f"祝日会場{i}",
            "welfare",
            36.60 + 0.01 * i,
            136.70,
            open_days="祝",
            open_from="10:00",
            open_until="16:00",
        )
        for i in range(2)
    )
    parameters = Parameters(
        start=dt.date(2027, 9, 1), end=dt.date(2027, 9, 30), weekday_per_month=0, holiday_per_month=3, min_gap_days=1
    )
    plan_input = PlanInput(venues, (CITY_HALL,), _demand_around(36.60, 136.70), parameters)
    result = solve(plan_input)
    check_plan(plan_input, result)
    (shortage,) = result.shortages
    assert (shortage.month, shortage.asked, shortage.possible, shortage.open_dates) == ("2027-09", 3, 2, 2)
    assert {s.date for s in result.sessions} == {dt.date(2027, 9, 20), dt.date(2027, 9, 23)}


def test_no_usable_candidate_at_all_is_a_shortage_not_a_crash() -> None:
    unusable = Candidate("X", "時間不明", "library", 36.60, 136.70, open_days=FULL_WEEK)  # no hours known
    parameters = Parameters(
        start=dt.date(2027, 5, 1), end=dt.date(2027, 5, 31), weekday_per_month=2, holiday_per_month=2
    )
    plan_input = PlanInput((unusable,), (CITY_HALL,), _demand_around(36.60, 136.70), parameters)
    result = solve(plan_input)
    check_plan(plan_input, result)
    assert result.sessions == []
    assert {(s.day_type.value, s.asked, s.possible) for s in result.shortages} == {("weekday", 2, 0), ("holiday", 2, 0)}
    assert any("時間不明" in note for note in result.notes)


@pytest.mark.parametrize("teams", [1, 2])
def test_locks_are_kept_and_the_rest_is_filled_optimally(teams: int) -> None:
    venues = (
        Candidate("A", "A", "commercial", 36.60, 136.70, open_days=FULL_WEEK, open_from="10:00", open_until="20:00"),
        Candidate("B", "B", "library", 36.62, 136.72, open_days="月火水木金", open_from="09:00", open_until="17:00"),
        Candidate("C", "C", "welfare", 36.50, 136.60, open_days="土日祝", open_from="09:00", open_until="17:00"),
    )
    parameters = Parameters(
        start=dt.date(2027, 6, 1),
        end=dt.date(2027, 6, 30),
        weekday_per_month=3,
        holiday_per_month=2,
        teams=teams,
        min_gap_days=7,
    )
    locked = (LockedSession("B", dt.date(2027, 6, 9)), LockedSession("C", dt.date(2027, 6, 12)))
    demand = _demand_around(36.60, 136.70) + _demand_around(36.50, 136.60) + _demand_around(36.62, 136.72)
    plan_input = PlanInput(venues, (CITY_HALL,), demand, parameters, locked)
    result = solve(plan_input)
    check_plan(plan_input, result)
    quotas = {(m, k): result.quotas[m][k] for m in result.quotas for k in ("weekday", "holiday")}
    best = max(
        reach(plan_input, dict(zip("ABC", o.per_venue)))
        for o in exhaustive(plan_input, quotas)
        if o.per_slot == tuple(quotas[s] for s in sorted(quotas))
    )
    assert close(result.objective, best)


# --------------------------------------------------------------------------------------------------------------
# Bugs found by the tests above, each as its smallest input (see the report to the solver's author)
# --------------------------------------------------------------------------------------------------------------


def test_an_empty_plan_is_an_answer_not_a_crash() -> None:
    # all quotas 0: the date stage has no column, HiGHS answers kModelEmpty, and solve() raised RuntimeError
    venue = Candidate("A", "A", "library", 36.60, 136.70, open_days=FULL_WEEK, open_from="09:00", open_until="17:00")
    parameters = Parameters(
        start=dt.date(2027, 5, 1), end=dt.date(2027, 5, 31), weekday_per_month=0, holiday_per_month=0
    )
    plan_input = PlanInput((venue,), (CITY_HALL,), _demand_around(36.60, 136.70), parameters)
    result = solve(plan_input)
    check_plan(plan_input, result)
    assert result.sessions == [] and result.shortages == [] and result.objective == 0.0


def test_a_plan_over_the_year_end_closure_only_is_a_shortage_not_a_crash() -> None:
    venue = Candidate("A", "A", "commercial", 36.60, 136.70, open_days=FULL_WEEK, open_from="10:00", open_until="20:00")
    parameters = Parameters(start=dt.date(2027, 12, 29), end=dt.date(2028, 1, 3))
    plan_input = PlanInput((venue,), (CITY_HALL,), _demand_around(36.60, 136.70), parameters)
    result = solve(plan_input)
    check_plan(plan_input, result)
    assert result.sessions == []
    assert all(s.possible == 0 for s in result.shortages)


def test_a_shortage_found_by_a_later_stage_is_reported_once_and_relaxes_no_more_than_needed() -> None:
    # The first relaxation (no gap across month ends) cuts 2027-01 weekday by one; the dates stage fails; the second
    # relaxation starts from the already-cut quotas and cuts 2027-01 weekday again. Result: two shortages for one
    # month and day type (the second with asked=1, not 2), and 5 sessions where 6 fit (2026-12 holiday 1, 2027-01
    # holiday 1 + weekday 2, 2027-02 holiday 1 + weekday 1, e.g. 12/20, 1/4, 1/14, 1/24, 2/3, 2/13).
    # Quotas: 2026-12 1+1, 2027-01 2+2, 2027-02 1+1 (partial months scaled).
    result = solve(LATE_SHORTAGE)
    check_plan(LATE_SHORTAGE, result)
    assert len(result.sessions) == 6  # 8 asked (1+1, 2+2, 1+1), 6 fit
    assert sum(s.asked - s.possible for s in result.shortages) == 2


def test_the_shortage_message_names_what_is_possible_when_dates_and_the_gap_both_bind() -> None:
    # 5 Sundays in 2027-08, but a 14-day gap at the only venue leaves 3: the message said only "5 dates"
    sunday_venue = Candidate(
        "SUN", "日曜だけの会場", "community_hall", 36.60, 136.70, open_days="日", open_from="09:00", open_until="17:00"
    )
    parameters = Parameters(
        start=dt.date(2027, 8, 1), end=dt.date(2027, 8, 31), weekday_per_month=0, holiday_per_month=6, min_gap_days=14
    )
    plan_input = PlanInput((sunday_venue,), (CITY_HALL,), _demand_around(36.60, 136.70), parameters)
    result = solve(plan_input)
    check_plan(plan_input, result)
    (shortage,) = result.shortages
    assert (shortage.asked, shortage.possible, len(result.sessions)) == (6, 3, 3)
    assert "3" in shortage.message, shortage.message


LOCK_VENUES = (
    Candidate(
        "A",
        "A",
        "library",
        36.56,
        136.65,
        open_days="月火水木金",
        open_from="09:00",
        open_until="17:00",
        blackout=frozenset({dt.date(2027, 5, 12)}),
    ),
    Candidate("B", "B", "library", 36.57, 136.65, open_days=FULL_WEEK, open_from="09:00", open_until="17:00"),
)
LOCK_PARAMETERS = Parameters(
    start=dt.date(2027, 5, 1), end=dt.date(2027, 5, 31), weekday_per_month=2, holiday_per_month=1, min_gap_days=7
)


@pytest.mark.parametrize(
    "lock",
    [
        LockedSession("A", dt.date(2027, 5, 12)),  # A's blackout date
        LockedSession("A", dt.date(2027, 5, 15)),  # a Saturday: A is closed
        LockedSession("A", dt.date(2027, 5, 3)),  # 憲法記念日 on a Monday: A has no 祝
    ],
    ids=["blackout", "closed-day", "holiday-without-祝"],
)
def test_a_lock_the_venue_cannot_host_is_reported_not_silently_dropped(lock: LockedSession) -> None:
    plan_input = PlanInput(LOCK_VENUES, (CITY_HALL,), _demand_around(36.56, 136.65), LOCK_PARAMETERS, (lock,))
    result = solve(plan_input)
    kept = any((s.venue_id, s.date) == (lock.venue_id, lock.date) for s in result.sessions)
    assert kept or any(lock.date.isoformat() in note for note in result.notes), result.notes


def test_a_lock_outside_the_period_makes_no_shortage_in_another_month() -> None:
    lock = LockedSession("A", dt.date(2027, 6, 3))
    plan_input = PlanInput(LOCK_VENUES, (CITY_HALL,), _demand_around(36.56, 136.65), LOCK_PARAMETERS, (lock,))
    result = solve(plan_input)
    assert [s.month for s in result.shortages] == []
    assert any("2027-06-03" in note for note in result.notes), result.notes


@pytest.mark.parametrize(
    "locks",
    [
        (LockedSession("B", dt.date(2027, 5, 10)), LockedSession("B", dt.date(2027, 5, 11))),  # closer than the gap
        (LockedSession("A", dt.date(2027, 5, 10)), LockedSession("B", dt.date(2027, 5, 10))),  # two on a 1-team day
    ],
    ids=["gap", "teams"],
)
def test_locks_that_conflict_are_an_answer_not_a_crash(locks: tuple[LockedSession, ...]) -> None:
    plan_input = PlanInput(LOCK_VENUES, (CITY_HALL,), _demand_around(36.56, 136.65), LOCK_PARAMETERS, locks)
    result = solve(plan_input)  # raised RuntimeError("no plan found within the time limit")
    assert result.notes
