"""Blocking work off the event loop: a thread, or a process that a cancellation terminates."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from core.offload import run_in_process, run_in_thread


async def test_run_in_thread_runs_elsewhere():
    assert await run_in_thread(threading.get_ident) != threading.get_ident()


async def test_run_in_process_returns_raises_and_stops_when_cancelled():
    assert await run_in_process(pow, 2, 10) == 1024
    with pytest.raises(ValueError):
        await run_in_process(int, "not a number")
    started = time.monotonic()
    task = asyncio.create_task(run_in_process(time.sleep, 60))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 10  # the child was terminated, not waited for
