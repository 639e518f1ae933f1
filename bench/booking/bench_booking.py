"""The booking release's benchmark: the public read path against the framework's ceiling, a sustained rush of
bookings and cancellations on PostgreSQL, and the weight of the home page.

The script starts everything itself on free ports of 127.0.0.1 and stops and drops it at the end (only the servers'
logs stay, in a temporary directory it names):

- production: a fresh PostgreSQL database ``outreach_bench_<random>`` (dropped at the end), Redis for the shared
  rate-limit store, ``outreach serve --workers N`` (N = the machine's cores unless told);
- demo: a SQLite file in a temporary directory, ``outreach serve`` with one worker;
- in both, the Kanazawa demo (``outreach demo``: migrations, the real venue list, the plan of the next fiscal year,
  approved and published: 144 booths with 14 slots each), with ``SLOT_CAPACITY`` raised so that the write run never
  runs out of places, and ``BOOKING_RATE_LIMIT`` raised so that only capacity decides;
- beside each portal, a bare Litestar app (``bare_app.py``) under the same server (uvicorn, same options, same
  worker count): its requests/s is the ceiling each read figure is divided by.

Load comes from wrk (``apt-get install wrk``; Lua scripts ``report.lua`` and ``bookings.lua``); without wrk an
asyncio/httpx generator is used, which competes with the server for the same cores and reads lower.
Reads send ``Accept-Encoding: gzip`` as browsers do.

    .venv/bin/python bench/booking/bench_booking.py              # everything, about 4 minutes
    .venv/bin/python bench/booking/bench_booking.py --quick      # short runs, to check the script
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.support import servers  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

WRK = shutil.which("wrk")
PGBENCH = shutil.which("pgbench")
GZIP = {"Accept-Encoding": "gzip"}

TARGET_READ_RATIO = 0.8
TARGET_BOOKINGS_PER_S = 500
WRITE_WARM_SECONDS = 3  # the same write load before each measured write run (as the reads have their warm-up)
TARGET_WRITE_P99_MS = 100
TARGET_DEMO_WRITE_P99_MS = 300  # the demo (SQLite, one worker) at the same 64 connections
TARGET_RUSH_SECONDS = {"production": 1.0, "demo": 3.0}  # the last of the rush's answers
TARGET_PAGE_KB = 200


# --- processes --------------------------------------------------------------------------------------------------


def cpu_seconds(server: servers.Server) -> float:
    """CPU time of a server's process and all its descendants (uvicorn's workers), from /proc: each thread's
    ``se.sum_exec_runtime`` (nanoseconds, where the kernel shows it), else user + system time in clock ticks (10 ms
    each: over a rush of 300 answers on three processes, ±0.2 ms an answer)."""
    total, pending = 0.0, [server.pid]
    while pending:
        pid = pending.pop()
        with contextlib.suppress(OSError):
            total += _process_cpu_seconds(pid)
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(x) for x in (task / "children").read_text().split()]
    return total


def _process_cpu_seconds(pid: int) -> float:
    runtime = 0.0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            sched = (task / "sched").read_text()
            runtime += float(sched.split("se.sum_exec_runtime", 1)[1].split(":", 1)[1].split()[0]) / 1000
        return runtime
    except (OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def portal(env: dict, workers: int, log: Path) -> contextlib.AbstractContextManager[servers.Server]:
    """`outreach serve --workers N` as the README runs production (migrations already applied)."""
    return servers.portal(env=env, workers=workers, log=log, cwd=ROOT)


def bare(
    env: dict, workers: int, log: Path, body: Path | None = None
) -> contextlib.AbstractContextManager[servers.Server]:
    """The bare Litestar app under uvicorn with the options `outreach serve` gives it (access log included),
    answering the bytes of ``body`` (bare_app.py)."""
    return servers.uvicorn(
        "bare_app:app",
        app_dir=HERE,
        arguments=["--proxy-headers", "--log-level", "info"],
        workers=workers,
        health_path="/bare",
        env={**env, "BARE_BODY_FILE": str(body)} if body else env,
        log=log,
        cwd=ROOT,
    )


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database ``outreach_bench_<random>``, dropped at the end."""
    import asyncpg

    name = f"outreach_bench_{secrets.token_hex(4)}"

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def load_demo(env: dict) -> str:
    """`outreach demo`: migrations, the Kanazawa venues, the plan of the next fiscal year, approved and published."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "outreach"), "demo"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError("outreach demo failed:\n" + done.stdout + done.stderr)
    # The demo solves its plans itself; the solve jobs their versions queued find them solved and stop, but the first
    # portal started would spend its first seconds starting the solver's process for them, in the middle of the first
    # run. A city's portal did that long before any rush: so does the benchmark, before it measures.
    worker = subprocess.run(
        [str(BIN / "outreach"), "worker", "--once"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if worker.returncode != 0:
        raise RuntimeError("outreach worker --once failed:\n" + worker.stdout + worker.stderr)
    summary = " ".join(
        line.strip() for line in done.stdout.splitlines() if "booth" in line.lower() or "sessions" in line
    )
    return f"{summary} ({time.perf_counter() - started:.0f} s)"


# --- database reads (for the write run and its check) -----------------------------------------------------------

# A slot's rule (booking.booths.party_room): its bookable places, or all its places (walk-in ones included) for one
# party while nobody else has booked it. ``capacity`` below is what the slot may hold as booked now.
CHECK_SQL = """
SELECT s.id, CASE WHEN COUNT(b.id) FILTER (WHERE b.state IN ('confirmed', 'checked_in')) <= 1
                  THEN s.capacity + s.walk_in ELSE s.capacity END AS capacity, s.booked,
       COALESCE(SUM(b.party_size) FILTER (WHERE b.state IN ('confirmed', 'checked_in')), 0) AS active
FROM booking_slot s LEFT JOIN resident_booking b ON b.slot = s.id
GROUP BY s.id, s.capacity, s.walk_in, s.booked
"""
# The demo is a city in the middle of its contract: booths up to today are held already, so the rush goes to the
# first booths from tomorrow (Japan's date), whose slots all take bookings whatever the hour.
HOT_SLOTS_SQL = """
SELECT s.id FROM booking_slot s JOIN plan_session p ON p.id = s.session
WHERE p.state = 'published' AND p.id IN (
    SELECT id FROM plan_session WHERE state = 'published' AND date > '{today}'
    ORDER BY date, start, id LIMIT {booths})
