"""The public read path's pure helpers: booths grouped by venue, nearest first."""

from __future__ import annotations

import datetime as dt

from booking.booths import group_by_venue, with_distance
from booking.schemas import Booth


def booth(n: int, venue: str, day: int, lat: float) -> Booth:
    return Booth(
        id=n, date=dt.date(2027, 6, day), start=dt.time(10), end=dt.time(17), day_type="weekday",
        state="published", venue_id=venue, venue_name=venue, venue_name_en="", address="", lat=lat, lon=136.65,
        wheelchair=False, barrier_free_toilet=False, accessible_route=False, priority_parking=False, phone="", url="",
        remaining=4,
    )  # fmt: skip


def test_a_venue_is_one_group_with_its_dates_in_order_nearest_venue_first():
    booths = [booth(1, "far", 1, 36.60), booth(2, "near", 20, 36.56), booth(3, "near", 6, 36.56)]
    booths += [booth(4, "middle", 2, 36.57), booth(5, "near", 13, 36.56)]
    groups = group_by_venue(with_distance(booths, 36.56, 136.65))
    assert [[b.id for b in group] for group in groups] == [[3, 5, 2], [4], [1]]
    assert group_by_venue([]) == []
