"""The waiting-time estimate: recent service times over the windows, the planned minutes until any is known."""

from __future__ import annotations

from counter.estimate import QueueState, estimate_wait_minutes


def test_a_new_arrival_waits_for_everyone_ahead_shared_by_the_windows():
    state = QueueState(waiting=9, windows=2, service_minutes=[4.0, 6.0], planned_minutes=10.0)
    assert estimate_wait_minutes(state) == 25.0  # (9 + 1) / 2 windows × 5 minutes


def test_the_planned_minutes_answer_until_a_service_is_timed():
    state = QueueState(waiting=2, windows=1, service_minutes=[], planned_minutes=8.0)
    assert estimate_wait_minutes(state) == 24.0


def test_a_ticket_waits_only_for_those_ahead_of_it():
    state = QueueState(waiting=10, windows=1, service_minutes=[3.0], planned_minutes=10.0)
    assert estimate_wait_minutes(state, ahead=0) == 3.0
    assert estimate_wait_minutes(state, ahead=4) == 15.0


def test_the_time_already_waited_does_not_lengthen_the_estimate():
    fresh = QueueState(waiting=3, windows=1, service_minutes=[5.0], planned_minutes=10.0)
    long_waited = QueueState(waiting=3, windows=1, service_minutes=[5.0], planned_minutes=10.0, head_wait_minutes=90)
    assert estimate_wait_minutes(long_waited) <= estimate_wait_minutes(fresh)


def test_only_the_latest_service_times_count():
    state = QueueState(waiting=0, windows=1, service_minutes=[60.0] * 5 + [2.0] * 10, planned_minutes=10.0)
    assert estimate_wait_minutes(state) == 2.0
