"""The waiting-time estimate of a counter queue (待ち時間の目安): pure, no database.

This is the simplest honest model, kept until the estimator of the staffing work replaces it with the same
interface: a person with ``ahead`` people before them waits for ``ahead + 1`` services spread over the windows
serving the queue, each taking the mean of the recent service times (the planned minutes per person while none is
known yet)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RECENT_SERVICES = 10  # how many of the latest service times the mean is taken over


@dataclass(frozen=True)
class QueueState:
    """What is known about one service's queue now."""

    waiting: int  # tickets of the service waiting now (state waiting)
    windows: int  # windows serving the service now (>= 1 when open)
    service_minutes: Sequence[float]  # recent service times (called_at -> finished_at of served tickets), newest last
    planned_minutes: float  # CounterService.minutes_per_person, the prior when little is known
    head_wait_minutes: float | None = None  # how long the longest-waiting ticket has waited (head-of-line delay)
    recent_starts: int = 0  # services begun in the last `window_minutes` (for the HOL refinement)


def mean_service_minutes(state: QueueState) -> float:
    """The mean of the latest service times, or the planned minutes per person when none is known."""
    recent = [m for m in state.service_minutes[-RECENT_SERVICES:] if m >= 0]
    return sum(recent) / len(recent) if recent else state.planned_minutes


def estimate_wait_minutes(state: QueueState, ahead: int | None = None) -> float:
    """Expected minutes until service for a new arrival (ahead=None: all `waiting` are ahead) or for a ticket with
    `ahead` tickets before it. Never the time already waited."""
    before = state.waiting if ahead is None else ahead
    return max(0.0, (before + 1) / max(1, state.windows) * mean_service_minutes(state))