ORDER BY s.id
"""


def query(database_url: str, sql: str) -> list[dict]:
    if database_url.startswith("sqlite"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(database_url.split(":///", 1)[1], timeout=30)) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql)]

    import asyncpg

    async def fetch() -> list[dict]:
        connection = await asyncpg.connect(database_url)
        try:
            return [dict(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


# --- load --------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """The figures of one load run."""

    label: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses and socket errors
    extra: dict = field(default_factory=dict)
    cpu_ms: float = 0.0  # the server's CPU per request (all its processes), ms
    load: float = 0.0  # the machine's 1-minute load average at the end of the run
    others: float = 0.0  # share of the machine's CPU used by other processes than this server during the run

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    url: str,
    connections: int,
    seconds: float,
    script: Path,
    headers: dict | None = None,
    script_args: list[str] | None = None,
    label: str = "",
) -> Run:
    threads = min(connections, max(1, os.cpu_count() or 1))
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError("wrk printed no figures:\n" + done.stdout + done.stderr)
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = data["non_2xx"] + data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"]
    return Run(
        label or url,
        connections,
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        errors,
        data,
    )


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _python_load(url: str, connections: int, seconds: float, make_request, on_response) -> Run:
    """The fallback generator: ``connections`` keep-alive clients, each sending one request after another."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                method, path, headers, body = make_request()
                started = time.perf_counter()
                try:
                    response = await client.request(method, url + path, headers=headers, content=body)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 400 and not on_response(response):
                    errors += 1
                elif response.status_code < 400:
                    on_response(response)

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return Run(
        url,
        connections,
        len(latencies),
        elapsed,
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.99) * 1000,
        errors,
    )


def read_load(url: str, connections: int, seconds: float, label: str) -> Run:
    if WRK:
        return wrk(url, connections, seconds, HERE / "report.lua", GZIP, label=label)
    split = urlsplit(url)
    base, path = f"{split.scheme}://{split.netloc}", split.path + (f"?{split.query}" if split.query else "")
    run = asyncio.run(_python_load(base, connections, seconds, lambda: ("GET", path, GZIP, None), lambda r: False))
    run.label = label
    return run


def write_load(url: str, connections: int, seconds: float, slot_file: Path, cancel_share: float) -> Run:
    if WRK:
        run = wrk(
            url,
            connections,
            seconds,
            HERE / "bookings.lua",
            label="bookings + cancellations",
            script_args=[str(slot_file), str(cancel_share), secrets.token_hex(4)],
        )
        # 409 (slot full) is an answer, not an error: count only what is neither 2xx nor 409
        run.errors = (
            run.extra["server_errors"]
            + run.extra["client_errors"]
            + run.extra["limited"]
            + (
                run.extra["connect_errors"]
                + run.extra["read_errors"]
                + run.extra["write_errors"]
                + run.extra["timeouts"]
            )
        )
        return run
    slots = [int(x) for x in slot_file.read_text().split()]
    pending: list[tuple[str, str]] = []
    counts = dict(
        sent_bookings=0, sent_cancels=0, created=0, cancelled=0, refused=0, limited=0, client_errors=0, server_errors=0
    )
    serial = iter(range(10**9))

    def make_request():
        if pending and random.random() < cancel_share:
            code, token = pending.pop(0)
            counts["sent_cancels"] += 1
            return "POST", f"/api/bookings/{code}/cancel?token={token}", {}, b""
        n = next(serial)
        counts["sent_bookings"] += 1
        body = {
            "slot_id": random.choice(slots),
            "name_kana": "カナザワ タロウ",
            "phone": f"090{n:08d}",
            "party_size": random.choice([1, 1, 1, 1, 2, 2, 3]),
        }
        return (
            "POST",
            "/api/bookings",
            {"Content-Type": "application/json", "Idempotency-Key": f"bench-{n}"},
            json.dumps(body).encode(),
        )

    def on_response(response: httpx.Response) -> bool:
        status = response.status_code
        key = {201: "created", 200: "cancelled", 409: "refused", 429: "limited"}.get(status)
        key = key or ("server_errors" if status >= 500 else "client_errors")
        counts[key] += 1
        if status == 201:
            data = response.json()
            pending.append((data["code"], data["token"]))
        return status == 409

    run = asyncio.run(_python_load(url, connections, seconds, make_request, on_response))
    run.label, run.extra = "bookings + cancellations", counts
    run.errors = counts["server_errors"] + counts["client_errors"] + counts["limited"]
    return run


# --- page weight -------------------------------------------------------------------------------------------------


