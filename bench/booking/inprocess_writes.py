"""A booking's and a refusal's CPU inside one process: ``POST /api/bookings`` sent straight to the portal's ASGI app
(no server, socket or load generator), first bookings of a slot with room, then bookings of a full slot (refused
with alternatives), each with a fresh phone number and Idempotency-Key, as in the benchmark's rush.

    DATABASE_URL=... .venv/bin/python bench/booking/inprocess_writes.py [--requests 2000] [--profile refusal|booking]

The database must hold published booths (``outreach demo`` on it first); the script raises two upcoming slots'
capacity (one to room for every booking, one to exactly what it holds) and does not undo it: use a scratch database.
Prints the portal process's CPU time (``time.process_time``; the database server's is not counted, as in the
benchmark) per booking and per refusal, and their ratio (issue 17 item 12: a refusal no dearer than a booking).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from inprocess import start  # noqa: E402


def scope_of(path: str, key: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"idempotency-key", key.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def post(app: Any, slot: int, n: int) -> int:
    body = json.dumps({"slot_id": slot, "name_kana": "ベンチ タロウ", "phone": f"070{n:08d}", "party_size": 1}).encode()
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope_of("/api/bookings", f"inprocess-{n}-{time.time_ns()}"), receive, send)
    return sent[0]["status"]


async def cpu_per_request(app: Any, slot: int, first: int, requests: int, expected: int, profile: Any) -> float:
    if profile:
        profile.enable()
    started = time.process_time()
    for n in range(first, first + requests):
        status = await post(app, slot, n)
        if status != expected:
            raise RuntimeError(f"slot {slot}: {status}, expected {expected}")
    seconds = time.process_time() - started
    if profile:
        profile.disable()
    return seconds / requests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", choices=["booking", "refusal"])
    args = parser.parse_args()
    os.environ.setdefault("PUBLIC_CACHE_SECONDS", "3600")
    os.environ["BOOKING_RATE_LIMIT"] = "1000000000"
    os.environ["BOOKINGS_PER_CONTACT"] = "1000000"

    from booking.booths import booking_opens_before
    from booking.tables import Slot
    from planner.tables import SessionState
    from portal.app import create_app

    portal = create_app()
    await start(portal)
    rows = (
        await Slot.select(Slot.id, Slot.start, Slot.booked)
        .where(Slot.session.state == SessionState.published.value)
        .order_by(Slot.start)
    )
    open_ids = [row for row in rows if booking_opens_before(row["start"])]
    roomy, full = open_ids[0], open_ids[1]
    await Slot.update({Slot.capacity: 10**8}).where(Slot.id == roomy["id"])
    await Slot.update({Slot.capacity: full["booked"], Slot.walk_in: 0}).where(Slot.id == full["id"])
    await cpu_per_request(portal, roomy["id"], 0, 200, 201, None)  # warm-up
    await cpu_per_request(portal, full["id"], 200, 200, 409, None)
    profiles = {name: cProfile.Profile() if args.profile == name else None for name in ("booking", "refusal")}
    booking = await cpu_per_request(portal, roomy["id"], 1000, args.requests, 201, profiles["booking"])
    refusal = await cpu_per_request(portal, full["id"], 10**6, args.requests, 409, profiles["refusal"])
    print(
        f"booking {booking * 1e3:.2f} ms CPU, refusal {refusal * 1e3:.2f} ms CPU, refusal ÷ booking = "
        f"{refusal / booking:.2f} ({args.requests:,} requests each, in-process)"
    )
    for profile in profiles.values():
        if profile:
            pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(40)
            if os.environ.get("PROFILE_FILE"):
                profile.dump_stats(os.environ["PROFILE_FILE"])


if __name__ == "__main__":
    asyncio.run(main())
