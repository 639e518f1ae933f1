"""Time the facility-list parse, the first import and an unchanged re-import of the real Kanazawa file."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "DATABASE_URL" not in os.environ:
    os.environ["OUTREACH_VAR_DIR"] = tempfile.mkdtemp(prefix="outreach-bench-")
sys.path.insert(0, str(ROOT))


async def main() -> None:
    from cli.runtime import migrate
    from venues.facility_list import parse_facility_list
    from venues.services import import_facility_list
    from venues.tables import Venue

    data = (ROOT / "data" / "kanazawa" / "public_facilities.csv").read_bytes()
    parse_times = []
    for _ in range(10):
        start = time.perf_counter()
        result = parse_facility_list(data)
        parse_times.append(time.perf_counter() - start)
    await migrate()
    await Venue.delete(force=True)
    start = time.perf_counter()
    first = await import_facility_list(None, result)
    first_seconds = time.perf_counter() - start
    start = time.perf_counter()
    again = await import_facility_list(None, parse_facility_list(data))
    again_seconds = time.perf_counter() - start
    print(f"parse 1,106 rows: median {statistics.median(parse_times) * 1000:.1f} ms (10 runs)")
    print(f"first import ({len(first.created)} venues): {first_seconds * 1000:.1f} ms")
    print(f"re-import ({len(again.unchanged)} unchanged): {again_seconds * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
