"""Booking under load: the real portal served by `outreach serve` on the test database, with as many worker
processes as the database allows (one on SQLite, several on PostgreSQL) and the rate limit out of the way."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from core.db import is_sqlite
from tests.support import servers

POSTGRES_WORKERS = 3


@contextlib.contextmanager
def serve_portal(workers: int, **env: str) -> Iterator[servers.Server]:
    """`outreach serve --workers N` on a free port with the test environment plus ``env``; stopped on exit. Its
    output (``.output()``) is kept in a temporary file until then."""
    with servers.portal(env={**os.environ, **env}, workers=workers, start_timeout=30, stop_timeout=15) as portal:
        yield portal


@pytest.fixture(scope="module")
def busy_portal(database) -> Iterator[servers.Server]:
    """The portal with one worker on SQLite and several on PostgreSQL (each with its connection pool, as in
    production), the booking rate limit raised so that only capacity decides."""
    workers = 1 if is_sqlite() else POSTGRES_WORKERS
    with serve_portal(workers, BOOKING_RATE_LIMIT="100000", DB_POOL="1") as portal:
        yield portal


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private Redis server on a free port, keeping nothing on disk; stopped after the module."""
    with servers.redis_server() as url:
        yield url
