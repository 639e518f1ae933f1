"""The plans of the statements every booking and cancellation runs, made while the bookings table is empty as well as
once a booth has thousands of bookings: a contact's bookings at a booth are counted from the (session, phone) and
(session, email) indexes, a cancellation finds its booking by its code. PostgreSQL keeps the plan of a prepared
statement (made on the table as it was; without statistics, e.g. in the first rush on a new database, nothing tells
it the table has grown), so a plan that reads every booking of the booth, made at the start of a rush, made each
booking slower than the one before: at 3,000 bookings a booth the rush ran at half the speed (bench/booking)."""

from __future__ import annotations

import re
import sqlite3

from booking.bookings import _CANCEL, _CONTACT_COUNT, _contact_args
from booking.tables import Booking
from core.db import engine, is_sqlite
from tests.booking.factories import publish_booth

CONTACT_INDEXES = {"resident_booking_session_phone", "resident_booking_session_email"}


def _literal(value: object) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


async def plan_of(sql: str, args: list) -> str:
    """The plan of ``sql`` (``{}`` for each argument) as the portal runs it: on PostgreSQL the generic plan of a
    prepared statement (the one kept once a statement has run a few times), on SQLite the plan of the query."""
    if is_sqlite():
        with sqlite3.connect(engine().path) as connection:
            rows = connection.execute("EXPLAIN QUERY PLAN " + sql.replace("{}", "?"), args).fetchall()
        return "\n".join(row[-1] for row in rows)
    import asyncpg

    numbers = iter(range(1, len(args) + 1))
    connection = await asyncpg.connect(**engine().config)
    try:
        async with connection.transaction():  # EXPLAIN plans without running; rolled back all the same
            await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await connection.execute("PREPARE planned AS " + re.sub(r"\{\}", lambda _: f"${next(numbers)}", sql))
            rows = await connection.fetch(f"EXPLAIN EXECUTE planned({', '.join(map(_literal, args))})")
            await connection.execute("DEALLOCATE planned")
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


async def plan_of_contact_count(session_id: int) -> str:
    return await plan_of(
        "SELECT " + _CONTACT_COUNT.format(session="{}"),
        _contact_args("09012345678", "hanako@example.jp", None, session_id),
    )


async def plan_of_cancellation() -> str:
    """PostgreSQL: the one-statement cancellation; SQLite: the update its transaction runs."""
    if is_sqlite():
        return await plan_of(
            "UPDATE resident_booking SET state = {}, updated_at = {} WHERE code = {} AND state = {}",
            ["cancelled", "2027-06-01", "ABCD2345EFGH6789", "confirmed"],
        )
    return await plan_of(_CANCEL, ["cancelled", "2027-06-01T09:00:00+09:00", "ABCD2345EFGH6789", "confirmed"])


async def fill(booth: dict, bookings: int) -> None:
    slot = booth["slots"][0]["id"]
    rows = [
        Booking(
            code=f"PLAN{n:012d}",
            slot=slot,
            session=booth["session"],
            name_kana="カナザワ タロウ",
            phone=f"090{n:08d}" if n % 3 else "",
            email=f"r{n}@example.jp" if n % 2 else "",
        )
        for n in range(bookings)
    ]
    for start in range(0, len(rows), 500):  # a statement takes at most 32,767 arguments on PostgreSQL
        await Booking.insert(*rows[start : start + 500])


def indexes_read(plan: str) -> set[str]:
    return set(re.findall(r"(?:USING (?:COVERING )?INDEX|Index Scan using|Bitmap Index Scan on) (\w+)", plan))


async def test_a_contacts_bookings_are_counted_from_the_contact_indexes_on_an_empty_and_on_a_full_table():
    booth = await publish_booth(capacity=5000)
    empty = await plan_of_contact_count(booth["session"])
    assert indexes_read(empty) == CONTACT_INDEXES, empty
    await fill(booth, 3000)
    full = await plan_of_contact_count(booth["session"])
    assert indexes_read(full) == CONTACT_INDEXES, full


async def test_a_cancellation_finds_its_booking_by_code_on_an_empty_and_on_a_full_table():
    booth = await publish_booth(capacity=5000)
    code_index = "sqlite_autoindex_resident_booking_1" if is_sqlite() else "resident_booking_code_key"
    empty = await plan_of_cancellation()
    assert code_index in indexes_read(empty) and "resident_booking_state" not in empty, empty
    await fill(booth, 3000)
    full = await plan_of_cancellation()
    assert code_index in indexes_read(full), full