class _Resources(HTMLParser):
    """The resources a page loads (scripts, stylesheets, icons, frames, images)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.found.append(a["src"])
        elif tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {"stylesheet", "icon"}:
            self.found.append(a["href"])


def _is_tile(url: str, tile_host: str) -> bool:
    return urlsplit(url).netloc == tile_host or "/tile" in url


async def _browser_requests(base: str, tile_host: str) -> tuple[list[str], dict[str, int], int]:
    """Every URL the home page and its map frame load in headless Chromium (tiles blocked), with the bytes of each
    on the wire (encoded body + headers, as Chromium counts them)."""
    from playwright.async_api import async_playwright

    wire: dict[str, int] = {}
    seen: list[str] = []
    tiles = 0
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 1600}, locale="ja-JP")

        async def guard(route) -> None:
            nonlocal tiles
            url = route.request.url
            if url.startswith(base) and not _is_tile(url, tile_host):
                await route.continue_()
            else:
                tiles += _is_tile(url, tile_host)
                await route.abort()

        finished: list = []
        await context.route("**/*", guard)
        page = await context.new_page()
        page.on("requestfinished", lambda request: finished.append(request))
        await page.goto(base + "/", wait_until="networkidle")
        await page.mouse.wheel(0, 5000)  # the map frame loads lazily
        await page.wait_for_load_state("networkidle")
        await asyncio.sleep(1.0)
        for request in finished:
            sizes = await request.sizes()
            seen.append(request.url)
            wire[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        await context.close()
        await browser.close()
    return list(dict.fromkeys(seen)), wire, tiles


def _parsed_resources(base: str) -> list[str]:
    """The same list by parsing: the page, what it links, the map frame and what that links."""
    found, queue = [], [base + "/"]
    while queue:
        url = queue.pop(0)
        if url in found:
            continue
        found.append(url)
        response = httpx.get(url, timeout=30)
        if "html" in response.headers.get("content-type", ""):
            parser = _Resources()
            parser.feed(response.text)
            queue += [urljoin(url, src) for src in parser.found if urljoin(url, src).startswith(base)]
        elif "css" in response.headers.get("content-type", ""):  # what a stylesheet loads (a browser: if used)
            links = (urldefrag(urljoin(url, u.strip("'\""))).url for u in re.findall(r"url\(([^)]+)\)", response.text))
            queue += [link for link in links if link.startswith(base)]
    return found


def _bytes_on_wire(url: str, headers: dict) -> int:
    """Status line, headers and body as sent (the body before any decoding)."""
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        body = sum(len(chunk) for chunk in response.iter_raw())
        head = (
            len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
            + sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
            + 2
        )
    return head + body


def page_weight(base: str, tile_host: str) -> dict:
    try:
        urls, browser_wire, tiles = asyncio.run(_browser_requests(base, tile_host))
        method = "headless Chromium (request.sizes)"
    except Exception as error:  # noqa: BLE001 - fall back to parsing when no browser runs here
        print(f"  (no browser: {error}; parsing HTML instead)")
        urls, browser_wire, tiles, method = _parsed_resources(base), {}, 0, "httpx + HTML parsing"
    rows = []
    for url in urls:
        rows.append(
            (
                url.removeprefix(base),
                _bytes_on_wire(url, GZIP),
                _bytes_on_wire(url, {"Accept-Encoding": "identity"}),
                browser_wire.get(url),
            )
        )
    return {
        "method": method,
        "rows": rows,
        "tiles_blocked": tiles,
        "gzip": sum(r[1] for r in rows),
        "identity": sum(r[2] for r in rows),
        "browser": sum(r[3] or 0 for r in rows) if browser_wire else None,
    }


# --- the runs ----------------------------------------------------------------------------------------------------


def base_env(var_dir: Path, database_url: str, redis_url: str | None) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DB_POOL", "TILE_URL")}
    env.update(
        OUTREACH_VAR_DIR=str(var_dir),
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(32),
        OUTREACH_LANG="en",
        SLOT_CAPACITY="1500",  # 1,000 bookable places a slot (a third kept for walk-ins)
        BOOKING_RATE_LIMIT=str(10**9),
        OUTBOX_SEND_INTERVAL="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


def measured(target: servers.Server, load) -> Run:
    """A load run with the server's CPU per request, the machine's load average, and how much CPU everything else
    (the load generator, PostgreSQL, Redis, and whatever else runs here) took meanwhile."""
    before, (busy_before, total_before) = cpu_seconds(target), machine_cpu_seconds()
    run = load()
    server_cpu = cpu_seconds(target) - before
    busy, total = machine_cpu_seconds()
    run.cpu_ms = server_cpu * 1000 / max(1, run.requests)
    run.load = os.getloadavg()[0]
    run.others = max(0.0, (busy - busy_before) - server_cpu) / max(1e-9, total - total_before)
    return run


def reads(
    name: str,
    env: dict,
    workers: int,
    logs: Path,
    connections: list[int],
    seconds: float,
    warm: float,
    rounds: int = 1,
) -> list[tuple[str, Run, Run]]:
    """GET /api/sessions and GET / and the bare endpoint, at each connection count; each with its bare run. The
    bare endpoint sends the bytes the portal's /api/sessions sends (read from the portal once it runs)."""
    results = []
    with contextlib.ExitStack() as stack:
        site = stack.enter_context(portal(env, workers, logs / f"{name}-portal.log"))
        body = logs / f"{name}-api-sessions.json"
        body.write_bytes(httpx.get(site.url + "/api/sessions", headers=GZIP, timeout=30).content)
        ceiling = stack.enter_context(bare(env, workers, logs / f"{name}-bare.log", body))
        bare_body = httpx.get(ceiling.url + "/bare", timeout=30).content
        if bare_body != body.read_bytes():
            raise RuntimeError("the bare endpoint does not send the bytes of /api/sessions")
        print(f"  {name:<10} /api/sessions and /bare send the same {len(bare_body):,} bytes", flush=True)
        for c in [c for c in connections for _round in range(rounds)]:  # rounds: bare and portal in turn
            baseline = None
            for label, target, path in (
                ("bare /bare", ceiling, "/bare"),
                ("/api/sessions", site, "/api/sessions"),
                ("/ (home)", site, "/"),
            ):
                read_load(target.url + path, c, warm, label)  # warm-up: caches, connection pools, code paths
                url = target.url + path
                run = measured(target, lambda url=url, c=c, label=label: read_load(url, c, seconds, label))
                baseline = baseline or run
                results.append((name, run, baseline))
                print(
                    f"  {name:<10} {label:<14} c={c:<4} {run.rate:>8,.0f} req/s  p99 {run.p99_ms:>7.1f} ms  "
                    f"errors {run.errors}  server CPU {run.cpu_ms:.3f} ms/request  others {run.others:.0%}  "
                    f"load {run.load:.1f}",
                    flush=True,
                )
    return results


def hot_slot_file(env: dict, hot_booths: int, path: Path) -> list[int]:
    """The slots of the first ``hot_booths`` booths (a rush after publicity), written one a line for the load."""
    slots = [
        row["id"] for row in query(env["DATABASE_URL"], HOT_SLOTS_SQL.format(booths=hot_booths, today=japan_today()))
    ]
    path.write_text("\n".join(map(str, slots)) + "\n")
    return slots


def japan_today() -> str:
    """The city's today (Japan's date), whatever the machine's time zone."""
    import datetime as dt

    return dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date().isoformat()


def capacity_check(env: dict) -> dict:
    """Every slot's booked places against its active bookings and its capacity, read from the database."""
    rows = query(env["DATABASE_URL"], CHECK_SQL)
    return {
        "slots": len(rows),
        "booked_total": sum(r["booked"] for r in rows),
        "active_places": sum(r["active"] for r in rows),
        "mismatched_slots": sum(1 for r in rows if r["booked"] != r["active"]),
        "overbooked_slots": sum(1 for r in rows if r["booked"] > r["capacity"] or r["active"] > r["capacity"]),
    }


