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

    def pooled() -> bool:
        return db.pool is not None if isinstance(db, PostgresEngine) else db.pooled_connections > 0

    await start_pool(False)
    assert not pooled()
    await start_pool(True)
    try:
        assert pooled()
    finally:
        await close_pool()
    assert not pooled()


@pytest.fixture
def pooled_sqlite(tmp_path, monkeypatch):
    """A pooled SQLite engine on a file of its own with one table, and a count of the connections it opens."""
    import aiosqlite

    from core.db import PooledSQLiteEngine

    path = tmp_path / "pooled.sqlite"
    enable_wal(path)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE written (n INTEGER)")
    opened = {"n": 0}
    connect = aiosqlite.connect

    def counting(*args, **kwargs):
        opened["n"] += 1
        return connect(*args, **kwargs)

    monkeypatch.setattr("piccolo.engine.sqlite.aiosqlite.connect", counting)
    return PooledSQLiteEngine(path=str(path), timeout=30), opened


async def test_sqlite_pool_keeps_its_connections_open_for_queries_and_transactions(pooled_sqlite):
    engine, opened = pooled_sqlite
    assert engine.pooled_connections == 0
    await engine.start_connection_pool(size=2)
    try:
        assert engine.pooled_connections == 2 and opened["n"] == 2
        for n in range(10):
            async with SafeSQLiteTransaction(engine=engine, transaction_type=TransactionType.immediate) as t:
                await t.connection.execute("INSERT INTO written VALUES (?)", (n,))
            await engine._run_in_new_connection("INSERT INTO written VALUES (?)", [100 + n])
        rows = await engine._run_in_new_connection("SELECT COUNT(*) AS n FROM written")
        assert rows == [{"n": 20}] and opened["n"] == 2  # twenty writes and a read, no connection opened
    finally:
        await engine.close_connection_pool()
    assert engine.pooled_connections == 0


async def test_a_pooled_connection_given_back_inside_a_transaction_is_rolled_back(pooled_sqlite):
    engine, _ = pooled_sqlite
    await engine.start_connection_pool(size=1)
    try:
        lent = await engine.get_connection()
        await lent.execute("BEGIN IMMEDIATE")
        await lent.execute("INSERT INTO written VALUES (1)")
        await lent.close()  # e.g. after a COMMIT that failed
        again = await engine.get_connection()
        assert not again.in_transaction
        await again.close()
        assert await engine._run_in_new_connection("SELECT COUNT(*) AS n FROM written") == [{"n": 0}]
        with sqlite3.connect(engine.path, timeout=0.1) as other:  # and the write lock is free again
            other.execute("INSERT INTO written VALUES (2)")
    finally:
        await engine.close_connection_pool()


def test_another_event_loop_opens_its_own_connections(pooled_sqlite):
    engine, opened = pooled_sqlite
    first = asyncio.new_event_loop()
    try:
        first.run_until_complete(engine.start_connection_pool(size=1))
        asyncio.run(engine._run_in_new_connection("INSERT INTO written VALUES (1)"))  # a second loop, as in tests
        assert opened["n"] == 2  # its own connection: the pool's belongs to the first loop
        assert first.run_until_complete(engine._run_in_new_connection("SELECT n FROM written")) == [{"n": 1}]
        assert opened["n"] == 2
    finally:
        first.run_until_complete(engine.close_connection_pool())
        first.close()
