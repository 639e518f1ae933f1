"""Several worker processes on one port, each new connection going to the worker that holds the fewest.

uvicorn's workers share the listening socket and accept in a race: the worker that wakes first takes every
connection waiting. A client that opens its connections at once (a proxy's keep-alive pool, the benchmark's 64)
finds them split 26/38 over two workers, or 46/14/4 over three, and stays so. A worker serves its connections
one event loop at a time, so those on the crowded worker wait longer for every answer: the booking benchmark's
closed-loop p99 was 72–82 ms when the split was even and 110–165 ms when it was not (bench/booking).

Here each worker publishes how many connections it holds in a small table shared by the workers (a memory-mapped
file the parent creates, named by ``OUTREACH_SERVE_TABLE``), and accepts a waiting connection only while it holds
no more than the least busy live worker; otherwise it looks again a millisecond later, and takes the connection
anyway after ``GIVE_WAY_SECONDS`` (a stuck worker never holds connections back). A worker that died is found out
before anyone gives way to it (its process is gone) and its row freed; one whose heartbeat is ``STALE_SECONDS`` old
no longer counts. uvicorn's supervisor starts a new worker, which takes a free row.

Connections already open can end up crowded on one worker all the same: uvicorn starts its workers one after
another, so the first takes everything until the next is up, and a burst can come while another worker's old
connections are still closing. So each answer of a worker that holds more than the least busy one (plus
``REBALANCE_MARGIN``) carries ``Connection: close`` (``rebalancing``, around the app), until enough of its
clients have been sent to reconnect; they reconnect where there is room. A proxy's keep-alive pool and the
browsers do so as HTTP/1.1 asks of them.

The balancing lives in the event loop's ``create_server`` (uvicorn's documented ``loop`` setting names the
factory, ``balanced_loop``); uvicorn's supervisor, signals, restarts and protocols are unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import mmap
import os
import shutil
import socket
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

TABLE_ENV = "OUTREACH_SERVE_TABLE"
LOOP_FACTORY = "core.serving:balanced_loop"
ROWS = 64  # workers the table can hold (a row per live worker; a restarted worker takes a free one)
ROW = struct.Struct("qqd")  # pid, open connections, heartbeat (time.monotonic(), the same clock in every process)
HEARTBEAT_SECONDS = 1.0
STALE_SECONDS = 5.0
RETRY_SECONDS = 0.001
GIVE_WAY_SECONDS = 0.05
ACCEPTS_PER_TURN = 64  # connections one turn of a worker's event loop accepts at most (a flood starves nothing)
REBALANCE_MARGIN = 1  # connections a worker may hold beyond the least busy one before it asks clients to move
LEAST_SECONDS = 0.02  # how long a worker reuses what it read of the others for answers' rebalancing

_listener: BalancedListener | None = None  # this worker's, once it serves


def rebalancing(app: Any) -> Any:
    """``app`` (ASGI) whose answers carry ``Connection: close`` while this worker holds more connections than its
    share (``BalancedListener.should_move``); unchanged when the process is not a balanced worker."""

    async def rebalanced(scope: dict[str, Any], receive: Any, send: Any) -> None:
        listener = _listener
        if listener is None or scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_moving(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and listener.should_move():
                message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_moving)

    return rebalanced


def run(app: str, *, workers: int = 1, **options: Any) -> None:
    """``uvicorn.run(app, workers=..., **options)``; with several workers, over a shared table and the balanced
    loop."""
    import uvicorn

    if workers == 1:
        uvicorn.run(app, **options)
        return
    with load_table() as table:
        os.environ[TABLE_ENV] = str(table)  # the workers are spawned with this environment
        try:
            uvicorn.run(app, workers=workers, loop=LOOP_FACTORY, **options)
        finally:
            os.environ.pop(TABLE_ENV, None)


@contextlib.contextmanager
def load_table() -> Iterator[Path]:
    """The workers' shared table (zeroed), in a private directory that is removed at the end; its path is what
    ``OUTREACH_SERVE_TABLE`` gives the workers."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    directory = Path(tempfile.mkdtemp(prefix="outreach-serve-", dir=base))
    path = directory / "workers"
    path.write_bytes(bytes(ROWS * ROW.size))
    try:
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def balanced_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's loop factory for the workers: uvloop (as uvicorn's "auto" picks it) or asyncio's loop, whose
    ``create_server`` on the shared socket accepts in balance with the other workers when the parent made a table."""
    table = os.environ.get(TABLE_ENV)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs uvloop
        base: type[asyncio.AbstractEventLoop] = asyncio.SelectorEventLoop
    else:
        base = uvloop.Loop
    if not table:
        return base()
    loop: Any = type("BalancedLoop", (_Balanced, base), {})()
    loop._table_path = table
    return cast(asyncio.AbstractEventLoop, loop)


class _Balanced:
    """Mixed into the event loop class: ``create_server(sock=...)`` (how uvicorn's workers serve the socket their
    parent bound) starts a BalancedListener instead of the loop's own accepting."""

    _table_path: str

    async def create_server(self, protocol_factory: Callable[[], Any], *args: Any, **kwargs: Any) -> Any:
        sock = kwargs.get("sock")
        if sock is None or args:
            return await super().create_server(protocol_factory, *args, **kwargs)  # type: ignore[misc]
        listener = BalancedListener(self, protocol_factory, sock, kwargs.get("ssl"), Path(self._table_path))  # type: ignore[arg-type]
        listener.start(kwargs.get("backlog", 100))
        return listener


