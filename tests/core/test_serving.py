"""Several workers on one port (core.serving): connections opened at once are shared out evenly, and a worker that
dies holds nothing back. A bare app (tests/support/pid_app.py) answers with the id of the worker that served it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.serving import ROW, ROWS, load_table
from tests.support import servers

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="worker processes share a socket as on the servers")


@contextlib.contextmanager
def served(workers: int) -> Iterator[servers.Server]:
    port = servers.free_port()
    command = [
        sys.executable,
        "-c",
        "from core.serving import run; "
        f"run('tests.support.pid_app:app', workers={workers}, host='127.0.0.1', port={port}, log_level='warning')",
    ]
    with servers.server(command, port, health_path="/", cwd=ROOT, workers=workers) as server:
        yield server


def open_at_once(port: int, count: int) -> list[socket.socket]:
    """``count`` connections opened together, as a proxy's pool or a load generator opens them."""
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]


def worker_of(connection: socket.socket) -> int:
    connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
        chunk = connection.recv(4096)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        answer += chunk
    return int(answer.split(b"\r\n\r\n", 1)[1])


def workers_of(port: int, count: int) -> Counter[int]:
    """Which worker answers each of ``count`` connections opened at once (then closed)."""
    connections = open_at_once(port, count)
    try:
        return Counter(worker_of(connection) for connection in connections)
    finally:
        for connection in connections:
            connection.close()


def test_connections_opened_at_once_are_shared_out_evenly_among_the_workers():
    """uvicorn's workers race to accept: 64 connections opened at once were split 26/38 over two workers and
    46/14/4 over three, and the crowded worker answered each of its connections later."""
    with served(workers=3) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for _ in range(2):  # and again once the first connections have closed
            held = workers_of(port, 60)
            assert len(held) == 3 and max(held.values()) - min(held.values()) <= 2, held
            time.sleep(0.3)  # the workers see the connections close


def test_a_worker_that_dies_holds_no_connection_back():
    with served(workers=2) as server:
        port = int(server.url.rsplit(":", 1)[1])
        connections = open_at_once(port, 10)
        workers = {worker_of(connection) for connection in connections}
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)  # its row in the table stays, with its count (5), until it goes stale
        started = time.monotonic()
        served_by = workers_of(port, 20)
        for connection in connections:
            connection.close()
        assert victim not in served_by and sum(served_by.values()) == 20
        assert time.monotonic() - started < 1, "new connections waited for a dead worker"


class Client:
    """A keep-alive connection that reconnects when the server's answer says ``Connection: close``, as a proxy's
    pool or a browser does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=10)

    def ask(self) -> int:
        """The worker that answers; reconnects afterwards when the answer asked for it."""
        self.connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
            chunk = self.connection.recv(4096)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            answer += chunk
        head, body = answer.split(b"\r\n\r\n", 1)
        if b"connection: close" in head.lower():
            self.connection.close()
            self.connection = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return int(body)


def test_connections_crowded_on_one_worker_move_to_the_others_as_they_are_answered():
    """uvicorn starts its workers one after another (and restarts one that died): meanwhile another takes every
    connection. Its answers then ask clients to reconnect until the connections are shared out again."""
    with served(workers=2) as server:
        port = int(server.url.rsplit(":", 1)[1])
        first = workers_of(port, 2)
        os.kill(min(first), signal.SIGKILL)  # the survivor takes every connection until the new worker is up
        clients = [Client(port) for _ in range(40)]
        crowded = Counter(client.ask() for client in clients)
        deadline = time.monotonic() + 20
        while len(held := Counter(client.ask() for client in clients)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the dead worker's replacement is starting
        for _ in range(3):
            held = Counter(client.ask() for client in clients)
        for client in clients:
            client.connection.close()
        assert len(crowded) == 1, crowded
        assert len(held) == 2 and max(held.values()) - min(held.values()) <= 2, held


def test_the_table_starts_empty_and_goes_away():
    with load_table() as path:
        assert path.read_bytes() == bytes(ROWS * ROW.size)
    assert not path.exists() and not path.parent.exists()
