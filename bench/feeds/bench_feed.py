"""Requests per second and p99 latency of a venue's calendar feed (``GET /venues/{id}/calendar.ics?token=``).

The script builds everything itself on 127.0.0.1 and removes it afterwards: a SQLite database in a temporary
directory, migrated, with one venue holding ``--booths`` published booths (14 slots each, some bookings) and a
second venue with booths of its own; then ``outreach serve`` (one worker, as SQLite runs), and a bounded load on
the feed at ``--concurrency`` connections: from wrk when it is installed, for ``--seconds`` per run (wrk bounds a run
by time, not by count), or else ``--requests`` requests from an asyncio/httpx generator (which competes with the
server for the same cores and reads lower).

Runs: every request checking the token and building the feed (PUBLIC_CACHE_SECONDS=0: six queries and the
iCalendar text), the default per-process cache of built feeds per (venue, token) (no query while an entry is
fresh), calendar apps revalidating with If-None-Match (304, no body), and ``/healthz`` (one trivial query) on the
same server as the reference of what one worker serves on this machine.

    .venv/bin/python bench/feeds/bench_feed.py
    .venv/bin/python bench/feeds/bench_feed.py --seconds 10 --concurrency 32 --booths 12
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WRK = shutil.which("wrk")
sys.path.insert(0, str(ROOT))

from tests.support import servers  # noqa: E402

# --- data --------------------------------------------------------------------------------------------------------


async def seed(booths: int) -> tuple[str, str, float, float]:
    """The venue under test with ``booths`` published booths and some bookings, and a second venue; returns the
    venue's ID, its feed token and how long one build of its feed takes in this process: reading the booths and
    writing the iCalendar text (ms, medians of 20)."""
    from booking.bookings import BookingRequest, create_booking
    from booking.services import slot_times
    from booking.tables import Slot
    from booking.venue_booths import venue_feed_booths
    from cli.runtime import migrate
    from core import clock
    from core.i18n import using_locale
    from planner.tables import Plan, PlanVersion, Session
    from portal.documents.venue_feed import venue_feed_ics
    from venues.feeds import check_feed_token, feed_token
    from venues.tables import Venue

    await migrate()
    venue_ids = []
    for n, name in ((1, "泉野図書館"), (2, "よその公民館")):
        await Venue.insert(
            Venue(
                venue_id=f"BENCH{n}",
                name=name,
                kind="library",
                address=f"石川県金沢市泉野出町{n}",
                town="泉野出町",
                lat=36.54 + n / 100,
                lon=136.64,
                open_days="月火水木金土日",
                open_from="09:00",
                open_until="19:00",
            )
        )
        venue_ids.append((await Venue.select(Venue.id).where(Venue.venue_id == f"BENCH{n}").first())["id"])
    plan = (
        await Plan.insert(
            Plan(title="ベンチ計画", start=clock.today(), end=clock.today() + dt.timedelta(days=365))
        ).returning(Plan.id)
    )[0]["id"]
    version = (
        await PlanVersion.insert(PlanVersion(plan=plan, state="approved", decided_at=clock.now())).returning(
            PlanVersion.id
        )
    )[0]["id"]
    first_slots = []
    for venue_pk, count in ((venue_ids[0], booths), (venue_ids[1], 6)):
        for k in range(count):
            date = clock.today() + dt.timedelta(days=7 + 14 * k + venue_pk % 2)
            session = (
                await Session.insert(
                    Session(
                        version=version,
                        venue=venue_pk,
                        date=date,
                        start=dt.time(10),
                        end=dt.time(17),
                        day_type="holiday" if date.weekday() >= 5 else "weekday",
                        state="published",
                    )
                ).returning(Session.id)
            )[0]["id"]
            await Slot.insert(
                *[
                    Slot(session=session, start=a, end=b, capacity=4, walk_in=2)
                    for a, b in slot_times(date, dt.time(10), dt.time(17), 30)
                ]
            )
            first_slots.append((await Slot.select(Slot.id).where(Slot.session == session).first())["id"])
    for n, slot in enumerate(first_slots):
        await create_booking(
            BookingRequest(slot_id=slot, name_kana="ベンチ タロウ", phone=f"090{n:08d}", party_size=1 + n % 3)
        )
    token = await feed_token("BENCH1")
    venue = await check_feed_token("BENCH1", token)
    reads, writes = [], []
    for _ in range(20):
        started = time.perf_counter()
        rows = await venue_feed_booths(venue["id"])
        read = time.perf_counter()
        with using_locale("ja"):
            body = venue_feed_ics(venue, rows, base_url="http://127.0.0.1")
        reads.append((read - started) * 1000)
        writes.append((time.perf_counter() - read) * 1000)
    assert body.count(b"BEGIN:VEVENT") == booths, "the feed must hold the venue's booths only"
    return "BENCH1", token, sorted(reads)[10], sorted(writes)[10]


# --- server and load ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(url: str, seconds: int, connections: int, headers: dict[str, str], label: str) -> Run:
    threads = max(1, min(connections, os.cpu_count() or 1))
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "report.lua"),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError("wrk printed no figures:\n" + done.stdout + done.stderr)
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = (
        data["non_2xx_3xx"] + data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"]
    )
    return Run(
        label, data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1000, data["p99_us"] / 1000, errors, "wrk"
    )


async def run_httpx(url: str, total: int, connections: int, headers: dict[str, str], label: str) -> Run:
    latencies: list[float] = []
    errors = 0
    remaining = total
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    response = await client.get(url, headers=headers)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda share: latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000  # noqa: E731
    return Run(label, len(latencies), elapsed, pick(0.5), pick(0.99), errors, "httpx")


def hammer(url: str, args: argparse.Namespace, headers: dict[str, str], label: str, warm_up: bool = False) -> Run:
    if WRK:
        return run_wrk(url, 2 if warm_up else args.seconds, args.concurrency, headers, label)
    total = min(300, args.requests) if warm_up else args.requests
    return asyncio.run(run_httpx(url, total, args.concurrency, headers, label))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each run with wrk")
    parser.add_argument("--requests", type=int, default=4000, help="requests per run without wrk")
    parser.add_argument("--concurrency", type=int, default=32, help="connections")
    parser.add_argument("--booths", type=int, default=12, help="published booths at the venue under test")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="outreach-bench-feed-"))
    env = {
        **os.environ,
        "OUTREACH_VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}",
        "OUTBOX_SEND_INTERVAL": "0",
        "OUTREACH_LANG": "en",
    }
    env.pop("REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("OUTREACH_VAR_DIR", "DATABASE_URL", "OUTBOX_SEND_INTERVAL")})
    try:
        venue_id, token, read_ms, write_ms = asyncio.run(seed(args.booths))
        path = f"/venues/{venue_id}/calendar.ics?token={token}"
        print(
            f"machine: {os.cpu_count()} cores; load from {'wrk' if WRK else 'asyncio/httpx'}; "
            f"{f'{args.seconds} s' if WRK else f'{args.requests} requests'} per run at {args.concurrency} "
            f"connections; one venue with "
            f"{args.booths} booths (14 slots each); one build in-process: {read_ms:.1f} ms reading the booths, "
            f"{write_ms:.1f} ms writing the iCalendar text; load average {os.getloadavg()[0]:.1f}"
        )
        runs = []
        for label, cache_seconds, conditional in (
            ("no cache (build every request)", "0", False),
            ("per-process cache (2 s)", "2", False),
            ("If-None-Match → 304, cache 2 s", "2", True),
        ):
            with servers.portal(
                env={**env, "PUBLIC_CACHE_SECONDS": cache_seconds}, log=work / "serve.log", cwd=ROOT
            ) as served:
                base = served.url
                first = httpx.get(base + path, timeout=10)
                first.raise_for_status()
                assert first.content.count(b"BEGIN:VEVENT") == args.booths
                headers = {"If-None-Match": first.headers["etag"]} if conditional else {}
                hammer(base + path, args, headers, "warm-up", warm_up=True)
                runs.append(hammer(base + path, args, headers, label))
                if conditional:
                    runs.append(hammer(base + "/healthz", args, {}, "/healthz (reference)"))
        print(f"{'run':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
        for run in runs:
            print(
                f"{run.label:34} {run.rate:8,.0f} {run.p50_ms:8.1f} {run.p99_ms:8.1f} {run.requests:9d} {run.errors:7d}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
