"""Backtest of the counter's waiting-time estimator (counter/estimate.py) on simulated counter days, and of the
staffing plan (counter/staffing.py) against the same simulation.

A counter day (9:00–17:45) of a month of Kanazawa's 2024 counter statistics (data/kanazawa/window_stats_2024.csv):
the month's card pickups, e-certificates and applications over its weekdays give a day's arrivals per service,
spread over the hours by counter.staffing.HOURLY_SHAPE as a time-varying Poisson process; service times are
lognormal around each service's minutes (coefficient of variation 0.5, not the exponential the QL formula
assumes); each service has its own windows, the contract's 5 split by load. ``ciw`` (a discrete-event simulation
library) runs the day. At every arrival the script rebuilds what counter.status would see then (tickets waiting,
windows called from in the last 30 minutes, the recent service times, the head of the line's wait, the services
begun in the last 30 minutes), asks the estimator, and compares with the wait the ticket then had.

    .venv/bin/python bench/counter/backtest.py [--months 2024-01,2024-06,2024-09] [--days 20] [--seed 1]
        [--exact-plan | --plan-error 0.8,1.3]
    .venv/bin/python bench/counter/backtest.py --staffing 2024-09 [--target 20]

Printed: per month and overall, the mean absolute error (MAE), the median and the 90th percentile of the absolute
error in minutes and the bias (mean signed error), of the estimator and of its parts, and of naive estimates: a
constant (the month's mean realised wait, the best single number a sign could show) and the queue length times
the planned minutes per person over the planned windows, or over the windows called from (no learning, no delay
history). Twice: at each ticket's issue (the wait for a new arrival, ``/offices``), and at each call for every
ticket still waiting, with its place in the queue (``ahead``: the remaining wait a ticket's page shows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ciw

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from booking.counter_stats import CounterStat, read_counter_stats  # noqa: E402
from counter.estimate import (  # noqa: E402
    WINDOW_MINUTES,
    QueueState,
    estimate_wait_minutes,
    head_of_line_minutes,
    queue_length_minutes,
)
from counter.staffing import (  # noqa: E402
    CONTRACT_WINDOWS,
    ServiceForecast,
    daily_arrivals,
    expected_wait_minutes,
    hour_periods,
    hourly_arrivals,
    plan_staffing,
)

STATS = ROOT / "data" / "kanazawa" / "window_stats_2024.csv"
OPENS, CLOSES = dt.time(9, 0), dt.time(17, 45)
DAY_MINUTES = 525.0
SERVICE_CV = 0.5
MINUTES = {"pickup": 10.0, "certificate": 7.0, "application": 12.0}
"""Assumed minutes per person: handing over a card with its PINs set, issuing or renewing an e-certificate, taking
an application with its photo. The simulation draws around them; the estimator is told them as the plan."""


@dataclass(frozen=True)
class Visit:
    """One simulated ticket: arrival, call and finish (minutes after opening) and the window that called it."""

    arrival: float
    start: float
    end: float
    window: int


def allocate_windows(loads: dict[str, float], total: int = CONTRACT_WINDOWS) -> dict[str, int]:
    """The contract's windows split by offered load (largest remainder), at least one each."""
    kinds = list(loads)
    windows = dict.fromkeys(kinds, 1)
    for _ in range(total - len(kinds)):
        busiest = max(kinds, key=lambda k: loads[k] / windows[k])
        windows[busiest] += 1
    return windows


