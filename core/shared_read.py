"""One read at a time for a per-process cache, shared by every request that needs it meanwhile.

The callers await one task, so that they all go on in the same turn of the event loop when it ends. Waiting on an
``asyncio.Lock`` instead hands the lock on to one waiter per turn: on a worker busy with 64 connections a turn takes
5–25 ms, and the fortieth request that found the counter's snapshot stale waited forty turns, up to a second
(the home page's slowest percent in bench/booking at 128 connections: 0.5–3.8 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class SharedRead:
    """``await shared.run(read)`` runs ``read()`` unless a read is running already, and then waits for that one.
    A caller that is cancelled (its client went away) does not cancel the read the others wait for."""

    def __init__(self) -> None:
        self._task: asyncio.Future[Any] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    async def run(self, read: Callable[[], Awaitable[Any]]) -> Any:
        if self._task is None:
            task = self._task = asyncio.ensure_future(read())
            task.add_done_callback(self._done)
        return await asyncio.shield(self._task)

    def _done(self, task: asyncio.Future[Any]) -> None:
        if self._task is task:
            self._task = None
        if not task.cancelled():
            task.exception()  # retrieved: every waiter was given it (and none may be left to)
