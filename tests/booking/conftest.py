"""Booking under load: the real portal served by `outreach serve` on the test database, with as many worker
processes as the database allows (one on SQLite, several on PostgreSQL) and the rate limit out of the way."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import is_sqlite

POSTGRES_WORKERS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """A running `outreach serve`: its address, worker count, and everything it wrote to stdout and stderr."""

    def __init__(self, url: str, workers: int, log: Path) -> None:
        self.url, self.workers, self.log = url, workers, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serve_portal(workers: int, **env: str) -> Iterator[Portal]:
    """`outreach serve --workers N` on a free port with the test environment plus ``env``; stopped on exit."""
    port = free_port()
    outreach = str(Path(sys.executable).parent / "outreach")
    log = Path(tempfile.mkstemp(prefix="outreach-portal-", suffix=".log")[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [outreach, "serve", "--port", str(port), "--workers", str(workers), "--no-migrate"],
            env={**os.environ, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    portal = Portal(f"http://127.0.0.1:{port}", workers, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(portal.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the portal did not start:\n" + portal.output()) from None
                time.sleep(0.2)
        yield portal
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def busy_portal(database) -> Iterator[Portal]:
    """The portal with one worker on SQLite and several on PostgreSQL (each with its connection pool, as in
    production), the booking rate limit raised so that only capacity decides."""
    workers = 1 if is_sqlite() else POSTGRES_WORKERS
    with serve_portal(workers, BOOKING_RATE_LIMIT="100000", DB_POOL="1") as portal:
        yield portal


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private Redis server (Debian's redis-server, installed by scripts/check-system-deps.sh) on a free port,
    keeping nothing on disk; stopped after the module."""
    import shutil

    server = shutil.which("redis-server")
    assert server, "the tests need redis-server (scripts/check-system-deps.sh installs it)"
    port = free_port()
    directory = tempfile.mkdtemp(prefix="outreach-redis-")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=15)
