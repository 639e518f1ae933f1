"""Database engine construction and safe write transactions (DESIGN §8).

SQLite: WAL, a generous busy timeout, ``BEGIN IMMEDIATE`` for every write transaction, and a guard
that closes the connection when ``BEGIN`` itself fails (otherwise Piccolo leaves a non-daemon thread
behind and the process never exits).  PostgreSQL: an asyncpg pool; the same code paths.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

from piccolo.engine.base import BaseTransaction, Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

SQLITE_TIMEOUT_SECONDS = 30.0
# The largest id (and integer column value) the database holds: Piccolo's Serial and Integer are 32-bit on PostgreSQL,
# so a larger number given as an id names nothing, and sending it to the database is an error, not "no row".
MAX_ID = 2**31 - 1
# How long asyncpg keeps a prepared statement, and so how long PostgreSQL keeps the plan it made for it. A plan is made
# for the tables as they are when the statement is first prepared, and made again only after ANALYZE, which does not
# come while autovacuum is off or has not run yet, e.g. while a table fills from empty in the first rush. Prepared again
# every few seconds, plans follow the tables. (The booking statement is written so that its plan is right on an empty
# table too; see _CONTACT_COUNT in booking/bookings.py. With the plan it had kept from the empty table, a rush on a
# fresh database ran at 1,300 requests/s instead of 2,700: bench/booking.)
STATEMENT_LIFETIME_SECONDS = 10


# The write transactions of one process (an event loop) take turns in the order they asked. Otherwise SQLite lets
# one writer in and makes the others retry after sleeps that grow to 100 ms, so that under a rush a writer could lose
# its turn again and again. Measured on the demo (one worker, 64 connections of bookings and cancellations,
# bench/booking): p99 1.5 s and median 36 ms without turns; 0.23-0.27 s and 0.2 s with them, at 300-330 requests/s
# instead of 430 (the writer's statements now wait for the event loop one after another). Writers of other processes
# (the command line) still meet the busy timeout.
_write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _write_turn() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    turn = _write_turns.get(loop)
    if turn is None:
        turn = _write_turns[loop] = asyncio.Lock()
    return turn


class SafeSQLiteTransaction(SQLiteTransaction):
    """A SQLite write transaction that waits for its turn in this process and releases its connection when
    ``BEGIN`` fails (e.g. "database is locked" from another process)."""

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:  # nested: joins the outer transaction, which holds the turn
            return self._parent
        self._turn = _write_turn()
        await self._turn.acquire()
        try:
            return await super().__aenter__()
        except BaseException:
            self._turn.release()
            raise

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        try:
            return await super().__aexit__(exception_type, exception, traceback)
        finally:
            if self._parent is None:  # the outer transaction gives the turn back
                self._turn.release()

    async def begin(self) -> None:
        try:
            await super().begin()  # type: ignore[no-untyped-call]  # Piccolo leaves begin() unannotated
        except BaseException:
            await self.connection.close()
            raise


def sqlite_path_from_url(url: str) -> Path:
    """The file of a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL."""
    return Path(url.split(":///", 1)[1])


def build_engine(database_url: str) -> SQLiteEngine | PostgresEngine:
    """A Piccolo engine for ``sqlite:///...`` or ``postgresql://...``."""
    if database_url.startswith("sqlite"):
        path = sqlite_path_from_url(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        enable_wal(path)
        return SQLiteEngine(path=str(path), timeout=SQLITE_TIMEOUT_SECONDS)
    if database_url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(
            config={
                "dsn": database_url.replace("postgres://", "postgresql://", 1),
                "max_cached_statement_lifetime": STATEMENT_LIFETIME_SECONDS,
            }
        )
    raise ValueError(f"Unsupported DATABASE_URL scheme: {urlsplit(database_url).scheme!r}")


def enable_wal(path: Path) -> None:
    """Switch a SQLite file to write-ahead logging (persistent; harmless to repeat)."""
    with sqlite3.connect(path, timeout=SQLITE_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def engine() -> Engine[BaseTransaction]:
    """The engine configured in piccolo_conf.py."""
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf.py always defines DB
        raise RuntimeError("piccolo_conf.py defines no DB")
    return found


def is_sqlite() -> bool:
    """Whether the configured database is SQLite."""
    return isinstance(engine(), SQLiteEngine)


class WriteTransaction(Protocol):
    """What ``async with write_transaction():`` relies on.

    Piccolo types a transaction's ``__aexit__`` as returning ``bool``, which tells a type checker that it may swallow
    the exception of the block; it never does (it returns ``exception is None``). ``bool | None`` says so.
    """

    async def __aenter__(self) -> object: ...

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None: ...


def write_transaction() -> WriteTransaction:
    """A transaction for writes: ``BEGIN IMMEDIATE`` with the hang guard on SQLite, a plain one on PostgreSQL.

    Use as ``async with write_transaction():``; nested use joins the outer transaction.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        return SafeSQLiteTransaction(engine=db, transaction_type=TransactionType.immediate, allow_nested=True)
    return db.transaction()


async def _keep_session(connection: Any) -> None:
    """Release a pooled connection as it is: the app uses no session state (no LISTEN, advisory locks or cursors
    outside transactions), so asyncpg's default reset would only add a round trip after every query."""


async def start_pool(pooled: bool) -> None:
    """Open the connection pool (PostgreSQL only) when ``pooled`` (the setting DB_POOL; off e.g. for tests that use
    two event loops)."""
    db = engine()
    if isinstance(db, PostgresEngine) and pooled:
        # All ten connections opened at start, so that the first rush after a restart does not wait for them.
        await db.start_connection_pool(min_size=10, max_size=10, reset=_keep_session)


async def close_pool() -> None:
    """Close the connection pool (PostgreSQL only)."""
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


async def check_database() -> bool:
    """True when the database answers a trivial query."""
    try:
        await engine().run_ddl("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not ok" for /healthz
        return False
    return True
