"""The waiting-time estimator against queues whose answers are known: M/M/c (Erlang C) and M/D/1 (Pollaczek–
Khinchine) simulated with ciw, deterministic windows, and properties every estimate must keep."""

from __future__ import annotations

import bisect
import math
import statistics
from dataclasses import dataclass

import ciw
from hypothesis import given, settings
from hypothesis import strategies as st

from counter.estimate import (
    PRIOR_CV2,
    PRIOR_WEIGHT,
    RECENT_SERVICES,
    WINDOW_MINUTES,
    QueueState,
    estimate_wait_minutes,
    learned_service_minutes,
    queue_length_minutes,
    residual_share,
)
from counter.staffing import expected_wait_minutes


@dataclass(frozen=True)
class Arrival:
    state: QueueState
    waited: float  # the wait the ticket then had (issued -> called)


def simulate(arrival_rate: float, service: ciw.dists.Distribution, windows: int, customers: int, seed: int):
    """A FIFO queue with Poisson arrivals at ``windows`` windows in ciw; at each arrival after a warm-up, what the
    counter would know then and the wait the ticket had."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(arrival_rate)],
        service_distributions=[service],
        number_of_servers=[windows],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(customers, method="Finish")
    records = sorted(simulation.get_all_records(), key=lambda r: r.arrival_date)
    arrivals = [r.arrival_date for r in records]
    starts = [r.service_start_date for r in records]  # FIFO: in the order of arrival
    by_end = sorted(records, key=lambda r: r.service_end_date)
    ends = [r.service_end_date for r in by_end]
    sorted_starts = sorted(starts)
    out = []
    for i, record in enumerate(records[customers // 10 :], start=customers // 10):
        t = record.arrival_date
        first_waiting = bisect.bisect_right(starts, t, hi=i)  # tickets before i not yet called at t
        finished = by_end[max(0, bisect.bisect_right(ends, t) - 20) : bisect.bisect_right(ends, t)]
        recent = bisect.bisect_right(sorted_starts, t) - bisect.bisect_right(sorted_starts, t - WINDOW_MINUTES)
        state = QueueState(
            waiting=i - first_waiting,
            windows=windows,
            service_minutes=[r.service_end_date - r.service_start_date for r in finished],
            planned_minutes=service_mean(service),
            head_wait_minutes=t - arrivals[first_waiting] if first_waiting < i else None,
            recent_starts=recent,
        )
        out.append(Arrival(state, record.service_start_date - t))
    return out


def service_mean(service: ciw.dists.Distribution) -> float:
    return 1 / service.rate if isinstance(service, ciw.dists.Exponential) else service.value


def test_on_an_m_m_c_queue_the_estimates_average_to_erlang_cs_expected_wait():
    # 3 windows, 10 minutes a person, 85 % busy: Erlang C says a ticket waits 16.2 minutes on average
    # (by hand: C = 18.42 / (6.80 + 18.42) = 0.730, W = 0.730 · 10 / 0.45).
    rate, minutes, windows = 0.255, 10.0, 3
    known = expected_wait_minutes(rate, minutes, windows)
    assert 16.1 < known < 16.3
    arrivals = simulate(rate, ciw.dists.Exponential(1 / minutes), windows, 20_000, seed=7)
    realised = statistics.fmean(a.waited for a in arrivals)
    estimated = statistics.fmean(estimate_wait_minutes(a.state) for a in arrivals)
    assert abs(realised - known) / known < 0.2  # the simulation is the queue Erlang C describes (±15 % by seed)
    assert abs(estimated - realised) / realised < 0.08  # and the estimates are right on average
    # ... and for each ticket far better than announcing the average to everyone.
    mae = statistics.fmean(abs(estimate_wait_minutes(a.state) - a.waited) for a in arrivals)
    constant = statistics.fmean(abs(known - a.waited) for a in arrivals)
    assert mae < 0.6 * constant


def test_on_an_m_m_c_queue_a_ticket_with_n_ahead_waits_what_the_estimate_says():
    rate, minutes, windows = 0.255, 10.0, 3
    arrivals = simulate(rate, ciw.dists.Exponential(1 / minutes), windows, 20_000, seed=11)
    for low, high in ((1, 3), (4, 7), (8, 14)):
        group = [a for a in arrivals if low <= a.state.waiting <= high]
        assert len(group) > 300
        realised = statistics.fmean(a.waited for a in group)
        # Exact for M/M/c: (n + 1) services at 3 windows' pace of 10 minutes each.
        exact = statistics.fmean((a.state.waiting + 1) * minutes / windows for a in group)
        estimated = statistics.fmean(estimate_wait_minutes(a.state) for a in group)
        assert abs(realised - exact) / exact < 0.1
        assert abs(estimated - exact) / exact < 0.1


def test_on_an_m_d_1_queue_the_estimates_average_to_pollaczek_khinchine():
    # One window, exactly 10 minutes a person, 80 % busy: W = ρ·m / (2(1 − ρ)) = 20 minutes.
    arrivals = simulate(0.08, ciw.dists.Deterministic(10.0), 1, 20_000, seed=3)
    realised = statistics.fmean(a.waited for a in arrivals)
    estimated = statistics.fmean(estimate_wait_minutes(a.state) for a in arrivals)
    assert abs(realised - 20.0) / 20.0 < 0.2
    assert abs(estimated - realised) / realised < 0.1


def test_deterministic_windows_a_ticket_waits_for_those_ahead_over_the_windows():
    # Two windows, every service exactly 8 minutes, learned from a whole morning: the known answer for a ticket
    # with k ahead, the windows' phases unknown, is (k + 1/2) · 8 / 2; the estimate is within a minute of it.
    for ahead in range(0, 30):
        state = QueueState(waiting=30, windows=2, service_minutes=[8.0] * 200, planned_minutes=8.0)
        assert abs(estimate_wait_minutes(state, ahead=ahead) - (ahead + 0.5) * 4.0) < 1.0


def test_nobody_waiting_is_no_wait_and_the_ticket_at_the_head_waits_for_one_window():
    empty = QueueState(waiting=0, windows=2, service_minutes=[], planned_minutes=10.0)
    assert estimate_wait_minutes(empty) == 0.0
    busy = QueueState(waiting=5, windows=2, service_minutes=[], planned_minutes=10.0)
    assert 0 < estimate_wait_minutes(busy, ahead=0) <= 5.0  # the next of the two windows to finish


def test_the_planned_minutes_answer_until_services_are_timed_then_the_timed_ones_take_over():
    assert learned_service_minutes([], 10.0) == 10.0
    # Half way after as many services as the plan is worth, three quarters of the way after a busy morning.
    assert learned_service_minutes([4.0] * int(PRIOR_WEIGHT), 10.0) == 7.0
    assert learned_service_minutes([4.0] * 500, 10.0) == 4.0 + 6.0 * PRIOR_WEIGHT / (RECENT_SERVICES + PRIOR_WEIGHT)
    assert learned_service_minutes([4.0] * 500, 10.0) < 6.0


def test_only_the_latest_service_times_count_and_a_forgotten_finish_button_is_clipped():
    old_then_new = [14.0] * 50 + [5.0] * RECENT_SERVICES
    assert learned_service_minutes(old_then_new, 5.0) == 5.0
    forgotten = [5.0] * 19 + [600.0]  # a window left a ticket "called" over lunch
    assert learned_service_minutes(forgotten, 5.0) < 6.0


def test_a_window_slower_than_planned_shows_in_the_estimate():
    planned = QueueState(waiting=10, windows=2, service_minutes=[10.0] * 20, planned_minutes=10.0)
    slow = QueueState(waiting=10, windows=2, service_minutes=[20.0] * 20, planned_minutes=10.0)
    assert estimate_wait_minutes(slow) > 1.4 * estimate_wait_minutes(planned)


def test_a_queue_that_moves_slower_than_its_windows_say_is_believed():
    # The tables say 4 windows of 10 minutes (12 calls in half an hour), but in the last half hour, with the queue
    # never empty, only 3 tickets were called (three windows closed for a meeting): what the windows did, not the
    # tables, sets the pace.
    tables = QueueState(waiting=12, windows=4, service_minutes=[10.0] * 20, planned_minutes=10.0)
    stalled = QueueState(
        waiting=12,
        windows=4,
        service_minutes=[10.0] * 20,
        planned_minutes=10.0,
        head_wait_minutes=45.0,
        recent_starts=3,
    )
    assert estimate_wait_minutes(stalled) > 1.5 * estimate_wait_minutes(tables)
    # A half hour at the tables' pace changes little.
    steady = QueueState(**{**stalled.__dict__, "recent_starts": 12})
    assert abs(estimate_wait_minutes(steady) - estimate_wait_minutes(tables)) < 0.25 * estimate_wait_minutes(tables)


def test_residual_share_is_about_half_for_fixed_times_and_about_one_for_exponential_ones():
    assert residual_share([], 10.0) == (1 + PRIOR_CV2) / 2
    fixed = residual_share([10.0] * 2000, 10.0)
    assert 0.5 <= fixed < 0.6  # shrunk a little towards the prior
    exponential = ciw.dists.Exponential(0.1)
    ciw.seed(1)
    drawn = residual_share([exponential.sample() for _ in range(2000)], 10.0)
    assert 0.75 < drawn <= 1.1
    assert drawn > fixed + 0.2


queue_states = st.builds(
    QueueState,
    waiting=st.integers(0, 200),
    windows=st.integers(1, 10),
    service_minutes=st.lists(st.floats(0, 120, allow_nan=False), max_size=40),
    planned_minutes=st.floats(0.5, 60),
    head_wait_minutes=st.one_of(st.none(), st.floats(0, 300, allow_nan=False)),
    recent_starts=st.integers(0, 60),
)


@given(queue_states, st.integers(0, 200))
@settings(max_examples=300, deadline=None)
def test_an_estimate_is_a_finite_number_of_minutes_and_more_ahead_never_waits_less(state, ahead):
    here = estimate_wait_minutes(state, ahead=ahead)
    assert math.isfinite(here) and here >= 0
    assert estimate_wait_minutes(state, ahead=ahead + 1) >= here


@given(queue_states, st.integers(0, 200))
@settings(max_examples=300, deadline=None)
def test_more_windows_never_lengthen_the_estimate_until_the_windows_own_pace_says_otherwise(state, ahead):
    more = QueueState(**{**state.__dict__, "windows": state.windows + 1})
    assert queue_length_minutes(more, ahead=ahead) <= queue_length_minutes(state, ahead=ahead)
    if state.head_wait_minutes is None or state.head_wait_minutes < WINDOW_MINUTES:
        # (A busy half hour's calls may overrule the windows counted: that is the point of the throughput.)
        assert estimate_wait_minutes(more, ahead=ahead) <= estimate_wait_minutes(state, ahead=ahead) + 1e-9
