"""Baselines for the planner benchmark: a greedy plan (largest marginal reach first) and random feasible plans.

Both keep every rule of DESIGN §4: the venue's usable dates (opening days with the 祝 rule, hours overlapping the
booth window by ``min_hours``, blackout dates, the 12/29–1/3 closure — taken from ``planner.instance.prepare``,
which the property tests check), the quota of every month and day type (never more; fewer only when the
construction gets stuck, which is reported), ``teams`` per day, ``min_gap_days`` at a venue, caps and locks.
Reach is evaluated here from the formula, on per-venue session counts.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from core.calendar import DayType, day_type, month_key
from planner.instance import Instance

Slot = tuple[str, DayType]


def phi(coverage: float, levels: int = 8, decay: float = 0.7) -> float:
    return sum(decay ** (k - 1) * min(1.0, max(0.0, coverage - (k - 1))) for k in range(1, levels + 1))


@dataclass
class Plan:
    """Sessions as (venue index, date), with the state needed to test one more."""

    instance: Instance
    quotas: dict[Slot, int]
    dates_of: dict[int, list[dt.date]] = field(default_factory=lambda: defaultdict(list))
    per_day: dict[dt.date, int] = field(default_factory=lambda: defaultdict(int))
    per_slot: dict[Slot, int] = field(default_factory=lambda: defaultdict(int))

    def can_add(self, venue: int, date: dt.date) -> bool:
        parameters = self.instance.parameters
        slot = (month_key(date), day_type(date))
        if self.per_slot[slot] >= self.quotas.get(slot, 0) or self.per_day[date] >= parameters.teams:
            return False
        taken = self.dates_of[venue]
        cap = self.instance.venues[venue].candidate.cap
        if cap is not None and len(taken) >= cap:
            return False
        position = bisect.bisect_left(taken, date)
        if position < len(taken) and (taken[position] - date).days < parameters.min_gap_days:
            return False
        return not (position > 0 and (date - taken[position - 1]).days < parameters.min_gap_days)

    def add(self, venue: int, date: dt.date) -> None:
        bisect.insort(self.dates_of[venue], date)
        self.per_day[date] += 1
        self.per_slot[(month_key(date), day_type(date))] += 1

    @property
    def size(self) -> int:
        return sum(self.per_slot.values())

    def shortfall(self) -> int:
        return sum(max(0, quota - self.per_slot[slot]) for slot, quota in self.quotas.items())

    def counts(self) -> dict[int, int]:
        return {venue: len(dates) for venue, dates in self.dates_of.items() if dates}


def quotas_of(instance: Instance) -> dict[Slot, int]:
    """The quotas every plan must meet (raised where more sessions are locked, as the solver does)."""
    quotas = dict(instance.quotas)
    locked: dict[Slot, int] = defaultdict(int)
    for dates in instance.locked.values():
        for date in dates:
            locked[(month_key(date), day_type(date))] += 1
    for slot, count in locked.items():
        quotas[slot] = max(quotas.get(slot, 0), count)
    return quotas


def evaluate(instance: Instance, counts: dict[int, int]) -> float:
    """reach = Σ_p w_p · a_p · Φ(c_p), c_p = Σ f over the sessions reaching p."""
    parameters = instance.parameters
    total = 0.0
    for point, weight, reached in zip(instance.demand, instance.access_weight, instance.reached_by, strict=True):
        c = sum(instance.venues[v].draw * counts.get(v, 0) for v in reached)
        if c:
            total += point.weight * weight * phi(c, parameters.levels, parameters.decay)
    return total


def _start(instance: Instance) -> Plan:
    plan = Plan(instance, quotas_of(instance))
    for venue, dates in instance.locked.items():
        for date in sorted(dates):
            plan.add(venue, date)
    return plan


def _points_of(instance: Instance) -> list[list[int]]:
    points: list[list[int]] = [[] for _ in instance.venues]
    for p, reached in enumerate(instance.reached_by):
        for v in reached:
            points[v].append(p)
    return points


def greedy(instance: Instance) -> Plan:
    """Add, one at a time, the feasible session with the largest marginal reach until every quota is met.

    Reach depends only on the venue, so ties between dates of the best venue go to the date in the month and day
    type that is hardest to fill (most sessions still needed per free date), then the earliest.
    """
    parameters = instance.parameters
    plan = _start(instance)
    points = _points_of(instance)
    value = [point.weight * weight for point, weight in zip(instance.demand, instance.access_weight, strict=True)]
    coverage = [0.0] * len(instance.demand)
    for venue, dates in plan.dates_of.items():
        for p in points[venue]:
            coverage[p] += instance.venues[venue].draw * len(dates)

    def gain(venue: int) -> float:
        draw = instance.venues[venue].draw
        return sum(
            value[p]
            * (
                phi(coverage[p] + draw, parameters.levels, parameters.decay)
                - phi(coverage[p], parameters.levels, parameters.decay)
            )
            for p in points[venue]
        )

    while plan.shortfall():
        free_dates: dict[Slot, int] = defaultdict(int)
        options: dict[int, list[dt.date]] = {}
        for venue, spec in enumerate(instance.venues):
            feasible = [d for d in spec.dates if plan.can_add(venue, d)]
            if feasible:
                options[venue] = feasible
                for d in feasible:
                    free_dates[(month_key(d), day_type(d))] += 1
        if not options:
            break  # stuck: the quotas left cannot be met by adding sessions
        best = max(options, key=lambda v: (gain(v), -v))

        def urgency(date: dt.date, free_dates: dict = free_dates) -> tuple[float, dt.date]:
            slot = (month_key(date), day_type(date))
            need = plan.quotas.get(slot, 0) - plan.per_slot[slot]
            return (-need / max(1, free_dates[slot]), date)

        date = min(options[best], key=urgency)
        plan.add(best, date)
        for p in points[best]:
            coverage[p] += instance.venues[best].draw
    return plan


def random_plan(instance: Instance, rng: random.Random, attempts: int = 50) -> tuple[Plan, int]:
    """A random feasible plan: month and day types are filled scarcest first, each from its feasible sessions in a
    random order; restarted when it gets stuck. Returns the plan and the number of restarts (the least short plan
    is kept if every attempt gets stuck)."""
    pool: dict[Slot, list[tuple[int, dt.date]]] = defaultdict(list)
    for venue, spec in enumerate(instance.venues):
        for d in spec.dates:
            pool[(month_key(d), day_type(d))].append((venue, d))
    best: Plan | None = None
    for attempt in range(attempts):
        plan = _start(instance)
        order = sorted(plan.quotas, key=lambda s: (len(pool[s]) / max(1, plan.quotas[s]), rng.random()))
        for slot in order:
            options = pool[slot][:]
            rng.shuffle(options)
            for venue, date in options:
                if plan.per_slot[slot] >= plan.quotas[slot]:
                    break
                if plan.can_add(venue, date):
                    plan.add(venue, date)
        if not plan.shortfall():
            return plan, attempt
        if best is None or plan.shortfall() < best.shortfall():
            best = plan
    assert best is not None
    return best, attempts


def check(plan: Plan) -> None:
    """Every rule, again, on the finished plan (raises AssertionError)."""
    instance, parameters = plan.instance, plan.instance.parameters
    usable = [set(v.dates) for v in instance.venues]
    per_day: dict[dt.date, int] = defaultdict(int)
    per_slot: dict[Slot, int] = defaultdict(int)
    for venue, dates in plan.dates_of.items():
        cap = instance.venues[venue].candidate.cap
        assert cap is None or len(dates) <= cap
        for first, second in zip(dates, dates[1:]):
            assert (second - first).days >= parameters.min_gap_days
        for date in dates:
            assert date in usable[venue]
            per_day[date] += 1
            per_slot[(month_key(date), day_type(date))] += 1
    assert max(per_day.values(), default=0) <= parameters.teams
    assert all(per_slot[slot] <= quota for slot, quota in plan.quotas.items())
    assert set(per_slot) <= set(plan.quotas)
    for venue, dates in instance.locked.items():
        assert dates <= set(plan.dates_of[venue])
