"""The planner at scale: synthetic cities with 500 and 2,000 candidate venues and 10,000 demand points, FY2027 with
the defaults of DESIGN §4: seconds to a 1% gap, final status and gap, peak memory, and where the time goes.

Each size runs in its own subprocess (so peak memory is that size's alone); the parent stops a child that runs
longer than ``--wall`` seconds and reports what it saw until then.

    .venv/bin/python bench/planner/bench_scale.py [--sizes 500 2000] [--demand 10000] [--time-limit 300]
                                                  [--wall 660] [--seed 7]

The city: a 40 × 40 km area in Japan (around 36.0 N, 136.4 E) with 8 town centres of different sizes; demand points
and venues cluster around them (85% and 80%), the rest spread evenly; 6 permanent application points (a city hall at
the main centre, branch offices at the next five); venue kinds, opening days and hours mixed as in real facility
lists (shops open every day 10–20, community halls on weekdays, libraries closed on Mondays, ...), with a few
blackout dates, some caps and a few venues whose hours are too short for a booth.

"Time to 1% gap" is the first progress report (an improving solution of the counts or full stage) whose incumbent is
within 1% of the bound. The counts stage's incumbent is the relaxation's reach; it is the plan's reach when the dates
stage then places those counts (the result's method says so), which is how the solver proves optimality.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import math
import os
import random
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CENTRE = (36.00, 136.40)
KM_PER_DEG_LAT = 111.0


def km_per_deg_lon(lat: float) -> float:
    return 111.32 * math.cos(math.radians(lat))


KINDS = [("community_hall", 0.45), ("rental_hall", 0.25), ("welfare", 0.17), ("library", 0.07), ("commercial", 0.06)]
HOURS = {
    "commercial": [
        ("月火水木金土日祝", "10:00", "20:00"),
        ("月火水木金土日祝", "09:00", "21:00"),
        ("月火水木金土日", "10:00", "19:00"),
    ],
    "community_hall": [
        ("月火水木金", "09:00", "17:00"),
        ("月火水木金土", "09:00", "21:00"),
        ("月火水木金", "08:30", "17:15"),
        ("日月火水木金土", "09:00", "22:00"),
    ],
    "library": [("火水木金土日", "09:30", "19:00"), ("火水木金土日祝", "10:00", "18:00")],
    "welfare": [("月火水木金土", "08:30", "17:15"), ("月火水木金", "09:00", "16:30")],
    "rental_hall": [
        ("月火水木金土日祝", "09:00", "22:00"),
        ("火水木金土日", "09:00", "21:00"),
        ("月火水木金土日", "09:00", "17:00"),
    ],
}


def synthetic_city(venues: int, demand: int, seed: int, start: dt.date, end: dt.date, time_limit: float = 300.0):
    """A random but realistic PlanInput: clustered venues and demand, mixed kinds, days and hours."""
    from planner.model import ApplicationPoint, Candidate, DemandPoint, Parameters, PlanInput

    rng = random.Random(seed)
    lon_km = km_per_deg_lon(CENTRE[0])

    def at(x_km: float, y_km: float) -> tuple[float, float]:  # (0, 0) is the area's south-west corner
        return CENTRE[0] + (y_km - 20) / KM_PER_DEG_LAT, CENTRE[1] + (x_km - 20) / lon_km

    def inside(value: float) -> float:
        return min(40.0, max(0.0, value))

    towns = [(rng.uniform(6, 34), rng.uniform(6, 34), size) for size in (5.0, 2.5, 2.0, 1.5, 1.2, 1.0, 0.8, 0.6)]
    weights = [size for _x, _y, size in towns]

    def clustered(share: float, spread: float) -> tuple[float, float]:
        if rng.random() < share:
            x, y, size = rng.choices(towns, weights)[0]
            sd = spread * math.sqrt(size)
            return at(inside(rng.gauss(x, sd)), inside(rng.gauss(y, sd)))
        return at(rng.uniform(0, 40), rng.uniform(0, 40))

    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    candidates = []
    for i in range(venues):
        kind = rng.choices([k for k, _w in KINDS], [w for _k, w in KINDS])[0]
        open_days, opens, closes = rng.choice(HOURS[kind])
        if rng.random() < 0.03:
            opens, closes = "13:00", "16:00"  # too short for a booth
        lat, lon = clustered(0.80, 1.6)
        candidates.append(
            Candidate(
                venue_id=f"S{i:05d}",
                name=f"会場{i}",
                kind=kind,
                lat=round(lat, 6),
                lon=round(lon, 6),
                open_days=open_days,
                open_from=opens,
                open_until=closes,
                blackout=frozenset(rng.sample(days, rng.randint(0, 5))),
                cap=rng.randint(2, 4) if rng.random() < 0.10 else None,
            )
        )
    offices = [ApplicationPoint("HALL", "市役所", *at(towns[0][0], towns[0][1]))]
    offices += [
        ApplicationPoint(f"BR{i}", f"支所{i}", *at(x + 0.5, y + 0.5))
        for i, (x, y, _s) in enumerate(towns[1:6], start=1)
    ]
    points = [DemandPoint(*(round(v, 6) for v in clustered(0.85, 1.8)), 1.0, f"町{i}") for i in range(demand)]
    parameters = Parameters(start=start, end=end, time_limit_seconds=time_limit)
    return PlanInput(tuple(candidates), tuple(offices), tuple(points), parameters)


class StackSampler(threading.Thread):
    """Where the main thread is, every ``interval`` seconds: the innermost frame in planner/ (the function the
    solver is in), so a long run can be attributed to preparation, model building or HiGHS."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.main_id = threading.main_thread().ident
        self.samples: collections.Counter[str] = collections.Counter()
        self.timeline: list[tuple[float, str]] = []
        self.began = time.perf_counter()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            frame = sys._current_frames().get(self.main_id)
            chain = []
            while frame is not None and len(chain) < 3:
                path = frame.f_code.co_filename
                if "/planner/" in path and "/bench/" not in path:
                    chain.append(f"{Path(path).stem}.{frame.f_code.co_name}:{frame.f_lineno}")
                frame = frame.f_back
            where = " < ".join(chain) or "other"
            self.samples[where] += 1
            if not self.timeline or self.timeline[-1][1] != where:
                self.timeline.append((round(time.perf_counter() - self.began, 1), where))


