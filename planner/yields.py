"""Learned yields (実績からの学習): the booths' results pull the forecast of expected applicants toward what venues
and day types really achieve.

The forecast before learning is the planner's formula (DESIGN §4): ``e = base rate per hour × hours × f(kind) ×
seasonality(month)``. Learning multiplies it by factors estimated from the results, with a Gamma–Poisson shrinkage:
the applications of a booth are Poisson with mean ``factor × e``, and the factor has the prior Gamma(k, k) (mean 1)
with ``k = YIELD_PRIOR_STRENGTH`` (default 20). The posterior mean of a group's factor is

    factor = (k + Σ observed) / (k + Σ forecast)

so with few results it stays near 1 (the forecast is trusted) and with many it approaches Σ observed / Σ forecast.
``k`` reads as "applicants' worth of belief in the forecast": a group needs about ``k`` forecast applicants of
results before the data weighs as much as the prior.

Two levels, each pulled toward the one above:

1. **kind × day type** (``kind_day:commercial:holiday``): every booth of that kind on that day type;
2. **venue** (``venue:12``, the venue's primary key): the venue's booths against their forecast already multiplied by
   their kind × day-type factor, so a venue's factor says how it differs from others of its kind.

The learned forecast is ``e × factor(kind, day type) × factor(venue)`` (a missing factor is 1). The factors are
recomputed from every booth with results (the same results always give the same rows) and stored in
``planner.tables.YieldFactor``; the planner reads them when it solves a stored plan. The database-free ``outreach
plan`` keeps every factor at 1.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core import clock
from core.db import write_transaction
from planner.model import Parameters
from planner.tables import YieldFactor


@dataclass(frozen=True)
class Observation:
    """One booth with results: where and when it was, what the forecast before learning said, what it achieved."""

    venue: int  # the venue's primary key
    kind: str
    day_type: str  # weekday | holiday
    forecast: float  # expected applicants before learning (not rounded)
    observed: int  # applications completed


@dataclass(frozen=True)
class Factor:
    """A learned multiplier of the forecast for a group of booths (one YieldFactor row)."""

    key: str
    factor: float
    observed: float
    expected: float
    samples: int


def kind_day_key(kind: str, day_type: str) -> str:
    return f"kind_day:{kind}:{day_type}"


def venue_key(venue: int) -> str:
    return f"venue:{venue}"


def parse_key(key: str) -> tuple[str, tuple[str, ...]]:
    """``("kind_day", (kind, day_type))`` or ``("venue", (pk,))``."""
    level, _sep, rest = key.partition(":")
    return level, tuple(rest.split(":"))


def hours_between(start: dt.time, end: dt.time) -> float:
    """The length of a booth's window in hours."""
    return max(0.0, (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds / 3600)


def base_forecast(parameters: Parameters, kind: str, hours: float, month: int) -> float:
    """Expected applicants before learning: base rate per hour × hours × f(kind) × the month's seasonality."""
    return parameters.base_rate_per_hour * hours * parameters.draw_of(kind) * parameters.seasonality.get(month, 1.0)


def shrunk(observed: float, expected: float, strength: float) -> float:
    """The posterior mean of a Gamma(k, k)-prior factor after Poisson counts: (k + Σo) / (k + Σe)."""
    if strength <= 0 and expected <= 0:
        return 1.0
    return (strength + observed) / (strength + expected)


def learn(observations: Iterable[Observation], strength: float) -> list[Factor]:
    """The factors of every kind × day type and every venue with results, by key."""
    observations = list(observations)
    by_kind_day: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for item in observations:
        by_kind_day[(item.kind, item.day_type)].append(item)
    kind_day = {}
    factors = []
    for (kind, day), items in sorted(by_kind_day.items()):
        observed = float(sum(i.observed for i in items))
        expected = sum(i.forecast for i in items)
        kind_day[(kind, day)] = shrunk(observed, expected, strength)
        factors.append(Factor(kind_day_key(kind, day), kind_day[(kind, day)], observed, expected, len(items)))
    by_venue: dict[int, list[Observation]] = defaultdict(list)
    for item in observations:
        by_venue[item.venue].append(item)
    for venue, items in sorted(by_venue.items()):
        observed = float(sum(i.observed for i in items))
        expected = sum(i.forecast * kind_day[(i.kind, i.day_type)] for i in items)
        factors.append(Factor(venue_key(venue), shrunk(observed, expected, strength), observed, expected, len(items)))
    return factors


def multiplier(parameters: Parameters, kind: str, day_type: str, venue_id: str) -> float:
    """The learned multiplier of one booth's forecast (1 where nothing was learned)."""
    return parameters.kind_day_factors.get(f"{kind}:{day_type}", 1.0) * parameters.venue_factors.get(venue_id, 1.0)


async def store(factors: Iterable[Factor]) -> int:
    """Replace the stored factors by these (in one transaction); returns how many rows there are now."""
    rows = [
        YieldFactor(
            key=f.key,
            factor=f.factor,
            observed=f.observed,
            expected=f.expected,
            samples=f.samples,
            updated_at=clock.now(),
        )
        for f in factors
    ]
    columns = [
        YieldFactor.factor,
        YieldFactor.observed,
        YieldFactor.expected,
        YieldFactor.samples,
        YieldFactor.updated_at,
    ]
    async with write_transaction():
        # Upsert, then drop the keys no longer learned: two saves at once never collide on the unique key.
        for row in rows:
            await YieldFactor.insert(row).on_conflict(target=YieldFactor.key, action="DO UPDATE", values=columns)
        stale = YieldFactor.delete()
        stale = (
            stale.where(YieldFactor.key.not_in([row.key for row in rows])) if rows else stale.where(YieldFactor.id > 0)
        )
        await stale
    return len(rows)


async def stored_factors() -> list[dict[str, Any]]:
    """The stored factors, kind × day type first, then the venues."""
    rows = await YieldFactor.select().order_by(YieldFactor.key)
    return sorted(rows, key=lambda r: (not r["key"].startswith("kind_day:"), r["key"]))


async def planner_factors() -> tuple[dict[str, float], dict[str, float]]:
    """The stored factors as the planner's parameters take them: ``({"kind:day_type": f}, {venue_id: f})``."""
    from venues.tables import Venue

    kind_day: dict[str, float] = {}
    by_pk: dict[int, float] = {}
    for row in await YieldFactor.select(YieldFactor.key, YieldFactor.factor):
        level, parts = parse_key(row["key"])
        if level == "kind_day" and len(parts) == 2:
            kind_day[f"{parts[0]}:{parts[1]}"] = row["factor"]
        elif level == "venue" and len(parts) == 1 and parts[0].isdigit():
            by_pk[int(parts[0])] = row["factor"]
    venues: dict[str, float] = {}
    if by_pk:
        for venue in await Venue.select(Venue.id, Venue.venue_id).where(Venue.id.is_in(list(by_pk))):
            venues[venue["venue_id"]] = by_pk[venue["id"]]
    return kind_day, venues


@dataclass(frozen=True)
class FactorRow:
    """A stored factor with what it is about in words: a venue kind on a day type, or a venue's name."""

    key: str
    level: str  # kind_day | venue
    kind: str
    day_type: str
    venue_name: str
    samples: int
    observed: float
    expected: float
    factor: float


async def factor_table() -> list[FactorRow]:
    """The stored factors for people to read (the staff page, ``outreach yields``): kind × day type first."""
    from venues.tables import Venue

    rows = await stored_factors()
    pks = [
        int(parse_key(r["key"])[1][0])
        for r in rows
        if r["key"].startswith("venue:") and parse_key(r["key"])[1][0].isdigit()
    ]
    names = {
        v["id"]: (v["name"], v["kind"])
        for v in await Venue.select(Venue.id, Venue.name, Venue.kind).where(Venue.id.is_in(pks or [-1]))
    }
    table = []
    for row in rows:
        level, parts = parse_key(row["key"])
        kind = day = name = ""
        if level == "kind_day" and len(parts) == 2:
            kind, day = parts
        elif level == "venue" and parts[0].isdigit():
            name, kind = names.get(int(parts[0]), (row["key"], ""))
        table.append(
            FactorRow(
                row["key"], level, kind, day, name, row["samples"], row["observed"], row["expected"], row["factor"]
            )
        )
    return table
