"""Re-planning with a previous plan (issue 16) on Kanazawa FY2027: the time of a re-plan that keeps the most sessions
of the previous version against a plain plan of the same instance, measured in one run, and the sessions it keeps.

The previous plan is the optimal plan of the full instance; the reviewer then drops one venue that has three sessions
(the first by facility ID), and the new instance is solved ``--runs`` times each way (alternating, so that load on the
machine affects both alike). The target: the re-plan takes at most twice the plain plan's time.

    .venv/bin/python bench/planner/bench_replan.py [--runs 3] [--max-reach-loss PERCENT]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from bench_kanazawa import kanazawa_fy2027  # noqa: E402

from planner.model import PreviousSession  # noqa: E402
from planner.solve import solve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-reach-loss", type=float, default=0.0, metavar="PERCENT")
    args = parser.parse_args()

    full = kanazawa_fy2027()
    began = time.perf_counter()
    first = solve(full)
    seconds = time.perf_counter() - began
    print(f"previous plan: {len(first.sessions)} sessions, reach {first.objective:.3f} ({seconds:.2f} s)")
    per_venue = Counter(s.venue_id for s in first.sessions)
    dropped = min(v for v, n in per_venue.items() if n == 3)
    name = next(s.venue_name for s in first.sessions if s.venue_id == dropped)
    plain_input = dataclasses.replace(full, candidates=tuple(c for c in full.candidates if c.venue_id != dropped))
    replan_input = dataclasses.replace(
        plain_input,
        previous=tuple(PreviousSession(s.venue_id, s.date) for s in first.sessions),
        max_reach_loss=args.max_reach_loss / 100,
    )
    print(f"dropped: {dropped} {name} ({per_venue[dropped]} sessions)")

    previous = {(s.venue_id, s.date) for s in first.sessions}
    plain_seconds, replan_seconds = [], []
    plain = replan = None
    for run in range(args.runs):
        began = time.perf_counter()
        plain = solve(plain_input)
        plain_seconds.append(time.perf_counter() - began)
        began = time.perf_counter()
        replan = solve(replan_input)
        replan_seconds.append(time.perf_counter() - began)
        plain_kept = len(previous & {(s.venue_id, s.date) for s in plain.sessions})
        print(
            f"  run {run + 1}: plain {plain_seconds[-1]:.2f} s ({plain.status}, reach {plain.objective:.3f}, "
            f"keeps {plain_kept}); re-plan {replan_seconds[-1]:.2f} s ({replan.status}, reach "
            f"{replan.objective:.3f}, kept {replan.kept}, changed {replan.changed})"
        )
    assert plain is not None and replan is not None
    plain_median, replan_median = statistics.median(plain_seconds), statistics.median(replan_seconds)
    print(
        f"plain plan {plain_median:.2f} s, re-plan with previous {replan_median:.2f} s (medians of {args.runs}): "
        f"ratio {replan_median / plain_median:.2f} (target <= 2); kept {replan.kept} of {len(previous)}, changed "
        f"{replan.changed}, reach loss {replan.reach_loss:.4%}"
    )


if __name__ == "__main__":
    main()
