"""The read path's CPU inside one process: the portal's ASGI app and the bare app (bare_app.py) called directly, with
no server, socket or load generator in between, so that the figure hardly depends on what else the machine does.

    DATABASE_URL=... .venv/bin/python bench/booking/inprocess.py [--requests 30000] [--path /api/sessions] [--profile]

The database must hold published booths (``outreach demo`` on it first). Prints the CPU time per request of each app
(``time.process_time``, after 500 warm-up requests), their ratio, and with ``--profile`` the portal's cProfile by own
time. The bare app sends the bytes the portal sent for the same path, as in bench_booking.py.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))


def scope_of(path: str) -> dict[str, Any]:
    """A GET as uvicorn hands it to the app (what wrk sends: Host, User-Agent, Accept-Encoding: gzip)."""
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept-encoding", b"gzip")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def start(app: Any) -> None:
    """The ASGI lifespan's start-up (the portal opens its database pool)."""
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    asyncio.get_running_loop().create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    message = await outbox.get()
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {message}")


async def request(app: Any, path: str) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope_of(path), receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def cpu_per_request(app: Any, path: str, requests: int, profile: cProfile.Profile | None = None) -> float:
    for _ in range(500):
        await request(app, path)
    if profile:
        profile.enable()
    started = time.process_time()
    for _ in range(requests):
        await request(app, path)
    seconds = time.process_time() - started
    if profile:
        profile.disable()
    return seconds / requests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30000)
    parser.add_argument("--path", default="/api/sessions")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PUBLIC_CACHE_SECONDS", "3600")  # one read of the list for the whole run

    from portal.app import create_app

    portal = create_app()
    await start(portal)
    status, body = await request(portal, args.path)
    if status != 200:
        raise RuntimeError(f"{args.path} answered {status}")
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(body)
        file.flush()
        os.environ["BARE_BODY_FILE"] = file.name
        sys.path.insert(0, str(HERE))
        import bare_app

    bare = await cpu_per_request(bare_app.app, "/bare", args.requests)
    profile = cProfile.Profile() if args.profile else None
    ours = await cpu_per_request(portal, args.path, args.requests, profile)
    print(
        f"{args.path} ({len(body):,} bytes): {ours * 1e6:.1f} us CPU per request; the bare app sending the same "
        f"bytes: {bare * 1e6:.1f} us; bare ÷ portal = {bare / ours:.2f} ({args.requests:,} requests each, in-process)"
    )
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main())
