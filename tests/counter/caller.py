"""A window in a process of its own, for tests/counter/test_processes.py: waits until the given moment, calls the
next ticket of OFFICE to WINDOW until nobody waits, and prints the ids it got as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def call_all(office: str, window: int, start_at: float) -> list[int]:
    from counter.tickets import call_next

    await asyncio.sleep(max(0.0, start_at - time.time()))
    called = []
    while (ticket := await call_next(office, window)) is not None:
        called.append(ticket.id)
    return called


if __name__ == "__main__":
    from cli.runtime import run

    print(json.dumps(run(call_all(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))))
