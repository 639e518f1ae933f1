"""Blocking work off the event loop, for job handlers (core.jobs) and anything else that must not stall it.

- ``run_in_thread``: code that releases the GIL while it works (HiGHS solving a plan, numpy, file and network I/O) or
  that finishes in well under a second. Cheap; the thread cannot be stopped, so a cancelled caller leaves it running
  to its end.
- ``ThreadLimit``: ``run_in_thread`` with at most N calls at once, for work that is both slow and costly in memory
  (Argon2 password hashes: 64 MiB and ~0.2 s each), so that a burst queues instead of taking every core.
- ``run_in_process``: long pure-Python CPU work (WeasyPrint rendering a month of flyers). In a thread it would hold
  the GIL, and so the event loop (every request of a web process) for most of its run. Costs a fresh interpreter
  (0.1-0.2 s here, plus the imports of ``fn``'s module); its arguments and result are pickled; a cancelled caller
  terminates it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking function in a thread, for code that releases the GIL (HiGHS, I/O) or finishes quickly. The
    thread cannot be stopped: when the job is cancelled the function still runs to its end, its result unused."""
    return await asyncio.to_thread(fn, *args, **kwargs)


class ThreadLimit:
    """``run_in_thread`` with at most ``limit`` calls running at once; callers beyond the limit wait their turn
    without blocking the event loop. A semaphore belongs to the event loop that first waits on it, so there is one
    per loop (a server has one; the test client starts its own)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a thread once fewer than ``limit`` calls are running."""
        async with self._semaphore():
            return await run_in_thread(fn, *args, **kwargs)


def _call_in_child(sender: Connection, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the parent, which raises it
        outcome = (False, exc)
    try:
        sender.send(outcome)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an unpicklable result or exception
        sender.send((False, RuntimeError(f"the result could not be sent back ({type(exc).__name__})")))
    finally:
        sender.close()


def _receive(receiver: Connection) -> tuple[bool, Any]:
    try:
        outcome: tuple[bool, Any] = receiver.recv()
        return outcome
    except EOFError:
        return False, RuntimeError("the worker process ended without a result")
    finally:
        receiver.close()


async def run_in_process(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a function in a fresh process, for long pure-Python CPU work that would hold the GIL (and so the event
    loop) in a thread. ``fn``, its arguments and its result must be picklable (``fn`` a module-level function); the
    process is started fresh ("spawn": no copy of this process's connections) and terminated if the job is cancelled."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_call_in_child, args=(sender, fn, args, kwargs), daemon=True)
    process.start()
    sender.close()
    try:
        ok, value = await asyncio.to_thread(_receive, receiver)
    except BaseException:
        process.terminate()
        raise
    finally:
        await asyncio.to_thread(process.join)
    if not ok:
        raise value
    result: T = value
    return result
