"""Kanazawa, FY2027 (2027-04-01 to 2028-03-31), every default of DESIGN §4: seconds to the proven optimum (median of
``--runs``), and the optimal reach against a greedy plan and the best of ``--random`` random feasible plans.

    .venv/bin/python bench/planner/bench_kanazawa.py [--runs 3] [--random 100] [--seed 2027]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import baselines  # noqa: E402

from planner.inputs import facilities_from_files, read_demand  # noqa: E402
from planner.instance import prepare  # noqa: E402
from planner.model import Parameters, PlanInput  # noqa: E402
from planner.solve import solve  # noqa: E402

DATA = ROOT / "data" / "kanazawa"


def kanazawa_fy2027() -> PlanInput:
    facilities = facilities_from_files([DATA / "public_facilities.csv", DATA / "commercial_venues.csv"])
    demand, _notes = read_demand((DATA / "town_points.csv").read_bytes())
    return PlanInput(
        tuple(facilities.candidates),
        tuple(facilities.application_points),
        tuple(demand),
        Parameters(start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--random", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()

    plan_input = kanazawa_fy2027()
    print(
        f"Kanazawa FY2027: {len(plan_input.candidates)} candidates, {len(plan_input.application_points)} "
        f"permanent application points, {len(plan_input.demand)} demand points"
    )

    seconds, result = [], None
    for run in range(args.runs):
        began = time.perf_counter()
        result = solve(plan_input)
        seconds.append(time.perf_counter() - began)
        print(
            f"  run {run + 1}: {seconds[-1]:.2f} s, {result.status}, reach {result.objective:.3f}, "
            f"bound {result.bound:.3f}, gap {result.gap:.2e}, {len(result.sessions)} sessions ({result.method})"
        )
    assert result is not None
    print(
        f"solver: {statistics.median(seconds):.2f} s to the proven optimum (median of {args.runs}), "
        f"status {result.status}, reach {result.objective:.3f}"
    )

    instance = prepare(plan_input)
    index = {venue.candidate.venue_id: i for i, venue in enumerate(instance.venues)}
    counts: dict[int, int] = {}
    for session in result.sessions:
        counts[index[session.venue_id]] = counts.get(index[session.venue_id], 0) + 1
    optimum = baselines.evaluate(instance, counts)
    assert abs(optimum - result.objective) <= 1e-6 * optimum, (optimum, result.objective)

    began = time.perf_counter()
    greedy = baselines.greedy(instance)
    greedy_seconds = time.perf_counter() - began
    baselines.check(greedy)
    greedy_reach = baselines.evaluate(instance, greedy.counts())
    print(
        f"greedy: reach {greedy_reach:.3f} with {greedy.size} sessions (short by {greedy.shortfall()}) in "
        f"{greedy_seconds:.1f} s"
    )

    rng = random.Random(args.seed)
    began = time.perf_counter()
    reaches, restarts, short = [], 0, 0
    for _ in range(args.random):
        plan, tries = baselines.random_plan(instance, rng)
        baselines.check(plan)
        restarts += tries
        short += plan.shortfall() > 0
        reaches.append(baselines.evaluate(instance, plan.counts()))
    print(
        f"random: best of {args.random} reach {max(reaches):.3f} (median {statistics.median(reaches):.3f}, worst "
        f"{min(reaches):.3f}; {restarts} restarts, {short} plans short of a quota) in "
        f"{time.perf_counter() - began:.1f} s"
    )

    print(f"optimum / greedy      = {optimum / greedy_reach:.4f}  (+{optimum / greedy_reach - 1:.2%})")
    print(f"optimum / best random = {optimum / max(reaches):.4f}  (+{optimum / max(reaches) - 1:.2%})")


if __name__ == "__main__":
    main()
