"""Every flyer of a year: 72 Kanazawa booths (FY2027, six a month at real venues), each as an A4 PDF and a square
PNG, plus the twelve month posters; seconds in one process and in a process pool (target: 30 s on this 2-core
machine).

    .venv/bin/python bench/flyers/bench_flyers.py [--booths 72] [--workers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTREACH_VAR_DIR", tempfile.mkdtemp(prefix="outreach-bench-"))
os.environ.setdefault("SECRET_KEY", "bench")

from booking.schemas import Booth  # noqa: E402
from core.calendar import day_type, is_year_end_closure  # noqa: E402
from planner.inputs import facilities_from_files  # noqa: E402
from portal.documents.flyers import FlyerFile, extent_of, month_files  # noqa: E402

DATA = ROOT / "data" / "kanazawa"
BASE_URL = "https://yoyaku.example.jp"
PHONE = "076-220-2000"


def kanazawa_booths(count: int) -> list[Booth]:
    """``count`` booths of FY2027 at Kanazawa's candidate venues, spread over the venues and the months."""
    facilities = facilities_from_files([DATA / "public_facilities.csv", DATA / "commercial_venues.csv"])
    venues = sorted(facilities.candidates, key=lambda c: c.venue_id)
    step = max(1, len(venues) // count)
    days = [dt.date(2027, 4, 1) + dt.timedelta(days=n) for n in range(366)]
    days = [d for d in days if d < dt.date(2028, 4, 1) and not is_year_end_closure(d)]
    per_month = max(1, count // 12)
    chosen: list[dt.date] = []
    for month in sorted({(d.year, d.month) for d in days}):
        in_month = [d for d in days if (d.year, d.month) == month]
        chosen += [in_month[(i * len(in_month)) // per_month + 1] for i in range(per_month)]
    booths = []
    for number, day in enumerate(chosen[:count]):
        venue = venues[(number * step) % len(venues)]
        booths.append(
            Booth(
                id=1000 + number,
                date=day,
                start=dt.time(10),
                end=dt.time(17),
                day_type=day_type(day).value,
                state="published",
                venue_id=venue.venue_id,
                venue_name=venue.name,
                venue_name_en="",
                address=venue.address,
                lat=venue.lat,
                lon=venue.lon,
                wheelchair=number % 2 == 0,
                barrier_free_toilet=number % 3 == 0,
                accessible_route=True,
                priority_parking=number % 2 == 1,
                phone="",
                url="",
                remaining=10,
            )
        )
    return booths


def all_files(booths: list[Booth]) -> list[FlyerFile]:
    """Every booth's PDF and PNG, and each month's poster (all booths of the year share one overview extent)."""
    extent = extent_of(booths)
    months: dict[str, list[Booth]] = {}
    for booth in booths:
        months.setdefault(booth.date.strftime("%Y-%m"), []).append(booth)
    files: list[FlyerFile] = []
    for month, in_month in months.items():
        files += month_files(month, in_month, BASE_URL, phone=PHONE, extent=extent)
    return files


def render(file: FlyerFile) -> tuple[str, int]:
    return file.name, len(file.render())


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (what the work costs, however busy the machine is)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(files: list[FlyerFile], workers: int, out: Path | None) -> float:
    began, cpu = time.perf_counter(), cpu_seconds()
    if workers <= 1:
        sizes = [render(file) for file in files]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            sizes = list(pool.map(render, files, chunksize=4))
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    if out:
        out.mkdir(parents=True, exist_ok=True)
        for file in files[:3]:
            (out / file.name).write_bytes(file.render())
    kinds = Counter(name.rsplit(".", 1)[1] for name, _size in sizes)
    print(
        f"  {workers} process(es): {seconds:.1f} s for {kinds['pdf']} PDFs and {kinds['png']} PNGs "
        f"({sum(size for _name, size in sizes) / 1e6:.1f} MB), {cpu:.1f} s of CPU, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--booths", type=int, default=72)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="processes of the pooled run")
    parser.add_argument("--out", type=Path, help="also write the first few files here, to look at")
    args = parser.parse_args()

    booths = kanazawa_booths(args.booths)
    files = all_files(booths)
    posters = sum(1 for f in files if f.name.endswith("_poster.pdf"))
    print(f"{len(booths)} booths in {posters} months: {len(files)} files")
    render(files[0])  # fonts and templates load once per process
    serial = run(files, 1, args.out)
    pooled = run(files, args.workers, None) if args.workers > 1 else serial
    best = min(serial, pooled)
    print(f"flyers: {best:.1f} s for every flyer of the year (target 30 s): {'ok' if best <= 30 else 'SLOW'}")


if __name__ == "__main__":
    main()
