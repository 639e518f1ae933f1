"""Places taken and given back by the database (DESIGN §8): one conditional ``UPDATE ... SET booked = booked + n
WHERE booked + n <= capacity RETURNING`` decides, so that no interleaving of requests or worker processes can take
more places than a row has. Any table with integer ``capacity`` and ``booked`` columns can use it: booth slots here,
the counter's pickup slots (counter.pickups) too, without booking knowing them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.table import Table

# The plain rule: the places fit in what is left. ``{table}`` is the table's own name (never input); the one
# placeholder is the number of places asked for.
ROOM = "{table}.booked + CAST({{}} AS INTEGER) <= {table}.capacity"


async def take_places(
    table: type[Table],
    row_id: int,
    places: int,
    condition: str | None = None,
    condition_args: Sequence[Any] | None = None,
    returning: str = "id",
) -> dict | None:
    """Take ``places`` of a row if it has room (one conditional update; the database decides); returns the row's
    ``returning`` columns, or None when it had no room (or does not exist). ``condition`` replaces the plain rule
    (``ROOM``) with the caller's (booth slots let a family take a whole empty slot) and ``condition_args`` fill its
    placeholders. Run it inside the caller's write transaction when more must happen with it."""
    name = table._meta.tablename
    if condition is None:
        condition, condition_args = ROOM.format(table=name), (places,)
    rows = await table.raw(
        f"UPDATE {name} SET booked = booked + {{}} WHERE id = {{}} AND {condition} RETURNING {returning}",
        places,
        row_id,
        *(condition_args or ()),
    )
    return rows[0] if rows else None


async def release_places(table: type[Table], row_id: int, places: int) -> bool:
    """Give ``places`` of a row back (never below zero); whether it did."""
    name = table._meta.tablename
    rows = await table.raw(
        f"UPDATE {name} SET booked = booked - {{}} WHERE id = {{}} AND booked >= {{}} RETURNING id",
        places,
        row_id,
        places,
    )
    return bool(rows)
