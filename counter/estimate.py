"""The waiting-time estimator (待ち時間の予測) of the counter: how long until a ticket is called, from the queue now.

Pure functions, no database: ``counter.status`` gathers a :class:`QueueState` per service and calls
:func:`estimate_wait_minutes`. The answer is the *remaining* wait, never the time already waited.

The model (Ibrahim & Whitt, "Real-time delay estimation based on delay history", Manufacturing & Service Operations
Management 11(3), 2009; and the time-varying follow-up, Production and Operations Management 20(5), 2011):

1. **Queue length (QL).** With ``c`` windows all busy and service times of mean ``m``, a ticket with ``k`` tickets
   ahead of it is called after ``k + 1`` service completions; completions come at rate ``c / m``, so the expected
   wait is ``(k + 1) · m / c``. Exact for exponential service (the M/M/c and GI/M/c queue), and the standard
   estimator in practice. With nobody ahead and nobody waiting, a window is (almost surely) free: 0 minutes.
2. **The service time ``m`` is learned** from the recent service times of the service (called → finished): a
   trimmed mean of the last :data:`RECENT_SERVICES` (a forgotten "finish" button or a one-minute no-show must not
   swing it), shrunk towards the planning figure ``planned_minutes`` as if that were :data:`PRIOR_WEIGHT`
   observations, so the first services of the day move the estimate only a little.
3. **Delay history (HOL).** The head-of-line ticket has waited ``h`` minutes. Ibrahim & Whitt's HOL estimator says a
   new arrival will wait about as long; refined by the queue: the ``n`` tickets now waiting all arrived during those
   ``h`` minutes, so in a queue that is roughly balanced the windows take ``n / h`` tickets a minute and a ticket
   with ``k`` ahead waits ``(k + 1) · h / n``. It needs no service times and no count of windows, so it corrects QL
   when windows are not what the tables say (a window on a break, a colleague helping at another window); but it
   is biased when arrivals change quickly (the 2011 paper: in the morning rush it lags), so it is only one part.
4. **Throughput.** When the head has waited at least :data:`WINDOW_MINUTES`, the queue was never empty in that
   time, so every open window was busy and the services begun in it (``recent_starts``) measure the windows' true
   rate: ``recent_starts / WINDOW_MINUTES`` a minute.

The estimate averages the minutes that QL, HOL and throughput give, each weighted by the number of observations
behind it: QL by the service times learned plus the prior, HOL by the tickets waiting, throughput by the services
begun. When the services begun in a busy half hour are implausibly far from QL's pace (more than two Poisson
standard deviations), the windows are not what QL assumes, and QL is left out. The ``k + 1`` completions above
become ``k + (1 + cv²) / 2``: the first is the rest of a service already under way, whose expected length is
``(1 + cv²) / 2`` of a whole one (the renewal residual; cv² learned from the recent service times), exact for
exponential times and half a service for fixed ones. ``bench/counter/backtest.py`` measures the error of
the combination and of each part on simulated counter days (Kanazawa's volumes and hourly shape, ciw).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

RECENT_SERVICES = 60
"""How many of the newest service times the estimate learns from."""
PRIOR_WEIGHT = 20.0
"""The planning figure counts as this many observed service times (the backtest: less lets a few long services
swing the estimate, more keeps a wrong plan too long)."""
CLIP = 4.0
"""A service time counts as at most this many times the planned minutes."""
PRIOR_CV2 = 0.5
"""The squared coefficient of variation of service times assumed before any is observed (between fixed, 0, and
exponential, 1)."""
WINDOW_MINUTES = 30.0
"""The window of ``recent_starts`` (and of "windows serving now" in counter.status): the last 30 minutes."""
MIN_HISTORY = 3
"""Delay history counts only when it rests on at least this many tickets (fewer is noise)."""


@dataclass(frozen=True)
class QueueState:
    """What the estimator knows about one service's queue now."""

    waiting: int  # tickets of the service waiting now (state waiting)
    windows: int  # windows serving the service now (>= 1 when open)
    service_minutes: Sequence[float]  # recent service times in minutes (called -> finished of served), newest last
    planned_minutes: float  # CounterService.minutes_per_person, the prior when little is known
    head_wait_minutes: float | None = None  # how long the longest-waiting ticket has waited (head-of-line delay)
    recent_starts: int = 0  # services begun in the last WINDOW_MINUTES (for the HOL refinement)