def lognormal(mean: float, cv: float) -> ciw.dists.Distribution:
    import math

    sigma2 = math.log(1 + cv * cv)
    return ciw.dists.Lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def simulate_service(
    per_period: Sequence[float],
    minutes: float,
    schedule: Sequence[int] | int,
    seed: int,
    period_minutes: Sequence[float] | None = None,
) -> list[Visit]:
    """One service's day in ciw: Poisson arrivals at the periods' rates until closing, every ticket served (the
    windows finish the queue after closing)."""
    periods = hour_periods(OPENS, CLOSES)
    lengths = list(period_minutes or [p.minutes for p in periods])
    ends, t = [], 0.0
    for length in lengths:
        t += length
        ends.append(t)
    rates = [n / length for n, length in zip(per_period, lengths)]
    if isinstance(schedule, int):
        servers: int | ciw.Schedule = schedule
    else:
        # Windows per period, then the last period's windows until the queue is empty.
        servers = ciw.Schedule(numbers_of_servers=[*schedule, schedule[-1]], shift_end_dates=[*ends, 10_000.0])
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.PoissonIntervals(rates, ends, DAY_MINUTES)],
        service_distributions=[lognormal(minutes, SERVICE_CV)],
        number_of_servers=[servers],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(2_000.0)
    records = simulation.get_all_records()
    # ciw numbers the servers of each new shift anew; a counter's windows keep their numbers all day.
    most = schedule if isinstance(schedule, int) else max(schedule)
    visits = [
        Visit(r.arrival_date, r.service_start_date, r.service_end_date, (r.server_id - 1) % most + 1) for r in records
    ]
    return sorted(visits, key=lambda v: v.arrival)


def state_at(visits: Sequence[Visit], t: float, minutes: float, windows: int, leave_out: int = -1) -> QueueState:
    """What counter.status would see at minute ``t`` (ticket ``leave_out``, being issued, not yet counted)."""
    waiting = [v for j, v in enumerate(visits) if j != leave_out and v.arrival <= t < v.start]
    finished = sorted((v for v in visits if v.end <= t), key=lambda v: v.end)
    recent = [v for v in visits if t - WINDOW_MINUTES < v.start <= t]
    return QueueState(
        waiting=len(waiting),
        windows=len({v.window for v in recent}) or windows,
        service_minutes=[v.end - v.start for v in finished],
        planned_minutes=minutes,
        head_wait_minutes=(t - min(v.arrival for v in waiting)) if waiting else None,
        recent_starts=len(recent),
    )


Estimator = Callable[[QueueState, int | None], float]


def estimators(planned_windows: int) -> dict[str, Estimator]:
    def hol(state: QueueState, ahead: int | None) -> float:
        value = head_of_line_minutes(state, ahead)
        return queue_length_minutes(state, ahead) if value is None else value

    def naive_queue(state: QueueState, ahead: int | None) -> float:
        return (state.waiting if ahead is None else ahead) * state.planned_minutes / planned_windows

    def naive_called(state: QueueState, ahead: int | None) -> float:
        return (state.waiting if ahead is None else ahead) * state.planned_minutes / max(state.windows, 1)

    return {
        "estimator (QL+HOL+throughput)": estimate_wait_minutes,
        "QL, learned minutes": queue_length_minutes,
        "HOL alone (QL when no history)": hol,
        "naive: waiting x planned / windows": naive_queue,
        "naive: waiting x planned / called": naive_called,
    }


