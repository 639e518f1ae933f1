"""Database engine construction and safe write transactions (DESIGN §8).

SQLite: WAL, a generous busy timeout, ``BEGIN IMMEDIATE`` for every write transaction, and a guard
that closes the connection when ``BEGIN`` itself fails (otherwise Piccolo leaves a non-daemon thread
behind and the process never exits).  PostgreSQL: an asyncpg pool; the same code paths.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiosqlite
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


# Connections a SQLite engine keeps open for the event loop that started its pool (DB_POOL): opening one costs about
# 1 ms of reading the schema plus a thread, more than the statements of a booking. Write transactions take turns
# (above), so one connection writes at a time; the others serve reads, which WAL lets run beside the writer.
SQLITE_POOL_SIZE = 4


class _PooledConnection:
    """An open connection lent by the pool: everything is the connection's, except that ``close()`` gives it back."""

    def __init__(self, connection: aiosqlite.Connection, pool: _SQLitePool) -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_pool", pool)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)

    async def close(self) -> None:
        await self._pool.release(self._connection)


class _SQLitePool:
    """A fixed number of open connections for one event loop, lent one at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, opener: Callable[[], Awaitable[aiosqlite.Connection]]) -> None:
        self.loop, self._open = loop, opener
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all: set[aiosqlite.Connection] = set()
        self.closed = False

    async def fill(self, size: int) -> None:
        for _ in range(size):
            connection = await self._open()
            self._all.add(connection)
            self._idle.put_nowait(connection)

    @property
    def size(self) -> int:
        return len(self._all)

    async def acquire(self) -> _PooledConnection:
        return _PooledConnection(await self._idle.get(), self)

    async def release(self, connection: aiosqlite.Connection) -> None:
        """Back to the pool, with no transaction left open (a failed COMMIT leaves one); a connection that cannot
        be rolled back is closed and replaced."""
        if connection.in_transaction and not self.closed:
            try:
                await connection.rollback()
            except sqlite3.Error:
                self._all.discard(connection)
                await connection.close()
                connection = await self._open()
                self._all.add(connection)
        if self.closed:
            self._all.discard(connection)
            await connection.close()
            return
        self._idle.put_nowait(connection)

    async def close(self) -> None:
        """Close every connection now idle; those lent out are closed when given back."""
        self.closed = True
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            self._all.discard(connection)
            await connection.close()


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with a pool of open connections for the event loop that started it (the portal's, a
    command's); any other event loop (e.g. a test's own) opens a connection per query or transaction as Piccolo
    does. Every connection enables foreign keys once, when it is opened, instead of before every statement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool: _SQLitePool | None = None

    async def start_connection_pool(self, size: int = SQLITE_POOL_SIZE) -> None:
        if self._pool is not None and not self._pool.closed:
            return
        pool = _SQLitePool(asyncio.get_running_loop(), super().get_connection)
        await pool.fill(size)
        self._pool = pool

    async def close_connection_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @property
    def pooled_connections(self) -> int:
        """How many connections the pool holds open (0 without a pool)."""
        return 0 if self._pool is None or self._pool.closed else self._pool.size

    def _active_pool(self) -> _SQLitePool | None:
        pool = self._pool
        if pool is None or pool.closed or pool.loop is not asyncio.get_running_loop():
            return None
        return pool

    async def get_connection(self) -> Any:
        pool = self._active_pool()
        return await pool.acquire() if pool is not None else await super().get_connection()

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        pool = self._active_pool()
        if pool is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await pool.acquire()
        try:
            return await self._run_in_existing_connection(connection, query, args, query_type, table)
        finally:
            await connection.close()

    async def _run_in_existing_connection(
        self, connection: Any, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        # Piccolo's, without "PRAGMA foreign_keys = 1" before each statement (get_connection() set it when it opened
        # the connection), and in one trip to the connection's thread instead of three (execute, fetch, close the
        # cursor): a write transaction's statements run one after another while the others wait for their turn.
        # (Inserts use RETURNING: SQLite >= 3.35 is required by the project.)
        return list(await connection.execute_fetchall(query, args or []))


def sqlite_path_from_url(url: str) -> Path:
    """The file of a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL."""
    return Path(url.split(":///", 1)[1])


def build_engine(database_url: str) -> SQLiteEngine | PostgresEngine:
    """A Piccolo engine for ``sqlite:///...`` or ``postgresql://...``."""
    if database_url.startswith("sqlite"):
        path = sqlite_path_from_url(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        enable_wal(path)
        return PooledSQLiteEngine(path=str(path), timeout=SQLITE_TIMEOUT_SECONDS)
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
    """Open the connection pool when ``pooled`` (the setting DB_POOL; off e.g. for tests that use two event loops):
    asyncpg's on PostgreSQL, ``PooledSQLiteEngine``'s for this event loop on SQLite."""
    db = engine()
    if isinstance(db, PostgresEngine) and pooled:
        # All ten connections opened at start, so that the first rush after a restart does not wait for them.
        await db.start_connection_pool(min_size=10, max_size=10, reset=_keep_session)
    elif isinstance(db, PooledSQLiteEngine) and pooled:
        await db.start_connection_pool()


async def close_pool() -> None:
    """Close the connection pool."""
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None or isinstance(db, PooledSQLiteEngine):
        await db.close_connection_pool()


async def check_database() -> bool:
    """True when the database answers a trivial query."""
    try:
        await engine().run_ddl("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not ok" for /healthz
        return False
    return True