def writes(
    name: str,
    env: dict,
    workers: int,
    logs: Path,
    connections: int,
    seconds: float,
    hot_booths: int,
    cancel_share: float,
    tmp: Path,
) -> tuple[Run, dict]:
    """A sustained mix of bookings and cancellations, then the capacity check read from the database."""
    slot_file = tmp / f"{name}-slots.txt"
    slots = hot_slot_file(env, hot_booths, slot_file)
    log = logs / f"{name}-write-portal.log"
    with portal(env, workers, log) as site:
        write_load(site.url, connections, WRITE_WARM_SECONDS, slot_file, cancel_share)  # pools, caches, code paths
        run = measured(site, lambda: write_load(site.url, connections, seconds, slot_file, cancel_share))
    print(
        f"  {name:<10} writes c={connections:<4} {run.extra['created'] / run.seconds:>8,.0f} bookings/s  p99 "
        f"{run.p99_ms:>7.1f} ms  5xx {run.extra['server_errors']}  server CPU {run.cpu_ms:.2f} ms/request  "
        f"others {run.others:.0%}  load {run.load:.1f}",
        flush=True,
    )
    check = {**capacity_check(env), "hot_slots": len(slots), **server_log(log)}
    bookings = query(env["DATABASE_URL"], "SELECT state, COUNT(*) AS n FROM resident_booking GROUP BY state")
    check["rows_by_state"] = {r["state"]: r["n"] for r in bookings}
    return run, check


def open_loop(
    name: str,
    env: dict,
    workers: int,
    logs: Path,
    connections: int,
    seconds: float,
    hot_booths: int,
    cancel_share: float,
    tmp: Path,
) -> tuple[Run, dict]:
    """Bookings and cancellations due at the target rate (a Poisson process: 500 bookings/s and their share of
    cancellations) on ``connections`` connections, latency counted from when each was due (open_loop.py)."""
    slot_file = tmp / f"{name}-open-slots.txt"
    hot_slot_file(env, hot_booths, slot_file)
    rate = TARGET_BOOKINGS_PER_S / (1 - cancel_share)
    log = logs / f"{name}-open-loop-portal.log"

    def load(seconds_: float) -> Run:
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "open_loop.py"),
                site.url,
                str(rate),
                str(connections),
                str(seconds_),
                str(slot_file),
                str(cancel_share),
                secrets.token_hex(4),
            ],
            capture_output=True,
            text=True,
            timeout=seconds_ + 120,
            check=False,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("OPENLOOP ")), None)
        if line is None:
            raise RuntimeError("open_loop.py printed no figures:\n" + done.stdout + done.stderr)
        data = json.loads(line.removeprefix("OPENLOOP "))
        errors = data["server_errors"] + data["client_errors"] + data["limited"] + data["socket_errors"]
        return Run(
            "bookings + cancellations at the target rate",
            connections,
            data["answered"],
            data["seconds"],
            data["p50_ms"],
            data["p99_ms"],
            errors,
            data,
        )

    with portal(env, workers, log) as site:
        load(WRITE_WARM_SECONDS)
        run = measured(site, lambda: load(seconds))
    print(
        f"  {name:<10} open loop c={connections:<4} offered {run.extra['offered_rate']:,.0f} req/s: "
        f"{run.extra['created'] / run.seconds:>6,.0f} bookings/s  p50 {run.p50_ms:.1f} ms  p99 {run.p99_ms:.1f} ms"
        f"  max {run.extra['max_ms']:.0f} ms  5xx {run.extra['server_errors']}  server CPU {run.cpu_ms:.2f} "
        f"ms/request  others {run.others:.0%}",
        flush=True,
    )
    return run, {**capacity_check(env), **server_log(log)}


def mixed(
    name: str,
    env: dict,
    workers: int,
    logs: Path,
    read_connections: int,
    write_connections: int,
    seconds: float,
    hot_booths: int,
    tmp: Path,
) -> tuple[Run, Run]:
    """GET /api/sessions while bookings stream in (a rush right after publicity): the read path under writes."""
    from concurrent.futures import ThreadPoolExecutor

    slot_file = tmp / f"{name}-mixed-slots.txt"
    hot_slot_file(env, hot_booths, slot_file)
    with portal(env, workers, logs / f"{name}-mixed-portal.log") as site:
        read_load(site.url + "/api/sessions", read_connections, 2, "warm-up")
        with ThreadPoolExecutor(2) as pool:
            writing = pool.submit(write_load, site.url, write_connections, seconds + 2, slot_file, 0.0)
            time.sleep(1)
            reading = measured(
                site,
                lambda: read_load(
                    site.url + "/api/sessions", read_connections, seconds, "/api/sessions during bookings"
                ),
            )
            written = writing.result()
    print(
        f"  {name:<10} /api/sessions c={read_connections} during bookings c={write_connections}: "
        f"{reading.rate:,.0f} req/s  p99 {reading.p99_ms:.1f} ms  (bookings "
        f"{written.extra['created'] / written.seconds:,.0f}/s)",
        flush=True,
    )
    return reading, written


RUSH_SLOT_SQL = """
SELECT s.id, s.booked FROM booking_slot s JOIN plan_session p ON p.id = s.session
WHERE p.state = 'published' AND p.date > '{today}' ORDER BY p.date DESC, s.start DESC, s.id LIMIT 1 OFFSET {offset}
"""


