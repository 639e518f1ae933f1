"""Write transactions: concurrent writers all succeed; on SQLite a failed BEGIN leaves no connection behind."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.db import SafeSQLiteTransaction, write_transaction
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
