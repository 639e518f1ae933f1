"""Re-planning keeps what it can (issue 16): beside the reach oracle of test_model_properties.

A plan is made, one venue that has sessions is dropped, and the instance is re-planned with the first plan as the
previous version. An exhaustive search written here (a dynamic programme over dates that also counts the previous
sessions a plan keeps) says what the best reach of the new instance is and how many previous sessions a plan of that
reach — or of the reach staff allow to lose — can keep at most. The re-plan must reach that optimum, keep exactly
that many (so it changes only the dropped venue's sessions plus what the rules force), and count them honestly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from planner.model import ApplicationPoint, Candidate, DemandPoint, Parameters, PlanInput, PlanResult, PreviousSession
from planner.solve import solve
from tests.planner.test_model_properties import (
    FULL_WEEK,
    can_place_any,
    check_plan,
    close,
    month_of,
    period,
    plan_inputs,
    reach,
    type_of,
    usable_dates,
)


def best_kept(plan_input: PlanInput, quotas: dict[tuple[str, str], int]) -> dict[tuple[int, ...], int]:
    """For every plan meeting every quota exactly: sessions per venue → the most previous sessions such a plan keeps.

    The walk of test_model_properties.exhaustive, date by date, with the number of previous sessions kept as the
    value of each state (kept counts add up date by date, so keeping the largest per state is exact)."""
    p = plan_input.parameters
    venues = list(plan_input.candidates)
    open_on = [set(usable_dates(c, p)) for c in venues]
    slots = sorted(quotas)
    slot_index = {slot: i for i, slot in enumerate(slots)}
    ids = {c.venue_id: i for i, c in enumerate(venues)}
    locks: dict[dt.date, set[int]] = defaultdict(set)
    for lock in plan_input.locked:
        locks[lock.date].add(ids[lock.venue_id])
    previous = {(ids[s.venue_id], s.date) for s in plan_input.previous if s.venue_id in ids}
    gap = p.min_gap_days
    caps = [c.cap if c.cap is not None else 10**6 for c in venues]
    states = {(tuple(quotas[s] for s in slots), tuple(gap for _ in venues), tuple(0 for _ in venues)): 0}
    for date in period(p):
        slot = slot_index[(month_of(date), type_of(date))]
        options = [v for v in range(len(venues)) if date in open_on[v]]
        subsets: list[tuple[int, ...]] = [()]
        for v in options:
            subsets += [s + (v,) for s in subsets if len(s) < p.teams]
        subsets = [s for s in subsets if locks[date] <= set(s)]
        following: dict[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]], int] = {}
        for (remaining, since, counts), kept in states.items():
            for subset in subsets:
                if len(subset) > remaining[slot]:
                    continue
                if any(since[v] < gap or counts[v] >= caps[v] for v in subset):
                    continue
                new_remaining = list(remaining)
                new_remaining[slot] -= len(subset)
                key = (
                    tuple(new_remaining),
                    tuple(min(gap, (0 if v in subset else since[v]) + 1) for v in range(len(venues))),
                    tuple(counts[v] + (v in subset) for v in range(len(venues))),
                )
                value = kept + sum(1 for v in subset if (v, date) in previous)
                if following.get(key, -1) < value:
                    following[key] = value
        states = following
    best: dict[tuple[int, ...], int] = {}
    for (remaining, _since, counts), kept in states.items():
        if not any(remaining):
            best[counts] = max(best.get(counts, 0), kept)
    return best


def with_twin(plan_input: PlanInput, pick: int) -> PlanInput:
    """The instance with a copy of one candidate under another ID: many plans then tie on reach, and the one the
    re-plan's reach solve finds first need not be the one that keeps the most sessions."""
    original = plan_input.candidates[pick % len(plan_input.candidates)]
    twin = dataclasses.replace(original, venue_id=f"T{original.venue_id}", name=f"{original.name}（別棟）")
    return dataclasses.replace(plan_input, candidates=(*plan_input.candidates, twin))


def replan_after_dropping(
    plan_input: PlanInput, pick: int, loss: float, *, other_demand: bool = False
) -> tuple[PlanInput, PlanResult, PlanResult]:
    """Plan, drop the ``pick``-th venue that has sessions, re-plan with the first plan as the previous version. With
    ``other_demand`` the first plan was made for other weights of the demand points (last year's population, say),
    so it is far from any optimum of the new instance and the re-plan must choose among many changes."""
    weights = [point.weight for point in plan_input.demand]
    first_input = plan_input
    if other_demand:
        reweighted = tuple(
            dataclasses.replace(point, weight=weight)
            for point, weight in zip(plan_input.demand, reversed(weights), strict=True)
        )
        first_input = dataclasses.replace(plan_input, demand=reweighted)
    first = solve(first_input)
    used = sorted({s.venue_id for s in first.sessions})
    if not used:
        assume(False)  # nothing to drop
    dropped = used[pick % len(used)]
    new_input = dataclasses.replace(
        plan_input,
        candidates=tuple(c for c in plan_input.candidates if c.venue_id != dropped),
        locked=tuple(lock for lock in plan_input.locked if lock.venue_id != dropped),
        previous=tuple(PreviousSession(s.venue_id, s.date) for s in first.sessions),
        max_reach_loss=loss,
    )
    return new_input, first, solve(new_input)