def learned_service_minutes(service_minutes: Sequence[float], planned_minutes: float) -> float:
    """The mean service time to plan with: the mean of the newest :data:`RECENT_SERVICES` service times, each
    clipped at :data:`CLIP` times the plan (a forgotten "finish" must not swing it), shrunk towards
    ``planned_minutes`` (worth :data:`PRIOR_WEIGHT` observations)."""
    planned = max(float(planned_minutes), 0.1)
    recent = _recent(service_minutes, planned)
    return (sum(recent) + PRIOR_WEIGHT * planned) / (len(recent) + PRIOR_WEIGHT)


def residual_share(service_minutes: Sequence[float], planned_minutes: float) -> float:
    """The expected rest of a service already under way, as a share of the mean: ``(1 + cv²) / 2`` (the renewal
    equilibrium residual; 1 for exponential times, 1/2 for fixed ones), with the squared coefficient of variation
    ``cv²`` of the recent service times shrunk towards :data:`PRIOR_CV2`."""
    planned = max(float(planned_minutes), 0.1)
    recent = _recent(service_minutes, planned)
    cv2 = PRIOR_CV2
    if len(recent) >= 2:
        mean = sum(recent) / len(recent)
        if mean >= 0.01:  # a hundredth of a minute: below it the ratio is noise
            sample = sum((m - mean) ** 2 for m in recent) / (len(recent) - 1) / (mean * mean)
            cv2 = ((len(recent) - 1) * sample + PRIOR_WEIGHT * PRIOR_CV2) / (len(recent) - 1 + PRIOR_WEIGHT)
    return (1.0 + min(cv2, 4.0)) / 2.0


def queue_length_minutes(state: QueueState, ahead: int | None = None) -> float:
    """The queue-length (QL) estimate alone: ``(ahead + 1) · m / windows`` (0 with nobody ahead or waiting)."""
    k = _ahead(state, ahead)
    if k == 0 and state.waiting == 0:
        return 0.0
    theta = residual_share(state.service_minutes, state.planned_minutes)
    return (k + theta) * learned_service_minutes(state.service_minutes, state.planned_minutes) / max(state.windows, 1)


def head_of_line_minutes(state: QueueState, ahead: int | None = None) -> float | None:
    """The refined head-of-line (HOL) estimate alone: ``(ahead + 1) · h / waiting``; None without a head's wait or
    with fewer than :data:`MIN_HISTORY` tickets waiting."""
    rate = _hol_rate(state)
    if rate is None:
        return None
    return (_ahead(state, ahead) + residual_share(state.service_minutes, state.planned_minutes)) / rate


def estimate_wait_minutes(state: QueueState, ahead: int | None = None) -> float:
    """Expected minutes until service for a new arrival (ahead=None: all `waiting` are ahead) or for a ticket with
    `ahead` tickets before it. Never the time already waited."""
    k = _ahead(state, ahead)
    if k == 0 and state.waiting == 0:
        return 0.0
    services = k + residual_share(state.service_minutes, state.planned_minutes)  # completions to wait for
    ql_rate = max(state.windows, 1) / learned_service_minutes(state.service_minutes, state.planned_minutes)
    # Each part's estimate in minutes with the count of observations it rests on.
    parts = [(services / ql_rate, len(_recent(state.service_minutes, state.planned_minutes)) + PRIOR_WEIGHT)]
    hol = _hol_rate(state)
    if hol is not None:
        parts.append((services / hol, float(state.waiting)))
    starts = state.recent_starts
    head = state.head_wait_minutes
    if head is not None and head >= WINDOW_MINUTES and starts >= MIN_HISTORY:
        parts.append((services * WINDOW_MINUTES / starts, float(starts)))
        expected = ql_rate * WINDOW_MINUTES
        if abs(starts - expected) > 2 * math.sqrt(expected):
            parts.pop(0)  # the windows did not keep QL's pace (a break, a meeting): believe what they did
    return sum(minutes * weight for minutes, weight in parts) / sum(weight for _, weight in parts)


def _recent(service_minutes: Sequence[float], planned: float) -> list[float]:
    return [min(float(m), CLIP * planned) for m in service_minutes[-RECENT_SERVICES:] if math.isfinite(m) and m >= 0]


def _ahead(state: QueueState, ahead: int | None) -> int:
    return max(0, state.waiting if ahead is None else ahead)


def _hol_rate(state: QueueState) -> float | None:
    """Tickets called per minute implied by the head's wait: the ``waiting`` tickets arrived in ``h`` minutes."""
    head = state.head_wait_minutes
    if head is None or state.waiting < MIN_HISTORY or head <= 0:
        return None
    return state.waiting / head
