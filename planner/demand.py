"""The planner's stored inputs besides venues: demand points (where residents live) and the month factors of the
expected applicants (seasonality from the city's counter statistics)."""

from __future__ import annotations

from collections.abc import Sequence

from core.db import write_transaction
from planner.model import DemandPoint as Point
from planner.tables import DemandPoint, Seasonality

BATCH = 500


async def replace_demand(points: Sequence[Point]) -> int:
    """Replace every demand point with ``points`` in one transaction; returns how many were stored."""
    async with write_transaction():
        await DemandPoint.delete(force=True)
        for start in range(0, len(points), BATCH):
            await DemandPoint.insert(
                *[
                    DemandPoint(name=p.name, lat=p.lat, lon=p.lon, weight=p.weight)
                    for p in points[start : start + BATCH]
                ]
            )
    return len(points)


async def replace_seasonality(factors: dict[int, float]) -> dict[int, float]:
    """Replace the month factors (month number to factor) in one transaction; returns them."""
    async with write_transaction():
        await Seasonality.delete(force=True)
        if factors:
            await Seasonality.insert(*[Seasonality(month=m, factor=f) for m, f in factors.items()])
    return factors