def _counts_beyond_dates() -> PlanInput:
    """Found by CI: the reach solve's counts (date rules relaxed) reached 68.45, which no dated plan reaches (66.44);
    with a 5 % loss allowed the re-plan took 68.45 for the optimum."""
    hours = (("08:30", "17:00"), (None, None), ("07:00", "15:00"))
    candidates = tuple(
        Candidate(
            venue_id=f"V0{i}",
            name=f"会場{i}",
            kind="commercial",
            lat=36.56,
            lon=136.634375 if i == 0 else 136.65,
            address="",
            open_days="月火水木金土日祝",
            open_from=start,
            open_until=end,
            blackout=frozenset(),
            cap=None,
            opening_hours="",
            hours_unread="",
        )
        for i, (start, end) in enumerate(hours)
    )
    demand = tuple(
        DemandPoint(lat=36.56, lon=136.68125 if i == 11 else 136.634375, weight=1.0, name=f"町{i}") for i in range(18)
    )
    parameters = Parameters(
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 1, 9),
        weekday_per_month=3,
        holiday_per_month=2,
        month_overrides={},
        teams=1,
        min_gap_days=5,
        booth_start=dt.time(10, 0),
        booth_end=dt.time(17, 0),
        min_hours=4.0,
        radius_km={"commercial": 3.0},
        default_radius_km=1.5,
        draw={"commercial": 1.5},
        default_draw=1.0,
        max_access_weight=5.0,
        access_km_per_step=2.0,
        levels=8,
        decay=0.7,
        staff_per_session=5,
        base_rate_per_hour=2.0,
        seasonality={},
        time_limit_seconds=30.0,
        kind_day_factors={},
        venue_factors={},
    )
    return PlanInput(
        candidates=candidates,
        application_points=(ApplicationPoint(venue_id="A0", name="窓口0", lat=36.56, lon=136.65),),
        demand=demand,
        parameters=parameters,
    )


SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(
    plan_inputs(min_days=7, max_days=21, venues=(2, 4), quota=4, gap=(1, 10)),
    st.integers(0, 10),
    st.sampled_from([0.0, 0.0, 0.05, 0.3]),
    st.one_of(st.none(), st.integers(0, 10)),
    st.booleans(),
)
@example(_counts_beyond_dates(), 0, 0.05, 0, False)
def test_a_replan_keeps_the_most_sessions_any_plan_of_enough_reach_keeps(
    plan_input: PlanInput, pick: int, loss: float, twin: int | None, other_demand: bool
) -> None:
    if twin is not None:
        plan_input = with_twin(plan_input, twin)
    assume(can_place_any(plan_input))
    new_input, first, result = replan_after_dropping(plan_input, pick, loss, other_demand=other_demand)
    assume(not result.shortages)  # the oracle below walks plans that meet every quota
    check_plan(new_input, result)
    quotas = {(m, k): result.quotas[m][k] for m in result.quotas for k in ("weekday", "holiday")}
    best = best_kept(new_input, quotas)
    ids = [c.venue_id for c in new_input.candidates]
    value = {counts: reach(new_input, dict(zip(ids, counts, strict=True))) for counts in best}
    optimum = max(value.values())

    # the counts are honest
    previous = {(s.venue_id, s.date) for s in first.sessions}
    planned = {(s.venue_id, s.date) for s in result.sessions}
    assert result.kept == len(previous & planned)
    assert result.changed == len(previous) - result.kept
    assert result.reach_optimum is not None and close(result.reach_optimum, optimum), (result.reach_optimum, optimum)

    # the reach: the optimum of the new instance, or within the loss staff allowed
    threshold = optimum * (1 - loss) - 1e-6 * max(1.0, optimum)
    assert result.objective >= threshold, (result.objective, optimum, loss)
    if loss == 0:
        assert close(result.objective, optimum), (result.objective, optimum)
        assert result.status == "optimal"

    # and no plan of enough reach keeps more of the previous plan
    most = max(kept for counts, kept in best.items() if value[counts] >= threshold)
    assert result.kept == most, (result.kept, most, sorted(previous - planned))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(plan_inputs(min_days=28, max_days=70, venues=(5, 9), with_locks=True, quota=3, gap=(7, 14)), st.integers(0, 10))