def emit(kind: str, **data) -> None:
    print(json.dumps({"kind": kind, **data}, ensure_ascii=False), flush=True)


def child(venues: int, demand: int, seed: int, time_limit: float) -> None:
    from planner.instance import prepare
    from planner.milp import Progress
    from planner.solve import solve

    began = time.perf_counter()
    plan_input = synthetic_city(venues, demand, seed, dt.date(2027, 4, 1), dt.date(2028, 3, 31), time_limit)
    emit("generated", seconds=round(time.perf_counter() - began, 2))

    began = time.perf_counter()
    instance = prepare(plan_input)
    usable = len(instance.venues)
    groups = len(instance.groups)
    reached = sum(1 for r in instance.reached_by if r)
    mean_reach = sum(len(r) for r in instance.reached_by) / max(1, len(instance.reached_by))
    group_nonzeros = sum(len(g.venues) for g in instance.groups)
    venue_dates = sum(len(v.dates) for v in instance.venues)
    emit(
        "prepared",
        seconds=round(time.perf_counter() - began, 2),
        usable_venues=usable,
        groups=groups,
        reached_points=reached,
        venues_per_point=round(mean_reach, 1),
        group_venue_pairs=group_nonzeros,
        venue_dates=venue_dates,
        rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    del instance

    sampler = StackSampler()
    sampler.start()
    solve_began = time.perf_counter()
    first_1pct: dict[str, float] | None = None

    def on_progress(progress: Progress) -> None:
        nonlocal first_1pct
        now = time.perf_counter() - solve_began
        incumbent, bound = progress.incumbent, progress.bound
        gap = None
        if incumbent is not None and bound is not None and math.isfinite(bound) and incumbent > 0:
            gap = max(0.0, (bound - incumbent) / incumbent)
        emit(
            "progress",
            seconds=round(now, 2),
            stage=progress.stage,
            incumbent=incumbent,
            bound=bound if bound is not None and math.isfinite(bound) else None,
            gap=gap,
            rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        )
        if first_1pct is None and gap is not None and gap <= 0.01:
            first_1pct = {"seconds": round(now, 2), "stage": progress.stage, "gap": gap}

    result = solve(plan_input, on_progress=on_progress)
    seconds = time.perf_counter() - solve_began
    sampler.stopped.set()
    emit(
        "result",
        seconds=round(seconds, 2),
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        sessions=len(result.sessions),
        method=result.method,
        shortages=len(result.shortages),
        first_1pct=first_1pct,
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        where=sampler.samples.most_common(8),
        timeline=sampler.timeline[:40],
    )


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_size(venues: int, demand: int, seed: int, time_limit: float, wall: float) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--venues",
        str(venues),
        "--demand",
        str(demand),
        "--seed",
        str(seed),
        "--time-limit",
        str(time_limit),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    events: list[dict] = []
    errors: collections.deque[str] = collections.deque(maxlen=30)
    peak = 0.0
    lock = threading.Lock()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.strip()
            if line.startswith("{"):
                event = json.loads(line)
                with lock:
                    events.append(event)
                if event["kind"] != "progress" or len(events) % 10 == 0:
                    print(f"    [{venues}] {short(event)}", flush=True)

    def read_errors() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            errors.append(line.rstrip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    threading.Thread(target=read_errors, daemon=True).start()
    began = time.perf_counter()
    stopped = False
    while process.poll() is None:
        peak = max(peak, peak_rss_mb(process.pid) or 0.0)
        if time.perf_counter() - began > wall:
            process.kill()  # the child this function started, by its own handle
            stopped = True
            break
        time.sleep(0.5)
    process.wait()
    reader.join(timeout=5)
    return {
        "venues": venues,
        "wall_seconds": round(time.perf_counter() - began, 1),
        "stopped": stopped,
        "sampled_peak_rss_mb": round(peak),
        "events": events,
        "returncode": process.returncode,
        "stderr": list(errors),
    }


def short(event: dict) -> str:
    data = {k: v for k, v in event.items() if k not in ("timeline", "where")}
    return json.dumps(data, ensure_ascii=False)


def report(outcome: dict) -> None:
    events = outcome["events"]
    venues = outcome["venues"]
    by_kind = collections.defaultdict(list)
    for event in events:
        by_kind[event["kind"]].append(event)
    print(f"\n== {venues} candidate venues ==")
    for kind in ("generated", "prepared"):
        for event in by_kind.get(kind, []):
            print(f"  {kind}: {short(event)}")
    progress = by_kind.get("progress", [])
    stages: dict[str, list[dict]] = collections.defaultdict(list)
    for event in progress:
        stages[event["stage"]].append(event)
    for stage, items in stages.items():
        print(f"  stage {stage}: {len(items)} progress reports (improving solutions)")
        for item in items[:12]:
            bound = f"{item['bound']:.2f}" if item["bound"] is not None else "-"
            gap = f"{item['gap']:.3%}" if item["gap"] is not None else "-"
            print(
                f"    {item['seconds']:8.2f} s  incumbent {item['incumbent']:.2f}  bound {bound}  gap {gap}  "
                f"rss {item['rss_mb']} MB"
            )
    if by_kind.get("result"):
        result = by_kind["result"][0]
        first = result["first_1pct"]
        print(
            f"  result: {result['status']} in {result['seconds']} s, reach {result['objective']:.2f}, bound "
            f"{result['bound']:.2f}, gap {result['gap']:.3%}, {result['sessions']} sessions, method "
            f"{result['method']}, {result['shortages']} shortages"
        )
        if first:
            print(f"  time to 1% gap: {first['seconds']} s ({first['stage']} stage)")
        elif result["gap"] <= 0.01:
            print(
                f"  time to 1% gap: at most {result['seconds']} s (the gap closed below 1% through the bound, "
                "which progress reports only with an improving solution)"
            )
        else:
            print(f"  time to 1% gap: not reached in {result['seconds']} s")
        print(f"  peak memory: {result['peak_rss_mb']} MB (ru_maxrss)")
        print("  where the time went (samples every 0.5 s):")
        for where, count in result["where"]:
            print(f"    {count * 0.5:7.1f} s  {where}")
    else:
        how = "stopped" if outcome["stopped"] else f"exited with {outcome['returncode']}"
        print(
            f"  {how} after {outcome['wall_seconds']} s without a result; peak memory "
            f"{outcome['sampled_peak_rss_mb']} MB (VmHWM)"
        )
        for line in outcome["stderr"][-12:]:
            print(f"    stderr: {line}")
        if progress:
            last = progress[-1]
            print(f"  last progress: {short(last)}")
    print(
        f"  wall time (with generation and a separate prepare): {outcome['wall_seconds']} s, sampled peak "
        f"{outcome['sampled_peak_rss_mb']} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--demand", type=int, default=10_000)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--wall", type=float, default=660.0, help="stop a size after this many seconds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--venues", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.setdefault("PYTHONHASHSEED", "0")
        child(args.venues, args.demand, args.seed, args.time_limit)
        return
    for size in args.sizes:
        print(f"-- {size} venues, {args.demand} demand points, time limit {args.time_limit:g} s", flush=True)
        report(run_size(size, args.demand, args.seed, args.time_limit, args.wall))


if __name__ == "__main__":
    main()
