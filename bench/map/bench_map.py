"""Does the booth map stall the portal? ``/booths/N`` latency alone and while visitors open the map near many places.

Issue 17 found that each ``/map.html?near=...`` with a new value built a folium map on the event loop (170–280 ms):
60 of them, 10 at a time, from one address, took 16 s, and meanwhile ``/booths/1`` went from 9 ms to a median of
584 ms and a maximum of 5.4 s. This script reproduces that: a temporary SQLite database with ``--booths`` published
booths around Kanazawa, ``outreach serve`` (one worker, as SQLite runs), then

1. baseline: ``/booths/N`` fetched one after another, ``--probes`` times, alone;
2. reference load: the same probe while as many visitors, as many at a time, each fetch two pages the server
   holds ready (another booth's page and ``/api/sessions``): what any load of that size costs one worker;
3. map load: the same probe while ``--visitors`` visitors (``--concurrency`` at a time) each open the home page
   near a place of their own (``/?near=LAT,LON``, every one distinct) and what the page loads for its map: the
   frame's document (``iframe.map-frame``, drawn by folium on the server before issue 17), or the booths' JSON the
   browser draws the map from (``data-sessions`` of ``[data-booth-map]``, after). The map's script and Leaflet are
   static files a browser caches, so they are not fetched.

It prints the median and maximum of ``/booths/N`` for each, how long the visitors took and the answers they got, in
one run against one server: run it on two commits to compare them.

    .venv/bin/python bench/map/bench_map.py
    .venv/bin/python bench/map/bench_map.py --visitors 60 --concurrency 10 --booths 72
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from bs4 import BeautifulSoup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import servers  # noqa: E402


async def seed(booths: int) -> int:
    """``booths`` published booths from next week on, each at its own venue around Kanazawa; returns one's id."""
    from cli.runtime import migrate
    from tests.booking.factories import publish_booth

    await migrate()
    first = 0
    start = dt.date.today() + dt.timedelta(days=7)
    for n in range(booths):
        booth = await publish_booth(
            start + dt.timedelta(days=n * 3),
            venue_id=f"BENCH{n:03d}",
            name=f"ベンチ公民館{n}",
            lat=36.50 + (n % 9) * 0.015,
            lon=136.58 + (n // 9) * 0.015,
        )
        first = first or booth["session"]
    return first


async def probe(client: httpx.AsyncClient, path: str, until: asyncio.Event | None, count: int) -> list[float]:
    """Fetch ``path`` one request after another: ``count`` times, or until ``until`` is set; milliseconds each."""
    times: list[float] = []
    while (until is None and len(times) < count) or (until is not None and not until.is_set()):
        started = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


async def visit(client: httpx.AsyncClient, n: int, statuses: Counter) -> None:
    """One visitor opening the home page near a place of their own, and its map frame when it has one."""
    near = f"{36.52 + n * 0.0013:.4f},{136.60 + n * 0.0011:.4f}"
    page = await client.get("/", params={"near": near})
    statuses[f"home {page.status_code}"] += 1
    html = BeautifulSoup(page.text, "html.parser")
    frame, drawn = html.select_one("iframe.map-frame"), html.select_one("[data-booth-map]")
    address = frame["src"] if frame is not None else drawn["data-sessions"] if drawn is not None else None
    if address is not None:
        answer = await client.get(address)
        statuses[f"{address.split('?')[0]} {answer.status_code}"] += 1


async def plain_visit(client: httpx.AsyncClient, booth: int, statuses: Counter) -> None:
    """The reference load: a visitor fetching two cached pages (a booth's page and the booth list's JSON)."""
    for path in (f"/booths/{booth}", "/api/sessions"):
        statuses[f"{path} {(await client.get(path)).status_code}"] += 1


async def under_load(client: httpx.AsyncClient, path: str, args: argparse.Namespace, visit_one) -> tuple:
    """``path`` probed one request after another while ``args.visitors`` visits run, ``args.concurrency`` at a
    time; the probe's times, the visits' seconds and their answers."""
    done = asyncio.Event()
    statuses: Counter = Counter()
    queue = iter(range(args.visitors))

    async def visitor() -> None:
        for n in queue:
            await visit_one(n, statuses)

    async def load() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(visitor() for _ in range(args.concurrency)))
        done.set()
        return time.perf_counter() - started

    times, seconds = await asyncio.gather(probe(client, path, done, 0), load())
    return times, seconds, statuses


async def measure(base: str, booth: int, args: argparse.Namespace) -> None:
    path = f"/booths/{booth}"
    limits = httpx.Limits(max_connections=args.concurrency + 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await probe(client, path, None, 20)  # warm-up: templates, the booth cache
        alone = await probe(client, path, None, args.probes)
        plain = await under_load(client, path, args, lambda n, statuses: plain_visit(client, booth + 1, statuses))
        mapped = await under_load(client, path, args, lambda n, statuses: visit(client, n, statuses))
    print(f"{'/booths/N':36} {'median ms':>10} {'max ms':>10} {'requests':>9} {'load s':>7}")
    print(f"{'alone (baseline)':36} {statistics.median(alone):10.1f} {max(alone):10.1f} {len(alone):9d} {'':>7}")
    for label, (times, seconds, statuses) in (
        ("while visitors open cached pages", plain),
        ("while visitors open the map", mapped),
    ):
        print(f"{label:36} {statistics.median(times):10.1f} {max(times):10.1f} {len(times):9d} {seconds:7.1f}")
        answers = ", ".join(f"{key}: {value}" for key, value in sorted(statuses.items()))
        print(f"    {args.visitors} visitors, {args.concurrency} at a time: {answers}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=60, help="visitors opening the map, each near another place")
    parser.add_argument("--concurrency", type=int, default=10, help="visitors at a time")
    parser.add_argument("--booths", type=int, default=72, help="published booths")
    parser.add_argument("--probes", type=int, default=100, help="/booths/N requests of the baseline")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="outreach-bench-map-"))
    env = {
        **os.environ,
        "OUTREACH_VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}",
        "OUTBOX_SEND_INTERVAL": "0",
        "TILE_URL": "/static/img/blank-tile.png",
    }
    env.pop("REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("OUTREACH_VAR_DIR", "DATABASE_URL", "OUTBOX_SEND_INTERVAL")})
    try:
        booth = asyncio.run(seed(args.booths))
        print(f"machine: {os.cpu_count()} cores; {args.booths} booths; one worker on SQLite")
        with servers.portal(env=env, log=work / "serve.log", cwd=ROOT) as served:
            asyncio.run(measure(served.url, booth, args))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