def test_dropping_a_venue_changes_its_sessions_and_keeps_the_optimal_reach(plan_input: PlanInput, pick: int) -> None:
    assume(can_place_any(plan_input))
    new_input, first, result = replan_after_dropping(plan_input, pick, 0.0)
    check_plan(new_input, result)
    plain = solve(dataclasses.replace(new_input, previous=()))
    assume(plain.status == "optimal")
    assert close(result.objective, plain.objective), (result.objective, plain.objective)  # no reach lost
    dropped = {c.venue_id for c in plan_input.candidates} - {c.venue_id for c in new_input.candidates}
    lost = sum(1 for s in first.sessions if s.venue_id in dropped)
    previous = {(s.venue_id, s.date) for s in first.sessions}
    kept_by_plain = len(previous & {(s.venue_id, s.date) for s in plain.sessions})
    assert result.changed is not None and result.changed >= lost
    assert result.kept is not None and result.kept >= kept_by_plain  # never more changes than a plain re-plan
    assert Counter((month_of(s.date), type_of(s.date)) for s in result.sessions) == Counter(
        (month_of(s.date), type_of(s.date)) for s in plain.sessions
    )


def test_twin_venues_where_highs_presolve_lost_the_plan_that_keeps_a_session() -> None:
    """Found by the search above: two venues at the same place; HiGHS's presolve (doubleton equations together with
    its aggregator) declared the keep model optimal at 0 kept, though keeping the twin's session loses no reach."""

    def hall(venue_id: str, lat: float, opens: str, closes: str) -> Candidate:
        return Candidate(venue_id, f"会場{venue_id}", "community_hall", lat, 136.65, "", FULL_WEEK, opens, closes)

    points = [
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 2.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.56, 136.65, 1.0),
        (36.56, 136.65, 1.0),
        (36.56, 136.65, 1.0),
        (36.56, 136.65, 1.0),
        (36.5834375, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 3.7),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.68125, 1.0),
        (36.60296875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.55609375, 136.65, 1.0),
        (36.5521875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.65, 1.0),
        (36.57171875, 136.665625, 1.0),
    ]
    plan_input = PlanInput(
        candidates=(
            hall("V00", 36.57171875, "08:30", "17:00"),
            hall("V01", 36.56, "07:00", "15:00"),
            hall("V02", 36.5834375, "07:00", "15:00"),
        ),
        application_points=(
            ApplicationPoint("A0", "窓口0", 36.56, 136.5875),
            ApplicationPoint("A1", "窓口1", 36.56, 136.5875),
            ApplicationPoint("A2", "窓口2", 36.5053125, 136.65),
        ),
        demand=tuple(DemandPoint(lat, lon, weight, f"町{i}") for i, (lat, lon, weight) in enumerate(points)),
        parameters=Parameters(
            start=dt.date(2026, 12, 20),
            end=dt.date(2026, 12, 26),
            weekday_per_month=0,
            holiday_per_month=0,
            month_overrides={"2026-12": {"weekday": 3, "holiday": 0}},
            min_gap_days=1,
            time_limit_seconds=30.0,
        ),
    )
    new_input, first, result = replan_after_dropping(with_twin(plan_input, 0), 1, 0.0, other_demand=True)
    assert ("TV00", dt.date(2026, 12, 22)) in {(s.venue_id, s.date) for s in first.sessions}
    assert result.kept == 1 and result.status == "optimal"
    assert ("TV00", dt.date(2026, 12, 22)) in {(s.venue_id, s.date) for s in result.sessions}


def test_the_counts_that_keep_a_session_on_paper_are_checked_against_the_gap() -> None:
    """Found by the search above: the counts model (its date rules relaxed) left room to keep V00's session of
    1/12 with two sessions at V00, which the 10-day gap and the year-end closure make impossible; one session at V00
    and two at its twin keep it with the same reach."""
    place = (36.56, 136.65)
    plan_input = PlanInput(
        candidates=(
            Candidate("V00", "会場0", "community_hall", *place, "", FULL_WEEK, "08:30", "17:00"),
            Candidate("V01", "会場1", "commercial", *place, "", FULL_WEEK, None, None),
            Candidate("V02", "会場2", "commercial", *place, "", FULL_WEEK, "08:30", "17:00"),
        ),
        application_points=(ApplicationPoint("A0", "窓口0", *place),),
        demand=tuple(DemandPoint(*place, 1.0, f"町{i}") for i in range(19)),
        parameters=Parameters(
            start=dt.date(2030, 1, 1),
            end=dt.date(2030, 1, 21),
            weekday_per_month=1,
            holiday_per_month=2,
            min_gap_days=10,
            time_limit_seconds=30.0,
        ),
    )
    new_input, first, result = replan_after_dropping(with_twin(plan_input, 0), 1, 0.0)
    assert ("V00", dt.date(2030, 1, 12)) in {(s.venue_id, s.date) for s in first.sessions}
    assert result.kept == 1 and result.status == "optimal"
    assert ("V00", dt.date(2030, 1, 12)) in {(s.venue_id, s.date) for s in result.sessions}
