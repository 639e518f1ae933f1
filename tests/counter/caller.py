"""A window in a process of its own, for tests/counter/test_processes.py: once connected, it says so in the barrier
directory and waits for the other windows there; then it calls the next ticket of OFFICE to WINDOW until nobody
waits, and prints the ids it got as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


async def call_all(office: str, window: int, barrier: Path, windows: int) -> list[int]:
    from counter.offices import get_office
    from counter.tickets import call_next

    found = await get_office(office)  # connected, with everything imported
    (barrier / str(window)).touch()
    deadline = time.monotonic() + 60
    while len(list(barrier.iterdir())) < windows and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    called = []
    while (ticket := await call_next(found, window)) is not None:
        called.append(ticket.id)
    return called


if __name__ == "__main__":
    from cli.runtime import run

    office, window, barrier, windows = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(run(call_all(office, window, barrier, windows))))
