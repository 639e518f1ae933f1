"""The demo's seeded simulation of what residents and staff did at the booths and the counter (no database here).

Given a booth (its date, slots and forecast) and a random generator, :func:`simulate_booth` decides who booked which
slot and when, who cancelled, who did not come, who came without booking, and what staff counted per hour; the
story (``demo.story``) writes that through the product's tables and services. The same seed gives the same
outcomes. The rates are stated in :class:`Rates` and in the README ("The demo's simulation").
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from booking.counter_stats import CounterStat
from core.clock import JST

# Fictional residents: the family name テスト ("test") and common given names, so that nobody takes them for real
# people; phone numbers 090-0000-xxxx (no mobile number starts 090-0: the block is unassigned) and addresses at
# example.jp (reserved for examples by JPRS).
GIVEN_NAMES = (
    "タロウ",
    "ハナコ",
    "ジロウ",
    "サクラ",
    "ケンタ",
    "ユイ",
    "ヒロシ",
    "ミサキ",
    "ショウタ",
    "アオイ",
    "マコト",
    "ヨウコ",
    "ダイスケ",
    "ナナミ",
    "タケシ",
    "カズコ",
)
FICTIONAL_PHONE_PREFIX = "0900000"  # + 4 digits
FICTIONAL_EMAIL_DOMAIN = "example.jp"


@dataclass(frozen=True)
class Rates:
    """What the simulation assumes, each with where it comes from (README, "The demo's simulation").

    - ``booked_share``: of the people a booth serves, the share who book ahead. The product keeps
      ``WALK_IN_SHARE`` (1/3) of each slot for walk-ins; the simulation books the other two thirds' worth.
    - ``cancel``: bookings cancelled before the day. 10%: residents cancel themselves from the manage link.
    - ``no_show``: bookings neither cancelled nor attended. 8%: between the ~1% of restaurant bookings
      (経済産業省「No show（飲食店における無断キャンセル）対策レポート」, 2018) and the ~23% average of free
      outpatient appointments (Dantas et al., "No-shows in appointment scheduling", Health Policy 2018).
    - ``incomplete``: people who came without what the application needs (a photo ID, the notice), counted as
      inquiries rather than applications. 5%.
    - ``photo``: applicants whose photo staff took at the booth. 70%.
    - ``inquiry``: questions answered per person served. 0.3.
    - ``left``: walk-in parties who left before their turn. 5%.
    - ``venue_sigma``: each venue's pull against the planner's forecast, log-normal with this spread (so that the
      learned yields have something to learn); ``booth_sigma`` the day-to-day noise of one booth.
    - ``party_sizes``: 1 to 4 people, weights from households that come together (mostly one person).
    - Seasonality: a booth's forecast already follows the month's share of the city's counter statistics
      (data/kanazawa/window_stats_2024.csv, loaded as the planner's seasonality); the in-office counts of each
      working day are that month's 2024 figures shared over its working days, with ±15% noise.
    """

    booked_share: float = 2 / 3
    cancel: float = 0.10
    no_show: float = 0.08
    incomplete: float = 0.05
    photo: float = 0.70
    inquiry: float = 0.30
    left: float = 0.05
    venue_sigma: float = 0.35
    booth_sigma: float = 0.25
    party_sizes: tuple[tuple[int, float], ...] = ((1, 0.72), (2, 0.20), (3, 0.05), (4, 0.03))
    email_only: float = 0.30  # contact given: email only, phone only, or both (the rest)
    phone_only: float = 0.55
    english: float = 0.05  # residents who chose English
    wheelchair: float = 0.03
    from_placement: float = 0.40  # bookings that came through a QR code or link of a placement
    booking_lead_days: float = 7.0  # mean days between booking and booth (exponential)


RATES = Rates()
HOUR_WEIGHTS = {10: 1.1, 11: 1.3, 12: 0.7, 13: 1.0, 14: 1.2, 15: 1.0, 16: 0.7}  # walk-ins' arrival by hour


@dataclass(frozen=True)
class SlotSpec:
    start: dt.datetime
    end: dt.datetime
    capacity: int  # bookable places


@dataclass(frozen=True)
class BoothSpec:
    """A published booth as the simulation needs it."""

    session_id: int
    venue_id: int
    date: dt.date
    expected: int  # the planner's forecast of applicants
    slots: tuple[SlotSpec, ...]


@dataclass(frozen=True)
class Resident:
    name_kana: str
    phone: str
    email: str
    language: str
    wheelchair: bool


@dataclass(frozen=True)
class SimBooking:
    slot: int  # index into the booth's slots
    party_size: int
    resident: Resident
    created_at: dt.datetime
    state: str  # confirmed | checked_in | cancelled | no_show
    source: str = ""
    cancelled_at: dt.datetime | None = None
    checked_in_at: dt.datetime | None = None
    released_at: dt.datetime | None = None  # a no-show's places went to walk-ins


@dataclass(frozen=True)
class SimWalkIn:
    number: int
    party_size: int
    arrived_at: dt.datetime
    state: str  # served | left | waiting
    served_at: dt.datetime | None


@dataclass
class BoothOutcome:
    bookings: list[SimBooking] = field(default_factory=list)
    walk_ins: list[SimWalkIn] = field(default_factory=list)
    applications_by_hour: dict[int, int] = field(default_factory=dict)
    photos: int = 0
    inquiries: int = 0

    @property
    def applications(self) -> int:
        return sum(self.applications_by_hour.values())


def venue_factor(rng: random.Random, rates: Rates = RATES) -> float:
    """A venue's pull against the forecast (drawn once per venue)."""
    return rng.lognormvariate(0.0, rates.venue_sigma)


def _party_size(rng: random.Random, rates: Rates) -> int:
    sizes = [size for size, _ in rates.party_sizes]
    return rng.choices(sizes, [weight for _, weight in rates.party_sizes])[0]


def resident(rng: random.Random, number: int, rates: Rates = RATES) -> Resident:
    """The ``number``-th fictional resident: a テスト name, a phone in 090-0000-xxxx and/or an example.jp address."""
    draw = rng.random()
    email_only, phone_only = draw < rates.email_only, rates.email_only <= draw < rates.email_only + rates.phone_only
    phone = "" if email_only else f"{FICTIONAL_PHONE_PREFIX}{number % 10000:04d}"
    email = "" if phone_only else f"test{number:05d}@{FICTIONAL_EMAIL_DOMAIN}"
    return Resident(
        name_kana=f"テスト {rng.choice(GIVEN_NAMES)}",
        phone=phone,
        email=email,
        language="en" if rng.random() < rates.english else "ja",
        wheelchair=rng.random() < rates.wheelchair,
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal beyond)."""
    if mean <= 0:
        return 0
    if mean > 60:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _booked_at(rng: random.Random, start: dt.datetime, opened: dt.datetime, rates: Rates) -> dt.datetime:
    """When a booking for a slot starting at ``start`` was made: some days before, never before booking opened."""
    before = dt.timedelta(days=rng.expovariate(1 / rates.booking_lead_days), hours=rng.uniform(1, 10))
    return max(opened + dt.timedelta(minutes=rng.uniform(5, 600)), start - before)


def simulate_booth(
    booth: BoothSpec,
    rng: random.Random,
    *,
    factor: float,
    now: dt.datetime,
    opened: dt.datetime,
    placements: Sequence[str] = (),
    first_resident: int = 0,
    release_after: dt.timedelta = dt.timedelta(minutes=15),
    rates: Rates = RATES,
) -> BoothOutcome:
    """What has happened by ``now`` at one booth: the bookings made so far (and the cancellations so far); for each
    slot started more than ``release_after`` ago, who came and who did not (released to walk-ins then); the walk-ins
    who came before ``now``; and what staff counted.

    ``factor`` is the venue's pull; ``opened`` when booking opened (the plan's approval); ``placements`` the
    publicity codes bookings may come from; residents are numbered from ``first_resident``."""
    outcome = BoothOutcome()
    people = _poisson(rng, booth.expected * factor * rng.lognormvariate(0.0, rates.booth_sigma))
    free = [slot.capacity for slot in booth.slots]
    to_book = round(people * rates.booked_share)
    number = first_resident
    came: list[tuple[dt.datetime, int]] = []  # (arrival, people) of everyone who came
    while to_book > 0 and any(free):
        size = min(_party_size(rng, rates), to_book)
        choices = [i for i, places in enumerate(free) if places >= size]
        if not choices:
            break
        index = rng.choice(choices)
        slot = booth.slots[index]
        to_book -= size
        created = _booked_at(rng, slot.start, opened, rates)
        person = resident(rng, number + 1, rates)
        source = rng.choice(placements) if placements and rng.random() < rates.from_placement else ""
        draw = rng.random()
        if created > now:  # not booked yet
            continue
        number += 1
        free[index] -= size
        cancelled = created + (slot.start - created) * rng.uniform(0.2, 0.9)
        if draw < rates.cancel and cancelled <= now:
            free[index] += size  # the places went back to others
            outcome.bookings.append(SimBooking(index, size, person, created, "cancelled", source, cancelled))
            to_book += size
        elif slot.start + release_after > now:  # still to come (or just started): the party is expected
            outcome.bookings.append(SimBooking(index, size, person, created, "confirmed", source))
        elif draw < rates.cancel + rates.no_show:
            released = slot.start + release_after
            outcome.bookings.append(SimBooking(index, size, person, created, "no_show", source, released_at=released))
        else:
            arrived = slot.start + dt.timedelta(minutes=rng.uniform(-10, 12))
            outcome.bookings.append(SimBooking(index, size, person, created, "checked_in", source, None, arrived))
            came.append((arrived, size))
    if not booth.slots or booth.slots[0].start > now:
        return outcome
    walking = max(0, people - sum(size for _, size in came))
    day_start, day_end = booth.slots[0].start.astimezone(JST), booth.slots[-1].end.astimezone(JST)
    open_hours = [h for h in HOUR_WEIGHTS if day_start.hour <= h < max(day_end.hour, day_start.hour + 1)]
    open_hours = open_hours or [day_start.hour]
    arrivals = []
    while walking > 0:
        size = min(_party_size(rng, rates), walking)
        walking -= size
        hour = rng.choices(open_hours, [HOUR_WEIGHTS.get(h, 1.0) for h in open_hours])[0]
        arrived = dt.datetime.combine(booth.date, dt.time(hour), JST) + dt.timedelta(minutes=rng.uniform(0, 55))
        arrivals.append((max(day_start, min(arrived, day_end - dt.timedelta(minutes=30))), size))
    for arrived, size in sorted(arrivals):
        if arrived > now:
            continue
        left = rng.random() < rates.left
        served: dt.datetime | None = arrived + dt.timedelta(minutes=rng.uniform(3, 25))
        state = "left" if left else "served"
        if served is not None and served > now:
            state, served = "waiting", None
        elif left:
            served = None
        outcome.walk_ins.append(SimWalkIn(len(outcome.walk_ins) + 1, size, arrived, state, served))
        if served is not None:
            came.append((served, size))
    for arrived, size in came:
        hour = min(max(arrived.astimezone(JST).hour, open_hours[0]), open_hours[-1])
        for _person in range(size):
            if rng.random() < rates.incomplete:
                outcome.inquiries += 1
                continue
            outcome.applications_by_hour[hour] = outcome.applications_by_hour.get(hour, 0) + 1
            if rng.random() < rates.photo:
                outcome.photos += 1
        outcome.inquiries += sum(1 for _ in range(size) if rng.random() < rates.inquiry)
    outcome.applications_by_hour = dict(sorted(outcome.applications_by_hour.items()))
    return outcome


OFFICE_FIELDS_FROM_STATS = {
    "card_handovers": "card_issued",
    "certificates": "certificates",
    "applications": "applications",
    "phone_calls": "phone_calls",
}
PIN_RESETS_PER_CERTIFICATE = 0.25  # 暗証番号の再設定: not in the statistics; a quarter of the certificate work
CARD_CHANGES_PER_HANDOVER = 0.05  # 券面事項の変更 (moves, name changes): not in the statistics either


def office_day(month: CounterStat | None, working_days: int, rng: random.Random) -> dict[str, int]:
    """One working day's in-office counts: the month's figures shared over its working days, ±15% (nothing for a
    month the statistics do not have)."""
    counts = {
        name: max(0, round(getattr(month, field, 0) / max(working_days, 1) * rng.uniform(0.85, 1.15)))
        for name, field in OFFICE_FIELDS_FROM_STATS.items()
    }
    counts["pin_resets"] = round(counts["certificates"] * PIN_RESETS_PER_CERTIFICATE * rng.uniform(0.7, 1.3))
    counts["card_changes"] = round(counts["card_handovers"] * CARD_CHANGES_PER_HANDOVER * rng.uniform(0.5, 1.5))
    return counts


# --- the City Hall counter (窓口): a day of queue tickets ------------------------------------------------------------


@dataclass(frozen=True)
class CounterRates:
    """What the counter's simulated days assume (README, "The demo city").

    - Arrivals: each service's day is the month's count in the counter statistics over the month's counter weekdays
      (``counter.staffing.daily_arrivals``); PIN resets, which the statistics lack, are ``PIN_RESETS_PER_CERTIFICATE``
      of the certificates. Within the day, a Poisson process whose rate follows ``counter.staffing.HOURLY_SHAPE``.
    - ``service_cv``: service times are log-normal around each service's minutes per person with this coefficient of
      variation (as bench/counter/backtest.py assumes).
    - ``absent``: called tickets whose holder does not come (marked 不在 after ``absent_after_minutes``).
    """

    service_cv: float = 0.5
    absent: float = 0.02
    absent_after_minutes: float = 2.0


COUNTER_RATES = CounterRates()


def counter_arrivals(
    day_arrivals: Sequence[tuple[str, Sequence[tuple[dt.datetime, dt.datetime, float]]]], rng: random.Random
) -> list[tuple[dt.datetime, str]]:
    """The visitors of a counter day, in order of arrival: for each service kind, for each period (start, end,
    expected arrivals), a Poisson number of arrivals spread uniformly over the period."""
    arrivals: list[tuple[dt.datetime, str]] = []
    for kind, periods in day_arrivals:
        for start, end, expected in periods:
            seconds = (end - start).total_seconds()
            for _visitor in range(_poisson(rng, expected)):
                arrivals.append((start + dt.timedelta(seconds=rng.uniform(0, seconds)), kind))
    arrivals.sort()
    return arrivals


def service_minutes(rng: random.Random, minutes: float, rates: CounterRates = COUNTER_RATES) -> float:
    """How long a window takes with one visitor: log-normal with mean ``minutes`` and the rates' variation."""
    sigma2 = math.log(1 + rates.service_cv**2)
    return rng.lognormvariate(math.log(minutes) - sigma2 / 2, math.sqrt(sigma2))
