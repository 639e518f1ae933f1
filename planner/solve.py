"""Solve the reach model to proven optimality (DESIGN §4).

Reach depends only on how many sessions each venue gets, so the model is solved in two stages:

1. **Counts** — a MILP over ``y[venue, month, day type]`` with every quota, cap and lock and relaxed forms of the
   date rules (a venue hosts at most as many sessions in a month as fit its open dates with the minimum gap; a
   month's sessions of one day type fit its open dates times the teams). Its optimum bounds the reach of every plan.
2. **Dates** — a MILP that gives each venue its number of sessions on real dates under every rule (quotas, teams
   per day, the gap at each venue, locks) and spreads them evenly through each month. If it succeeds, the plan
   reaches the stage-1 bound: it is optimal.

If stage 2 cannot place the totals, stage 1 is tightened step by step — date variables in continuous form (the
transportation structure of venues and dates), then the gap rules too — and finally the full date-level model is
solved. Quotas that cannot be met become shortages: each is named, and the best plan that relaxes only those quotas
is returned.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TypedDict, Unpack

from core.calendar import DayType, day_type, month_key
from core.i18n import gettext as _
from planner.explain import describe_sessions
from planner.instance import TYPES, Instance, prepare
from planner.milp import Model, Progress, Solution
from planner.model import PlanInput, PlanResult, Shortage
from planner.reach import evaluate_reach
from planner.seed import greedy_counts

Slot = tuple[str, DayType]


# HiGHS 1.16's presolve, with both its doubleton-equation (rule 9) and aggregator (rule 12) reductions, was seen to
# declare "optimal, 0 kept" on a keep model whose plan keeping one session it finds without them (two venues at the
# same place, tests/planner/test_replan_properties.py); either rule alone does no harm.
KEEP_PRESOLVE_RULES_OFF = (1 << 9) | (1 << 12)


class Mode(TypedDict, total=False):
    """How the counts stage models the dates (the methods of ``solve``, tightest last)."""

    dates: bool
    gap_rows: bool
    integer_dates: bool


ProgressFn = Callable[[Progress], None] | None


def packable(dates: list[dt.date], gap: int) -> int:
    """How many of these dates can be used with at least ``gap`` days between two uses (greedy is optimal)."""
    count, last = 0, None
    for date in sorted(dates):
        if last is None or (date - last).days >= gap:
            count, last = count + 1, date
    return count


def _slot(date: dt.date) -> Slot:
    return month_key(date), day_type(date)


def _venue_slots(instance: Instance) -> list[dict[Slot, list[dt.date]]]:
    result = []
    for venue in instance.venues:
        by_slot: dict[Slot, list[dt.date]] = defaultdict(list)
        for date in venue.dates:
            by_slot[_slot(date)].append(date)
        result.append(dict(by_slot))
    return result


def _reach_terms(
    model: Model,
    instance: Instance,
    count_terms: list[list[tuple[int, float]]],
    initial_totals: list[int] | None = None,
    at_least: float | None = None,
) -> None:
    """Add Φ for every demand group: Σ_k z_gk ≤ Σ_{v reaching g} f_v · n_v, z_gk ∈ [0, 1], value W_g·decay^(k-1).
    With ``initial_totals`` (n_v of a starting plan) the z get their starting values too. With ``at_least`` the reach
    is not the objective but a row: reach ≥ at_least (re-planning's second objective is then the one maximised)."""
    parameters = instance.parameters
    reach_row: list[tuple[int, float]] = []
    for group in instance.groups:
        entries: list[tuple[int, float]] = []
        covered = 0.0
        for venue_index in group.venues:
            draw = instance.venues[venue_index].draw
            entries += [(column, -draw * coefficient) for column, coefficient in count_terms[venue_index]]
            if initial_totals is not None:
                covered += draw * initial_totals[venue_index]
        for level in range(parameters.levels):
            start = min(1.0, max(0.0, covered - level)) if initial_totals is not None else None
            value = group.weight * parameters.decay**level
            column = model.add_var(0.0, 1.0, value if at_least is None else 0.0, initial=start)
            entries.append((column, 1.0))
            reach_row.append((column, value))
        model.add_row(entries, upper=0.0)
    if at_least is not None:
        model.add_row(reach_row, lower=at_least)


def _max_reach(instance: Instance) -> float:
    full = sum(instance.parameters.decay**level for level in range(instance.parameters.levels))
    return sum(group.weight for group in instance.groups) * full


def _effective_quotas(instance: Instance) -> tuple[dict[Slot, int], list[str]]:
    """Quotas, raised where more sessions are locked than the quota asks (locks always stay)."""
    quotas = dict(instance.quotas)
    notes = []
    locked_per_slot: dict[Slot, int] = defaultdict(int)
    for dates in instance.locked.values():
        for date in dates:
            locked_per_slot[_slot(date)] += 1
    for slot, locked in locked_per_slot.items():
        if locked > quotas.get(slot, 0):
            notes.append(
                _("{month}: {locked} locked {type} sessions, more than the quota of {quota}; all are kept.").format(
                    month=slot[0], locked=locked, type=day_type_label(slot[1]), quota=quotas.get(slot, 0)
                )
            )
            quotas[slot] = locked
    return quotas, notes


def day_type_label(kind: DayType) -> str:
    return _("weekday") if kind == DayType.weekday else _("holiday")


def solve_counts(
    instance: Instance,
    quotas: dict[Slot, int],
    *,
    time_limit: float,
    penalise: bool,
    on_progress: ProgressFn = None,
    dates: bool = True,
    gap_rows: bool = False,
    integer_dates: bool = False,
    keep: dict[tuple[int, Slot], int] | None = None,
    keep_dates: set[tuple[int, dt.date]] | None = None,
    reach_at_least: float | None = None,
    start_counts: dict[tuple[int, Slot], int] | None = None,
) -> tuple[Solution, dict[tuple[int, Slot], int], dict[Slot, int]]:
    """Sessions per venue, month and day type (integer), with the date-level rules over continuous date variables
    (each venue's sessions of a month must fit its open dates and the teams per day, fractionally; with ``gap_rows``
    also the minimum gap). That is a relaxation of the full model, so its optimum bounds every plan's reach; with
    ``integer_dates`` it is the full model itself. With ``penalise``, a quota may fall short at a cost larger than any
    reach, so the solver meets every quota it can and the rest are reported as shortages.

    Re-planning: with ``keep`` (sessions of the previous plan per venue, month and day type that the new instance can
    still host) and ``reach_at_least``, the reach becomes a row and the objective is the number of previous sessions
    the counts leave room for, Σ min(y, previous) — an upper bound on the sessions any plan of enough reach keeps;
    ``start_counts`` (the counts of the reach solve, which have enough reach) start the solver."""
    parameters = instance.parameters
    gap = parameters.min_gap_days
    model = Model()
    penalty = 1.0 + _max_reach(instance)
    venue_slots = _venue_slots(instance)
    aggregate = not (dates or integer_dates)
    slot_limit: dict[tuple[int, Slot], int] = {}
    month_limit: dict[tuple[int, str], int] = {}
    total_limit: list[int] = []
    locked_count: dict[tuple[int, Slot], int] = defaultdict(int)
    for index, (venue, by_slot) in enumerate(zip(instance.venues, venue_slots, strict=True)):
        locked = instance.locked.get(index, set())
        for date in locked:
            locked_count[(index, _slot(date))] += 1
        for slot, slot_dates in by_slot.items():
            slot_limit[(index, slot)] = max(locked_count[(index, slot)], packable(slot_dates, gap))
        for month in {slot[0] for slot in by_slot}:
            month_dates = [d for d in venue.dates if month_key(d) == month]
            month_limit[(index, month)] = max(
                packable(month_dates, gap), sum(1 for d in locked if month_key(d) == month)
            )
        limit = packable(venue.dates, gap)
        if venue.candidate.cap is not None:
            limit = min(limit, venue.candidate.cap)
        total_limit.append(max(limit, len(locked)))
    capacity = {slot: parameters.teams * len(instance.open_dates(slot)) for slot in quotas}
    seed = None
    if aggregate and start_counts is not None:
        seed = dict(start_counts)
    elif aggregate:  # start the solver from a greedy plan (it only seeds; the solver proves optimality)
        seed = greedy_counts(
            instance,
            {slot: min(q, capacity[slot]) for slot, q in quotas.items()},
            slot_limit,
            month_limit,
            total_limit,
            dict(locked_count),
        )
        if not penalise and any(sum(n for (_v, s), n in seed.items() if s == slot) != q for slot, q in quotas.items()):
            seed = None  # without slack the seed must meet every quota exactly
    y: dict[tuple[int, Slot], int] = {}
    x: dict[tuple[int, dt.date], int] = {}
    count_terms: list[list[tuple[int, float]]] = []
    per_slot: dict[Slot, list[int]] = defaultdict(list)
    by_date: dict[dt.date, list[int]] = defaultdict(list)
    for index, (_venue, by_slot) in enumerate(zip(instance.venues, venue_slots, strict=True)):
        locked = instance.locked.get(index, set())
        terms = []
        per_month: dict[str, list[int]] = defaultdict(list)
        for slot, slot_dates in by_slot.items():
            minimum = locked_count[(index, slot)]
            column = model.add_var(
                minimum,
                slot_limit[(index, slot)],
                integer=True,
                initial=seed.get((index, slot), 0) if seed is not None else None,
            )
            y[(index, slot)] = column
            terms.append((column, 1.0))
            per_month[slot[0]].append(column)
            per_slot[slot].append(column)
            if aggregate:
                continue
            link = [(column, -1.0)]
            for date in slot_dates:
                date_column = model.add_var(1.0 if date in locked else 0.0, 1.0, integer=integer_dates)
                x[(index, date)] = date_column
                by_date[date].append(date_column)
                link.append((date_column, 1.0))
            model.add_row(link, lower=0.0, upper=0.0)
        for month, columns in per_month.items():
            if len(columns) > 1:
                model.add_row([(c, 1.0) for c in columns], upper=month_limit[(index, month)])
        venue_total = sum(n for (v, _s), n in seed.items() if v == index) if seed is not None else None
        total = model.add_var(0.0, float(total_limit[index]), initial=venue_total)  # n_v (integral: the y are)
        model.add_row(terms + [(total, -1.0)], lower=0.0, upper=0.0)
        count_terms.append([(total, 1.0)])
    for columns in by_date.values():
        if len(columns) > parameters.teams:
            model.add_row([(c, 1.0) for c in columns], upper=parameters.teams)
    if integer_dates or gap_rows:
        _gap_rows(model, x, gap)
    slack: dict[Slot, int] = {}
    for slot, quota in quotas.items():
        entries = [(c, 1.0) for c in per_slot.get(slot, [])]
        if penalise:
            placed = sum(n for (_v, s), n in seed.items() if s == slot) if seed is not None else None
            slack[slot] = model.add_var(
                0.0, float(quota), cost=-penalty, initial=quota - placed if placed is not None else None
            )
            entries.append((slack[slot], 1.0))
        model.add_row(entries, lower=quota, upper=quota)
        if aggregate and per_slot.get(slot):
            model.add_row([(c, 1.0) for c in per_slot[slot]], upper=capacity[slot])
    totals = None
    if seed is not None:
        totals = [0] * len(instance.venues)
        for (v, _s), n in seed.items():
            totals[v] += n
    _reach_terms(model, instance, count_terms, totals, at_least=reach_at_least)
    if keep_dates is not None and not aggregate:  # with date columns: the previous (venue, date) pairs themselves
        for pair in keep_dates:
            if pair in x:
                model.cost[x[pair]] = 1.0
    for key, previous in (keep or {}).items() if aggregate else ():
        if key in y:  # kept ≤ min(y, previous): only previous sessions get a column, so the model stays small
            start = min(previous, seed.get(key, 0)) if seed is not None else None
            kept = model.add_var(0.0, float(previous), cost=1.0, initial=start)
            model.add_row([(kept, 1.0), (y[key], -1.0)], upper=0.0)
    stage, abs_gap, rules_off = ("full" if integer_dates else "counts"), 1e-7, 0
    if keep is not None:
        # The number kept is a whole number: a plan within less than one session of the bound is the best.
        stage, abs_gap, rules_off = "keep", 1.0 - 1e-3, KEEP_PRESOLVE_RULES_OFF
    solution = model.solve(
        time_limit=time_limit, abs_gap=abs_gap, on_progress=on_progress, stage=stage, presolve_rules_off=rules_off
    )
    values = solution.values if solution.found else []
    counts = {key: round(values[column]) for key, column in y.items()} if solution.found else {}
    shortfall = {slot: round(values[column]) for slot, column in slack.items()} if solution.found else {}
    return solution, counts, {slot: n for slot, n in shortfall.items() if n > 0}


def solve_dates(
    instance: Instance,
    counts: dict[tuple[int, Slot], int],
    quotas: dict[Slot, int],
    *,
    time_limit: float,
    previous: set[tuple[int, dt.date]] | None = None,
) -> dict[int, list[dt.date]] | None:
    """Stage 2: real dates. Reach depends only on each venue's number of sessions, so those totals are kept while
    the months and day types they fall in may move; every quota, the teams per day, the gap at each venue and the
    locks hold, and sessions spread evenly through each month. With ``previous`` (venue index, date) the plan first
    keeps as many of those sessions as it can, and only then spreads. None if the totals cannot be placed."""
    parameters = instance.parameters
    totals: dict[int, int] = defaultdict(int)
    for (index, _slot_key), count in counts.items():
        totals[index] += count
    model = Model()
    x: dict[tuple[int, dt.date], int] = {}
    by_date: dict[dt.date, list[int]] = defaultdict(list)
    per_slot: dict[Slot, list[int]] = defaultdict(list)
    for index, total in totals.items():
        if total <= 0:
            continue
        locked = instance.locked.get(index, set())
        columns = []
        for date in instance.venues[index].dates:
            column = model.add_var(1.0 if date in locked else 0.0, 1.0, integer=True)
            x[(index, date)] = column
            by_date[date].append(column)
            per_slot[_slot(date)].append(column)
            columns.append(column)
        model.add_row([(c, 1.0) for c in columns], lower=total, upper=total)
    for slot, quota in quotas.items():
        model.add_row([(c, 1.0) for c in per_slot.get(slot, [])], lower=quota, upper=quota)
    for columns in by_date.values():
        if len(columns) > parameters.teams:
            model.add_row([(c, 1.0) for c in columns], upper=parameters.teams)
    _gap_rows(model, x, parameters.min_gap_days)
    _spread_objective(model, instance, x, quotas)
    rel_gap, abs_gap = 1e-2, 1e-7
    if previous:
        # Each kept session is worth more than all the spreading together (its penalties sum to at most about
        # 2e-3 per session), and the solver stops only when no plan can keep one session more.
        weight = 1.0 + 8e-3 * sum(totals.values())
        for key in previous:
            if key in x:
                model.cost[x[key]] = weight
        rel_gap, abs_gap = 1e-9, 0.5 * weight
    solution = model.solve(time_limit=time_limit, rel_gap=rel_gap, abs_gap=abs_gap, stage="dates")
    if solution.status in ("infeasible", "no_solution"):
        return None
    chosen: dict[int, list[dt.date]] = defaultdict(list)
    for (index, date), column in x.items():
        if solution.values[column] > 0.5:
            chosen[index].append(date)
    return {index: sorted(dates) for index, dates in chosen.items()}


def _gap_rows(model: Model, x: dict[tuple[int, dt.date], int], gap: int) -> None:
    """At each venue, at most one session in any ``gap`` consecutive days."""
    per_venue: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for (index, date), column in x.items():
        per_venue[index].append((date, column))
    for entries in per_venue.values():
        entries.sort()
        for start, (first, _column) in enumerate(entries):
            window = [column for date, column in entries[start:] if (date - first).days < gap]
            if len(window) > 1:
                model.add_row([(c, 1.0) for c in window], upper=1.0)


def _spread_objective(
    model: Model, instance: Instance, x: dict[tuple[int, dt.date], int], quotas: dict[Slot, int]
) -> None:
    """Prefer sessions spread evenly: per month and week, |sessions − the week's fair share| is penalised."""
    per_month_total: dict[str, int] = defaultdict(int)
    for slot, quota in quotas.items():
        per_month_total[slot[0]] += quota
    weeks: dict[tuple[str, int], list[int]] = defaultdict(list)
    week_days: dict[tuple[str, int], int] = defaultdict(int)
    month_days: dict[str, int] = defaultdict(int)
    for slot, slot_dates in instance.dates_by_slot.items():
        for date in slot_dates:
            key = (slot[0], date.isocalendar()[1])
            week_days[key] += 1
            month_days[slot[0]] += 1
    for (_index, date), column in x.items():
        weeks[(month_key(date), date.isocalendar()[1])].append(column)
    for key, columns in weeks.items():
        month = key[0]
        target = per_month_total[month] * week_days[key] / max(1, month_days[month])
        deviation = model.add_var(0.0, cost=-1e-3)
        model.add_row([(c, 1.0) for c in columns] + [(deviation, -1.0)], upper=target)
        model.add_row([(c, 1.0) for c in columns] + [(deviation, 1.0)], lower=target)


def shortage_message(instance: Instance, slot: Slot, asked: int, possible: int) -> Shortage:
    """Name the month, the day type and the shortage in words."""
    open_dates = len(instance.open_dates(slot))
    teams = instance.parameters.teams
    label = day_type_label(slot[1])
    if teams * open_dates < asked and possible == teams * open_dates:
        message = _(
            "{month}: {asked} {type} sessions asked, only {dates} {type} dates have an open candidate venue "
            "with {teams} team(s)"
        ).format(month=slot[0], asked=asked, type=label, dates=open_dates, teams=teams)
    else:
        message = _(
            "{month}: {asked} {type} sessions asked, only {possible} can be placed ({dates} {type} dates "
            "have an open candidate venue; opening days, blackout dates and the {gap}-day gap at each venue "
            "limit the rest)"
        ).format(
            month=slot[0],
            asked=asked,
            type=label,
            possible=possible,
            dates=open_dates,
            gap=instance.parameters.min_gap_days,
        )
    return Shortage(slot[0], slot[1], asked, possible, open_dates, message)


def solve(plan_input: PlanInput, *, on_progress: ProgressFn = None) -> PlanResult:
    """The optimal plan for the input (or the best found within the time limit, with its proven bound). With previous
    sessions, among the plans whose reach is within the allowed loss of the optimum, one that keeps the most of them."""
    began = time.perf_counter()
    instance = prepare(plan_input)
    parameters = instance.parameters
    limit = parameters.time_limit_seconds

    def left(share: float = 1.0) -> float:
        return max(1.0, (limit - (time.perf_counter() - began)) * share)

    quotas, notes = _effective_quotas(instance)
    asked = dict(quotas)
    previous = _previous_in(instance, plan_input)
    chosen: dict[int, list[dt.date]] | None = None
    solution = None
    methods: tuple[tuple[str, Mode], ...] = (
        ("counts+dates", {"dates": False}),
        ("relaxation+dates", {}),
        ("relaxation with gaps+dates", {"gap_rows": True}),
        ("full", {"integer_dates": True}),
    )
    for method, options in methods:
        quotas = dict(asked)  # each method finds its own shortages from what was asked
        solution, counts, shortfall = solve_counts(
            instance, quotas, time_limit=left(0.6), penalise=True, on_progress=on_progress, **options
        )
        if shortfall:  # relax only the quotas that cannot be met, then solve again without penalties
            for slot, missing in shortfall.items():
                quotas[slot] -= missing
            solution, counts, _none = solve_counts(
                instance, quotas, time_limit=left(0.6), penalise=False, on_progress=on_progress, **options
            )
        if not solution.found:
            continue
        if previous:
            loss = plan_input.max_reach_loss
            chosen = _keep_previous(
                instance, counts, quotas, solution, previous, loss, left, notes, on_progress=on_progress, **options
            )
        else:
            chosen = solve_dates(instance, counts, quotas, time_limit=left(0.5 if method != "full" else 1.0))
        if chosen is not None:
            break
    if chosen is None or solution is None:
        raise RuntimeError("no plan found within the time limit")  # only when even the full model found nothing
    objective = evaluate_reach(instance, chosen)
    status = "optimal" if solution.status == "optimal" else "feasible"
    kept = changed = None
    if plan_input.previous:
        kept = sum(1 for index, date in previous if date in set(chosen.get(index, ())))
        changed = len({(p.venue_id, p.date) for p in plan_input.previous}) - kept
        if objective < solution.objective - _tolerance(solution.objective):
            status = "feasible"  # staff allowed a loss of reach for fewer changes: the plan is not of optimal reach
    shortages = [
        shortage_message(instance, slot, asked[slot], quotas[slot])
        for slot in sorted(quotas)
        if quotas[slot] < asked[slot]
    ]
    return PlanResult(
        status=status,
        objective=objective,
        bound=max(solution.bound, objective),
        solve_seconds=time.perf_counter() - began,
        parameters=parameters,
        sessions=describe_sessions(instance, chosen),
        quotas={
            month: {kind.value: instance.quotas.get((month, kind), 0) for kind in TYPES} for month in instance.months
        },
        shortages=shortages,
        notes=instance.notes + notes,
        method=method,
        kept=kept,
        changed=changed,
        reach_optimum=solution.objective if plan_input.previous else None,
        max_reach_loss=plan_input.max_reach_loss,
    )


def _tolerance(reach: float) -> float:
    """How far below the optimum a reach still counts as equal (the solver's tolerances; reach takes few values)."""
    return 1e-7 * max(1.0, abs(reach))


def _previous_in(instance: Instance, plan_input: PlanInput) -> set[tuple[int, dt.date]]:
    """The previous plan's sessions the new instance can still host, as (venue index, date)."""
    index = {venue.candidate.venue_id: i for i, venue in enumerate(instance.venues)}
    open_on = [set(venue.dates) for venue in instance.venues]
    return {
        (index[p.venue_id], p.date)
        for p in plan_input.previous
        if p.venue_id in index and p.date in open_on[index[p.venue_id]]
    }


def _keep_previous(
    instance: Instance,
    counts: dict[tuple[int, Slot], int],
    quotas: dict[Slot, int],
    solution: Solution,
    previous: set[tuple[int, dt.date]],
    max_reach_loss: float,
    left: Callable[[float], float],
    notes: list[str],
    on_progress: ProgressFn = None,
    **options: Unpack[Mode],
) -> dict[int, list[dt.date]] | None:
    """Re-planning's second objective: among counts whose reach is at least the optimum × (1 − loss), those that leave
    room for the most previous sessions; then dates that keep the most of them, or the reach solve's own counts
    when they keep more. None when dates cannot place the reach solve's own counts."""
    # The reach solve's counts are the optimum only if dates can place them (the counts model relaxes the date
    # rules): when they cannot, its reach is out of every plan's reach and the caller tries a tighter method.
    own = solve_dates(instance, counts, quotas, time_limit=left(0.3), previous=previous)
    if own is None:
        return None
    keep: dict[tuple[int, Slot], int] = defaultdict(int)
    for index, date in previous:
        keep[(index, _slot(date))] += 1
    threshold = solution.objective * (1.0 - max(0.0, max_reach_loss)) - _tolerance(solution.objective)

    def kept(chosen: dict[int, list[dt.date]] | None) -> int:
        return -1 if chosen is None else sum(1 for index, date in previous if date in set(chosen.get(index, ())))

    def keep_counts(mode: Mode) -> tuple[Solution, dict[tuple[int, Slot], int]]:
        found, keep_counts, _none = solve_counts(
            instance,
            quotas,
            time_limit=left(0.4),  # the rest is for the dates, and for the reach solve's own counts if need be
            penalise=False,
            keep=dict(keep),
            keep_dates=previous,
            reach_at_least=threshold,
            start_counts=counts,
            on_progress=on_progress,
            **mode,
        )
        return found, keep_counts

    best: dict[int, list[dt.date]] | None = None
    kept_solution, kept_counts = keep_counts(options)
    if kept_solution.found:
        best = solve_dates(instance, kept_counts, quotas, time_limit=left(0.5), previous=previous)
    if kept_solution.found and kept(best) < round(kept_solution.objective) and options.get("dates") is False:
        # The counts model leaves room for more than the dates keep (its date rules are relaxed, and counts that
        # keep as much on paper may differ in what the dates allow): choose again with the previous (venue, date)
        # pairs as continuous date columns under the gap rules, a much tighter relaxation, and keep the better plan.
        tighter, tighter_counts = keep_counts({"gap_rows": True})
        if tighter.found:
            again = solve_dates(instance, tighter_counts, quotas, time_limit=left(0.5), previous=previous)
            if kept(again) > kept(best):
                best = again
    if kept(own) > kept(best):
        best = own
    if kept_solution.status != "optimal":
        notes.append(
            _(
                "The re-plan reached its time limit: it keeps {kept} sessions of the previous plan, but a plan of "
                "the same reach that keeps more may exist."
            ).format(kept=kept(best))
        )
    return best