def execute(database_url: str, sql: str) -> None:
    if database_url.startswith("sqlite"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(database_url.split(":///", 1)[1], timeout=30)) as connection:
            connection.execute(sql)
            connection.commit()
        return

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def rush(
    name: str,
    env: dict,
    workers: int,
    logs: Path,
    attempts: int,
    places: int,
    tmp: Path,
    hot_booths: int,
    offset: int = 0,
) -> tuple[Run, dict]:
    """ATTEMPTS simultaneous bookings of one slot that has PLACES free places (rush.py): the time until the last
    resident has an answer, and the server's CPU per answer. With 4 places nearly all are refusals; with as many
    places as attempts (on the next slot, ``offset`` 1) all are bookings: the same rush, answered the other way."""
    slot = query(env["DATABASE_URL"], RUSH_SLOT_SQL.format(today=japan_today(), offset=offset))[0]
    execute(
        env["DATABASE_URL"], f"UPDATE booking_slot SET capacity = {slot['booked'] + places} WHERE id = {slot['id']}"
    )
    slot_file = tmp / f"{name}-rush-warm-slots.txt"
    hot_slot_file(env, hot_booths, slot_file)
    log = logs / f"{name}-rush-{places}-portal.log"
    with portal(env, workers, log) as site:
        write_load(site.url, 16, WRITE_WARM_SECONDS, slot_file, 0.2)  # pools, caches, code paths

        # The server's CPU is read when rush.py has opened its connections, when it has every answer, and when it has
        # closed them: the CPU per answer then counts the requests alone, as the write mix's CPU per request does
        # (wrk's connections stay open for thousands of requests); the connections' CPU is shown apart.
        rushing = subprocess.Popen(
            [sys.executable, str(HERE / "rush.py"), site.url, str(slot["id"]), str(attempts), secrets.token_hex(4)]
            + ["--wait"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert rushing.stdin is not None and rushing.stdout is not None
        try:
            before_connections = cpu_seconds(site)
            if rushing.stdout.readline().strip() != "READY":
                raise RuntimeError("rush.py could not open its connections")
            before, (busy_before, total_before) = cpu_seconds(site), machine_cpu_seconds()
            rushing.stdin.write("go\n")
            rushing.stdin.flush()
            line = rushing.stdout.readline()
            server_cpu = cpu_seconds(site) - before
            busy, total = machine_cpu_seconds()
            rushing.stdin.write("bye\n")
            rushing.stdin.flush()
            rushing.wait(timeout=60)
            time.sleep(0.5)  # the workers see the connections close
            connections_cpu = cpu_seconds(site) - before_connections - server_cpu
        finally:
            if rushing.poll() is None:
                rushing.kill()
        if not line.startswith("RUSH "):
            raise RuntimeError("rush.py printed no figures: " + line)
        data = json.loads(line.removeprefix("RUSH "))
        errors = data["server_errors"] + data["client_errors"] + data["limited"] + data["socket_errors"]
        answered = data["created"] + data["refused"]
        run = Run("rush", attempts, answered, data["seconds"], data["p50_ms"], data["p99_ms"], errors, data)
        run.cpu_ms = server_cpu * 1000 / max(1, answered)
        run.load = os.getloadavg()[0]
        run.others = max(0.0, (busy - busy_before) - server_cpu) / max(1e-9, total - total_before)
        data["connections_cpu_ms"] = connections_cpu * 1000 / max(1, attempts)
    after = query(env["DATABASE_URL"], CHECK_SQL.replace("GROUP BY", f"WHERE s.id = {slot['id']} GROUP BY"))[0]
    print(
        f"  {name:<10} rush of {attempts} on one slot with {places} places: last answer after {run.seconds:.2f} s, "
        f"{run.extra['created']} booked, {run.extra['refused']} refused, errors {run.errors}, server CPU "
        f"{run.cpu_ms:.2f} ms/answer (and {run.extra['connections_cpu_ms']:.2f} ms to open and close each "
        "connection)",
        flush=True,
    )
    return run, {
        "booked": after["booked"] - slot["booked"],
        "over_capacity": after["booked"] > after["capacity"] or after["active"] > after["capacity"],
        "mismatched": after["booked"] != after["active"],
        **server_log(log),
    }


def pgbench_script(slots: list[int]) -> str:
    """A pgbench script of the booking's own statement (``booking.bookings._BOOK``, as the portal sends it on
    PostgreSQL) with a random hot slot, phone number and code: what PostgreSQL itself does for a booking."""
    from booking.bookings import _BOOK, _contact_args

    phone = "('080' || :phone)"
    values = [
        "(ARRAY[" + ",".join(map(str, slots)) + "])[:slot]",
        *(
            phone if value == "PHONE" else "''" if value == "" else "0" if value == 0 else f"'{value}'"
            for value in _contact_args("PHONE", "", None)
        ),
        "1",
        "'published'",
        "now()",
        "2",
        "1",  # _TAKE_CONDITION: the party against the bookable places,
        "1",  # and against all of an empty slot's places
        "('PGB' || :code)",
        "1",
        "'ベンチ タロウ'",
        phone,
        "''",
        "'ja'",
        "'{}'",
        "'{}'",
        "''",
        "'confirmed'",
        "NULL",
        "'pgbench'",
        "now()",
        "now()",
        "md5(:code::text)",
        "NULL",  # the Idempotency-Key an earlier booking was made with (read for a refusal)
    ]
    parts = _BOOK.split("{}")
    if len(parts) != len(values) + 1:
        raise RuntimeError(f"the booking statement has {len(parts) - 1} parameters, the script gives {len(values)}")
    statement = parts[0] + "".join(value + part for value, part in zip(values, parts[1:], strict=True))
    return (
        f"\\set slot random(1, {len(slots)})\n\\set phone random(10000000, 99999999)\n"
        "\\set code random(1, 999999999999)\n" + " ".join(statement.split()) + ";\n"
    )


def pgbench(env: dict, connections: int, seconds: float, hot_booths: int, tmp: Path) -> dict:
    """pgbench with the booking's statement on the hot slots, at the write run's connections: bookings/s that
    PostgreSQL itself makes, to divide the portal's by."""
    slots = hot_slot_file(env, hot_booths, tmp / "pgbench-slots.txt")
    script = tmp / "booking.sql"
    script.write_text(pgbench_script(slots))
    done = subprocess.run(
        [
            PGBENCH,
            "-n",
            "-M",
            "prepared",
            "-f",
            str(script),
            "-c",
            str(connections),
            "-j",
            str(os.cpu_count() or 1),
            "-T",
            str(max(1, round(seconds))),
            env["DATABASE_URL"],
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if found is None:
        raise RuntimeError("pgbench printed no figures:\n" + done.stdout + done.stderr)
    result = {
        "tps": float(found.group(1)),
        "latency_ms": float(latency.group(1)) if latency else 0.0,
        "failed": int(failed.group(1)) if failed else 0,
        "connections": connections,
    }
    print(
        f"  pgbench (the booking's statement, {connections} connections): {result['tps']:,.0f} bookings/s, "
        f"average latency {result['latency_ms']:.1f} ms",
        flush=True,
    )
    return result


def server_log(log: Path) -> dict:
    """Tracebacks in a server log: those of clients that hung up when the load stopped, and the others."""
    text = log.read_text(errors="replace")
    disconnects = text.count("InternalServerException: 500: client disconnected prematurely")
    return {
        "tracebacks": text.count("Traceback") - disconnects,
        "disconnects_at_end": disconnects,
        "locked": text.count("database is locked"),
    }


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load[0]:.2f} at start; load generator: {'wrk ' + WRK if WRK else 'Python (httpx), same machine'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="worker processes of the production portal (and of its bare twin)",
    )
    parser.add_argument(
        "--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--read-seconds", type=float, default=8)
    parser.add_argument("--warm-seconds", type=float, default=2)
    parser.add_argument("--connections", default="32,128")
    parser.add_argument(
        "--read-rounds",
        type=int,
        default=1,
        help="read runs at each connection count, the bare endpoint and the portal in turn (the spread of the ratio)",
    )
    parser.add_argument("--write-seconds", type=float, default=20)
    parser.add_argument("--write-connections", type=int, default=64)
    parser.add_argument("--cancel-share", type=float, default=0.2)
    parser.add_argument(
        "--hot-booths",
        type=int,
        default=10,
        help="bookings go to the slots of the first N booths (a rush after publicity)",
    )
    parser.add_argument(
        "--demo-write-seconds",
        type=float,
        default=10,
        help="the same write mix on the SQLite demo (information; 0 to skip)",
    )
    parser.add_argument(
        "--mixed-seconds",
        type=float,
        default=8,
        help="GET /api/sessions (32 connections) while bookings stream in (8 connections); 0 to skip",
    )
    parser.add_argument(
        "--open-loop-seconds",
        type=float,
        default=20,
        help="bookings and cancellations due at the target rate, latency from when due; 0 to skip",
    )
    parser.add_argument("--rush-attempts", type=int, default=300, help="simultaneous bookings of one slot")
    parser.add_argument("--rush-places", type=int, default=4, help="free places of the rushed slot")
    parser.add_argument("--pgbench-seconds", type=float, default=10, help="pgbench with the booking's statement")
    parser.add_argument(
        "--skip",
        default="",
        help="comma list of: production, demo, reads, weight, writes, openloop, mixed, rush, pgbench",
    )
    parser.add_argument("--quick", action="store_true", help="short runs (checks the script, not the figures)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    args = parser.parse_args()
    if args.python_load:
        global WRK
        WRK = None
    if args.quick:
        args.read_seconds, args.warm_seconds, args.write_seconds, args.demo_write_seconds = 2, 1, 4, 2
        args.mixed_seconds, args.open_loop_seconds, args.pgbench_seconds = 3, 4, 2
    skip = set(filter(None, args.skip.split(",")))
    connections = [int(c) for c in args.connections.split(",")]
    print(machine(), flush=True)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="outreach-bench-"))
    logs = tmp / "logs"
    logs.mkdir()
    read_rows: list[tuple[str, Run, Run]] = []
    write_rows: list[tuple[str, Run, dict]] = []
    mixed_rows: list[tuple[str, Run, Run]] = []
    open_rows: list[tuple[str, Run, dict]] = []
    rush_rows: list[tuple[str, Run, dict]] = []
    booked_rows: list[tuple[str, Run, dict]] = []  # the same rush on a slot with a place for everyone
    database_rows: list[dict] = []
    weight = None
    try:
        if "production" not in skip:
            with postgres_database(args.pg_admin_url) as database_url:
                env = base_env(tmp / "pg", database_url, args.redis_url)
                print(
                    f"production: PostgreSQL {database_url.rsplit('/', 1)[1]}, Redis, {args.workers} workers: "
                    + load_demo(env),
                    flush=True,
                )
                read_rows += (
                    []
                    if "reads" in skip
                    else reads(
                        "production",
                        env,
                        args.workers,
                        logs,
                        connections,
                        args.read_seconds,
                        args.warm_seconds,
                        args.read_rounds,
                    )
                )
                if "weight" not in skip:
                    with portal(env, args.workers, logs / "weight-portal.log") as site:
                        weight = page_weight(site.url, "cyberjapandata.gsi.go.jp")
                if "writes" not in skip:
                    run, check = writes(
                        "production",
                        env,
                        args.workers,
                        logs,
                        args.write_connections,
                        args.write_seconds,
                        args.hot_booths,
                        args.cancel_share,
                        tmp,
                    )
                    write_rows.append(("production", run, check))
                if "openloop" not in skip and args.open_loop_seconds > 0:
                    open_rows.append(
                        (
                            "production",
                            *open_loop(
                                "production",
                                env,
                                args.workers,
                                logs,
                                args.write_connections,
                                args.open_loop_seconds,
                                args.hot_booths,
                                args.cancel_share,
                                tmp,
                            ),
                        )
                    )
                rushes = ((args.rush_places, rush_rows, 0), (args.rush_attempts, booked_rows, 1))
                if "rush" not in skip:
                    for places, rows, offset in rushes:
                        rows.append(
                            (
                                "production",
                                *rush(
                                    "production",
                                    env,
                                    args.workers,
                                    logs,
                                    args.rush_attempts,
                                    places,
                                    tmp,
                                    args.hot_booths,
                                    offset,
                                ),
                            )
                        )
                if "pgbench" not in skip and PGBENCH and args.pgbench_seconds > 0:
                    database_rows.append(
                        pgbench(env, args.write_connections, args.pgbench_seconds, args.hot_booths, tmp)
                    )
                if "mixed" not in skip and args.mixed_seconds > 0:
                    mixed_rows.append(
                        (
                            "production",
                            *mixed(
                                "production", env, args.workers, logs, 32, 8, args.mixed_seconds, args.hot_booths, tmp
                            ),
                        )
                    )
        if "demo" not in skip:
            env = base_env(tmp / "sqlite", f"sqlite:///{tmp / 'sqlite' / 'outreach.sqlite'}", None)
            print("demo: SQLite, 1 worker: " + load_demo(env), flush=True)
            read_rows += (
                []
                if "reads" in skip
                else reads("demo", env, 1, logs, connections, args.read_seconds, args.warm_seconds, args.read_rounds)
            )
            if "writes" not in skip and args.demo_write_seconds > 0:
                run, check = writes(
                    "demo",
                    env,
                    1,
                    logs,
                    args.write_connections,
                    args.demo_write_seconds,
                    args.hot_booths,
                    args.cancel_share,
                    tmp,
                )
                write_rows.append(("demo", run, check))
            rushes = ((args.rush_places, rush_rows, 0), (args.rush_attempts, booked_rows, 1))
            if "rush" not in skip:
                for places, rows, offset in rushes:
                    rows.append(
                        ("demo", *rush("demo", env, 1, logs, args.rush_attempts, places, tmp, args.hot_booths, offset))
                    )
        report(read_rows, write_rows, mixed_rows, weight, args)
        report_open_loop(open_rows, args)
        report_rush(rush_rows, booked_rows, write_rows, args)
        report_database(database_rows, write_rows)
        print(f"\ntotal {time.perf_counter() - started:.0f} s; server logs in {logs}")
    except BaseException:
        print(f"server logs in {logs}", file=sys.stderr)
        raise


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(read_rows, write_rows, mixed_rows, weight, args) -> None:
    generator = "wrk" if WRK else "Python load generator, which is itself the limit here: compare CPU ratios only"
    print(f"\n## Reads ({generator}; Accept-Encoding: gzip)\n")
    print(
        "ratio = req/s ÷ the bare endpoint's req/s in the same run and at the same connections; CPU ratio = the "
        "bare endpoint's server CPU per request ÷ this endpoint's (the throughput ratio a CPU-bound server would "
        "reach; it depends far less on what else runs on the machine)\n"
    )
    print(
        "| setup | endpoint | connections | req/s | p50 ms | p99 ms | errors | server CPU ms/request | ratio | "
        "CPU ratio | CPU of all else | load avg |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, run, bare_run in read_rows:
        setup = f"production (PG, {args.workers} workers)" if name == "production" else "demo (SQLite, 1 worker)"
        ratio = run.rate / bare_run.rate if bare_run.rate else 0
        cpu_ratio = bare_run.cpu_ms / run.cpu_ms if run.cpu_ms else 0
        print(
            f"| {setup} | {run.label} | {run.connections} | {run.rate:,.0f} | {run.p50_ms:.1f} | "
            f"{run.p99_ms:.1f} | {run.errors} | {run.cpu_ms:.3f} | {ratio:.2f} | {cpu_ratio:.2f} | "
            f"{run.others:.0%} | {run.load:.1f} |"
        )
    api = [run.rate / bare_run.rate for name, run, bare_run in read_rows if run.label == "/api/sessions"]
    api_cpu = [bare_run.cpu_ms / run.cpu_ms for name, run, bare_run in read_rows if run.label == "/api/sessions"]
    if api:
        print(
            f"\nAPI target (ratio ≥ {TARGET_READ_RATIO}): {verdict(min(api) >= TARGET_READ_RATIO)} "
            f"(lowest {min(api):.2f}, highest {max(api):.2f}; CPU ratio lowest {min(api_cpu):.2f}, highest "
            f"{max(api_cpu):.2f})"
        )
    if write_rows:
        print(
            f"\n## Writes ({args.write_connections} connections, {1 - args.cancel_share:.0%} bookings / "
            f"{args.cancel_share:.0%} cancellations, slots of the first {args.hot_booths} booths)\n"
        )
        print(
            "| setup | seconds | requests/s | bookings/s | cancellations/s | 409 full | p50 ms | p99 ms | 5xx | "
            "other errors | server CPU ms/request | CPU of all else | load avg | slots booked ≠ active places | "
            "slots over capacity |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, run, check in write_rows:
            x = run.extra
            print(
                f"| {name} | {run.seconds:.1f} | {run.rate:,.0f} | {x['created'] / run.seconds:,.0f} | "
                f"{x['cancelled'] / run.seconds:,.0f} | {x['refused']} | {run.p50_ms:.1f} | {run.p99_ms:.1f} | "
                f"{x['server_errors']} | {run.errors - x['server_errors']} | {run.cpu_ms:.2f} | {run.others:.0%} | "
                f"{run.load:.1f} | {check['mismatched_slots']} | {check['overbooked_slots']} |"
            )
        for name, run, check in write_rows:
            print(
                f"\n{name}: {run.extra['created']} bookings made and {run.extra['cancelled']} cancelled as the "
                f"load generator saw them; in the database: {check['rows_by_state']}, places booked "
                f"{check['booked_total']}, active party sizes {check['active_places']}, over {check['slots']} "
                f"slots; server log: {check['tracebacks']} tracebacks, {check['locked']} 'database is locked', "
                f"{check['disconnects_at_end']} 'client disconnected prematurely' (wrk hanging up at the end)"
            )
        demo = [run for name, run, check in write_rows if name == "demo"]
        if demo:
            print(
                f"\nDemo write target: p99 ≤ {TARGET_DEMO_WRITE_P99_MS} ms at {args.write_connections} connections "
                f"{verdict(demo[0].p99_ms <= TARGET_DEMO_WRITE_P99_MS)} ({demo[0].p99_ms:.0f})"
            )
        production = [(run, check) for name, run, check in write_rows if name == "production"]
        if production:
            run, check = production[0]
            per_s = run.extra["created"] / run.seconds
            print(
                f"\nWrite targets: ≥ {TARGET_BOOKINGS_PER_S} bookings/s {verdict(per_s >= TARGET_BOOKINGS_PER_S)} "
                f"({per_s:,.0f}); p99 ≤ {TARGET_WRITE_P99_MS} ms {verdict(run.p99_ms <= TARGET_WRITE_P99_MS)} "
                f"({run.p99_ms:.0f}); zero 5xx {verdict(run.extra['server_errors'] == 0)}; zero overbooking "
                f"{verdict(check['mismatched_slots'] == 0 and check['overbooked_slots'] == 0)}"
            )
    if mixed_rows:
        print("\n## Reads during a stream of bookings (production)\n")
        print(
            "| endpoint | connections | req/s | p99 ms | bookings/s meanwhile (8 connections) | "
            "the same endpoint without bookings (req/s, above) |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for name, reading, written in mixed_rows:
            alone = [
                run.rate
                for n, run, _ in read_rows
                if n == name and run.label == "/api/sessions" and run.connections == reading.connections
            ]
            print(
                f"| GET /api/sessions | {reading.connections} | {reading.rate:,.0f} | {reading.p99_ms:.1f} | "
                f"{written.extra['created'] / written.seconds:,.0f} | "
                f"{f'{alone[0]:,.0f}' if alone else ''} |"
            )
    if weight:
        print(
            f"\n## Page weight of / without map tiles ({weight['method']}; {weight['tiles_blocked']} tile "
            f"requests blocked)\n"
        )
        print("| resource | gzip (bytes on the wire) | identity | Chromium's count |")
        print("|---|---:|---:|---:|")
        for path, gz, plain, browser in weight["rows"]:
            print(f"| {path} | {gz:,} | {plain:,} | {'' if browser is None else f'{browser:,}'} |")
        browser = "" if weight["browser"] is None else f"{weight['browser']:,}"
        print(
            f"| **total ({len(weight['rows'])} requests)** | **{weight['gzip']:,}** | **{weight['identity']:,}** | "
            f"**{browser}** |"
        )
        print(
            f"\nPage weight target (≤ {TARGET_PAGE_KB} KB with gzip): "
            f"{verdict(weight['gzip'] <= TARGET_PAGE_KB * 1000)} ({weight['gzip'] / 1000:.0f} KB gzip, "
            f"{weight['identity'] / 1000:.0f} KB without)"
        )


def report_open_loop(open_rows, args) -> None:
    if not open_rows:
        return
    rate = TARGET_BOOKINGS_PER_S / (1 - args.cancel_share)
    print(
        f"\n## Writes at the target rate ({args.write_connections} connections, open loop: requests due at "
        f"{rate:,.0f}/s as a Poisson process = {TARGET_BOOKINGS_PER_S} bookings/s + their "
        f"{args.cancel_share:.0%} of cancellations; latency from when each was due)\n"
    )
    print(
        "| setup | seconds | offered req/s | answered req/s | bookings/s | p50 ms | p90 ms | p99 ms | max ms | "
        "due but unsent at the end | 5xx | other errors | server CPU ms/request | CPU of all else | "
        "slots booked ≠ active places | slots over capacity |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, run, check in open_rows:
        x = run.extra
        print(
            f"| {name} | {run.seconds:.1f} | {x['offered_rate']:,.0f} | {run.rate:,.0f} | "
            f"{x['created'] / run.seconds:,.0f} | {run.p50_ms:.1f} | {x['p90_ms']:.1f} | {run.p99_ms:.1f} | "
            f"{x['max_ms']:.0f} | {x['backlog_at_end']} | {x['server_errors']} | "
            f"{run.errors - x['server_errors']} | {run.cpu_ms:.2f} | {run.others:.0%} | "
            f"{check['mismatched_slots']} | {check['overbooked_slots']} |"
        )
    run, check = open_rows[0][1], open_rows[0][2]
    print(
        f"\nAt the target rate: p99 ≤ {TARGET_WRITE_P99_MS} ms {verdict(run.p99_ms <= TARGET_WRITE_P99_MS)} "
        f"({run.p99_ms:.0f}); zero 5xx {verdict(run.extra['server_errors'] == 0)}; zero overbooking "
        f"{verdict(check['mismatched_slots'] == 0 and check['overbooked_slots'] == 0)}"
    )


def report_rush(rush_rows, booked_rows, write_rows, args) -> None:
    if not rush_rows:
        return
    print(
        f"\n## A rush on one slot ({args.rush_attempts} simultaneous bookings, {args.rush_places} free places, "
        "each on its own connection, opened and used once before the rush; the CPU per answer counts the requests "
        f"alone). Beside it, the same rush on a slot with {args.rush_attempts} free places (all booked), and the "
        "write mix\n"
    )
    print(
        "| setup | last answer after s | p50 ms | p99 ms | booked | refused (with alternatives) | errors | "
        "server CPU ms/answer | CPU ms to open, warm and close its connection | the rush of bookings' ms/answer "
        "(its last answer after s) | the write mix's ms/request | slot over capacity | booked ≠ active |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for name, run, check in rush_rows:
        x = run.extra
        mix = next((w.cpu_ms for n, w, _ in write_rows if n == name), None)
        booked = next((b for n, b, _ in booked_rows if n == name), None)
        print(
            f"| {name} | {run.seconds:.2f} | {run.p50_ms:.0f} | {run.p99_ms:.0f} | {x['created']} | "
            f"{x['refused']} ({x['refusals_with_alternatives']}) | {run.errors} | {run.cpu_ms:.2f} | "
            f"{x['connections_cpu_ms']:.2f} | "
            f"{'' if booked is None else f'{booked.cpu_ms:.2f} ({booked.seconds:.2f})'} | "
            f"{'' if mix is None else f'{mix:.2f}'} | {check['over_capacity']} | {check['mismatched']} |"
        )
    for name, run, _check in rush_rows:
        booked = next((b for n, b, _ in booked_rows if n == name), None)
        mix = next((w.cpu_ms for n, w, _ in write_rows if n == name), None)
        cheaper = (
            ""
            if booked is None
            else f"; a refusal no dearer than a booking in the same rush {verdict(run.cpu_ms <= booked.cpu_ms)} "
            f"({run.cpu_ms:.2f} vs {booked.cpu_ms:.2f} ms; {booked.extra['created']} of {args.rush_attempts} booked)"
        )
        if mix is not None:
            cheaper += f"; against the write mix's {mix:.2f} ms/request {verdict(run.cpu_ms <= mix)}"
        print(
            f"\n{name}: answered within {TARGET_RUSH_SECONDS[name]:.0f} s "
            f"{verdict(run.seconds <= TARGET_RUSH_SECONDS[name] and run.errors == 0)} ({run.seconds:.2f} s); "
            f"exactly {args.rush_places} booked {verdict(run.extra['created'] == args.rush_places)}{cheaper}"
        )


def report_database(database_rows, write_rows) -> None:
    production = [run for name, run, _ in write_rows if name == "production"]
    if not database_rows or not production:
        return
    database, run = database_rows[0], production[0]
    portal_rate = run.extra["created"] / run.seconds
    print(
        f"\n## The portal against PostgreSQL's own limit\n\npgbench, the booking's statement alone on the same "
        f"hot slots and {database['connections']} connections: {database['tps']:,.0f} bookings/s "
        f"(average {database['latency_ms']:.1f} ms, {database['failed']} failed); the portal: "
        f"{portal_rate:,.0f} bookings/s (and its cancellations) = {portal_rate / database['tps']:.2f} of it"
    )


if __name__ == "__main__":
    main()
