"""How the database counts a contact's bookings at a booth: from the (session, phone) and (session, email) indexes,
in the plan it makes while the table is empty as well as once the booth has thousands of bookings. PostgreSQL keeps
the plan of a prepared statement (made on the table as it was), so a plan that reads every booking of the booth,
made at the start of a rush, made each booking slower than the one before: at 3,000 bookings a booth the rush ran at
half the speed (bench/booking)."""

from __future__ import annotations

import re
import sqlite3

from booking.bookings import _CONTACT_COUNT, _contact_args
from booking.tables import Booking
from core.db import engine, is_sqlite
from tests.booking.factories import publish_booth

CONTACT_INDEXES = {"resident_booking_session_phone", "resident_booking_session_email"}


def _literal(value: object) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


async def plan_of_contact_count(session_id: int) -> str:
    """The plan of the count as the booking statement runs it: on PostgreSQL the generic plan of a prepared statement
    (the one kept once a statement has run a few times), on SQLite the plan of the query."""
    args = _contact_args("09012345678", "hanako@example.jp", None, session_id)
    sql = "SELECT " + _CONTACT_COUNT.format(session="{}")
    if is_sqlite():
        with sqlite3.connect(engine().path) as connection:
            rows = connection.execute("EXPLAIN QUERY PLAN " + sql.replace("{}", "?"), args).fetchall()
        return "\n".join(row[-1] for row in rows)
    import asyncpg

    numbers = iter(range(1, len(args) + 1))
    connection = await asyncpg.connect(**engine().config)
    try:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        await connection.execute("PREPARE contact_count AS " + re.sub(r"\{\}", lambda _: f"${next(numbers)}", sql))
        rows = await connection.fetch(f"EXPLAIN EXECUTE contact_count({', '.join(map(_literal, args))})")
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


def indexes_read(plan: str) -> set[str]:
    return set(re.findall(r"(?:USING (?:COVERING )?INDEX|Index Scan using|Bitmap Index Scan on) (\w+)", plan))


async def test_a_contacts_bookings_are_counted_from_the_contact_indexes_on_an_empty_and_on_a_full_table():
    booth = await publish_booth(capacity=5000)
    empty = await plan_of_contact_count(booth["session"])
    assert indexes_read(empty) == CONTACT_INDEXES, empty

    slot = booth["slots"][0]["id"]
    rows = [Booking(code=f"PLAN{n:012d}", slot=slot, session=booth["session"], name_kana="カナザワ タロウ",
                    phone=f"090{n:08d}" if n % 3 else "", email=f"r{n}@example.jp" if n % 2 else "")
            for n in range(3000)]
    for start in range(0, len(rows), 500):  # a statement takes at most 32,767 arguments on PostgreSQL
        await Booking.insert(*rows[start:start + 500])
    full = await plan_of_contact_count(booth["session"])
    assert indexes_read(full) == CONTACT_INDEXES, full