def summary(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean, median and 90th percentile."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return statistics.fmean(ordered), statistics.median(ordered), p90


def error_row(name: str, signed: Sequence[float]) -> str:
    mae, median, p90 = summary([abs(e) for e in signed])
    return f"  {name:40} {mae:7.1f} {median:7.1f} {p90:7.1f} {statistics.fmean(signed):+7.1f}"


def backtest_month(
    stat: CounterStat, days: int, seed: int, realistic: bool, plan_error: tuple[float, float] = (0.8, 1.3)
) -> tuple[dict[str, list[float]], list[float], dict]:
    """Absolute errors per estimator over ``days`` simulated days of the month, the realised waits, and facts.
    ``realistic``: the planned minutes are off by a factor of the day (``plan_error``, 0.8–1.3 by default: new staff,
    a system slow that day)
    and a window of each service that has two or more closes for lunch (12:00–13:00); else the plan is exact."""
    day = dt.date.fromisoformat(f"{stat.month}-01")
    periods = hour_periods(OPENS, CLOSES)
    per_day = {kind: daily_arrivals(kind, stat, day) for kind in MINUTES}
    windows = allocate_windows({k: per_day[k] * MINUTES[k] for k in MINUTES})
    errors: dict[str, list[float]] = {}  # signed: prediction - realised
    predictions: list[tuple[str, float, float]] = []  # (estimator, prediction, realised)
    realised: list[float] = []
    in_queue: list[tuple[str, float, float]] = []  # (estimator, prediction, remaining wait) of waiting tickets
    remainders: list[float] = []
    rng = random.Random(seed)
    for d in range(days):
        for s, kind in enumerate(MINUTES):
            true_minutes = MINUTES[kind] * (rng.uniform(*plan_error) if realistic else 1.0)
            schedule: list[int] | int = windows[kind]
            if realistic and windows[kind] >= 2:
                schedule = [windows[kind] - (p.start.hour == 12) for p in periods]
            visits = simulate_service(
                hourly_arrivals(per_day[kind], periods), true_minutes, schedule, seed * 1000 + d * 10 + s
            )
            table = estimators(windows[kind])
            for i, visit in enumerate(visits):
                state = state_at(visits, visit.arrival, MINUTES[kind], windows[kind], leave_out=i)
                wait = visit.start - visit.arrival
                realised.append(wait)
                for name, estimate in table.items():
                    predictions.append((name, estimate(state, None), wait))
            # A ticket's page: at each call, every ticket still waiting, with its place in the queue.
            for called in visits:
                t = called.start
                queue = [v for v in visits if v.arrival <= t < v.start]
                if not queue:
                    continue
                state = state_at(visits, t, MINUTES[kind], windows[kind])
                for ahead, ticket in enumerate(queue):
                    remaining = ticket.start - t
                    remainders.append(remaining)
                    for name, estimate in table.items():
                        in_queue.append((name, estimate(state, ahead), remaining))
    constant = statistics.fmean(realised)
    for name, predicted, wait in predictions:
        errors.setdefault(name, []).append(predicted - wait)
    errors["naive: constant (month's mean wait)"] = [constant - w for w in realised]
    ticket_errors: dict[str, list[float]] = {}
    for name, predicted, remaining in in_queue:
        ticket_errors.setdefault(name, []).append(predicted - remaining)
    facts = {"per_day": per_day, "windows": windows, "tickets": ticket_errors, "remaining": remainders}
    return errors, realised, facts


def run_backtest(
    months: Sequence[str], days: int, seed: int, realistic: bool, plan_error: tuple[float, float] = (0.8, 1.3)
) -> None:
    stats = read_counter_stats(STATS)
    overall: dict[str, list[float]] = {}
    overall_tickets: dict[str, list[float]] = {}
    waits: list[float] = []
    remainders: list[float] = []
    print(
        "scenario: "
        + (
            f"planned minutes off by a day's factor {plan_error[0]:g}-{plan_error[1]:g},"
            " one window per service closed 12:00-13:00"
            if realistic
            else "planned minutes exact, every window open all day"
        )
    )
    for month in months:
        errors, realised, facts = backtest_month(stats[month], days, seed, realistic, plan_error)
        arrivals = ", ".join(f"{k} {v:.0f}/day on {facts['windows'][k]} windows" for k, v in facts["per_day"].items())
        print(f"\n{month}: {arrivals}; {len(realised)} tickets in {days} days")
        print(
            f"  realised wait: mean {statistics.fmean(realised):.1f} min, median {statistics.median(realised):.1f},"
            f" p90 {summary(realised)[2]:.1f}"
        )
        print(f"  {'estimate':40} {'MAE':>7} {'median':>7} {'p90':>7} {'bias':>7}  (absolute error; bias: mean signed)")
        for name, values in errors.items():
            print(error_row(name, values))
            overall.setdefault(name, []).extend(values)
        waits.extend(realised)
        remaining = facts["remaining"]
        print(
            f"  tickets in the queue at each call (a ticket's page): {len(remaining)} looks,"
            f" mean remaining wait {statistics.fmean(remaining):.1f} min"
        )
        for name, values in facts["tickets"].items():
            print(error_row(name, values))
            overall_tickets.setdefault(name, []).extend(values)
        remainders.extend(remaining)
    print(f"\nall months, at issue: {len(waits)} tickets, mean realised wait {statistics.fmean(waits):.1f} min")
    for name, values in overall.items():
        print(error_row(name, values))
    print(
        f"all months, tickets in the queue: {len(remainders)} looks,"
        f" mean remaining wait {statistics.fmean(remainders):.1f} min"
    )
    for name, values in overall_tickets.items():
        print(error_row(name, values))


def run_staffing(month: str, target: float, days: int, seed: int) -> None:
    """The staffing plan of a day of the month, and the waits the simulation gives with those windows per hour
    (and with the contract's windows split by load)."""
    stat = read_counter_stats(STATS)[month]
    day = dt.date.fromisoformat(f"{month}-01")
    periods = hour_periods(OPENS, CLOSES)
    forecasts = [
        ServiceForecast(kind, MINUTES[kind], tuple(hourly_arrivals(daily_arrivals(kind, stat, day), periods)))
        for kind in MINUTES
    ]
    plan = plan_staffing(day, periods, forecasts, target)
    print(f"{month}: windows needed for an expected wait under {target:.0f} min (Erlang C, hour by hour)")
    print("  " + " ".join(f"{p.start:%H}h" for p in periods))
    for forecast, row in zip(forecasts, plan.windows):
        print(f"  {' '.join(f'{w:3d}' for w in row)}  {forecast.kind}")
    print(f"  {' '.join(f'{w:3d}' for w in plan.totals)}  total (contract: {plan.contract_windows})")
    per_day = {f.kind: sum(f.arrivals) for f in forecasts}
    contract = allocate_windows({k: per_day[k] * MINUTES[k] for k in MINUTES})
    for label, schedule_of in (
        ("the plan", lambda s: list(plan.windows[s])),
        (f"the contract's {CONTRACT_WINDOWS} windows", lambda s: contract[forecasts[s].kind]),
    ):
        print(f"  simulated with {label} ({days} days): mean wait per hour (Erlang C's prediction for the plan)")
        for s, forecast in enumerate(forecasts):
            by_hour: dict[int, list[float]] = {}
            for d in range(days):
                visits = simulate_service(forecast.arrivals, forecast.minutes, schedule_of(s), seed * 1000 + d * 10 + s)
                for v in visits:
                    by_hour.setdefault(int(v.arrival // 60), []).append(v.start - v.arrival)
            cells = []
            for h, p in enumerate(periods):
                sim = statistics.fmean(by_hour[h]) if by_hour.get(h) else 0.0
                rate = forecast.arrivals[h] / p.minutes
                model = expected_wait_minutes(rate, forecast.minutes, plan.windows[s][h])
                cells.append(f"{sim:5.1f}({model:4.1f})" if label == "the plan" else f"{sim:6.1f}")
            print(f"    {forecast.kind:12} " + " ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", default="2024-01,2024-06,2024-09")
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--exact-plan", action="store_true", help="the planned minutes are the true ones, no breaks")
    parser.add_argument(
        "--plan-error",
        default="0.8,1.3",
        help="LOW,HIGH: the true minutes are the planned times a factor in this range",
    )
    parser.add_argument("--staffing", metavar="YYYY-MM", help="print the staffing plan of a month and simulate it")
    parser.add_argument("--target", type=float, default=20.0, help="target expected wait in minutes (--staffing)")
    args = parser.parse_args()
    if args.staffing:
        run_staffing(args.staffing, args.target, args.days, args.seed)
    else:
        low, high = (float(x) for x in args.plan_error.split(","))
        run_backtest(args.months.split(","), args.days, args.seed, not args.exact_plan, (low, high))


if __name__ == "__main__":
    main()
