"""GET /api/offices against a bare endpoint sending the same bytes (issue 19, "Speed": at least 0.8 of it).

The script starts everything itself and drops it at the end: a fresh PostgreSQL database with the migrations and a
counter day (City Hall with five services, a civic centre with two, 240 of today's tickets in every state, calls in
the last half hour), ``outreach serve --workers N`` on it, and beside it the bare app (``bare_app.py``) under the
same server and worker count, sending the bytes the portal answered. Both are read by wrk (``report.lua`` of the
booking benchmark) at each connection count after a warm-up; the figure is the ratio of requests/s, with the
server's CPU per request beside it (the machine is shared: compare the CPU ratio when others are busy).

    .venv/bin/python bench/offices/bench_offices.py                 # about a minute
    .venv/bin/python bench/offices/bench_offices.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bench.booking.bench_booking import (  # noqa: E402
    BIN,
    TARGET_READ_RATIO,
    base_env,
    machine,
    measured,
    portal,
    postgres_database,
    read_load,
)
from tests.support import servers  # noqa: E402

TICKETS = 240


async def seed() -> None:
    """Today's counter in the database of DATABASE_URL: two offices, their services, and tickets in every state."""
    from booking.codes import new_code
    from core import clock
    from counter.tables import CounterService, Office, Ticket, TicketState

    rng = random.Random(19)
    now = clock.now()
    today = clock.today()
    offices = []
    for code, name, name_en, services in (
        (
            "CITYHALL",
            "金沢市役所 市民課",
            "Kanazawa City Hall",
            ("pickup", "certificate", "pin_reset", "application", "other"),
        ),
        ("EKINISHI", "駅西市民センター", "Ekinishi Civic Centre", ("pickup", "certificate")),
    ):
        office = (
            await Office.insert(Office(code=code, name=name, name_en=name_en)).returning(Office._meta.primary_key)
        )[0]["id"]
        ids = []
        for letter, kind in zip("ABCDE", services, strict=False):
            row = CounterService(office=office, kind=kind, letter=letter, minutes_per_person=8.0, windows=2)
            ids.append((await CounterService.insert(row).returning(CounterService._meta.primary_key))[0]["id"])
        offices.append((office, ids))
    numbers: dict[int, int] = {}
    for _ in range(TICKETS):
        office, services = rng.choice(offices)
        service = rng.choice(services)
        numbers[service] = numbers.get(service, 0) + 1
        issued = now - dt.timedelta(minutes=rng.uniform(1, 240))
        state = rng.choice(
            [TicketState.waiting] * 3 + [TicketState.served] * 3 + [TicketState.called, TicketState.absent]
        )
        called = issued + dt.timedelta(minutes=rng.uniform(0, 30)) if state != TicketState.waiting else None
        called = min(called, now) if called else None
        finished = called + dt.timedelta(minutes=rng.uniform(3, 12)) if called and state != TicketState.called else None
        await Ticket.insert(
            Ticket(
                code=new_code(),
                office=office,
                service=service,
                day=today,
                number=numbers[service],
                number_key=f"{service}:{today.isoformat()}:{numbers[service]}",
                state=state.value,
                window=rng.randint(1, 5) if called else None,
                issued_at=issued,
                called_at=called,
                finished_at=min(finished, now) if finished else None,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--pg-admin-url", default="postgresql://postgres:postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--connections", default="32,128")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--warm", type=float, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)  # run by the script itself
    args = parser.parse_args()
    if args.seed_only:
        asyncio.run(seed())
        return
    if args.quick:
        args.seconds, args.warm, args.connections = 2, 1, "32"
    print(machine(), flush=True)
    logs = Path(tempfile.mkdtemp(prefix="bench-offices-"))
    with postgres_database(args.pg_admin_url) as database_url:
        env = base_env(logs, database_url, None)
        subprocess.run([str(BIN / "outreach"), "db", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([sys.executable, __file__, "--seed-only"], env=env, cwd=ROOT, check=True)
        with portal(env, args.workers, logs / "portal.log") as site:
            with urllib.request.urlopen(site.url + "/api/offices") as response:
                body = response.read()
            (logs / "offices.json").write_bytes(body)
            bare_env = {**env, "BARE_BODY_FILE": str(logs / "offices.json")}
            with servers.uvicorn(
                "bare_app:app",
                app_dir=HERE,
                arguments=["--proxy-headers", "--log-level", "info"],
                workers=args.workers,
                health_path="/bare",
                env=bare_env,
                log=logs / "bare.log",
                cwd=ROOT,
            ) as ceiling:
                print(f"GET /api/offices: {len(body):,} bytes, {args.workers} workers; logs in {logs}", flush=True)
                verdicts = []
                for c in (int(x) for x in args.connections.split(",")):
                    runs = {}
                    for label, target, path in (
                        ("bare", ceiling, "/bare"),
                        ("/api/offices", site, "/api/offices"),
                        ("/api/sessions", site, "/api/sessions"),  # the reference: the booths' list (empty here)
                    ):
                        read_load(target.url + path, c, args.warm, label)
                        url = target.url + path
                        runs[label] = measured(
                            target, lambda url=url, c=c, label=label: read_load(url, c, args.seconds, label)
                        )
                    bare_run, api = runs["bare"], runs["/api/offices"]
                    ratio, cpu_ratio = api.rate / bare_run.rate, bare_run.cpu_ms / max(1e-9, api.cpu_ms)
                    verdicts.append(ratio >= TARGET_READ_RATIO)
                    for run in runs.values():
                        print(
                            f"  {run.label:<13} c={c:<4} {run.rate:>8,.0f} req/s  p99 {run.p99_ms:>6.1f} ms  "
                            f"errors {run.errors}  server CPU {run.cpu_ms:.3f} ms/request  others {run.others:.0%}",
                            flush=True,
                        )
                    print(
                        f"  ratio c={c}: {ratio:.2f} of the bare endpoint's requests/s (target {TARGET_READ_RATIO}), "
                        f"{cpu_ratio:.2f} of its CPU per request",
                        flush=True,
                    )
    print("verdict:", "met" if all(verdicts) else "NOT met")


if __name__ == "__main__":
    main()