class BalancedListener:
    """Accepts connections from a listening socket shared with other workers, while this worker holds no more
    connections than the least busy of them. Answers what uvicorn asks of an ``asyncio.Server``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol_factory: Callable[[], Any],
        sock: socket.socket,
        ssl: Any,
        table: Path,
    ) -> None:
        self.loop, self.protocol_factory, self.sock, self.ssl = loop, protocol_factory, sock, ssl
        self.table_path = table
        self.connections = 0
        self.row = -1
        self.waiting_since: float | None = None
        self.serving = False
        self.pending: set[asyncio.Task[Any]] = set()
        self.moving = 0  # connections told to close since (counted as gone to the least busy worker)
        self._least: tuple[float, tuple[int, int] | None] = (-1.0, None)
        self._table: mmap.mmap | None = None
        self._heartbeat: asyncio.TimerHandle | None = None
        self._retry: asyncio.TimerHandle | None = None

    # --- the table -------------------------------------------------------------------------------------------------

    def _claim_row(self) -> None:
        """Take a free row (never used, or a dead worker's) under an exclusive lock on the table."""
        with self.table_path.open("r+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                self._table = mmap.mmap(file.fileno(), ROWS * ROW.size)
                for row in range(ROWS):
                    pid = ROW.unpack_from(self._table, row * ROW.size)[0]
                    # free: never used, or its worker died (a live worker's row is kept, even if it is stuck)
                    if pid == 0 or pid == os.getpid() or self._gone(row):
                        self.row = row
                        self._publish()
                        return
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)
        raise RuntimeError(f"more than {ROWS} workers share {self.table_path}")

    def _publish(self) -> None:
        if self._table is not None and self.row >= 0:
            ROW.pack_into(self._table, self.row * ROW.size, os.getpid(), self.connections, time.monotonic())

    def _least_elsewhere(self) -> tuple[int, int] | None:
        """The fewest connections a live worker other than this one holds, and its row (None when it is alone)."""
        assert self._table is not None
        now, least = time.monotonic(), None
        for row, (pid, count, beat) in enumerate(ROW.iter_unpack(self._table)):
            if pid and row != self.row and now - beat <= STALE_SECONDS and (least is None or count < least[0]):
                least = (count, row)
        self._least = (now, least)
        return least

    def should_move(self) -> bool:
        """Whether the connection answered now should close after its answer, its client reconnecting where there
        is room: while this worker holds more than the least busy one plus REBALANCE_MARGIN, counting those told
        to move already as moved."""
        read_at, least = self._least
        if time.monotonic() - read_at > LEAST_SECONDS and self._table is not None:
            least = self._least_elsewhere()
        if least is None or self.connections - self.moving <= least[0] + self.moving + REBALANCE_MARGIN:
            return False
        self.moving += 1
        return True

    def _gone(self, row: int) -> bool:
        """Whether the worker of ``row`` has died (then its row is freed): checked before giving way to it."""
        assert self._table is not None
        pid = ROW.unpack_from(self._table, row * ROW.size)[0]
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            ROW.pack_into(self._table, row * ROW.size, 0, 0, 0.0)
            return True
        except PermissionError:  # pragma: no cover - a pid taken by another user's process: gone as well
            return True
        return False

    def _beat(self) -> None:
        self._publish()
        self._heartbeat = self.loop.call_later(HEARTBEAT_SECONDS, self._beat)

    # --- accepting ---------------------------------------------------------------------------------------------------

    def start(self, backlog: int) -> None:
        global _listener
        self.sock.listen(backlog)  # as asyncio's server does: uvicorn's parent binds the socket, its workers listen
        self.sock.setblocking(False)
        self._claim_row()
        self.serving = True
        _listener = self
        self._beat()
        self.loop.add_reader(self.sock.fileno(), self._on_ready)

    def _on_ready(self) -> None:
        for _ in range(ACCEPTS_PER_TURN):  # then the loop's other work, and this again on its next turn
            if not self.serving:
                return
            least = self._least_elsewhere()
            if (
                least is not None
                and self.connections > least[0]
                and not self._gone(least[1])
                and not self._given_way_long_enough()
            ):
                self.loop.remove_reader(self.sock.fileno())  # the readiness stays: look again in a moment
                self._retry = self.loop.call_later(RETRY_SECONDS, self._resume)
                return
            try:
                conn, _address = self.sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                self.waiting_since = None
                return  # another worker took it, or nothing waits
            except OSError:  # e.g. out of file descriptors: look again in a moment rather than spin
                self.loop.remove_reader(self.sock.fileno())
                self._retry = self.loop.call_later(0.1, self._resume)
                return
            self.waiting_since = None
            self._take(conn)

    def _given_way_long_enough(self) -> bool:
        now = time.monotonic()
        if self.waiting_since is None:
            self.waiting_since = now
        return now - self.waiting_since >= GIVE_WAY_SECONDS

    def _resume(self) -> None:
        self._retry = None
        if self.serving:
            self.loop.add_reader(self.sock.fileno(), self._on_ready)
            self._on_ready()

    def _take(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections += 1
        self._publish()
        task = self.loop.create_task(self.loop.connect_accepted_socket(self._counted_protocol, conn, ssl=self.ssl))
        self.pending.add(task)
        task.add_done_callback(lambda done: self._connected(done, conn))

    def _connected(self, task: asyncio.Task[Any], conn: socket.socket) -> None:
        self.pending.discard(task)
        if task.cancelled() or task.exception() is not None:  # e.g. a failed TLS handshake: the connection is gone
            conn.close()
            self._closed()

    def _counted_protocol(self) -> Any:
        protocol = self.protocol_factory()
        lost = protocol.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            self._closed()
            lost(exc)

        protocol.connection_lost = connection_lost
        return protocol

    def _closed(self) -> None:
        self.connections -= 1
        self.moving = max(0, self.moving - 1)
        self._publish()

    # --- what uvicorn calls on an asyncio.Server ---------------------------------------------------------------------

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self.sock,)

    def is_serving(self) -> bool:
        return self.serving

    def close(self) -> None:
        """Stop accepting (the connections held are closed by uvicorn's shutdown) and give the row back."""
        global _listener
        if not self.serving:
            return
        self.serving = False
        _listener = None
        with contextlib.suppress(Exception):
            self.loop.remove_reader(self.sock.fileno())
        for handle in (self._retry, self._heartbeat):
            if handle is not None:
                handle.cancel()
        if self._table is not None and self.row >= 0:
            ROW.pack_into(self._table, self.row * ROW.size, 0, 0, 0.0)
            self._table.close()
            self._table = None

    async def wait_closed(self) -> None:
        return None
