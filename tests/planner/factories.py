"""Test data of the planner: a one-month plan period and a small city (the ``city`` fixture of tests/conftest)."""

from __future__ import annotations

import datetime as dt

from planner.model import Parameters
from planner.tables import DemandPoint
from tests.venues.factories import make_venue

JUNE = Parameters(
    start=dt.date(2027, 6, 1),
    end=dt.date(2027, 6, 30),
    weekday_per_month=3,
    holiday_per_month=2,
    min_gap_days=7,
    time_limit_seconds=20,
)


async def make_city():
    """Five community halls a few km apart, a civic centre, and residents around each hall."""
    halls = []
    for n in range(5):
        halls.append(
            await make_venue(
                venue_id=f"H{n}",
                name=f"第{n}公民館",
                lat=36.50 + 0.03 * n,
                lon=136.60,
                open_days="月火水木金土日",
                open_from="09:00",
                open_until="17:00",
            )
        )
    await make_venue(venue_id="C0", name="中央市民センター", kind="civic_center", lat=36.50, lon=136.60)
    await DemandPoint.insert(
        *[
            DemandPoint(name=f"町{n}-{k}", lat=36.50 + 0.03 * n + 0.002 * k, lon=136.601)
            for n in range(5)
            for k in range(4)
        ]
    )
    return halls
