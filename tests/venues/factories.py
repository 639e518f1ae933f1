"""Test rows for the venue registry."""

from __future__ import annotations

import itertools

from venues.tables import Venue

_counter = itertools.count(1)


async def make_venue(**values) -> dict:
    """Insert a venue (a community hall in Kanazawa unless told otherwise) and return its row."""
    n = next(_counter)
    defaults = dict(
        venue_id=f"T{n:06d}",
        name=f"テスト公民館{n}",
        kind="community_hall",
        address=f"石川県金沢市テスト町{n}",
        town="テスト町",
        lat=36.56 + n * 0.001,
        lon=136.65,
        open_days="月火水木金",
        open_from="09:00",
        open_until="17:00",
    )
    defaults.update(values)
    await Venue.insert(Venue(**defaults))
    return await Venue.select().where(Venue.venue_id == defaults["venue_id"]).first()
