"""Write transactions: concurrent writers all succeed; on SQLite the writers of one process take turns in order, and
a failed BEGIN leaves no connection behind."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.db import SafeSQLiteTransaction, enable_wal, write_transaction
from core.tables import AuditEvent
from tests.venues.factories import make_venue
from venues.tables import Venue


async def test_many_concurrent_write_transactions_all_commit():
    venue = await make_venue(session_cap=0)

    async def bump(n: int) -> None:
        async with write_transaction():
            await Venue.update({Venue.session_cap: Venue.session_cap + 1}).where(Venue.id == venue["id"])
            await AuditEvent.insert(AuditEvent(action="test.bump", object_type="venue", object_id=str(n)))

    await asyncio.gather(*(bump(n) for n in range(20)))
    row = await Venue.select(Venue.session_cap).where(Venue.id == venue["id"]).first()
    assert row["session_cap"] == 20  # every writer committed: no "database is locked"
    assert await AuditEvent.count().where(AuditEvent.action == "test.bump") == 20


async def test_failed_begin_closes_its_connection(tmp_path):
    path = tmp_path / "locked.sqlite"
    engine = SQLiteEngine(path=str(path), timeout=0.1)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    transaction = SafeSQLiteTransaction(engine=engine, transaction_type=TransactionType.immediate, allow_nested=True)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with transaction:
            pass
    assert transaction.connection._connection is None  # closed: its worker thread has ended
    holder.rollback()
    holder.close()


async def test_sqlite_writers_of_one_process_take_turns_in_the_order_they_asked(tmp_path):
    path = tmp_path / "turns.sqlite"
    enable_wal(path)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE written (n INTEGER)")
    engine = SQLiteEngine(path=str(path), timeout=30)
    order: list[int] = []

    async def write(n: int) -> None:
        async with SafeSQLiteTransaction(
            engine=engine, transaction_type=TransactionType.immediate, allow_nested=True
        ) as transaction:
            await transaction.connection.execute("INSERT INTO written VALUES (?)", (n,))
            await asyncio.sleep(0.005)  # holds the write lock a while, as a booking's statements do
            order.append(n)

    writers = [asyncio.create_task(write(n)) for n in range(30)]  # each asks after the one before
    await asyncio.gather(*writers)
    assert order == list(range(30))  # nobody overtaken (SQLite alone lets whoever retries first in)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM written").fetchone()[0] == 30


async def test_the_pool_opens_only_when_asked():
    from piccolo.engine.postgres import PostgresEngine

    from core.db import close_pool, engine, start_pool

    db = engine()
    if not isinstance(db, PostgresEngine):
        pytest.skip("SQLite has no connection pool")
    await start_pool(False)
    assert db.pool is None
    await start_pool(True)
    try:
        assert db.pool is not None
    finally:
        await close_pool()
    assert db.pool is None
